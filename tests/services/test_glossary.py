"""Following a change another process made: the service's shared index, on a real SQLite file."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core import index_changes
from bot.core.entry import Entry
from bot.core.index import GlossaryIndex
from bot.services.glossary import GlossaryService
from bot.store.db import Database
from bot.store.glossary import GlossaryStore

STARTING = [Entry("Quokka Protocol", "A fictional protocol.", aliases=("QP",)), Entry("Wombat Layer", "A layer.")]


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[GlossaryService]:
    database = await Database.open(tmp_path / "bot.db")
    service = GlossaryService(database)
    await service.glossary.apply_entries(STARTING, mode="import")
    service.replace_shared(GlossaryIndex.build(await service.glossary.index_rows()))
    yield service
    await database.close()


async def other_process_imports(folder: Path, entries: list[Entry]) -> None:
    """An import through a connection of its own, as the CLI or another bot process makes it."""
    other = await Database.open(folder / "bot.db")
    try:
        await GlossaryStore(other).apply_entries(entries, mode="import")
    finally:
        await other.close()


async def test_a_change_made_elsewhere_is_made_in_the_same_index(service: GlossaryService, tmp_path: Path) -> None:
    index = service.shared
    await other_process_imports(
        tmp_path,
        [
            Entry("Quokka Protocol", "A fictional protocol.", aliases=("marsupial relay",)),
            Entry("Bilby Loss", "A loss."),
        ],
    )
    assert await service.follow_shared(await service.glossary.index_rows())
    assert service.shared is index
    assert index.term_for("marsupial relay") == index.term_for("Quokka Protocol") is not None
    assert index.term_for("QP") == index.term_for("Quokka Protocol")  # an import adds to the aliases
    assert index.term_for("Bilby Loss") is not None


async def test_too_many_changes_are_left_to_a_build(
    service: GlossaryService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(index_changes, "MAX_CHANGES_IN_PLACE", 1)
    await other_process_imports(tmp_path, [Entry("Bilby Loss", "A loss."), Entry("Numbat Norm", "A norm.")])
    assert not await service.follow_shared(await service.glossary.index_rows())
    assert service.shared.term_for("Bilby Loss") is None  # nothing changed: the caller builds
