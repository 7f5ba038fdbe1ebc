-- Server glossaries: each server's own entries beside the shared glossary.
--
-- A term belongs to the shared glossary (terms.guild_id IS NULL) or to one server. Names are unique per
-- scope, and the database is the guard: term_names' primary key is (scope_id, key), where scope_id is
-- the term's guild id, or 0 for the shared glossary (a key column cannot be NULL; no guild id is 0).
-- A server entry may carry a shared entry's name: in that server it answers first (shadowing).
ALTER TABLE terms ADD COLUMN guild_id INTEGER;

-- The shared glossary's terms by category (random and category reads), and each server's.
DROP INDEX terms_by_category;
CREATE INDEX terms_shared_by_category ON terms (category COLLATE NOCASE) WHERE guild_id IS NULL;
CREATE INDEX terms_by_guild ON terms (guild_id, category COLLATE NOCASE) WHERE guild_id IS NOT NULL;

CREATE TABLE term_names_scoped (
    scope_id INTEGER NOT NULL DEFAULT 0,
    key      TEXT    NOT NULL,
    term_id  INTEGER NOT NULL REFERENCES terms (id) ON DELETE CASCADE,
    text     TEXT    NOT NULL,
    is_alias INTEGER NOT NULL CHECK (is_alias IN (0, 1)),
    position INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (scope_id, key)
) WITHOUT ROWID;
INSERT INTO term_names_scoped (scope_id, key, term_id, text, is_alias, position)
SELECT 0, key, term_id, text, is_alias, position FROM term_names;
-- Dropping the table drops its indexes and 0004's alias triggers: both are made again below.
DROP TABLE term_names;
ALTER TABLE term_names_scoped RENAME TO term_names;
CREATE INDEX term_names_by_term ON term_names (term_id);
CREATE UNIQUE INDEX term_names_one_primary ON term_names (term_id) WHERE is_alias = 0;

-- A name lives in its term's scope, whoever writes it.
CREATE TRIGGER term_names_in_scope_insert BEFORE INSERT ON term_names
WHEN NEW.scope_id IS NOT (SELECT coalesce(guild_id, 0) FROM terms WHERE id = NEW.term_id)
BEGIN
    SELECT RAISE(ABORT, 'a name must be in the scope of its term');
END;

CREATE TRIGGER term_names_in_scope_update BEFORE UPDATE ON term_names
WHEN NEW.scope_id IS NOT (SELECT coalesce(guild_id, 0) FROM terms WHERE id = NEW.term_id)
BEGIN
    SELECT RAISE(ABORT, 'a name must be in the scope of its term');
END;

-- A term relates to shared terms and to its own server's, never to another server's.
CREATE TRIGGER relations_in_scope BEFORE INSERT ON relations
WHEN (SELECT guild_id FROM terms WHERE id = NEW.related_id) IS NOT NULL
 AND (SELECT guild_id FROM terms WHERE id = NEW.related_id) IS NOT (SELECT guild_id FROM terms WHERE id = NEW.term_id)
BEGIN
    SELECT RAISE(ABORT, 'a term may only relate to shared terms and to its own server''s');
END;

-- 0004's alias triggers, as they were.
CREATE TRIGGER term_search_alias_insert AFTER INSERT ON term_names WHEN NEW.is_alias = 1 BEGIN
    UPDATE terms SET alias_text = coalesce((
        SELECT group_concat(text, char(10)) FROM (
            SELECT text FROM term_names WHERE term_id = NEW.term_id AND is_alias = 1 ORDER BY position
        )
    ), '') WHERE id = NEW.term_id;
END;

CREATE TRIGGER term_search_alias_delete AFTER DELETE ON term_names WHEN OLD.is_alias = 1 BEGIN
    UPDATE terms SET alias_text = coalesce((
        SELECT group_concat(text, char(10)) FROM (
            SELECT text FROM term_names WHERE term_id = OLD.term_id AND is_alias = 1 ORDER BY position
        )
    ), '') WHERE id = OLD.term_id;
END;

CREATE TRIGGER term_search_alias_update AFTER UPDATE ON term_names
WHEN OLD.is_alias = 1 OR NEW.is_alias = 1
BEGIN
    UPDATE terms SET alias_text = coalesce((
        SELECT group_concat(text, char(10)) FROM (
            SELECT text FROM term_names WHERE term_id = terms.id AND is_alias = 1 ORDER BY position
        )
    ), '') WHERE id IN (OLD.term_id, NEW.term_id);
END;

-- Misses per scope: a miss in a server counts for that server and for the shared glossary.
CREATE TABLE misses_scoped (
    scope_id INTEGER NOT NULL DEFAULT 0,
    key      TEXT    NOT NULL,
    query    TEXT    NOT NULL,
    count    INTEGER NOT NULL DEFAULT 1,
    first_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    last_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    PRIMARY KEY (scope_id, key)
) WITHOUT ROWID;
INSERT INTO misses_scoped (scope_id, key, query, count, first_at, last_at)
SELECT 0, key, query, count, first_at, last_at FROM misses;
DROP TABLE misses;
ALTER TABLE misses_scoped RENAME TO misses;

-- The history of a server's entries is that server's (NULL: the shared glossary's).
ALTER TABLE term_changes ADD COLUMN guild_id INTEGER;
DROP INDEX term_changes_by_key;
CREATE INDEX term_changes_by_key ON term_changes (guild_id, term_key, id);
CREATE INDEX term_changes_by_guild ON term_changes (guild_id, id);

-- Per-server settings: the role whose members curate the server's glossary (beside Manage Server).
CREATE TABLE server_settings (
    guild_id       INTEGER PRIMARY KEY,
    editor_role_id INTEGER
);
