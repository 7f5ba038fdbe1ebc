"""Data points, channel subscriptions and deliveries of the weekly pulse.

A delivery row per (channel, week) is the "never twice" guarantee: it is claimed in a transaction
before the message is sent and completed after, and a sent row is never claimed again.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.core.pulse import MAX_RANK, DataPoint, Subscription, read_points_file
from bot.core.pulse_sheet import SheetPlan, SourceState, plan_sheet
from bot.core.retired_examples import is_retired_example
from bot.core.sharding import ShardSet

__all__ = ["Claim", "PulseStore", "Subscription", "from_stored", "to_stored"]
from bot.store.db import Database, Row, Transaction
from bot.store.glossary import file_digest

PULSE_SEED_DIGEST_KEY = "pulse_seed_digest"
EXAMPLES_RETIRED_KEY = "pulse_examples_retired"
_SELECT_POINTS = "SELECT id, week, rank, figure, headline, detail, source_url, origin FROM data_points "
"""The columns `_point` reads, in its order."""
_SOURCE_COLUMNS = "url, etag, last_modified, last_good_at, last_change, last_error, last_error_at, failures"
MAX_STORED_ERROR_CHARS = 500
_IN_JSON_TEXTS = {
    "sqlite": "SELECT value FROM json_each(?)",
    "postgresql": "SELECT json_array_elements_text(?::json)",
}
"""The texts of one JSON array parameter, as a list for IN: one statement however many there are."""
_SUBSCRIPTION_COLUMNS = (
    "s.channel_id, s.guild_id, s.role_id, s.hour, s.timezone, s.enabled, s.disabled_reason, "
    "s.next_week, s.next_due_at, "
    "(SELECT max(week) FROM deliveries d WHERE d.channel_id = s.channel_id AND d.state = 'sent'), "
    "(SELECT max(updated_at) FROM deliveries d WHERE d.channel_id = s.channel_id AND d.state = 'sent')"
)


def in_shards(shards: ShardSet | None, column: str = "s.guild_id") -> tuple[str, tuple[object, ...]]:
    """An SQL condition (and its parameters) for rows of servers on `shards`; None: every server."""
    if shards is None:
        return "1 = 1", ()
    if not shards.ids:
        return "1 = 0", ()
    marks = ", ".join("?" * len(shards.ids))
    return f"(({column} >> 22) % ?) IN ({marks})", (shards.count, *sorted(shards.ids))


def to_stored(moment: datetime) -> str:
    """UTC ISO 8601 with a fixed width, so stored instants compare correctly as text."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def from_stored(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Claim:
    attempts: int
    """1 for a first try; more means an earlier try may have reached Discord."""


def _subscription(row: Row) -> Subscription:
    return Subscription(
        channel_id=row[0],
        guild_id=row[1],
        role_id=row[2],
        hour=row[3],
        timezone=row[4],
        enabled=bool(row[5]),
        disabled_reason=row[6],
        next_week=row[7],
        next_due_at=from_stored(row[8]),
        last_week=row[9],
        last_posted_at=row[10],
    )


def _source(row: Row) -> SourceState:
    return SourceState(
        url=row[0],
        etag=row[1],
        last_modified=row[2],
        last_good_at=from_stored(row[3]) if row[3] else None,
        last_change=row[4],
        last_error=row[5],
        last_error_at=from_stored(row[6]) if row[6] else None,
        failures=row[7],
    )


def _point(row: Row) -> DataPoint:
    return DataPoint(
        week=row[1],
        rank=row[2],
        figure=row[3],
        headline=row[4],
        detail=row[5],
        source_url=row[6],
        point_id=row[0],
        origin=row[7],
    )


async def _insert_points(transaction: Transaction, points: Sequence[DataPoint]) -> None:
    await transaction.execute_many(
        "INSERT INTO data_points (week, rank, figure, headline, detail, source_url, origin) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (week, rank) DO UPDATE SET figure = excluded.figure, "
        "headline = excluded.headline, detail = excluded.detail, source_url = excluded.source_url, "
        "origin = excluded.origin",
        [(p.week, p.rank, p.figure, p.headline, p.detail, p.source_url, p.origin) for p in points],
    )


class PulseStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    # ---- data points ------------------------------------------------------------------------------

    async def points_for(self, week: str) -> list[DataPoint]:
        rows = await self.database.fetch_all(
            _SELECT_POINTS + "WHERE week = ? ORDER BY rank",
            (week,),
        )
        return [_point(row) for row in rows]

    async def list_points(self, week: str | None = None, limit: int = 50) -> list[DataPoint]:
        rows = await self.database.fetch_all(
            _SELECT_POINTS + "WHERE week = coalesce(?, week) ORDER BY week DESC, rank LIMIT ?",
            (week, limit),
        )
        return [_point(row) for row in rows]

    async def save_points(self, points: Sequence[DataPoint]) -> int:
        """Insert or replace points by (week, rank), all in one transaction; a replaced point becomes the
        new point's (a hand-added point over a sheet's point is the editors' from then on)."""
        async with self.database.transaction() as transaction:
            await _insert_points(transaction, points)
        return len(points)

    async def seed(self, path: Path) -> int | None:
        """Import PULSE_SEED_PATH once per version of the file; None when already loaded."""
        digest = file_digest(path)
        if await self.database.get_meta(PULSE_SEED_DIGEST_KEY) == digest:
            return None
        count = await self.save_points(read_points_file(path))
        await self.database.set_meta(PULSE_SEED_DIGEST_KEY, digest)
        return count

    async def retire_shipped_examples(self) -> int:
        """Delete the made-up example points that earlier versions loaded from data/pulse_points.json.

        Only exact copies go (an editor's change to one keeps it), only where a seed file was ever
        loaded, and once per database; a database that never loaded one is only read.
        """
        if await self.database.get_meta(PULSE_SEED_DIGEST_KEY) is None:
            return 0
        if await self.database.get_meta(EXAMPLES_RETIRED_KEY) is not None:
            return 0
        async with self.database.transaction() as transaction:
            rows = await transaction.fetch_all(_SELECT_POINTS + "WHERE origin = 'hand'")
            doomed = [point.point_id for point in map(_point, rows) if is_retired_example(point)]
            await transaction.execute_many("DELETE FROM data_points WHERE id = ?", [(i,) for i in doomed])
            await transaction.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (EXAMPLES_RETIRED_KEY, str(len(doomed))),
            )
        return len(doomed)

    async def rank_taken(self, week: str, rank: int) -> bool:
        return bool(
            await self.database.fetch_value("SELECT 1 FROM data_points WHERE week = ? AND rank = ?", (week, rank))
        )

    async def free_rank(self, week: str) -> int | None:
        """The lowest rank `week` has free, None when all are taken."""
        rows = await self.database.fetch_all("SELECT rank FROM data_points WHERE week = ?", (week,))
        taken = {row[0] for row in rows}
        return next((rank for rank in range(1, MAX_RANK + 1) if rank not in taken), None)

    async def point_count(self, week: str) -> int:
        count = await self.database.fetch_value("SELECT count(*) FROM data_points WHERE week = ?", (week,))
        return count if isinstance(count, int) else 0

    async def remove_point(self, point_id: int) -> DataPoint | None:
        row = await self.database.fetch_one(
            _SELECT_POINTS + "WHERE id = ?",
            (point_id,),
        )
        if row is None:
            return None
        async with self.database.transaction() as transaction:
            await transaction.execute("DELETE FROM data_points WHERE id = ?", (point_id,))
        return _point(row)

    # ---- the published sheet ----------------------------------------------------------------------

    async def source_state(self, url: str) -> SourceState | None:
        row = await self.database.fetch_one(f"SELECT {_SOURCE_COLUMNS} FROM pulse_sources WHERE url = ?", (url,))
        return _source(row) if row else None

    async def apply_sheet(
        self, url: str, points: Sequence[DataPoint], etag: str | None, last_modified: str | None, now: datetime
    ) -> SheetPlan:
        """Store a fetched sheet's points and its validators in one transaction, or nothing (PulseFileError)."""
        weeks = json.dumps(sorted({point.week for point in points}))
        in_weeks = _IN_JSON_TEXTS[self.database.dialect]
        async with self.database.transaction() as transaction:
            rows = await transaction.fetch_all(
                f"SELECT DISTINCT week FROM deliveries WHERE state IN ('sent', 'claimed') AND week IN ({in_weeks})",
                (weeks,),
            )
            posted = {row[0] for row in rows}
            rows = await transaction.fetch_all(_SELECT_POINTS + f"WHERE week IN ({in_weeks})", (weeks,))
            plan = plan_sheet(points, map(_point, rows), posted)
            for week, week_points in plan.writes.items():
                await transaction.execute("DELETE FROM data_points WHERE week = ? AND origin = 'sheet'", (week,))
                await _insert_points(transaction, week_points)
            await transaction.execute(
                "INSERT INTO pulse_sources (url, etag, last_modified, last_good_at, last_change, failures) "
                "VALUES (?, ?, ?, ?, ?, 0) ON CONFLICT (url) DO UPDATE SET etag = excluded.etag, "
                "last_modified = excluded.last_modified, last_good_at = excluded.last_good_at, "
                "last_change = excluded.last_change, last_error = NULL, last_error_at = NULL, failures = 0",
                (url, etag, last_modified, to_stored(now), plan.summary()),
            )
        return plan

    async def note_source_unchanged(self, url: str, now: datetime) -> None:
        """A 304: the sheet is as it was at the last good fetch."""
        async with self.database.transaction() as transaction:
            await transaction.execute(
                "INSERT INTO pulse_sources (url, last_good_at, failures) VALUES (?, ?, 0) ON CONFLICT (url) "
                "DO UPDATE SET last_good_at = excluded.last_good_at, last_error = NULL, last_error_at = NULL, "
                "failures = 0",
                (url, to_stored(now)),
            )

    async def note_source_failure(self, url: str, reason: str, now: datetime) -> int:
        """Record a failed fetch; returns how many failed in a row."""
        async with self.database.transaction() as transaction:
            failures = await transaction.fetch_value(
                "INSERT INTO pulse_sources (url, last_error, last_error_at, failures) VALUES (?, ?, ?, 1) "
                "ON CONFLICT (url) DO UPDATE SET last_error = excluded.last_error, "
                "last_error_at = excluded.last_error_at, failures = pulse_sources.failures + 1 RETURNING failures",
                (url, reason[:MAX_STORED_ERROR_CHARS], to_stored(now)),
            )
        return int(failures or 1)

    # ---- the editors' reminder ---------------------------------------------------------------------

    async def claim_reminder(self, week: str, channel_id: int, now: datetime) -> int | None:
        """Claim `week`'s reminder for sending; the attempt's number, or None when it was sent, has
        failed for good, or waits for a later retry."""
        async with self.database.transaction() as transaction:
            attempts = await transaction.fetch_value(
                "INSERT INTO editor_reminders (week, channel_id, state, attempts, updated_at) "
                "VALUES (?, ?, 'pending', 1, ?) ON CONFLICT (week) DO UPDATE SET "
                "attempts = editor_reminders.attempts + 1, channel_id = excluded.channel_id, "
                "updated_at = excluded.updated_at WHERE editor_reminders.state = 'pending' AND "
                "(editor_reminders.next_attempt_at IS NULL OR editor_reminders.next_attempt_at <= excluded.updated_at) "
                "RETURNING attempts",
                (week, channel_id, to_stored(now)),
            )
        return None if attempts is None else int(attempts)

    async def finish_reminder(
        self,
        week: str,
        state: str,
        now: datetime,
        *,
        message_id: int | None = None,
        error: str | None = None,
        retry_at: datetime | None = None,
    ) -> None:
        async with self.database.transaction() as transaction:
            await transaction.execute(
                "UPDATE editor_reminders SET state = ?, message_id = ?, error = ?, next_attempt_at = ?, "
                "updated_at = ? WHERE week = ?",
                (
                    state,
                    message_id,
                    error[:MAX_STORED_ERROR_CHARS] if error else None,
                    to_stored(retry_at) if retry_at else None,
                    to_stored(now),
                    week,
                ),
            )

    async def reminder_state(self, week: str) -> str | None:
        value = await self.database.fetch_value("SELECT state FROM editor_reminders WHERE week = ?", (week,))
        return None if value is None else str(value)

    # ---- subscriptions ----------------------------------------------------------------------------

    async def subscribe(
        self,
        *,
        channel_id: int,
        guild_id: int,
        role_id: int | None,
        hour: int,
        timezone: str,
        created_by: int,
        next_week: str,
        next_due_at: datetime,
    ) -> None:
        """Create or update a channel's subscription; subscribing again re-enables a disabled one."""
        async with self.database.transaction() as transaction:
            await transaction.execute(
                "INSERT INTO subscriptions (channel_id, guild_id, role_id, hour, timezone, created_by, next_week, "
                "next_due_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (channel_id) DO UPDATE SET "
                "guild_id = excluded.guild_id, role_id = excluded.role_id, hour = excluded.hour, "
                "timezone = excluded.timezone, enabled = 1, disabled_reason = NULL, "
                "next_week = excluded.next_week, next_due_at = excluded.next_due_at",
                (
                    channel_id,
                    guild_id,
                    role_id,
                    hour,
                    timezone,
                    created_by,
                    next_week,
                    to_stored(next_due_at),
                ),
            )

    async def unsubscribe(self, channel_id: int, guild_id: int) -> bool:
        async with self.database.transaction() as transaction:
            return (
                await transaction.execute(
                    "DELETE FROM subscriptions WHERE channel_id = ? AND guild_id = ?", (channel_id, guild_id)
                )
                > 0
            )

    async def subscription(self, channel_id: int) -> Subscription | None:
        row = await self.database.fetch_one(
            f"SELECT {_SUBSCRIPTION_COLUMNS} FROM subscriptions s WHERE s.channel_id = ?", (channel_id,)
        )
        return _subscription(row) if row else None

    async def guild_subscriptions(self, guild_id: int) -> list[Subscription]:
        rows = await self.database.fetch_all(
            f"SELECT {_SUBSCRIPTION_COLUMNS} FROM subscriptions s WHERE s.guild_id = ? ORDER BY s.channel_id",
            (guild_id,),
        )
        return [_subscription(row) for row in rows]

    async def enabled_subscriptions(self, shards: ShardSet | None = None) -> list[Subscription]:
        """Every enabled subscription, or those of the servers on `shards`."""
        condition, parameters = in_shards(shards)
        rows = await self.database.fetch_all(
            f"SELECT {_SUBSCRIPTION_COLUMNS} FROM subscriptions s WHERE s.enabled = 1 AND {condition}", parameters
        )
        return [_subscription(row) for row in rows]

    async def due_subscriptions(self, now: datetime, limit: int, shards: ShardSet | None = None) -> list[Subscription]:
        condition, parameters = in_shards(shards)
        rows = await self.database.fetch_all(
            f"SELECT {_SUBSCRIPTION_COLUMNS} FROM subscriptions s WHERE s.enabled = 1 AND s.next_due_at <= ? "
            f"AND {condition} ORDER BY s.next_due_at LIMIT ?",
            (to_stored(now), *parameters, limit),
        )
        return [_subscription(row) for row in rows]

    async def earliest_due(self, shards: ShardSet | None = None) -> datetime | None:
        condition, parameters = in_shards(shards, "guild_id")
        value = await self.database.fetch_value(
            f"SELECT min(next_due_at) FROM subscriptions WHERE enabled = 1 AND {condition}", parameters
        )
        return from_stored(str(value)) if value else None

    async def reschedule(self, channel_id: int, next_week: str, next_due_at: datetime) -> None:
        async with self.database.transaction() as transaction:
            await transaction.execute(
                "UPDATE subscriptions SET next_week = ?, next_due_at = ? WHERE channel_id = ?",
                (next_week, to_stored(next_due_at), channel_id),
            )

    async def disable(self, channel_id: int, reason: str) -> None:
        async with self.database.transaction() as transaction:
            await transaction.execute(
                "UPDATE subscriptions SET enabled = 0, disabled_reason = ? WHERE channel_id = ?",
                (reason, channel_id),
            )

    async def disable_guild(self, guild_id: int, reason: str) -> int:
        async with self.database.transaction() as transaction:
            return await transaction.execute(
                "UPDATE subscriptions SET enabled = 0, disabled_reason = ? WHERE guild_id = ? AND enabled = 1",
                (reason, guild_id),
            )

    # ---- deliveries -------------------------------------------------------------------------------

    async def claim(
        self, channel_id: int, week: str, nonce: str, holder: str = "all", now: datetime | None = None
    ) -> Claim | None:
        """Claim (channel, week) for sending; None when it was already sent, or another process claimed
        it and still holds a lease (`holder` names this process by its shards, see bot/store/shards.py).

        A claim left by a process that died (its leases ran out) is taken over; the new attempt looks for
        the post that process may have made before sending (see broadcast.py).
        """
        stored_now = to_stored(now or datetime.now(UTC))
        async with self.database.transaction() as transaction:
            attempts = await transaction.fetch_value(
                "INSERT INTO deliveries (channel_id, week, state, nonce, attempts, holder) "
                "VALUES (?, ?, 'claimed', ?, 1, ?) "
                "ON CONFLICT (channel_id, week) DO UPDATE SET state = 'claimed', attempts = deliveries.attempts + 1, "
                "holder = excluded.holder, updated_at = ? WHERE deliveries.state <> 'sent' AND ("
                "deliveries.state <> 'claimed' OR deliveries.holder IS NULL OR deliveries.holder = excluded.holder "
                "OR NOT EXISTS (SELECT 1 FROM shard_leases l WHERE l.holder = deliveries.holder AND l.expires_at > ?)"
                ") RETURNING attempts",
                (channel_id, week, nonce, holder, stored_now, stored_now),
            )
        return None if attempts is None else Claim(attempts=int(attempts))

    async def mark_empty(self, channel_id: int, week: str, nonce: str) -> bool:
        """Record that the week had nothing to post; True the first time (to log it once)."""
        async with self.database.transaction() as transaction:
            return (
                await transaction.execute(
                    "INSERT INTO deliveries (channel_id, week, state, nonce) VALUES (?, ?, 'empty', ?) "
                    "ON CONFLICT DO NOTHING",
                    (channel_id, week, nonce),
                )
                > 0
            )

    async def complete(
        self, channel_id: int, week: str, message_id: int, next_week: str, next_due_at: datetime
    ) -> None:
        """Mark the delivery sent and schedule the next one, atomically."""
        async with self.database.transaction() as transaction:
            await transaction.execute(
                "UPDATE deliveries SET state = 'sent', message_id = ?, error = NULL, updated_at = ? "
                "WHERE channel_id = ? AND week = ?",
                (message_id, to_stored(datetime.now(UTC)), channel_id, week),
            )
            await transaction.execute(
                "UPDATE subscriptions SET next_week = ?, next_due_at = ? WHERE channel_id = ?",
                (next_week, to_stored(next_due_at), channel_id),
            )

    async def note_failure(self, channel_id: int, week: str, error: str, *, final: bool) -> None:
        """A failed send: for good (`final`), or to be tried again, by whichever process then delivers the
        channel's server (the claim stays, so that try looks for a post first, but it is no one's)."""
        state = "failed" if final else "claimed"
        async with self.database.transaction() as transaction:
            await transaction.execute(
                "UPDATE deliveries SET state = ?, error = ?, updated_at = ?, holder = NULL "
                "WHERE channel_id = ? AND week = ?",
                (state, error[:500], to_stored(datetime.now(UTC)), channel_id, week),
            )

    async def delivery_state(self, channel_id: int, week: str) -> str | None:
        value = await self.database.fetch_value(
            "SELECT state FROM deliveries WHERE channel_id = ? AND week = ?", (channel_id, week)
        )
        return None if value is None else str(value)

    async def sent_count(self, week: str) -> int:
        count = await self.database.fetch_value(
            "SELECT count(*) FROM deliveries WHERE week = ? AND state = 'sent'", (week,)
        )
        return count if isinstance(count, int) else 0
