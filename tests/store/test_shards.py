"""Shard leases, delivery claims across processes and IDENTIFY turns, on the real database."""

from datetime import UTC, datetime, timedelta

from bot.core.sharding import ShardSet
from bot.store.db import Database
from bot.store.pulse import PulseStore
from bot.store.shards import ShardStore

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
LEASE = timedelta(seconds=20)


async def test_each_process_holds_its_own_shards(database: Database) -> None:
    store = ShardStore(database)
    assert await store.renew("0/2", 2, (0,), NOW, LEASE) == ShardSet(2, frozenset({0}))
    assert await store.renew("1/2", 2, (1,), NOW, LEASE) == ShardSet(2, frozenset({1}))
    later = NOW + LEASE / 2
    assert (await store.renew("0/2", 2, (0,), later, LEASE)).ids == {0}
    assert await store.live_holders(later, other_than="0/2") == ["1/2"]


async def test_a_dead_processs_shards_are_taken_over_and_given_back(database: Database) -> None:
    store = ShardStore(database)
    await store.renew("0/2", 2, (0,), NOW, LEASE)
    await store.renew("1/2", 2, (1,), NOW, LEASE)
    # 1/2 stops renewing: until its lease runs out its shard stays its own.
    assert (await store.renew("0/2", 2, (0,), NOW + LEASE / 2, LEASE)).ids == {0}
    assert (await store.renew("0/2", 2, (0,), NOW + LEASE, LEASE)).ids == {0, 1}
    # Back from a restart, it takes its shard back; the stand-in lets go at its next renewal.
    back = NOW + LEASE + LEASE / 2
    assert (await store.renew("1/2", 2, (1,), back, LEASE)).ids == {1}
    assert (await store.renew("0/2", 2, (0,), back, LEASE)).ids == {0}


async def test_a_graceful_stop_frees_the_shards_at_once(database: Database) -> None:
    store = ShardStore(database)
    await store.renew("0/2", 2, (0,), NOW, LEASE)
    await store.renew("1/2", 2, (1,), NOW, LEASE)
    await store.release("1/2", 2, NOW)
    assert (await store.renew("0/2", 2, (0,), NOW + timedelta(seconds=1), LEASE)).ids == {0, 1}


async def test_a_claim_stays_its_holders_while_the_holder_lives(database: Database) -> None:
    shards, pulse = ShardStore(database), PulseStore(database)
    await shards.renew("1/2", 2, (1,), NOW, LEASE)
    claim = await pulse.claim(10, "2026-W48", "n", "1/2", NOW)
    assert claim is not None and claim.attempts == 1
    assert await pulse.claim(10, "2026-W48", "n", "0/2", NOW + LEASE / 2) is None
    again = await pulse.claim(10, "2026-W48", "n", "1/2", NOW + LEASE / 2)  # its own, after a restart
    assert again is not None and again.attempts == 2
    taken = await pulse.claim(10, "2026-W48", "n", "0/2", NOW + LEASE)  # the holder's lease ran out
    assert taken is not None and taken.attempts == 3


async def test_a_failed_send_leaves_the_claim_to_whoever_delivers_next(database: Database) -> None:
    shards, pulse = ShardStore(database), PulseStore(database)
    await shards.renew("1/2", 2, (1,), NOW, LEASE)
    assert await pulse.claim(10, "2026-W48", "n", "1/2", NOW) is not None
    await pulse.note_failure(10, "2026-W48", "503", final=False)
    claim = await pulse.claim(10, "2026-W48", "n", "0/2", NOW)
    assert claim is not None and claim.attempts == 2


async def test_due_subscriptions_of_some_shards_only(database: Database) -> None:
    pulse = PulseStore(database)
    guilds = [1 << 22, 2 << 22, 3 << 22, 4 << 22]  # shards 1, 0, 1, 0 of 2
    for number, guild_id in enumerate(guilds):
        await pulse.subscribe(
            channel_id=100 + number,
            guild_id=guild_id,
            role_id=None,
            hour=9,
            timezone="UTC",
            created_by=7,
            next_week="2026-W48",
            next_due_at=NOW + timedelta(minutes=number),
        )
    later = NOW + timedelta(hours=1)
    even = ShardSet(2, frozenset({0}))
    assert [s.channel_id for s in await pulse.due_subscriptions(later, 10, even)] == [101, 103]
    assert [s.channel_id for s in await pulse.due_subscriptions(later, 10)] == [100, 101, 102, 103]
    assert await pulse.due_subscriptions(later, 10, ShardSet(2, frozenset())) == []
    assert await pulse.earliest_due(even) == NOW + timedelta(minutes=1)
    assert len(await pulse.enabled_subscriptions(ShardSet(2, frozenset({1})))) == 2


async def test_identify_turns_are_spaced_per_bucket(database: Database) -> None:
    store = ShardStore(database)
    interval = timedelta(seconds=5)
    assert await store.claim_identify_slot(0, NOW, interval) == timedelta(0)
    assert await store.claim_identify_slot(1, NOW, interval) == timedelta(0)  # another bucket: at once
    assert await store.claim_identify_slot(0, NOW + timedelta(seconds=2), interval) == timedelta(seconds=3)
    assert await store.claim_identify_slot(0, NOW + interval, interval) == timedelta(0)
