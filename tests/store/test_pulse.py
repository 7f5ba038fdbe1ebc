"""PulseStore: data points' origin, free ranks, and the retirement of the made-up examples."""

from __future__ import annotations

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
