"""The pulse's delivery loop: a round of due Friday posts (and the editors' reminder) whenever one falls
due or something wakes it; Discord-agnostic (the cog starts it once the bot is ready)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from bot.broadcast import Broadcaster, Clock
from bot.services.pulse_reminder import EditorsReminder

log = logging.getLogger(__name__)

MIN_LOOP_SLEEP = 1.0
MAX_LOOP_SLEEP = 60.0
"""The loop wakes at least this often, so a changed clock or a new subscription is noticed."""
LOOP_ERROR_SLEEP = 30.0


class DeliveryLoop:
    def __init__(self, broadcaster: Broadcaster, reminder: EditorsReminder | None, clock: Clock) -> None:
        self.broadcaster = broadcaster
        self.reminder = reminder
        self.clock = clock
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Run a round now (a subscription changed, or a test moved the clock)."""
        self._wake.set()

    def is_waiting(self) -> bool:
        """Whether the loop sleeps until its next round, with no wake-up pending (for tests and checks)."""
        return bool(getattr(self._wake, "_waiters", None)) and not self._wake.is_set()

    async def run(self, closed: Callable[[], bool]) -> None:
        await self.broadcaster.reschedule_all()
        while not closed():
            # Cleared before the round, not after: a wake-up that arrives during the round (a new
            # subscription, a moved clock) must start another round instead of being lost.
            self._wake.clear()
            try:
                await self._round()
                delay = await self._seconds_to_next_due()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("pulse delivery round failed; trying again shortly")
                delay = LOOP_ERROR_SLEEP
            with contextlib.suppress(TimeoutError):
                # Not wait_for: on Python 3.11 it drops a cancellation that arrives as the wake-up does,
                # and the loop would run on while cog_unload waits for it to end.
                async with asyncio.timeout(delay):
                    await self._wake.wait()

    async def _round(self) -> None:
        report = await self.broadcaster.run_due()
        if report.sent or report.disabled or report.retrying:
            log.info("pulse round: %s", report)
        if self.reminder is not None and self.runs_one_off_work():
            await self.reminder.run_due()

    def runs_one_off_work(self) -> bool:
        """Whether this process does the bot's one-off work (the editors' reminder): the one delivering
        shard 0's servers, its own or taken over from a process that died."""
        shards = self.broadcaster.shards
        return shards is None or 0 in shards.ids

    async def _seconds_to_next_due(self) -> float:
        due = [moment for moment in [await self.broadcaster.store.earliest_due(self.broadcaster.shards)] if moment]
        if self.reminder is not None and self.runs_one_off_work():
            due.append(self.reminder.next_check())
        if not due:
            return MAX_LOOP_SLEEP
        seconds = (min(due) - self.clock()).total_seconds()
        return min(max(seconds, MIN_LOOP_SLEEP), MAX_LOOP_SLEEP)
