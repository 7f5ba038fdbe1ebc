"""Every store test runs on both backends: `database` (and `glossary`, made from it) is SQLite, then PostgreSQL."""

from __future__ import annotations

import pytest

from bot.store.db import Database


@pytest.fixture
def database(any_database: Database) -> Database:
    return any_database
