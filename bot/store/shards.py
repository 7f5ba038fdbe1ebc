"""The database's part in running several processes: shard leases and IDENTIFY slots.

A shard lease says which process does a shard's servers' scheduled work (the weekly posts) and until
when; processes renew theirs every few seconds, and take over a shard whose lease ran out (its process
died). The database's own locking makes each step atomic: SQLite's single writer, PostgreSQL's row
locks on the lease rows an UPDATE touches (a second process's UPDATE of the same row waits, then sees
the first one's lease and leaves it alone).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.core.sharding import ShardSet
from bot.store.db import Database
from bot.store.pulse import from_stored, to_stored


class ShardStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def renew(self, holder: str, count: int, own: tuple[int, ...], now: datetime, lease: timedelta) -> ShardSet:
        """Take or renew this process's shards, keep those it took over, take over any whose lease ran out;
        returns every shard whose lease this process holds now."""
        until, stored_now = to_stored(now + lease), to_stored(now)
        async with self.database.transaction() as transaction:
            # Its own shards are its own, whoever held them meanwhile: a process back from a restart
            # takes them back (the one that stood in notices at its next renewal and lets go).
            await transaction.execute_many(
                "INSERT INTO shard_leases (shard_count, shard_id, holder, expires_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (shard_count, shard_id) DO UPDATE SET holder = excluded.holder, "
                "expires_at = excluded.expires_at",
                [(count, shard, holder, until) for shard in own],
            )
            await transaction.execute(
                "UPDATE shard_leases SET holder = ?, expires_at = ? "
                "WHERE shard_count = ? AND (holder = ? OR expires_at <= ?)",
                (holder, until, count, holder, stored_now),
            )
            rows = await transaction.fetch_all(
                "SELECT shard_id FROM shard_leases WHERE shard_count = ? AND holder = ?", (count, holder)
            )
            held = frozenset(int(row[0]) for row in rows)
        return ShardSet(count, held)

    async def release(self, holder: str, count: int, now: datetime) -> None:
        """At a graceful stop: the leases end now, so other processes take the shards over at once."""
        async with self.database.transaction() as transaction:
            await transaction.execute(
                "UPDATE shard_leases SET expires_at = ? WHERE shard_count = ? AND holder = ?",
                (to_stored(now), count, holder),
            )

    async def live_holders(self, now: datetime, *, other_than: str) -> list[str]:
        """The other processes that renewed a lease lately (a lease of theirs has not run out)."""
        rows = await self.database.fetch_all(
            "SELECT DISTINCT holder FROM shard_leases WHERE expires_at > ? AND holder <> ? ORDER BY holder",
            (to_stored(now), other_than),
        )
        return [str(row[0]) for row in rows]

    async def claim_identify_slot(self, bucket: int, now: datetime, interval: timedelta) -> timedelta:
        """Take the bucket's next IDENTIFY slot: zero when taken (identify now), else how long to wait."""
        async with self.database.transaction() as transaction:
            taken = await transaction.fetch_value(
                "INSERT INTO identify_slots (bucket, last_at) VALUES (?, ?) ON CONFLICT (bucket) DO UPDATE "
                "SET last_at = excluded.last_at WHERE identify_slots.last_at <= ? RETURNING last_at",
                (bucket, to_stored(now), to_stored(now - interval)),
            )
            if taken is not None:
                return timedelta(0)
            last_at = await transaction.fetch_value("SELECT last_at FROM identify_slots WHERE bucket = ?", (bucket,))
        last = from_stored(str(last_at)) if last_at else now
        return max(last + interval - now, timedelta(milliseconds=1))
