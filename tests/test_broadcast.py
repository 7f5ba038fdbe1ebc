"""The delivery engine on a real SQLite file, with a controllable clock and an in-memory Discord."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from bot.broadcast import Broadcaster, ChannelGone, TransientSendError
from bot.core.pulse import DataPoint, footer_text
from bot.core.render import Reply
from bot.core.schedule import next_slot, parse_zone
from bot.store.db import Database
from bot.store.pulse import PulseStore
from bot.store.shards import ShardStore

WEEK = "2026-W48"
FRIDAY_9_UTC = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
POINTS = [DataPoint(WEEK, f"Example {n}", f"Example headline {n}", rank=n) for n in (1, 2, 3)]


class Crash(BaseException):
    """Stands in for the process dying mid-broadcast (not an Exception: nothing may swallow it)."""


@dataclass
class FakeChannelService:
    """Discord's side: messages per channel, nonce dedupe, scripted failures."""

    messages: dict[int, list[tuple[int, Reply]]] = field(default_factory=dict)
    nonces: dict[tuple[int, str], int] = field(default_factory=dict)
    failures: dict[int, list[BaseException]] = field(default_factory=dict)
    crash_after_posting: int | None = None
    next_id: int = 1000
    sends: int = 0

    async def send(self, channel_id: int, reply: Reply, role_id: int | None, nonce: str) -> int:
        self.sends += 1
        if self.failures.get(channel_id):
            raise self.failures[channel_id].pop(0)
        if (channel_id, nonce) in self.nonces:
            return self.nonces[(channel_id, nonce)]
        self.next_id += 1
        self.messages.setdefault(channel_id, []).append((self.next_id, reply))
        self.nonces[(channel_id, nonce)] = self.next_id
        if self.crash_after_posting is not None and len(self.nonces) >= self.crash_after_posting:
            raise Crash
        return self.next_id

    async def find_existing(self, channel_id: int, week: str) -> int | None:
        for message_id, reply in self.messages.get(channel_id, []):
            footer = (reply.embed or {}).get("footer")
            if isinstance(footer, dict) and footer.get("text") == footer_text(week):
                return message_id
        return None


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def store(database: Database) -> PulseStore:
    return PulseStore(database)


async def subscribe(
    store: PulseStore, channel_id: int, now: datetime, hour: int = 9, tz: str = "UTC", *, guild_id: int = 1
) -> None:
    week, due = next_slot(now, hour, parse_zone(tz), None, None)
    await store.subscribe(
        channel_id=channel_id,
        guild_id=guild_id,
        role_id=None,
        hour=hour,
        timezone=tz,
        created_by=7,
        next_week=week,
        next_due_at=due,
    )


def engine(store: PulseStore, service: FakeChannelService, clock: Clock) -> Broadcaster:
    return Broadcaster(store, service, grace=None, requests_per_second=10_000, clock=clock)


async def test_the_friday_post_lands_once_at_its_hour(store: PulseStore) -> None:
    await store.save_points(POINTS)
    clock = Clock(FRIDAY_9_UTC - timedelta(days=1))
    await subscribe(store, 10, clock.now)
    service = FakeChannelService()
    broadcaster = engine(store, service, clock)
    assert (await broadcaster.run_due()).sent == 0
    clock.now = FRIDAY_9_UTC - timedelta(seconds=1)
    assert (await broadcaster.run_due()).sent == 0
    clock.now = FRIDAY_9_UTC
    assert (await broadcaster.run_due()).sent == 1
    clock.now += timedelta(hours=1)
    assert (await broadcaster.run_due()).sent == 0
    assert len(service.messages[10]) == 1
    subscription = await store.subscription(10)
    assert subscription is not None and subscription.last_week == WEEK
    assert subscription.next_week == "2026-W49"


async def test_a_local_hour_in_another_zone(store: PulseStore) -> None:
    await store.save_points(POINTS)
    clock = Clock(datetime(2026, 11, 26, tzinfo=UTC))
    await subscribe(store, 10, clock.now, hour=9, tz="Asia/Kathmandu")  # UTC+05:45
    service = FakeChannelService()
    clock.now = datetime(2026, 11, 27, 3, 14, tzinfo=UTC)
    assert (await engine(store, service, clock).run_due()).sent == 0
    clock.now = datetime(2026, 11, 27, 3, 15, tzinfo=UTC)
    assert (await engine(store, service, clock).run_due()).sent == 1


async def test_a_restart_mid_broadcast_leaves_exactly_one_post_per_channel(store: PulseStore) -> None:
    await store.save_points(POINTS)
    clock = Clock(FRIDAY_9_UTC - timedelta(hours=1))
    for channel_id in range(1, 201):
        await subscribe(store, channel_id, clock.now)
    clock.now = FRIDAY_9_UTC + timedelta(minutes=1)
    service = FakeChannelService(crash_after_posting=77)
    with pytest.raises(Crash):
        await engine(store, service, clock).run_due()
    service.crash_after_posting = None
    clock.now += timedelta(minutes=5)
    restarted = engine(store, service, clock)
    await restarted.reschedule_all()
    await restarted.run_due()
    assert sorted(service.messages) == list(range(1, 201))
    assert all(len(posts) == 1 for posts in service.messages.values())
    assert await store.sent_count(WEEK) == 200


async def test_forbidden_channel_is_disabled_with_a_reason_and_resubscribing_enables_it(store: PulseStore) -> None:
    await store.save_points(POINTS)
    clock = Clock(FRIDAY_9_UTC - timedelta(hours=1))
    await subscribe(store, 10, clock.now)
    service = FakeChannelService(failures={10: [ChannelGone("Missing Access (403)")]})
    clock.now = FRIDAY_9_UTC
    report = await engine(store, service, clock).run_due()
    assert report.disabled == 1
    subscription = await store.subscription(10)
    assert subscription is not None and not subscription.enabled
    assert subscription.disabled_reason == "Missing Access (403)"
    await subscribe(store, 10, clock.now)
    assert (await engine(store, service, clock).run_due()).sent == 1


async def test_transient_failures_retry_with_backoff(store: PulseStore) -> None:
    await store.save_points(POINTS)
    clock = Clock(FRIDAY_9_UTC)
    await subscribe(store, 10, clock.now - timedelta(hours=1))
    service = FakeChannelService(failures={10: [TransientSendError("503"), TransientSendError("503")]})
    broadcaster = engine(store, service, clock)
    assert (await broadcaster.run_due()).retrying == 1
    assert (await broadcaster.run_due()).retrying == 0  # not yet due again
    clock.now += timedelta(seconds=30)
    assert (await broadcaster.run_due()).retrying == 1
    clock.now += timedelta(seconds=59)
    assert (await broadcaster.run_due()).sent == 0
    clock.now += timedelta(seconds=1)
    assert (await broadcaster.run_due()).sent == 1
    assert len(service.messages[10]) == 1


async def test_a_week_without_points_posts_nothing_until_points_arrive(store: PulseStore) -> None:
    clock = Clock(FRIDAY_9_UTC)
    await subscribe(store, 10, clock.now - timedelta(hours=1))
    service = FakeChannelService()
    broadcaster = engine(store, service, clock)
    assert (await broadcaster.run_due()).empty == 1
    assert await store.delivery_state(10, WEEK) == "empty"
    await store.save_points(POINTS)
    clock.now += timedelta(minutes=10)
    assert (await broadcaster.run_due()).sent == 1


async def test_a_post_missed_past_the_friday_is_skipped_not_sent_late(store: PulseStore) -> None:
    await store.save_points(POINTS)
    await subscribe(store, 10, FRIDAY_9_UTC - timedelta(hours=1))
    clock = Clock(FRIDAY_9_UTC + timedelta(days=1, hours=1))  # Saturday: the bot was down all Friday
    service = FakeChannelService()
    report = await engine(store, service, clock).run_due()
    assert report.missed == 1 and service.sends == 0
    subscription = await store.subscription(10)
    assert subscription is not None and subscription.next_week == "2026-W49"


async def test_a_post_missed_while_down_goes_out_at_start_if_still_friday(store: PulseStore) -> None:
    await store.save_points(POINTS)
    await subscribe(store, 10, FRIDAY_9_UTC - timedelta(days=3))
    clock = Clock(FRIDAY_9_UTC + timedelta(hours=5))
    broadcaster = engine(store, FakeChannelService(), clock)
    await broadcaster.reschedule_all()
    assert (await broadcaster.run_due()).sent == 1


async def test_unsubscribe_and_resubscribe_in_the_same_week_does_not_post_twice(store: PulseStore) -> None:
    await store.save_points(POINTS)
    clock = Clock(FRIDAY_9_UTC)
    await subscribe(store, 10, clock.now - timedelta(hours=1))
    service = FakeChannelService()
    assert (await engine(store, service, clock).run_due()).sent == 1
    await store.unsubscribe(10, 1)
    week, due = next_slot(clock.now, 10, parse_zone("UTC"), None, None)  # a later hour, same Friday
    await store.subscribe(
        channel_id=10, guild_id=1, role_id=None, hour=10, timezone="UTC", created_by=7, next_week=week, next_due_at=due
    )
    clock.now += timedelta(hours=1)
    report = await engine(store, service, clock).run_due()
    assert report.sent == 0 and report.already_sent == 1
    assert len(service.messages[10]) == 1


async def test_two_processes_deliver_their_own_shards_and_take_over_a_dead_ones(store: PulseStore) -> None:
    leases, lease = ShardStore(store.database), timedelta(seconds=20)
    await store.save_points(POINTS)
    clock = Clock(FRIDAY_9_UTC - timedelta(hours=1))
    guilds = {channel_id: channel_id << 22 for channel_id in range(1, 61)}  # odd channels on shard 1 of 2
    for channel_id, guild_id in guilds.items():
        await subscribe(store, channel_id, clock.now, guild_id=guild_id)
    clock.now = FRIDAY_9_UTC
    service = FakeChannelService()
    processes = {}
    for shard in (0, 1):
        held = await leases.renew(f"{shard}/2", 2, (shard,), clock.now, lease)
        processes[shard] = Broadcaster(
            store, service, grace=None, requests_per_second=10_000, clock=clock, holder=f"{shard}/2", shards=held
        )
    service.crash_after_posting = 7  # shard 1's process dies after its 7th post, other sends in flight
    with pytest.raises(Crash):
        await processes[1].run_due()
    service.crash_after_posting = None
    assert {channel_id % 2 for channel_id in service.messages} == {1}
    assert (await processes[0].run_due()).sent == 30  # its own shard only: the other is not its to deliver
    assert all(channel_id % 2 == 0 or len(service.messages.get(channel_id, [])) <= 1 for channel_id in guilds)

    clock.now += lease  # shard 1's lease ran out: shard 0's process takes it over at its next renewal
    processes[0].shards = await leases.renew("0/2", 2, (0,), clock.now, lease)
    assert processes[0].shards.ids == {0, 1}
    await processes[0].run_due()
    assert sorted(service.messages) == sorted(guilds)
    assert all(len(posts) == 1 for posts in service.messages.values())
    assert await store.sent_count(WEEK) == 60
