"""PulseStore: data points' origin, free ranks, and the retirement of the made-up examples."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.core import retired_examples
from bot.core.pulse import DataPoint
from bot.store.db import Database
from bot.store.pulse import PULSE_SEED_DIGEST_KEY, PulseStore

SHIPPED = DataPoint("2026-W48", "Example 1", "Example shipped headline", "Example detail", "https://example.org/1")
EDITED = DataPoint("2026-W48", "Example 2", "Example edited headline", rank=2)


@pytest.fixture
def store(database: Database) -> PulseStore:
    return PulseStore(database)


@pytest.fixture
def shipped_examples(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stand-ins for the retired examples (the real ones are only fingerprints, on purpose)."""
    fingerprints = {retired_examples.fingerprint(SHIPPED), retired_examples.fingerprint(EDITED)}
    monkeypatch.setattr(retired_examples, "RETIRED_EXAMPLES", frozenset(fingerprints))


@pytest.mark.usefixtures("shipped_examples")
async def test_the_shipped_examples_are_deleted_once_where_they_were_loaded(store: PulseStore) -> None:
    changed = DataPoint(EDITED.week, EDITED.figure, "Example headline an editor changed", rank=2)
    kept = DataPoint("2026-W49", "Example 3", "Example point of the editors")
    await store.save_points([SHIPPED, changed, kept])
    await store.database.set_meta(PULSE_SEED_DIGEST_KEY, "digest of the old data/pulse_points.json")
    assert await store.retire_shipped_examples() == 1
    assert [p.headline for p in await store.list_points()] == [kept.headline, changed.headline]
    await store.save_points([SHIPPED])
    assert await store.retire_shipped_examples() == 0  # once per database: later points are the editors'
    assert len(await store.list_points()) == 3


@pytest.mark.usefixtures("shipped_examples")
async def test_nothing_is_retired_where_the_examples_were_never_loaded(store: PulseStore) -> None:
    await store.save_points([SHIPPED])
    assert await store.retire_shipped_examples() == 0
    assert len(await store.list_points()) == 1


async def test_free_rank_is_the_lowest_untaken(store: PulseStore) -> None:
    assert await store.free_rank("2026-W48") == 1
    await store.save_points([DataPoint("2026-W48", "Example", "Example", rank=rank) for rank in (1, 2, 4)])
    assert await store.free_rank("2026-W48") == 3
    await store.save_points([DataPoint("2026-W48", "Example", "Example", rank=rank) for rank in range(1, 11)])
    assert await store.free_rank("2026-W48") is None


NOW = datetime(2026, 11, 27, 9, tzinfo=UTC)
WEEK, NEXT_WEEK = "2026-W48", "2026-W49"
CHANNEL, GUILD = 4001, 7001


async def _subscribe(store: PulseStore, channel_id: int = CHANNEL, guild_id: int = GUILD) -> None:
    await store.subscribe(
        channel_id=channel_id,
        guild_id=guild_id,
        role_id=None,
        hour=9,
        timezone="Europe/Paris",
        created_by=1,
        next_week=WEEK,
        next_due_at=NOW,
    )


async def test_a_delivery_is_claimed_sent_and_never_claimed_again(store: PulseStore) -> None:
    await _subscribe(store)
    [due] = await store.due_subscriptions(NOW + timedelta(minutes=1), 10)
    assert (due.channel_id, due.next_week, due.enabled) == (CHANNEL, WEEK, True)
    assert await store.earliest_due() == NOW
    first = await store.claim(CHANNEL, WEEK, "nonce-1")
    assert first is not None and first.attempts == 1
    await store.note_failure(CHANNEL, WEEK, "Example: Discord answered 500", final=False)
    again = await store.claim(CHANNEL, WEEK, "nonce-1")
    assert again is not None and again.attempts == 2  # an earlier try may have reached Discord
    await store.complete(CHANNEL, WEEK, 9001, NEXT_WEEK, NOW + timedelta(days=7))
    assert await store.claim(CHANNEL, WEEK, "nonce-1") is None
    assert await store.delivery_state(CHANNEL, WEEK) == "sent" and await store.sent_count(WEEK) == 1
    subscription = await store.subscription(CHANNEL)
    assert subscription is not None and (subscription.next_week, subscription.last_week) == (NEXT_WEEK, WEEK)
    assert await store.mark_empty(CHANNEL + 1, WEEK, "n") and not await store.mark_empty(CHANNEL + 1, WEEK, "n")


async def test_subscriptions_are_disabled_per_server_and_removed(store: PulseStore) -> None:
    await _subscribe(store)
    await _subscribe(store, CHANNEL + 1)
    await _subscribe(store, CHANNEL + 2, GUILD + 1)
    assert await store.disable_guild(GUILD, "Example: the bot left") == 2
    assert [s.channel_id for s in await store.enabled_subscriptions()] == [CHANNEL + 2]
    await _subscribe(store)  # subscribing again enables it again
    assert [s.channel_id for s in await store.guild_subscriptions(GUILD) if s.enabled] == [CHANNEL]
    assert await store.unsubscribe(CHANNEL, GUILD) and not await store.unsubscribe(CHANNEL, GUILD)


async def test_the_sheet_state_and_the_editors_reminder(store: PulseStore) -> None:
    url = "https://example.org/sheet.csv"
    points = [DataPoint(NEXT_WEEK, "Example 1", "Example headline", rank=1, origin="sheet")]
    plan = await store.apply_sheet(url, points, '"etag-1"', None, NOW)
    assert plan.changed == [NEXT_WEEK] and [p.figure for p in await store.points_for(NEXT_WEEK)] == ["Example 1"]
    assert await store.note_source_failure(url, "Example: timed out", NOW) == 1
    assert await store.note_source_failure(url, "Example: timed out", NOW) == 2
    state = await store.source_state(url)
    assert state is not None and (state.etag, state.failures) == ('"etag-1"', 2)
    await store.note_source_unchanged(url, NOW)
    state = await store.source_state(url)
    assert state is not None and (state.failures, state.last_error) == (0, None)
    assert await store.claim_reminder(WEEK, CHANNEL, NOW) == 1
    await store.finish_reminder(WEEK, "pending", NOW, retry_at=NOW + timedelta(minutes=5))
    assert await store.claim_reminder(WEEK, CHANNEL, NOW) is None  # waits for its retry
    assert await store.claim_reminder(WEEK, CHANNEL, NOW + timedelta(minutes=5)) == 2
    await store.finish_reminder(WEEK, "sent", NOW, message_id=9002)
    assert await store.reminder_state(WEEK) == "sent"
    assert await store.claim_reminder(WEEK, CHANNEL, NOW + timedelta(hours=1)) is None
    assert [p.week for p in await store.list_points(NEXT_WEEK)] == [NEXT_WEEK]
    assert await store.free_rank(NEXT_WEEK) == 2 and await store.rank_taken(NEXT_WEEK, 1)
