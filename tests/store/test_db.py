from pathlib import Path

import pytest

from bot.store.db import Database, available_migrations, redact, split_statements


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
