"""The Thursday reminder in PULSE_EDITORS_CHANNEL_ID: when the coming Friday has fewer than three data
points, one message at 12:00 UTC the day before, so editors can still add them.

Once per week, also across restarts: the week's row is claimed in the database before sending and
marked after. A 403 or 404 (no access, channel gone) is logged and ends that week's reminder; other
failures are retried a few times, further apart, then given up for the week.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.broadcast import ChannelGone, Clock, PostSender, TransientSendError
from bot.core.pulse import POINTS_PER_POST, delivery_nonce, reminder_text
from bot.core.render import Reply
from bot.core.schedule import next_reminder_at, reminder_week
from bot.store.pulse import PulseStore

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 4
FIRST_RETRY = timedelta(minutes=5)
NONCE_KEY = "editors"


class EditorsReminder:
    def __init__(self, store: PulseStore, channel_id: int, sender: PostSender, clock: Clock, *, sheet: bool) -> None:
        self.store = store
        self.channel_id = channel_id
        self.sender = sender
        self.clock = clock
        self.sheet = sheet

    def next_check(self) -> datetime:
        return next_reminder_at(self.clock())

    async def run_due(self) -> None:
        """Post this week's reminder if it is due, needed, and not posted (or given up) yet."""
        now = self.clock()
        week = reminder_week(now)
        if week is None:
            return
        count = await self.store.point_count(week)
        if count >= POINTS_PER_POST:
            return
        attempt = await self.store.claim_reminder(week, self.channel_id, now)
        if attempt is None:
            return
        if attempt > MAX_ATTEMPTS:
            log.warning("editors' reminder for %s: given up after %d attempts", week, MAX_ATTEMPTS)
            await self.store.finish_reminder(week, "failed", now, error=f"given up after {MAX_ATTEMPTS} attempts")
            return
        reply = Reply(content=reminder_text(week, count, sheet=self.sheet))
        try:
            message_id = await self.sender.send(self.channel_id, reply, None, delivery_nonce(NONCE_KEY, week))
        except ChannelGone as gone:
            log.warning("editors' reminder for %s not posted in channel %s: %s", week, self.channel_id, gone.reason)
            await self.store.finish_reminder(week, "failed", now, error=gone.reason)
            return
        except TransientSendError as error:
            retry_at = now + FIRST_RETRY * (1 << (attempt - 1))
            log.warning("editors' reminder for %s failed (attempt %d), retrying later: %s", week, attempt, error)
            await self.store.finish_reminder(week, "pending", now, error=str(error), retry_at=retry_at)
            return
        log.info("editors' reminder for %s posted in channel %s (%d data points)", week, self.channel_id, count)
        await self.store.finish_reminder(week, "sent", now, message_id=message_id)
