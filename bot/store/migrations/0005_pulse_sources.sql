-- The weekly pulse's data points get an origin, and the bot remembers its published sheet and the
-- editors' reminders.
--
-- origin: 'hand' for points added with /pulse add, `pulse import` or PULSE_SEED_PATH; 'sheet' for
-- points read from PULSE_SOURCE_URL. A fetch of the sheet replaces the sheet's points of the weeks it
-- lists and never touches a hand-added point.
ALTER TABLE data_points ADD COLUMN origin TEXT NOT NULL DEFAULT 'hand' CHECK (origin IN ('hand', 'sheet'));

-- One row per sheet URL: the validators of its last good fetch (sent back as If-None-Match and
-- If-Modified-Since, so an unchanged sheet costs a 304, also after a restart and from the CLI), and the
-- outcome of the latest attempt, shown in /pulse status. A new URL starts without validators.
CREATE TABLE pulse_sources (
    url           TEXT    PRIMARY KEY,
    etag          TEXT,
    last_modified TEXT,
    last_good_at  TEXT,
    last_change   TEXT,
    last_error    TEXT,
    last_error_at TEXT,
    failures      INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- The Thursday reminder in PULSE_EDITORS_CHANNEL_ID: one row per week, claimed before sending and
-- marked after, so it is posted once per week even across restarts; 'failed' (403/404, or too many
-- attempts) is final for that week.
CREATE TABLE editor_reminders (
    week            TEXT    PRIMARY KEY,
    channel_id      INTEGER NOT NULL,
    state           TEXT    NOT NULL CHECK (state IN ('pending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    message_id      INTEGER,
    error           TEXT,
    updated_at      TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
) WITHOUT ROWID;
