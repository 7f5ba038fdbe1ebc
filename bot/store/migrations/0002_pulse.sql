-- The weekly pulse: data points per ISO week, channel subscriptions, and one delivery row per
-- (channel, week): the row is claimed before sending and marked sent after, so a post is never
-- sent twice, even across a crash or an unsubscribe and resubscribe in the same week.
CREATE TABLE data_points (
    id         INTEGER PRIMARY KEY,
    week       TEXT    NOT NULL,
    rank       INTEGER NOT NULL CHECK (rank BETWEEN 1 AND 10),
    figure     TEXT    NOT NULL,
    headline   TEXT    NOT NULL,
    detail     TEXT    NOT NULL DEFAULT '',
    source_url TEXT,
    created_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    UNIQUE (week, rank)
);

CREATE TABLE subscriptions (
    channel_id      INTEGER PRIMARY KEY,
    guild_id        INTEGER NOT NULL,
    role_id         INTEGER,
    hour            INTEGER NOT NULL CHECK (hour BETWEEN 0 AND 23),
    timezone        TEXT    NOT NULL,
    enabled         INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    disabled_reason TEXT,
    -- When the next post is due (UTC, ISO 8601) and for which ISO week: derived from the wall
    -- clock and the last delivered week, recomputed after every delivery and at start.
    next_week       TEXT    NOT NULL,
    next_due_at     TEXT    NOT NULL,
    created_by      INTEGER NOT NULL,
    created_at      TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX subscriptions_due ON subscriptions (next_due_at) WHERE enabled = 1;
CREATE INDEX subscriptions_by_guild ON subscriptions (guild_id);

CREATE TABLE deliveries (
    channel_id INTEGER NOT NULL,
    week       TEXT    NOT NULL,
    state      TEXT    NOT NULL CHECK (state IN ('empty', 'claimed', 'sent', 'failed')),
    nonce      TEXT    NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    message_id INTEGER,
    error      TEXT,
    updated_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    PRIMARY KEY (channel_id, week)
) WITHOUT ROWID;
