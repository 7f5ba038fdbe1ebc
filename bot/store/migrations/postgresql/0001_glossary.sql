-- PostgreSQL's version of migration 0001 (bot/store/migrations/0001_glossary.sql): the same tables, columns
-- and rules. Integers are BIGINT, as SQLite's INTEGER holds 64 bits (Discord ids need them); times stay
-- ISO 8601 text in UTC, as the store reads and writes them.
--
-- Two helpers let the store's SQL run unchanged on both databases: the `nocase` collation (SQLite's
-- COLLATE NOCASE: equal ignoring case) and instr(). The unaccent extension serves the full-text search
-- (0004) as SQLite's remove_diacritics does.
CREATE COLLATION IF NOT EXISTS nocase (provider = icu, locale = 'und-u-ks-level2', deterministic = false);

CREATE FUNCTION instr(haystack text, needle text) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS 'SELECT strpos(haystack, needle)';

CREATE FUNCTION utc_now_text() RETURNS text
    LANGUAGE sql STABLE AS $$SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')$$;

CREATE TABLE terms (
    id          BIGINT  PRIMARY KEY,
    name        TEXT    NOT NULL,
    definition  TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    category    TEXT,
    url         TEXT,
    origin      TEXT    NOT NULL CHECK (origin IN ('seed', 'import', 'editor')),
    edited      INTEGER NOT NULL DEFAULT 0 CHECK (edited IN (0, 1)),
    lookups     BIGINT  NOT NULL DEFAULT 0,
    created_at  TEXT    NOT NULL DEFAULT utc_now_text(),
    updated_at  TEXT    NOT NULL DEFAULT utc_now_text()
);

CREATE TABLE term_names (
    key      TEXT    PRIMARY KEY,
    term_id  BIGINT  NOT NULL REFERENCES terms (id) ON DELETE CASCADE,
    text     TEXT    NOT NULL,
    is_alias INTEGER NOT NULL CHECK (is_alias IN (0, 1)),
    position INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX term_names_by_term ON term_names (term_id);
CREATE UNIQUE INDEX term_names_one_primary ON term_names (term_id) WHERE is_alias = 0;

CREATE TABLE relations (
    term_id    BIGINT  NOT NULL REFERENCES terms (id) ON DELETE CASCADE,
    related_id BIGINT  NOT NULL REFERENCES terms (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    PRIMARY KEY (term_id, related_id),
    CHECK (term_id <> related_id)
);
CREATE INDEX relations_by_related ON relations (related_id);

CREATE TABLE weekly_lookups (
    term_id BIGINT NOT NULL REFERENCES terms (id) ON DELETE CASCADE,
    week    TEXT   NOT NULL,
    count   BIGINT NOT NULL,
    PRIMARY KEY (term_id, week)
);

CREATE TABLE misses (
    key      TEXT   PRIMARY KEY,
    query    TEXT   NOT NULL,
    count    BIGINT NOT NULL DEFAULT 1,
    first_at TEXT   NOT NULL DEFAULT utc_now_text(),
    last_at  TEXT   NOT NULL DEFAULT utc_now_text()
);

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
