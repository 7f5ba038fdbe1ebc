"""Keeping this process's shard leases, so its servers' scheduled work survives it (see bot/store/shards.py).

Every RENEW_SECONDS the process renews the leases on its own shards, and takes over the shards of a
process that died (whose leases ran out LEASE_SECONDS after its last renewal); a process back from a
restart takes its shards back at once. `on_change` hears the shards it holds whenever they change.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import timedelta

from bot.broadcast import Clock
from bot.core.sharding import ShardPlan, ShardSet, format_shard_ids
from bot.store.shards import ShardStore

log = logging.getLogger(__name__)

RENEW_SECONDS = 5.0
LEASE_SECONDS = 20.0
"""How long a shard stays its process's after the last renewal: several renewals, so a busy moment
(a slow database, a long garbage collection) does not hand a living process's shards to another."""
RETRY_SECONDS = 1.0


class ShardLeases:
    def __init__(self, store: ShardStore, plan: ShardPlan, clock: Clock, on_change: Callable[[ShardSet], None]) -> None:
        own = plan.shard_ids()
        if plan.count is None or own is None:
            raise ValueError("shard leases need SHARD_COUNT")
        self.store = store
        self.count = plan.count
        self.own = own
        self.holder = plan.label()
        self.clock = clock
        self.on_change = on_change
        self.held = ShardSet(self.count, frozenset(own))
        self.renew_seconds = RENEW_SECONDS
        self.lease = timedelta(seconds=LEASE_SECONDS)

    async def renew(self) -> ShardSet:
        held = await self.store.renew(self.holder, self.count, self.own, self.clock(), self.lease)
        if held != self.held:
            taken, given = held.ids - self.held.ids, self.held.ids - held.ids
            if taken:
                log.warning("took over shards %s (their process stopped renewing)", format_shard_ids(taken))
            if given:
                log.info("gave back shards %s to their own process", format_shard_ids(given))
            self.held = held
            self.on_change(held)
        return held

    async def run(self) -> None:
        """Renew until cancelled; a failed renewal is logged and tried again sooner."""
        while True:
            try:
                await self.renew()
                delay = self.renew_seconds
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("renewing the shard leases failed; trying again")
                delay = RETRY_SECONDS
            await asyncio.sleep(delay)

    async def release(self) -> None:
        """At a graceful stop: another process may take the shards over at once."""
        await self.store.release(self.holder, self.count, self.clock())
