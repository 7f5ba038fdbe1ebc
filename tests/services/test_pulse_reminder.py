"""EditorsReminder's retries, with a stub sender (the end-to-end tests use the fake Discord)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.broadcast import TransientSendError
from bot.core.render import Reply
from bot.services.pulse_reminder import MAX_ATTEMPTS, EditorsReminder
from bot.store.db import Database
from bot.store.pulse import PulseStore

THURSDAY_NOON = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


class FlakySender:
    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.sent: list[str] = []

    async def send(self, channel_id: int, reply: Reply, role_id: int | None, nonce: str) -> int:
        self.sent.append(nonce)
        if len(self.sent) <= self.failures:
            raise TransientSendError("503 Service Unavailable")
        return 42

    async def find_existing(self, channel_id: int, week: str) -> int | None:
        return None


class Clock:
    def __init__(self) -> None:
        self.now = THURSDAY_NOON

    def __call__(self) -> datetime:
        return self.now


async def test_a_transient_failure_is_retried_later_with_the_same_nonce(database: Database) -> None:
    store, sender, clock = PulseStore(database), FlakySender(failures=1), Clock()
    reminder = EditorsReminder(store, 7, sender, clock, sheet=False)
    await reminder.run_due()
    await reminder.run_due()  # too soon for the retry
    assert len(sender.sent) == 1 and await store.reminder_state("2026-W48") == "pending"
    clock.now += timedelta(minutes=5)
    await reminder.run_due()
    await reminder.run_due()
    assert len(sender.sent) == 2 and len(set(sender.sent)) == 1
    assert await store.reminder_state("2026-W48") == "sent"


async def test_it_gives_up_for_the_week_after_a_few_attempts(database: Database) -> None:
    store, sender, clock = PulseStore(database), FlakySender(failures=100), Clock()
    reminder = EditorsReminder(store, 7, sender, clock, sheet=False)
    for _ in range(10):
        await reminder.run_due()
        clock.now += timedelta(hours=1)
    assert len(sender.sent) == MAX_ATTEMPTS
    assert await store.reminder_state("2026-W48") == "failed"
