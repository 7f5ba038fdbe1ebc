-- Every change an editor makes in Discord, with the entry before and after as JSON snapshots
-- (the fields of bot.core.entry.Entry), so /glossary history can show it and /glossary revert undo it.
-- 0002 is the pulse tables' migration.
CREATE TABLE term_changes (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,  -- AUTOINCREMENT: a change id is never reused, even after a purge
    -- No foreign key: the history of a removed term must outlive it (to show it and to revert it).
    term_id   INTEGER NOT NULL,
    term_name TEXT    NOT NULL,  -- the name when the change was made, for listing removed terms
    term_key  TEXT    NOT NULL,  -- lookup_key(term_name), to find a removed term's history by its name
    action    TEXT    NOT NULL CHECK (action IN ('add', 'edit', 'remove', 'alias', 'relate', 'revert')),
    user_id   INTEGER NOT NULL,
    at        TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    before    TEXT,              -- NULL: the term did not exist before (an add)
    after     TEXT,              -- NULL: the term does not exist after (a remove)
    -- For a removal: the terms that listed this one as related ([[name, position], ...]), which the
    -- removal unlinked; a revert links them again.
    linked_from TEXT,
    reverts   INTEGER REFERENCES term_changes (id),
    CHECK (before IS NOT NULL OR after IS NOT NULL)
);
CREATE INDEX term_changes_by_term ON term_changes (term_id, id);
CREATE INDEX term_changes_by_key ON term_changes (term_key, id);
