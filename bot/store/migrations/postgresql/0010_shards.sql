-- PostgreSQL's version of migration 0010 (bot/store/migrations/0010_shards.sql): shard leases, the
-- holder of a delivery's claim, and IDENTIFY turns, for several bot processes over one database.
CREATE TABLE shard_leases (
    shard_count INTEGER NOT NULL,
    shard_id    INTEGER NOT NULL,
    holder      TEXT    NOT NULL,
    expires_at  TEXT    NOT NULL,
    PRIMARY KEY (shard_count, shard_id)
);

ALTER TABLE deliveries ADD COLUMN holder TEXT;

CREATE TABLE identify_slots (
    bucket  INTEGER PRIMARY KEY,
    last_at TEXT    NOT NULL
);

-- A change to the names the matching indexes hold (terms' names, their server, aliases) is announced on
-- the `glossary_changes` channel when its transaction commits, whichever process or CLI made it: every
-- bot process LISTENs and reloads its index (bot/store/postgres.py). Once per statement, not per row, and
-- not for the lookup counts, which the processes write every second.
CREATE FUNCTION glossary_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('glossary_changes', '');
    RETURN NULL;
END
$$;
CREATE TRIGGER terms_changed AFTER INSERT OR DELETE OR TRUNCATE ON terms
    FOR EACH STATEMENT EXECUTE FUNCTION glossary_changed();
CREATE TRIGGER terms_renamed AFTER UPDATE OF name, guild_id ON terms
    FOR EACH STATEMENT EXECUTE FUNCTION glossary_changed();
CREATE TRIGGER term_names_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON term_names
    FOR EACH STATEMENT EXECUTE FUNCTION glossary_changed();
