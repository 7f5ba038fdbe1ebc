-- Terms, their names (the primary name and aliases share one key space, unique ignoring case,
-- spacing and punctuation), relations between terms, lookup counts and misses.
CREATE TABLE terms (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL,
    definition  TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    category    TEXT,
    url         TEXT,
    origin      TEXT    NOT NULL CHECK (origin IN ('seed', 'import', 'editor')),
    -- 1 once an editor changed the entry: seeding and imports without --replace leave it alone.
    edited      INTEGER NOT NULL DEFAULT 0 CHECK (edited IN (0, 1)),
    lookups     INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

CREATE TABLE term_names (
    key      TEXT    PRIMARY KEY,
    term_id  INTEGER NOT NULL REFERENCES terms (id) ON DELETE CASCADE,
    text     TEXT    NOT NULL,
    is_alias INTEGER NOT NULL CHECK (is_alias IN (0, 1)),
    position INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX term_names_by_term ON term_names (term_id);
CREATE UNIQUE INDEX term_names_one_primary ON term_names (term_id) WHERE is_alias = 0;

CREATE TABLE relations (
    term_id    INTEGER NOT NULL REFERENCES terms (id) ON DELETE CASCADE,
    related_id INTEGER NOT NULL REFERENCES terms (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    PRIMARY KEY (term_id, related_id),
    CHECK (term_id <> related_id)
) WITHOUT ROWID;
CREATE INDEX relations_by_related ON relations (related_id);

CREATE TABLE weekly_lookups (
    term_id INTEGER NOT NULL REFERENCES terms (id) ON DELETE CASCADE,
    week    TEXT    NOT NULL,
    count   INTEGER NOT NULL,
    PRIMARY KEY (term_id, week)
) WITHOUT ROWID;

CREATE TABLE misses (
    key      TEXT    PRIMARY KEY,
    query    TEXT    NOT NULL,
    count    INTEGER NOT NULL DEFAULT 1,
    first_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    last_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
) WITHOUT ROWID;

-- Small facts about this database: the seed file's digest, the synced command set's digest.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
