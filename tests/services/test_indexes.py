"""Servers' indexes: built once on first use, kept current by writes, evicted least recently used."""

from __future__ import annotations

import asyncio

from bot.core.index import GlossaryIndex, IndexRow
from bot.services.indexes import ServerIndexes


class Rows:
    """A fake row source (one function's unit test): counts reads, can hold a read open."""

    def __init__(self) -> None:
        self.by_guild: dict[int, list[IndexRow]] = {1: [(10, "Quokka Protocol", ("QP",), 0)], 2: []}
        self.reads = 0
        self.gate: asyncio.Event | None = None

    async def __call__(self, guild_id: int) -> list[IndexRow]:
        self.reads += 1
        rows = list(self.by_guild.get(guild_id, []))
        if self.gate is not None:
            await self.gate.wait()
        return rows


async def test_an_index_is_read_once_and_a_server_without_entries_has_none() -> None:
    rows = Rows()
    indexes = ServerIndexes(rows, GlossaryIndex)
    first = await indexes.get(1)
    assert first is not None and first.server.term_for("qp") == 10
    assert await indexes.get(1) is first and rows.reads == 1
    assert await indexes.get(2) is None and await indexes.get(2) is None and rows.reads == 2


async def test_writes_keep_a_cached_index_current() -> None:
    indexes = ServerIndexes(Rows(), GlossaryIndex)
    await indexes.get(2)
    indexes.upsert(2, 20, "Wombat", ())
    index = await indexes.get(2)
    assert index is not None and index.term_for("wombat") == 20
    indexes.remove(2, 20)
    assert index.term_for("wombat") is None
    indexes.upsert(3, 30, "Not cached", ())  # nothing to do: read when first used
    assert indexes.cached(3) is None


async def test_the_least_recently_used_server_goes_first() -> None:
    rows = Rows()
    rows.by_guild = {guild: [(guild * 10, f"Term {guild}", (), 0)] for guild in range(1, 5)}
    indexes = ServerIndexes(rows, GlossaryIndex, capacity=2)
    await indexes.get(1)
    await indexes.get(2)
    await indexes.get(1)
    await indexes.get(3)
    assert len(indexes) == 2 and indexes.cached(1) is not None and indexes.cached(2) is None


async def test_a_write_during_a_read_makes_the_read_start_again_and_callers_share_it() -> None:
    rows = Rows()
    rows.gate = asyncio.Event()
    indexes = ServerIndexes(rows, GlossaryIndex)
    first = asyncio.create_task(indexes.get(1))
    second = asyncio.create_task(indexes.get(1))
    await asyncio.sleep(0)
    rows.by_guild[1].append((11, "Wombat", (), 0))
    indexes.upsert(1, 11, "Wombat", ())  # committed after the rows were read
    rows.gate.set()
    index = await first
    assert index is not None and index.term_for("wombat") == 11
    assert await second is index and rows.reads == 2
