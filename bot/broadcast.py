"""Delivering the weekly post to every subscribed channel: exactly once, on time, within rate limits.

Discord-agnostic: the cog supplies a `PostSender` that talks to Discord and maps its errors to
`ChannelGone` (403/404: stop posting there) or `TransientSendError` (try again later). The clock is
injected, so tests drive whole Fridays without waiting for one.

The order of a delivery is what makes it safe:
1. claim the (channel, week) row in a transaction (a sent row is never claimed again);
2. if an earlier attempt may have reached Discord, look for that message first;
3. send with a nonce derived from the channel and week (`enforce_nonce`), so Discord itself
   drops a resend made within minutes of a crash;
4. mark it sent and schedule the next week, in one transaction.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from bot.core.pulse import DataPoint, delivery_nonce, render_post
from bot.core.render import Reply
from bot.core.schedule import next_slot, parse_zone, window_for
from bot.core.sharding import ShardSet
from bot.store.pulse import PulseStore, Subscription

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]

RESCHEDULE_CHUNK = 100
"""Subscriptions rescheduled between two turns of the event loop at start."""
MAX_CONCURRENT_SENDS = 25
"""Sends in flight at once; the pacer, not this, bounds the request rate."""
BATCH_SIZE = 500
"""Due subscriptions read per query, so a 10,000-channel Friday never loads everything at once."""
EMPTY_WEEK_RECHECK = timedelta(minutes=10)
"""A week without data points is checked again this often until its window closes."""
PACER_MARGIN_S = 0.05
"""How much longer than Discord's one second the pacer spreads a second's worth of requests over: room for
requests to draw closer between leaving the bot and reaching Discord (the broadcast takes 5% longer)."""
PACER_CATCH_UP_S = 0.1
"""How far behind its planned times the pacer may fall and still catch up, by sending the next requests
sooner (the window still holds): what a busy event loop costs it now and then, not a long stall."""
RETRY_BASE = timedelta(seconds=30)
RETRY_CAP = timedelta(minutes=30)


def system_clock() -> datetime:
    return datetime.now(UTC)


class ChannelGone(Exception):
    """The channel can't take our posts (403 or 404): `reason` is shown to admins in /pulse status."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TransientSendError(Exception):
    """A failure worth retrying later: 429s and 5xx that outlasted the library's retries, timeouts."""


class PostSender(Protocol):
    async def send(self, channel_id: int, reply: Reply, role_id: int | None, nonce: str) -> int:
        """Post and return the message id."""
        ...

    async def find_existing(self, channel_id: int, week: str) -> int | None:
        """The id of our post of `week` in the channel, if an earlier attempt made it."""
        ...


class Pacer:
    """Paces requests shared by every concurrent send: evenly spaced, and never more than `rate` of them
    within any `window + margin` seconds.

    Discord (and the e2e fake) count requests as they arrive, over a sliding second. A request leaves here
    a little before it arrives, and by a varying amount (the event loop is busy with other work too), so
    pacing at exactly `rate` would cross the limit whenever two requests draw close on the way. The margin
    absorbs that variation: `rate` requests take at least `window + margin`. That is checked against the
    times `wait` actually returned, so after a stall of the event loop the waiters that piled up catch up
    only as far as the window allows. The even spacing follows the planned times, so being a little late
    now and then does not slow the whole broadcast down.
    """

    def __init__(
        self,
        rate: float,
        *,
        window: float = 1.0,
        margin: float = PACER_MARGIN_S,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.per_window = max(1, int(rate * window))
        self.window = window + margin
        self.interval = self.window / self.per_window
        self._clock = clock
        self._sleep = sleep
        self._sent: deque[float] = deque(maxlen=self.per_window)
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        # The lock is held while sleeping: waiters go one at a time, each timed from the one before.
        async with self._lock:
            while True:
                now = self._clock()
                slot = self._next if self._sent else now
                if len(self._sent) == self.per_window:
                    slot = max(slot, self._sent[0] + self.window)
                if now >= slot:
                    break
                await self._sleep(slot - now)
            self._sent.append(now)
            # Late by a few slots, the next ones may follow sooner; after a longer stall, start afresh.
            self._next = max(slot, now - PACER_CATCH_UP_S) + self.interval


@dataclass
class BroadcastReport:
    sent: int = 0
    already_sent: int = 0
    empty: int = 0
    missed: int = 0
    disabled: int = 0
    retrying: int = 0
    errors: list[str] = field(default_factory=list)


def retry_delay(attempts: int) -> timedelta:
    delay: timedelta = RETRY_BASE * 2 ** max(attempts - 1, 0)
    return min(delay, RETRY_CAP)


class Broadcaster:
    def __init__(
        self,
        store: PulseStore,
        sender: PostSender,
        *,
        grace: timedelta | None,
        requests_per_second: float,
        clock: Clock = system_clock,
        holder: str = "all",
        shards: ShardSet | None = None,
    ) -> None:
        self.store = store
        self.sender = sender
        self.grace = grace
        self.clock = clock
        self.pacer = Pacer(requests_per_second)
        self.holder = holder
        """This process in the deliveries it claims (its shards, e.g. `0-1/4`; `all` when it runs them all)."""
        self.shards = shards
        """The shards whose servers' posts this process delivers (None: every server); the shard leases
        change it when this process takes over a dead process's shards or gives them back."""
        self._points: dict[str, list[DataPoint]] = {}

    def schedule_after(self, subscription: Subscription, last_week: str | None, now: datetime) -> tuple[str, datetime]:
        """The next (week, due time) for a subscription, from the wall clock and what it last received."""
        zone = parse_zone(subscription.timezone)
        return next_slot(now, subscription.hour, zone, self.grace, last_week)

    async def reschedule_all(self) -> int:
        """Recompute every enabled subscription's next post (at start: settings or zone rules may differ)."""
        now = self.clock()
        subscriptions = await self.store.enabled_subscriptions(self.shards)
        for number, subscription in enumerate(subscriptions, 1):
            week, due = self.schedule_after(subscription, subscription.last_week, now)
            if (week, due) != (subscription.next_week, subscription.next_due_at):
                await self.store.reschedule(subscription.channel_id, week, due)
            if number % RESCHEDULE_CHUNK == 0:
                # Computing a slot takes tens of microseconds: 10,000 in a row held the event loop ~0.6 s.
                await asyncio.sleep(0)
        return len(subscriptions)

    async def run_due(self) -> BroadcastReport:
        """Deliver every post due now, concurrently and paced; never raises for one channel's failure."""
        report = BroadcastReport()
        self._points.clear()
        now = self.clock()
        seen: set[int] = set()
        semaphore = asyncio.Semaphore(MAX_CONCURRENT_SENDS)
        while True:
            due = await self.store.due_subscriptions(now, BATCH_SIZE, self.shards)
            batch = [s for s in due if s.channel_id not in seen]
            if not batch:
                return report
            seen.update(s.channel_id for s in batch)
            await asyncio.gather(*(self._deliver_guarded(s, now, report, semaphore) for s in batch))

    async def _deliver_guarded(
        self, subscription: Subscription, now: datetime, report: BroadcastReport, semaphore: asyncio.Semaphore
    ) -> None:
        async with semaphore:
            try:
                await self._deliver(subscription, now, report)
            except Exception as error:
                # One channel's surprise must not stop the others; it is retried at its next due time.
                log.exception("pulse delivery to channel %s failed unexpectedly", subscription.channel_id)
                report.errors.append(f"{subscription.channel_id}: {error!r}")
                await self.store.reschedule(subscription.channel_id, subscription.next_week, now + RETRY_CAP)

    async def _deliver(self, subscription: Subscription, now: datetime, report: BroadcastReport) -> None:
        channel_id, week = subscription.channel_id, subscription.next_week
        _, window_end = window_for(week, subscription.hour, parse_zone(subscription.timezone), self.grace)
        if now >= window_end:
            log.warning("pulse for %s missed in channel %s: the bot was away past the grace window", week, channel_id)
            report.missed += 1
            await self._schedule_next(subscription, week, now)
            return
        nonce = delivery_nonce(str(channel_id), week)
        points = await self._points_for(week)
        if not points:
            if await self.store.mark_empty(channel_id, week, nonce):
                log.warning("no data points for %s: nothing posted to channel %s", week, channel_id)
            report.empty += 1
            await self.store.reschedule(channel_id, week, min(now + EMPTY_WEEK_RECHECK, window_end))
            return
        claim = await self.store.claim(channel_id, week, nonce, self.holder, now)
        if claim is None:
            report.already_sent += 1
            await self._schedule_next(subscription, week, now)
            return
        await self._send_claimed(subscription, week, nonce, points, attempts=claim.attempts, now=now, report=report)

    async def _send_claimed(
        self,
        subscription: Subscription,
        week: str,
        nonce: str,
        points: list[DataPoint],
        *,
        attempts: int,
        now: datetime,
        report: BroadcastReport,
    ) -> None:
        channel_id = subscription.channel_id
        try:
            message_id = None
            if attempts > 1:  # an earlier attempt may have posted before we lost track of it
                await self.pacer.wait()
                message_id = await self.sender.find_existing(channel_id, week)
            if message_id is None:
                await self.pacer.wait()
                reply = render_post(week, points, subscription.role_id)
                message_id = await self.sender.send(channel_id, reply, subscription.role_id, nonce)
        except ChannelGone as gone:
            log.warning("pulse: channel %s refused the post (%s): subscription disabled", channel_id, gone.reason)
            await self.store.note_failure(channel_id, week, gone.reason, final=True)
            await self.store.disable(channel_id, gone.reason)
            report.disabled += 1
            return
        except TransientSendError as error:
            log.warning("pulse: channel %s failed transiently (attempt %d): %s", channel_id, attempts, error)
            await self.store.note_failure(channel_id, week, str(error), final=False)
            await self.store.reschedule(channel_id, week, now + retry_delay(attempts))
            report.retrying += 1
            return
        next_week, next_due = self.schedule_after(subscription, week, now)
        await self.store.complete(channel_id, week, message_id, next_week, next_due)
        report.sent += 1

    async def _schedule_next(self, subscription: Subscription, week: str, now: datetime) -> None:
        next_week, next_due = self.schedule_after(subscription, week, now)
        await self.store.reschedule(subscription.channel_id, next_week, next_due)

    async def _points_for(self, week: str) -> list[DataPoint]:
        if week not in self._points:
            self._points[week] = await self.store.points_for(week)
        return self._points[week]
