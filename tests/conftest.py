"""Fixtures shared by every test folder: a real SQLite file on a temporary path."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import bot.config
from bot.store.db import Database
from bot.store.glossary import GlossaryStore

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared"


@pytest.fixture(autouse=True)
def project_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Settings read in-process take the test's folder as the project folder: no developer's `.env`, and
    relative default paths land under tmp_path, never in the checkout."""
    monkeypatch.setattr(bot.config, "project_folder", lambda: tmp_path)
    return tmp_path


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "bot.db")
    yield database
    await database.close()


@pytest.fixture
def glossary(database: Database) -> GlossaryStore:
    return GlossaryStore(database)


# The end-to-end rig's fixtures, usable from any test folder.
pytest_plugins = ["tests.e2e.rig", "tests.sheet_server", "tests.postgres"]
