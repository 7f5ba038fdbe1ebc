-- Reserved for issue 12, as bot/store/migrations/0006_reserved_issue_12.sql: this number holds no statement.
SELECT 1;
