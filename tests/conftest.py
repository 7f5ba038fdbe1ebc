"""Fixtures shared by every test folder: a real SQLite file on a temporary path."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.store.db import Database
from bot.store.glossary import GlossaryStore

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared"


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "bot.db")
    yield database
    await database.close()


@pytest.fixture
def glossary(database: Database) -> GlossaryStore:
    return GlossaryStore(database)


# The end-to-end rig's fixtures, usable from any test folder.
pytest_plugins = ["tests.e2e.rig", "tests.sheet_server"]
