-- Reserved for issue 14, as bot/store/migrations/0007_reserved_issue_14.sql: this number holds no statement.
SELECT 1;
