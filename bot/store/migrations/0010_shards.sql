-- Several bot processes, each running a range of shards, over one database (issue 16).
--
-- A process holding SHARD_IDS renews a lease on each of its shards every few seconds. A shard whose
-- lease ran out belongs to a process that died: another process takes the lease over and delivers
-- that shard's servers' weekly posts until the shard's own process is back and takes it again.
-- holder names a process by its shards (`0-1/4`), so a restarted process is the holder it was.
CREATE TABLE shard_leases (
    shard_count INTEGER NOT NULL,
    shard_id    INTEGER NOT NULL,
    holder      TEXT    NOT NULL,
    expires_at  TEXT    NOT NULL,
    PRIMARY KEY (shard_count, shard_id)
);

-- Which process claimed a delivery: a claim stays its holder's while the holder's lease lives, and
-- becomes anyone's once it ran out (the holder died between claiming and recording the post).
ALTER TABLE deliveries ADD COLUMN holder TEXT;

-- Discord lets `max_concurrency` shards IDENTIFY per 5 seconds, one per bucket (shard id modulo
-- max_concurrency), across all of a bot's processes: each bucket's last IDENTIFY, shared here.
CREATE TABLE identify_slots (
    bucket  INTEGER PRIMARY KEY,
    last_at TEXT    NOT NULL
);
