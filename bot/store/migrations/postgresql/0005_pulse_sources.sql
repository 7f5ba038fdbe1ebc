-- PostgreSQL's version of migration 0005 (bot/store/migrations/0005_pulse_sources.sql): data points get an
-- origin, and the bot remembers its published sheet and the editors' reminders.
ALTER TABLE data_points ADD COLUMN origin TEXT NOT NULL DEFAULT 'hand' CHECK (origin IN ('hand', 'sheet'));

CREATE TABLE pulse_sources (
    url           TEXT    PRIMARY KEY,
    etag          TEXT,
    last_modified TEXT,
    last_good_at  TEXT,
    last_change   TEXT,
    last_error    TEXT,
    last_error_at TEXT,
    failures      INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE editor_reminders (
    week            TEXT    PRIMARY KEY,
    channel_id      BIGINT  NOT NULL,
    state           TEXT    NOT NULL CHECK (state IN ('pending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    message_id      BIGINT,
    error           TEXT,
    updated_at      TEXT    NOT NULL DEFAULT utc_now_text()
);
