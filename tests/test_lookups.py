"""Lookup counts gather in memory and reach the database in one transaction, without getting lost."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot import lookups
from bot.core.entry import Entry
from bot.core.schedule import iso_week_of
from bot.lookups import LookupCounter
from bot.store.db import Database
from bot.store.glossary import GlossaryStore
from tests.processes import locked_by_another_process, release

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)
WEEK = iso_week_of(NOW.date())
QUICK_FLUSH_SECONDS = 0.05


class Recording(GlossaryStore):
    """The real store, also noting each batch it is asked to write."""

    batches: list[dict[tuple[int, str], int]]

    async def record_lookups(self, counts: Mapping[tuple[int, str], int]) -> None:
        self.batches.append(dict(counts))
        await super().record_lookups(counts)


async def store_with_terms(database: Database) -> tuple[Recording, dict[str, int]]:
    store = Recording(database)
    store.batches = []
    await store.apply_entries([Entry("Alpha", "First."), Entry("Beta", "Second.")], mode="import")
    ids = dict(await database.fetch_all("SELECT name, id FROM terms"))
    return store, ids


async def lookups_by_name(database: Database) -> dict[str, int]:
    return dict(await database.fetch_all("SELECT name, lookups FROM terms"))


@pytest.fixture(autouse=True)
def quick_flush(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lookups, "FLUSH_SECONDS", QUICK_FLUSH_SECONDS)


async def test_a_burst_is_written_in_one_transaction(database: Database) -> None:
    store, ids = await store_with_terms(database)
    counter = LookupCounter(store, lambda: NOW)
    for _ in range(200):
        counter.count(ids["Alpha"])
    counter.count(ids["Beta"])
    assert await lookups_by_name(database) == {"Alpha": 0, "Beta": 0}  # nothing written yet
    await asyncio.sleep(QUICK_FLUSH_SECONDS * 4)
    assert await lookups_by_name(database) == {"Alpha": 200, "Beta": 1}
    assert store.batches == [{(ids["Alpha"], WEEK): 200, (ids["Beta"], WEEK): 1}]
    weekly = await database.fetch_all("SELECT week, sum(count) FROM weekly_lookups GROUP BY week")
    assert [tuple(row) for row in weekly] == [(WEEK, 201)]
    await counter.close()


async def test_close_writes_what_is_pending_and_later_counts_are_ignored(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lookups, "FLUSH_SECONDS", 60.0)
    store, ids = await store_with_terms(database)
    counter = LookupCounter(store, lambda: NOW)
    counter.count(ids["Alpha"])
    await asyncio.wait_for(counter.close(), timeout=5)  # does not wait out the minute
    assert await lookups_by_name(database) == {"Alpha": 1, "Beta": 0}
    counter.count(ids["Beta"])  # an interaction cut short by the stop
    await asyncio.sleep(0.01)
    assert await lookups_by_name(database) == {"Alpha": 1, "Beta": 0}


async def test_counts_wait_out_a_locked_database_and_none_are_lost(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    database = await Database.open(tmp_path / "bot.db", busy_timeout_ms=100)
    try:
        store, ids = await store_with_terms(database)
        counter = LookupCounter(store, lambda: NOW)
        with locked_by_another_process(database.path) as holder:
            counter.count(ids["Alpha"])
            counter.count(ids["Alpha"])
            await counter.flush()
            assert "2 lookups not written yet: the database is busy" in caplog.text
            release(holder)
        counter.count(ids["Beta"])
        await counter.close()
        assert await lookups_by_name(database) == {"Alpha": 2, "Beta": 1}
    finally:
        await database.close()


async def test_a_failure_that_is_a_bug_is_logged_and_does_not_stop_counting(
    database: Database, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, ids = await store_with_terms(database)
    counter = LookupCounter(store, lambda: NOW)
    original = store.record_lookups

    async def broken(counts: Mapping[tuple[int, str], int]) -> None:
        raise RuntimeError("broken counter")

    monkeypatch.setattr(store, "record_lookups", broken)
    counter.count(ids["Alpha"])
    await counter.flush()
    assert [record.levelno for record in caplog.records if "dropped" in record.message] == [logging.ERROR]
    monkeypatch.setattr(store, "record_lookups", original)
    counter.count(ids["Beta"])
    await counter.close()
    assert await lookups_by_name(database) == {"Alpha": 0, "Beta": 1}
