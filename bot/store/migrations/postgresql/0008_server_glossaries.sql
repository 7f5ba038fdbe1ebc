-- PostgreSQL's version of migration 0008 (bot/store/migrations/0008_server_glossaries.sql): each server's
-- own entries beside the shared glossary. Names are unique per scope (scope_id: the term's guild id, 0 for
-- the shared glossary), and the database is the guard.
ALTER TABLE terms ADD COLUMN guild_id BIGINT;

DROP INDEX terms_by_category;
CREATE INDEX terms_shared_by_category ON terms ((category COLLATE nocase)) WHERE guild_id IS NULL;
CREATE INDEX terms_by_guild ON terms (guild_id, (category COLLATE nocase)) WHERE guild_id IS NOT NULL;

ALTER TABLE term_names ADD COLUMN scope_id BIGINT NOT NULL DEFAULT 0;
ALTER TABLE term_names DROP CONSTRAINT term_names_pkey;
ALTER TABLE term_names ADD PRIMARY KEY (scope_id, key);

CREATE FUNCTION term_names_in_scope() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.scope_id IS DISTINCT FROM (SELECT coalesce(guild_id, 0) FROM terms WHERE id = NEW.term_id) THEN
        RAISE EXCEPTION 'a name must be in the scope of its term' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER term_names_in_scope BEFORE INSERT OR UPDATE ON term_names
    FOR EACH ROW EXECUTE FUNCTION term_names_in_scope();

CREATE FUNCTION relations_in_scope() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    related_guild bigint := (SELECT guild_id FROM terms WHERE id = NEW.related_id);
BEGIN
    IF related_guild IS NOT NULL
       AND related_guild IS DISTINCT FROM (SELECT guild_id FROM terms WHERE id = NEW.term_id) THEN
        RAISE EXCEPTION 'a term may only relate to shared terms and to its own server''s'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER relations_in_scope BEFORE INSERT ON relations
    FOR EACH ROW EXECUTE FUNCTION relations_in_scope();

ALTER TABLE misses ADD COLUMN scope_id BIGINT NOT NULL DEFAULT 0;
ALTER TABLE misses DROP CONSTRAINT misses_pkey;
ALTER TABLE misses ADD PRIMARY KEY (scope_id, key);

ALTER TABLE term_changes ADD COLUMN guild_id BIGINT;
DROP INDEX term_changes_by_key;
CREATE INDEX term_changes_by_key ON term_changes (guild_id, term_key, id);
CREATE INDEX term_changes_by_guild ON term_changes (guild_id, id);

CREATE TABLE server_settings (
    guild_id       BIGINT PRIMARY KEY,
    editor_role_id BIGINT
);
