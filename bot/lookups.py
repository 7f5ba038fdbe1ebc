"""Lookup counts: kept in memory as they happen, written to the database a moment later in one go.

Every /define and related-term click counts a lookup (popularity for autocomplete, the weekly figures of
`/glossary stats`). Writing each one at once is a write transaction per answer: under a burst of a few
hundred a second they queued behind each other, some gave up after the busy wait, and each kept its
interaction alive meanwhile. Counted here, a burst costs one transaction per FLUSH_SECONDS.

Counts are statistics, not records: a crash loses at most the last FLUSH_SECONDS of them, and a database
that cannot be written keeps them for the next attempt.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter

from bot.broadcast import Clock
from bot.core.schedule import iso_week_of
from bot.store.db import is_database_error, unavailable_reason
from bot.store.glossary import GlossaryStore

log = logging.getLogger(__name__)

FLUSH_SECONDS = 1.0
"""How long counts gather before they are written: long enough to merge a burst into one transaction,
short enough that `/glossary stats` is current by the time anyone asks."""


class LookupCounter:
    def __init__(self, store: GlossaryStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock
        self._pending: Counter[tuple[int, str]] = Counter()
        """Lookups not yet written, by (term id, ISO week of the lookup)."""
        self._flusher: asyncio.Task[None] | None = None
        self._closing = asyncio.Event()

    def count(self, term_id: int) -> None:
        if self._closing.is_set():
            return  # an interaction cut short by the stop: the database is closing
        self._pending[(term_id, iso_week_of(self._clock().date()))] += 1
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_soon(), name="lookup-counter-flush")

    async def _flush_soon(self) -> None:
        # Not cancelled by close(), which wakes it instead: a write cut short could leave its counts
        # neither written nor pending.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), FLUSH_SECONDS)
        await self.flush()

    async def flush(self) -> None:
        """Write what was counted; if the database is busy or full, keep it for the next time."""
        counts, self._pending = self._pending, Counter()
        if not counts:
            return
        try:
            await self._store.record_lookups(counts)
        except Exception as error:
            reason = unavailable_reason(error) if is_database_error(error) else None
            if reason is None:
                log.exception("%d lookups could not be written and are dropped", counts.total())
                return
            self._pending.update(counts)
            log.warning("%d lookups not written yet: %s", counts.total(), reason)

    async def close(self) -> None:
        """Write the last counts; call before the database closes."""
        self._closing.set()
        if self._flusher is not None:
            await self._flusher
        await self.flush()  # counts kept back by a busy database get one last try
