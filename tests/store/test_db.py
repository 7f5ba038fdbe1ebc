import asyncio
import contextlib
import gc
import sqlite3
import warnings
from pathlib import Path

import pytest

from bot.store import sqlite
from bot.store.db import Database, available_migrations, redact, split_statements
from bot.store.postgres import PostgresDatabase
from bot.store.sqlite import ROWS_PER_INSERT


async def test_fresh_database_is_migrated_to_the_latest_version(database: Database) -> None:
    assert await database.schema_version() == len(available_migrations(database.dialect))
    if database.dialect == "sqlite":
        assert await database.fetch_value("PRAGMA journal_mode") == "wal"
        assert await database.fetch_value("PRAGMA foreign_keys") == 1


async def test_reopening_applies_nothing_twice(tmp_path: Path) -> None:
    first = await Database.open(tmp_path / "x.db")
    version = await first.schema_version()
    await first.close()
    again = await Database.open(tmp_path / "x.db")
    assert await again.migrate() == version
    await again.close()


async def test_a_failed_transaction_leaves_nothing(database: Database) -> None:
    with pytest.raises(RuntimeError):
        async with database.transaction() as connection:
            await connection.execute("INSERT INTO meta (key, value) VALUES ('a', 'b')")
            raise RuntimeError("boom")
    assert await database.fetch_value("SELECT count(*) FROM meta") == 0


def test_migrations_are_numbered_without_gaps_and_alike_on_both_backends() -> None:
    versions = [version for version, _, _ in available_migrations()]
    assert versions == list(range(1, len(versions) + 1))
    sqlite_names = [name for _, name, _ in available_migrations("sqlite")]
    assert [name for _, name, _ in available_migrations("postgresql")] == sqlite_names


def test_statements_split_on_semicolons_outside_strings() -> None:
    script = "-- comment\nCREATE TABLE a (x TEXT DEFAULT ';');\nINSERT INTO a VALUES ('1;2');\n"
    assert split_statements(script) == ["CREATE TABLE a (x TEXT DEFAULT ';');", "INSERT INTO a VALUES ('1;2');"]


def test_a_url_in_a_log_line_hides_its_password() -> None:
    assert redact("postgresql://bot:s3cret@db.example.org:5432/glossary") == (
        "postgresql://bot:***@db.example.org:5432/glossary"
    )
    assert redact("postgresql://postgres@127.0.0.1/test") == "postgresql://postgres@127.0.0.1/test"


async def test_describe_names_the_backend_without_a_password(database: Database) -> None:
    assert database.describe().startswith("SQLite at " if database.dialect == "sqlite" else "PostgreSQL at ")


@pytest.mark.parametrize("count", [0, 3, ROWS_PER_INSERT, 2 * ROWS_PER_INSERT + 7])
async def test_insert_rows_stores_every_row_however_many(database: Database, count: int) -> None:
    rows = [(f"key {number:05}", f"value {number}") for number in range(count)]
    async with database.transaction() as transaction:
        await transaction.insert_rows("meta", ("key", "value"), rows)
    assert [tuple(row) for row in await database.fetch_all("SELECT key, value FROM meta ORDER BY key")] == rows


async def test_insert_rows_keeps_each_statement_within_sqlites_parameter_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite, "_MAX_PARAMETERS", 5)  # as if SQLite took 5: two rows of two columns a statement
    database = await Database.open(tmp_path / "x.db")
    assert isinstance(database, sqlite.SQLiteDatabase)
    statements: list[str] = []
    await database.connection.set_trace_callback(statements.append)
    try:
        async with database.transaction() as transaction:
            await transaction.insert_rows("meta", ("key", "value"), [(f"k{number}", "v") for number in range(5)])
        assert await database.fetch_value("SELECT count(*) FROM meta") == 5
    finally:
        await database.close()
    inserts = [statement for statement in statements if statement.startswith("INSERT INTO meta")]
    assert [statement.count("'v'") for statement in inserts] == [2, 2, 1]


async def test_reads_go_on_after_the_server_ended_every_connection(database: Database) -> None:
    """What a PostgreSQL restart does: the pooled connections die, some mid-read, and every read still answers."""
    if database.dialect != "postgresql":
        pytest.skip("PostgreSQL's connections only")
    assert isinstance(database, PostgresDatabase)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        reads = [asyncio.ensure_future(database.fetch_value("SELECT 1 FROM pg_sleep(0.3)")) for _ in range(3)]
        await asyncio.sleep(0.1)
        async with database.pool.acquire() as admin:
            ended = await admin.fetch(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()"
            )
        assert len(ended) >= 3
        assert await asyncio.gather(*reads) == [1, 1, 1]
        for _ in range(3):
            assert await database.fetch_value("SELECT 1") == 1
        gc.collect()  # a coroutine never awaited (a forgotten `await`) says so when it is collected
    assert [str(warning.message) for warning in caught] == []


async def test_a_new_database_takes_the_page_size_and_an_existing_one_keeps_its_own(tmp_path: Path) -> None:
    database = await Database.open(tmp_path / "new.db")
    try:
        assert await database.fetch_value("PRAGMA page_size") == sqlite.PAGE_SIZE
    finally:
        await database.close()
    older = tmp_path / "older.db"
    with contextlib.closing(sqlite3.connect(older)) as connection:
        connection.execute("CREATE TABLE made_before (x)")  # created with SQLite's default page size
    database = await Database.open(older)
    try:
        assert await database.fetch_value("PRAGMA page_size") == 4096
        assert await database.fetch_value("SELECT count(*) FROM terms") == 0  # and migrated as usual
    finally:
        await database.close()
