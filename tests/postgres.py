"""A PostgreSQL database of the test session's own, for the tests that run on both backends.

The server is the one at TEST_POSTGRES_URL (by default PostgreSQL on 127.0.0.1:5432, user postgres, trust
authentication, database `test`). The session creates a database with a unique name there, migrates it
once, empties it before each test, and drops it at the end. When no server answers, those tests are
skipped and the summary says so in one line; with REQUIRE_POSTGRES=1 (CI) they fail instead.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import secrets
import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import pytest

from bot.store.db import Database

DEFAULT_SERVER_URL = "postgresql://postgres@127.0.0.1:5432/test"
CONNECT_TIMEOUT_S = 5
BACKENDS = ["sqlite", "postgresql"]
"""What a two-backend fixture is parametrised over."""

NO_SERVER = "no PostgreSQL answers at"


def server_url() -> str:
    return os.environ.get("TEST_POSTGRES_URL", DEFAULT_SERVER_URL)


def required() -> bool:
    return os.environ.get("REQUIRE_POSTGRES", "") not in ("", "0")


def with_database(url: str, name: str) -> str:
    return urlsplit(url)._replace(path=f"/{name}").geturl()


async def _statements(*statements: str) -> None:
    connection = await asyncpg.connect(server_url(), timeout=CONNECT_TIMEOUT_S)
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


def _run_on_server(*statements: str) -> None:
    """Run statements on the server's own database, from a thread of its own: the caller may be inside a
    test's event loop (a session fixture first asked for by an async one)."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, _statements(*statements)).result()


class ScratchServer:
    """Creates databases on the test server and drops them when the session ends."""

    def __init__(self) -> None:
        self.created: list[str] = []
        self.problem: str | None = None
        try:
            _run_on_server("SELECT 1")
        except (OSError, asyncpg.PostgresError, TimeoutError) as error:
            self.problem = f"{NO_SERVER} {server_url()} ({error})"

    def create(self) -> str:
        """A new empty database's URL."""
        name = f"glossary_test_{os.getpid()}_{secrets.token_hex(4)}"
        _run_on_server(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return with_database(server_url(), name)

    def drop_all(self) -> None:
        if self.created:
            _run_on_server(*(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)' for name in self.created))


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[ScratchServer]:
    server = ScratchServer()
    yield server
    if server.problem is None:
        server.drop_all()


def need_postgres(server: ScratchServer) -> None:
    """Skip (or, with REQUIRE_POSTGRES=1, fail) the test when no PostgreSQL server answers."""
    if server.problem is None:
        return
    if required():
        pytest.fail(f"REQUIRE_POSTGRES=1 but {server.problem}")
    pytest.skip(server.problem)


@pytest.fixture(scope="session")
def postgres_url(postgres_server: ScratchServer) -> str:
    """The session's database (migrated by the first test that opens it); skips when there is no server."""
    need_postgres(postgres_server)
    return postgres_server.create()


async def open_empty(url: str) -> Database:
    """The session's PostgreSQL database, migrated, every table emptied (ids start again from 1)."""
    database = await Database.open(url)
    tables = await database.table_names()
    async with database.transaction() as transaction:
        await transaction.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
    return database


@pytest.fixture(params=BACKENDS)
async def any_database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """The database on each backend in turn: a fresh SQLite file, then the emptied PostgreSQL database."""
    if request.param == "postgresql":
        database = await open_empty(request.getfixturevalue("postgres_url"))
    else:
        database = await Database.open(tmp_path / "bot.db")
    yield database
    await database.close()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    skipped = [report for report in terminalreporter.stats.get("skipped", []) if NO_SERVER in str(report.longrepr)]
    if skipped:
        reason = str(skipped[0].longrepr[2]) if isinstance(skipped[0].longrepr, tuple) else NO_SERVER
        terminalreporter.write_line(
            f"PostgreSQL tests SKIPPED ({len(skipped)}): {reason.removeprefix('Skipped: ')}. "
            "Start PostgreSQL to run them; REQUIRE_POSTGRES=1 makes this a failure.",
            yellow=True,
            bold=True,
        )


INTEGRITY_ERRORS = (sqlite3.IntegrityError, asyncpg.IntegrityConstraintViolationError)
"""What a broken constraint raises, on either backend."""


async def write(database: Database, sql: str, parameters: tuple[object, ...] = ()) -> int:
    """One statement in a transaction of its own, for a test that changes rows behind the store's back."""
    async with database.transaction() as transaction:
        return await transaction.execute(sql, parameters)


async def check_consistency(database: Database) -> None:
    """SQLite: the full-text index matches the rows it was built from, and no foreign key is broken.
    (PostgreSQL enforces foreign keys always, and its search column is computed from the row itself.)"""
    if database.dialect != "sqlite":
        return
    async with database.transaction() as transaction:
        # rank 1: compare the full-text index with the rows it was built from; raises if they differ.
        await transaction.execute("INSERT INTO term_search (term_search, rank) VALUES ('integrity-check', 1)")
    assert [tuple(row) for row in await database.fetch_all("PRAGMA foreign_key_check")] == []
