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
