"""IDENTIFYs in turn across every process of the bot, as Discord's `max_concurrency` allows.

Discord lets a bot start `max_concurrency` sessions per 5 seconds: one per bucket, a shard's bucket being
`shard_id % max_concurrency`, whichever process runs it. discord.py 2.x knows nothing of other processes
(it starts its own shards one after another, 5 s apart, ignoring `max_concurrency`), so each IDENTIFY
here first takes its bucket's next turn in the database the processes share. Within a process the
shards go in order, lowest id first (discord.py launches them so); the limits come from GET /gateway/bot.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from discord import SessionStartLimits

from bot.core.sharding import DISCORD_IDENTIFY_INTERVAL_SECONDS, identify_bucket
from bot.store.shards import ShardStore

log = logging.getLogger(__name__)

IDENTIFY_INTERVAL = timedelta(seconds=DISCORD_IDENTIFY_INTERVAL_SECONDS)
MAX_START_LIMIT_WAIT_SECONDS = 24 * 3600.0


class IdentifyGate:
    def __init__(self, store: ShardStore, fetch_limits: Callable[[], Awaitable[SessionStartLimits]]) -> None:
        self.store = store
        self._fetch_limits = fetch_limits
        self._limits: SessionStartLimits | None = None

    async def _current_limits(self) -> SessionStartLimits:
        if self._limits is None or self._limits.remaining <= 0:
            self._limits = await self._fetch_limits()
            while self._limits.remaining <= 0:
                # The day's session starts are used up: Discord would refuse, and keep counting refusals.
                wait = min(self._limits.reset_after / 1000, MAX_START_LIMIT_WAIT_SECONDS)
                log.warning("Discord's session start limit is used up: waiting %.0f s for it to reset", wait)
                await asyncio.sleep(max(wait, 1.0))
                self._limits = await self._fetch_limits()
        return self._limits

    async def wait_turn(self, shard_id: int) -> None:
        limits = await self._current_limits()
        bucket = identify_bucket(shard_id, limits.max_concurrency)
        while (wait := await self.store.claim_identify_slot(bucket, datetime.now(UTC), IDENTIFY_INTERVAL)) > timedelta(
            0
        ):
            log.info(
                "shard %d waits %.1f s for its turn to IDENTIFY (bucket %d)", shard_id, wait.total_seconds(), bucket
            )
            await asyncio.sleep(wait.total_seconds())
        limits.remaining -= 1
