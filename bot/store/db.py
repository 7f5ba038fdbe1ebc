"""The storage interface: one `Database`, two implementations (SQLite, PostgreSQL), chosen by the URL.

Nothing outside bot/store knows which one is in use. The store modules write SQL with `?` placeholders;
each implementation runs it as its driver wants, and the few statements where the dialects really differ
(full-text search, JSON aggregation, planner hints) are chosen by `Database.dialect`.

The transaction discipline is the same on both: writes go through `transaction()`, one at a time for the
whole database (SQLite's IMMEDIATE lock; on PostgreSQL a transaction-scoped advisory lock taken first),
so a transaction that reads and then writes never races another process's, and all of it commits or
none. Waiting for that lock takes `busy_timeout_ms` at most, then fails as "busy". Plain reads
(`fetch_*`) never wait for a writer.
"""

from __future__ import annotations

import re
import sqlite3
import sys
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar, Literal, Protocol, TypeGuard
from urllib.parse import urlsplit

Dialect = Literal["sqlite", "postgresql"]
BUSY_TIMEOUT_MS = 5_000
"""How long a write waits for another writer's lock (a backup, the CLI, another process) before failing."""
MEMORY = ":memory:"
SQLITE_SCHEME = "sqlite:///"
POSTGRES_SCHEMES = ("postgresql://", "postgres://")
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


class Row(Protocol):
    """A result row: by position or by column name (sqlite3.Row and asyncpg.Record both are)."""

    def __getitem__(self, key: Any, /) -> Any: ...
    def __iter__(self) -> Iterator[Any]: ...
    def __len__(self) -> int: ...


class DatabaseUnusable(Exception):
    """The database cannot be used, and trying again will not change that.

    `where` is the file or the URL (password left out); the message completes a sentence about it
    ("… is a folder, not a database file").
    """

    def __init__(self, where: Path | str, reason: str) -> None:
        super().__init__(reason)
        self.path = where
        self.reason = reason


def insert_sql(table: str, columns: Sequence[str], row_count: int = 1) -> str:
    """An INSERT of `row_count` rows of `columns` into `table`, with a `?` for each value."""
    row = f"({', '.join('?' for _ in columns)})"
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([row] * row_count)}"


class Transaction(ABC):
    """One write transaction's statements (see `Database.transaction`)."""

    @abstractmethod
    async def execute(self, sql: str, parameters: Sequence[object] = ()) -> int:
        """Run a statement; how many rows it changed."""

    @abstractmethod
    async def execute_many(self, sql: str, rows: Iterable[Sequence[object]]) -> None: ...

    @abstractmethod
    async def fetch_all(self, sql: str, parameters: Sequence[object] = ()) -> list[Row]: ...

    async def fetch_one(self, sql: str, parameters: Sequence[object] = ()) -> Row | None:
        rows = await self.fetch_all(sql, parameters)
        return rows[0] if rows else None

    async def fetch_value(self, sql: str, parameters: Sequence[object] = ()) -> Any:
        row = await self.fetch_one(sql, parameters)
        return row[0] if row else None

    async def insert_rows(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
        """Many rows into one table, as fast as the database takes them (a copy's tables, an import's new terms)."""
        await self.execute_many(insert_sql(table, columns), rows)


class Snapshot(ABC):
    """Reads that all see the database as of one moment (see `Database.snapshot`)."""

    @abstractmethod
    async def fetch_value(self, sql: str) -> Any: ...

    @abstractmethod
    def fetch_chunks(self, sql: str, size: int) -> AsyncIterator[Sequence[Sequence[Any]]]: ...


class Database(ABC):
    dialect: ClassVar[Dialect]
    read_only: bool = False
    """Opened for reading only (a SQLite file this user may not write): nothing migrated or seeded."""

    @staticmethod
    async def open(target: Path | str, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> Database:
        """Open the database at a path or URL (`sqlite:///path`, `postgresql://user:pass@host:port/db`) and apply
        pending migrations. Raises DatabaseUnusable when it can never serve as the database."""
        if is_postgres_url(target):
            from bot.store.postgres import PostgresDatabase

            return await PostgresDatabase.open_url(target, busy_timeout_ms=busy_timeout_ms)
        from bot.store.sqlite import SQLiteDatabase

        return await SQLiteDatabase.open_path(sqlite_path(target), busy_timeout_ms=busy_timeout_ms)

    @staticmethod
    async def open_read_only(path: Path) -> Database:
        """A SQLite file for reading only, by a user who may not write it (see `SQLiteDatabase`)."""
        from bot.store.sqlite import SQLiteDatabase

        return await SQLiteDatabase.open_read_only_path(path)

    @abstractmethod
    def describe(self) -> str:
        """Which database this is, for the log: never a password."""

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[Transaction]:
        """One write transaction: all of it commits, or an exception rolls all of it back."""

    @abstractmethod
    async def fetch_all(self, sql: str, parameters: Sequence[object] = ()) -> list[Row]: ...

    @abstractmethod
    def fetch_chunks(self, sql: str, size: int) -> AsyncIterator[list[tuple[Any, ...]]]:
        """The rows of a whole-table read as plain tuples, `size` at a time."""

    @abstractmethod
    def snapshot(self) -> AbstractAsyncContextManager[Snapshot]:
        """One read-only transaction: every read in it sees the same committed state, whatever commits
        meanwhile (for a copy of the whole database)."""

    @abstractmethod
    async def column_names(self, table: str) -> list[str]:
        """A table's columns that hold data (not those the database computes, like PostgreSQL's search)."""

    async def fetch_one(self, sql: str, parameters: Sequence[object] = ()) -> Row | None:
        rows = await self.fetch_all(sql, parameters)
        return rows[0] if rows else None

    async def fetch_value(self, sql: str, parameters: Sequence[object] = ()) -> Any:
        row = await self.fetch_one(sql, parameters)
        return row[0] if row else None

    async def fetch_now(self, sql: str, parameters: Sequence[object] = ()) -> list[Row]:
        """A small read on which a user waits (a keystroke): as quick as the backend can make it."""
        return await self.fetch_all(sql, parameters)

    @abstractmethod
    async def schema_version(self) -> int: ...

    @abstractmethod
    async def migrate(self) -> int:
        """Apply every migration newer than the stored version, each in its own transaction."""

    @abstractmethod
    async def data_version(self) -> int:
        """Changes whenever another connection commits (never for this one's own writes); 0 where the
        database cannot tell."""

    async def watch_changes(self, on_change: Callable[[], None]) -> bool:
        """Have `on_change` called soon after another process (or the CLI) commits a change to the glossary's
        names; False where the database cannot (then ask `data_version` now and then)."""
        return False

    @abstractmethod
    async def table_names(self) -> list[str]:
        """The tables holding the bot's data (not the schema version's, nor SQLite's own)."""

    async def get_meta(self, key: str) -> str | None:
        value = await self.fetch_value("SELECT value FROM meta WHERE key = ?", (key,))
        return None if value is None else str(value)

    async def set_meta(self, key: str, value: str) -> None:
        async with self.transaction() as transaction:
            await transaction.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )


def is_postgres_url(target: Path | str) -> TypeGuard[str]:
    return isinstance(target, str) and target.startswith(POSTGRES_SCHEMES)


def sqlite_path(target: Path | str) -> Path:
    """The file a `sqlite:///path` URL (or a plain path) names: `sqlite:///data/bot.db` is relative,
    `sqlite:////srv/bot.db` absolute, as in SQLAlchemy."""
    if isinstance(target, Path):
        return target
    if target.startswith(SQLITE_SCHEME):
        return Path(target.removeprefix(SQLITE_SCHEME))
    raise DatabaseUnusable(
        redact(target), "is not a database URL: use sqlite:///path or postgresql://user:password@host:port/database"
    )


def redact(url: str) -> str:
    """A URL fit for a log or an error: the password replaced by ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


def available_migrations(dialect: Dialect = "sqlite") -> list[tuple[int, str, str]]:
    """(version, file name, SQL) of every migration shipped for `dialect`, in order.

    SQLite's live in bot/store/migrations, PostgreSQL's in bot/store/migrations/postgresql: the same
    numbers with the same meaning, each written in its database's own SQL.
    """
    folder = resources.files("bot.store") / "migrations"
    if dialect == "postgresql":
        folder = folder / "postgresql"
    found = []
    for item in folder.iterdir():
        match = _MIGRATION_NAME.match(item.name)
        if match:
            found.append((int(match.group(1)), item.name, item.read_text(encoding="utf-8")))
    found.sort()
    versions = [version for version, _, _ in found]
    if versions != list(range(1, len(versions) + 1)):
        raise RuntimeError(f"Migrations must be numbered 1..n without gaps, found {versions}")
    return found


def split_statements(script: str) -> list[str]:
    """Split a SQLite migration into statements (executescript would commit behind our back)."""
    statements: list[str] = []
    pending = ""
    for line in script.splitlines(keepends=True):
        if line.lstrip().startswith("--"):
            continue
        pending += line
        if sqlite3.complete_statement(pending):
            if pending.strip():
                statements.append(pending.strip())
            pending = ""
    if pending.strip():
        statements.append(pending.strip())
    return statements


def _backends() -> list[Any]:
    """The implementation modules loaded so far (an error can only come from one of those)."""
    return [sys.modules[name] for name in ("bot.store.sqlite", "bot.store.postgres") if name in sys.modules]


def unavailable_reason(error: BaseException) -> str | None:
    """Why the database could not do its work, in words for a user, when the cause lies outside the
    bot (a lock held by another process, a full or failing disk, a lost server); None for anything
    else (a bug).

    Such a failure changes nothing, since the transaction is rolled back, and goes away by itself
    when the other process, the disk or the server recovers, so callers say "try again", not "bug".
    """
    for backend in _backends():
        reason: str | None = backend.unavailable_reason(error)
        if reason is not None:
            return reason
    return None


def lasting_problem(error: BaseException) -> str | None:
    """What is wrong with the database itself (not SQLite, damaged, read-only, refused): waiting will
    not cure it, the database or the setting naming it must change; None otherwise."""
    for backend in _backends():
        problem: str | None = backend.lasting_problem(error)
        if problem is not None:
            return problem
    return None


def is_database_error(error: BaseException) -> bool:
    """Whether `error` came from the database (a driver's error), as opposed to a bug of ours."""
    return any(backend.is_database_error(error) for backend in _backends())
