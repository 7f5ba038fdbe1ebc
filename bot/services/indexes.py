"""Servers' matching indexes: built on first use from the server's rows, kept while used, evicted after.

A server's glossary is small (SERVER_TERMS_LIMIT entries at most, typically a hundred, which build in
about half a millisecond), and most servers are quiet at any moment: so no index is built at start, and
memory holds the indexes of the `capacity` servers used last. A server with no entries costs one small
cache slot and no index. Each is kept as the server's view of the shared glossary (`ScopedIndex`), which
remembers what the server's names hide there.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from bot.core.index import GlossaryIndex, IndexRow
from bot.core.scoped import ScopedIndex

DEFAULT_CAPACITY = 1000
"""Servers whose index stays in memory: ~55 kB each at 100 entries, so ~55 MB when all are full."""

log = logging.getLogger(__name__)

RowLoader = Callable[[int], Awaitable[list[IndexRow]]]


class ServerIndexes:
    """guild id -> that server's view over the shared index (None: no entries), least recently used out.

    Writes go through `upsert` / `remove` / `forget`, which keep a cached index current; a write that
    lands while the server's index is being read from the database makes that read start again, so a
    build never misses a change that committed after its rows were read.
    """

    def __init__(
        self, load_rows: RowLoader, shared: Callable[[], GlossaryIndex], capacity: int = DEFAULT_CAPACITY
    ) -> None:
        self._load_rows = load_rows
        self._shared = shared
        self.capacity = capacity
        self._cache: OrderedDict[int, ScopedIndex | None] = OrderedDict()
        self._loading: dict[int, asyncio.Future[ScopedIndex | None]] = {}
        self._writes: dict[int, int] = {}
        """Writes per server while its index is loading, to tell a read that went stale."""
        self._tasks: set[asyncio.Task[ScopedIndex | None]] = set()
        """Loads started by `prepare`, held until done (the loop keeps only weak references to tasks)."""

    def __len__(self) -> int:
        return len(self._cache)

    def cached(self, guild_id: int) -> ScopedIndex | None:
        """The server's view if it is in memory now (no loading)."""
        return self._cache.get(guild_id)

    def known(self, guild_id: int) -> bool:
        """Whether the server's index (or that it has none) is in memory."""
        return guild_id in self._cache

    def prepare(self, guild_id: int) -> None:
        """Load the server's index soon, in a task of its own, unless it is in memory or on its way."""
        if guild_id not in self._cache and guild_id not in self._loading:
            task = asyncio.get_running_loop().create_task(self.get(guild_id), name=f"server-index-{guild_id}")
            self._tasks.add(task)
            task.add_done_callback(self._prepared)

    def close(self) -> None:
        """Cancel the loads nobody waits for: the database is closing."""
        for task in self._tasks:
            task.cancel()

    def _prepared(self, task: asyncio.Task[ScopedIndex | None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            # Nobody waits for this load: say why it failed; the next keystroke there tries again.
            log.warning("building a server's index failed", exc_info=task.exception())

    async def get(self, guild_id: int) -> ScopedIndex | None:
        """The server's view, loaded if needed; None if the server has no entries."""
        if guild_id in self._cache:
            self._cache.move_to_end(guild_id)
            return self._cache[guild_id]
        pending = self._loading.get(guild_id)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[ScopedIndex | None] = asyncio.get_running_loop().create_future()
        self._loading[guild_id] = future
        try:
            scoped = await self._load(guild_id)
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # retrieved: a failure with no other waiter is not "never retrieved"
            raise
        finally:
            del self._loading[guild_id]
            self._writes.pop(guild_id, None)
        future.set_result(scoped)
        self._store(guild_id, scoped)
        return scoped

    async def _load(self, guild_id: int) -> ScopedIndex | None:
        while True:
            self._writes[guild_id] = 0
            rows = await self._load_rows(guild_id)
            if self._writes[guild_id] == 0:
                return ScopedIndex(self._shared(), GlossaryIndex.build(rows)) if rows else None

    def _store(self, guild_id: int, scoped: ScopedIndex | None) -> None:
        self._cache[guild_id] = scoped
        self._cache.move_to_end(guild_id)
        while len(self._cache) > self.capacity:
            self._cache.popitem(last=False)

    def _written(self, guild_id: int) -> None:
        if guild_id in self._writes:
            self._writes[guild_id] += 1

    def upsert(self, guild_id: int, term_id: int, name: str, aliases: tuple[str, ...]) -> None:
        """A server's term was added or changed: keep its cached index (if any) current."""
        self._written(guild_id)
        if guild_id not in self._cache:
            return
        scoped = self._cache[guild_id]
        if scoped is None:
            self._cache[guild_id] = ScopedIndex(self._shared(), GlossaryIndex.build([(term_id, name, aliases, 0)]))
        else:
            scoped.server.upsert(term_id, name, aliases)
            scoped.changed()

    def remove(self, guild_id: int, term_id: int) -> None:
        self._written(guild_id)
        scoped = self._cache.get(guild_id)
        if scoped is not None:
            scoped.server.remove(term_id)
            scoped.changed()

    def forget(self, guild_id: int | None = None) -> None:
        """Drop one server's index (after a wipe or an import), or every one (after the shared index was
        built again, or an outside change)."""
        if guild_id is None:
            self._cache.clear()
            for server in self._writes:
                self._writes[server] += 1
            return
        self._written(guild_id)
        self._cache.pop(guild_id, None)
