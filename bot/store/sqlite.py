"""SQLite, through aiosqlite: the default database, one file, one bot process (and the CLI beside it).

Two aiosqlite connections serve the whole bot. SQLite allows one writer at a time, so writes go
through `transaction()` on the writing connection, which holds an asyncio lock and an IMMEDIATE
transaction: a coroutine never sees another coroutine's half-finished write, and a crash leaves
either all of it or none. Plain reads (`fetch_*`) use a second connection: each aiosqlite connection
runs its statements one after another on its own thread, so a write waiting for another process's
lock would otherwise hold up every read queued behind it, and in WAL mode reads need no lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, ClassVar, cast

import aiosqlite

from bot.store.db import (
    BUSY_TIMEOUT_MS,
    MEMORY,
    Database,
    DatabaseUnusable,
    Dialect,
    Row,
    Snapshot,
    Transaction,
    available_migrations,
    insert_sql,
    split_statements,
)

log = logging.getLogger(__name__)

INLINE_READ_TIMEOUT_S = 0.1
"""A WAL reader waits only while the database recovers after a crash: rarely, and then briefly."""
PAGE_SIZE = 16_384
"""Bytes per page of a database this bot creates (SQLite's default: 4,096). Terms are rows of about a
kilobyte, written in bulk by imports and read whole at start: with bigger pages a transaction's pages
are a quarter as many WAL frames and write calls (measured: 100,000 entries imported ~0.4 s sooner, of
~4.7 s). A database created before keeps its own size."""
ROWS_PER_INSERT = 500
"""Rows per INSERT statement in `insert_rows`: SQLite stores one statement of many rows faster than as many
statements of one row (measured: a quarter less time for 100,000 terms; 50 rows gain most of it)."""

_UNAVAILABLE_MESSAGES = {
    sqlite3.SQLITE_BUSY: "the database is busy: another program is writing to it",
    sqlite3.SQLITE_LOCKED: "the database is busy: another program is writing to it",
    sqlite3.SQLITE_FULL: "the database is full: its disk has no space left",
    sqlite3.SQLITE_IOERR: "the disk holding the database failed to read or write",
    sqlite3.SQLITE_READONLY: "the database file is read-only",
    sqlite3.SQLITE_CANTOPEN: "the database file cannot be opened",
}


_LASTING_MESSAGES = {
    sqlite3.SQLITE_NOTADB: "is not a SQLite database",
    sqlite3.SQLITE_CORRUPT: "is damaged (restore a backup, see README)",
    sqlite3.SQLITE_READONLY: "is read-only for this user",
    sqlite3.SQLITE_PERM: "is read-only for this user",
    sqlite3.SQLITE_CANTOPEN: "cannot be opened",
}
"""Failures that waiting does not cure: the file or the setting pointing at it must change."""


def lasting_problem(error: BaseException) -> str | None:
    """What is wrong with the database file itself, for the errors in `_LASTING_MESSAGES`; else None."""
    code = getattr(error, "sqlite_errorcode", None) if isinstance(error, sqlite3.DatabaseError) else None
    return None if code is None else _LASTING_MESSAGES.get(code & 0xFF)


def check_location(path: Path) -> None:
    """Refuse, before SQLite sees it, a path that can never be the database file."""
    if str(path) == MEMORY:
        return
    _refuse_what_is_not_a_file(path)
    if not path.exists():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # SQLite says only "unable to open database file"; creating it here gets the system's reason.
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            pass  # created meanwhile by another process: SQLite will open it
        except OSError as error:
            raise DatabaseUnusable(path, f"cannot be created ({error.strerror or error})") from None


def _refuse_what_is_not_a_file(path: Path) -> None:
    if path.is_dir():
        raise DatabaseUnusable(path, f"is a folder, not a database file (e.g. {path / 'bot.db'})")
    if path.exists() and not path.is_file():
        raise DatabaseUnusable(path, "is not a regular file")


def may_write(path: Path) -> bool:
    """Whether this user may write the database: the file, and the folder that holds its -wal and
    -shm files (unless they exist and are writable: the bot's user may have made them)."""
    if not path.exists():
        return True
    companions = [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm")]
    folder_ok = os.access(path.parent, os.W_OK) or all(os.access(file, os.W_OK) for file in companions)
    return os.access(path, os.W_OK) and folder_ok


def read_only_uri(path: Path) -> str:
    """A URI opening `path` for reading only, by a user who may not write it (never creating it).

    `mode=ro` still needs the -shm file of a WAL database, which only a writer of the folder can create;
    when it is missing and no -wal file exists (no one has the database open), the file is complete as
    it is and `immutable=1` reads it without the -shm.
    """
    _refuse_what_is_not_a_file(path)
    if not path.exists():
        raise DatabaseUnusable(path, "does not exist")
    uri = path.resolve().as_uri()
    try:
        with contextlib.closing(sqlite3.connect(f"{uri}?mode=ro", uri=True)) as probe:
            probe.execute("PRAGMA user_version").fetchone()
        return f"{uri}?mode=ro"
    except sqlite3.OperationalError:
        wal = path.with_name(path.name + "-wal")
        if wal.exists() and wal.stat().st_size > 0:
            raise
        return f"{uri}?immutable=1"


def _unreadable(path: Path, error: sqlite3.DatabaseError) -> DatabaseUnusable:
    return DatabaseUnusable(path, f"{lasting_problem(error) or 'cannot be read'} ({error})")


def _busy_error() -> sqlite3.OperationalError:
    """What SQLite raises when its busy timeout runs out, for a wait that ran out before reaching SQLite."""
    error = sqlite3.OperationalError("database is locked")
    error.sqlite_errorcode = sqlite3.SQLITE_BUSY
    error.sqlite_errorname = "SQLITE_BUSY"
    return error


def unavailable_reason(error: BaseException) -> str | None:
    """Why the database could not do its work, in words for a user, when the cause lies outside the
    bot (a lock held by another process, a full or failing disk); None for anything else (a bug).

    Such a failure changes nothing, since the transaction is rolled back, and goes away by itself
    when the other process or the disk recovers, so callers say "try again" instead of "bug".
    """
    code = getattr(error, "sqlite_errorcode", None) if isinstance(error, sqlite3.DatabaseError) else None
    if code is None:
        return None
    return _UNAVAILABLE_MESSAGES.get(code & 0xFF)  # extended codes keep the primary code in the low byte


def is_database_error(error: BaseException) -> bool:
    return isinstance(error, sqlite3.Error)


class SQLiteTransaction(Transaction):
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self.connection = connection

    async def execute(self, sql: str, parameters: Sequence[object] = ()) -> int:
        async with self.connection.execute(sql, parameters) as cursor:
            return cursor.rowcount

    async def execute_many(self, sql: str, rows: Iterable[Sequence[object]]) -> None:
        await self.connection.executemany(sql, rows)

    async def fetch_all(self, sql: str, parameters: Sequence[object] = ()) -> list[Row]:
        async with self.connection.execute(sql, parameters) as cursor:
            return list(await cursor.fetchall())

    async def insert_rows(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
        per_statement = max(1, min(ROWS_PER_INSERT, _MAX_PARAMETERS // len(columns)))
        whole = len(rows) - len(rows) % per_statement
        if whole:
            await self.connection.executemany(
                insert_sql(table, columns, per_statement),
                (_flat(rows[start : start + per_statement]) for start in range(0, whole, per_statement)),
            )
        if whole < len(rows):
            await self.connection.execute(insert_sql(table, columns, len(rows) - whole), _flat(rows[whole:]))


def _flat(rows: Sequence[Sequence[object]]) -> list[object]:
    return [value for row in rows for value in row]


def _parameter_limit() -> int:
    """How many parameters one statement may have in the SQLite this Python uses (999 before 3.32)."""
    with contextlib.closing(sqlite3.connect(":memory:")) as connection:
        return connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)


_MAX_PARAMETERS = _parameter_limit()


class SQLiteSnapshot(Snapshot):
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self.connection = connection

    async def fetch_value(self, sql: str) -> Any:
        async with self.connection.execute(sql) as cursor:
            row = await cursor.fetchone()
        return row[0] if row else None

    async def fetch_chunks(self, sql: str, size: int) -> AsyncIterator[Sequence[Sequence[Any]]]:
        async with self.connection.execute(sql) as cursor:
            while chunk := list(await cursor.fetchmany(size)):
                yield chunk


class SQLiteDatabase(Database):
    dialect: ClassVar[Dialect] = "sqlite"

    def __init__(
        self,
        connection: aiosqlite.Connection,
        path: Path,
        reader: aiosqlite.Connection | None = None,
        *,
        busy_timeout_ms: int = BUSY_TIMEOUT_MS,
    ) -> None:
        self.connection = connection
        """The writing connection: transactions, and reads that must see their own writes."""
        self.reader = reader or connection
        """Plain reads; the same connection for an in-memory database, which only one connection sees."""
        self.path = path
        self.busy_timeout_ms = busy_timeout_ms
        self.read_only = False
        """Opened by `open_read_only_path`: reads only, nothing migrated or seeded."""
        self._write_lock = asyncio.Lock()
        self._inline_reader: sqlite3.Connection | None = None

    def describe(self) -> str:
        return f"SQLite at {self.path}"

    @classmethod
    async def open_path(cls, path: Path, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> SQLiteDatabase:
        """Open (creating it and its folder if needed), set the pragmas and apply pending migrations.

        `busy_timeout_ms` is how long a write waits for another process's lock before it fails.
        Raises DatabaseUnusable for a path that cannot be the database (a folder, not SQLite, …).
        """
        check_location(path)
        try:
            return await cls._open(path, busy_timeout_ms)
        except sqlite3.DatabaseError as error:
            if lasting_problem(error) is None:
                raise  # busy, full: it clears by itself
            raise _unreadable(path, error) from error

    @classmethod
    async def _open(cls, path: Path, busy_timeout_ms: int) -> SQLiteDatabase:
        database = cls(await _connect(path, busy_timeout_ms), path, busy_timeout_ms=busy_timeout_ms)
        try:
            # Only a database not yet created takes a page size; an existing one keeps its own.
            await database.connection.execute(f"PRAGMA page_size = {PAGE_SIZE}")
            await database.connection.execute("PRAGMA journal_mode = WAL")
            await database.migrate()
            if str(path) != MEMORY:
                # Opened after the migrations, so it never sees the schema half-built.
                database.reader = await _connect(path, BUSY_TIMEOUT_MS, query_only=True)
        except BaseException:
            # Every aiosqlite connection is a thread that keeps the process alive until it is closed.
            await database.close()
            raise
        return database

    @classmethod
    async def open_read_only_path(cls, path: Path) -> SQLiteDatabase:
        """Open for reading only, for a user who may read the file but not write it: nothing is migrated
        or seeded, so the schema must already be this version's."""
        try:
            database = cls(await _connect(read_only_uri(path), BUSY_TIMEOUT_MS, query_only=True, uri=True), path)
        except sqlite3.DatabaseError as error:
            raise _unreadable(path, error) from error
        try:
            version, latest = await database.schema_version(), len(available_migrations())
        except BaseException as error:
            await database.close()
            if isinstance(error, sqlite3.DatabaseError):
                raise _unreadable(path, error) from error
            raise
        database.read_only = True
        if version < latest:
            await database.close()
            raise DatabaseUnusable(
                path,
                f"is read-only for this user and needs upgrading (schema {version}, this version uses {latest}): "
                "run any command once as the user that owns it",
            )
        return database

    async def close(self) -> None:
        """Close both connections, even if closing one fails (each is a thread the process waits for)."""
        try:
            if self._inline_reader is not None:
                self._inline_reader.close()
            if self.reader is not self.connection:
                await self.reader.close()
        finally:
            await self.connection.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """One IMMEDIATE transaction: all of it commits, or an exception rolls all of it back.

        Waiting for the lock, behind this process's other writes and then another process's, takes
        `busy_timeout_ms` at most in all, then fails with SQLITE_BUSY: a backlog of writes queued
        behind a long outside lock must not stretch one interaction's wait past Discord's deadline.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.busy_timeout_ms / 1000
        queued = self._write_lock.locked()
        try:
            async with asyncio.timeout_at(deadline):
                await self._write_lock.acquire()
        except TimeoutError:
            raise _busy_error() from None
        try:
            await self._begin(deadline if queued else None)
            yield SQLiteTransaction(self.connection)
            await self.connection.execute("COMMIT")
        except BaseException:
            # BEGIN and COMMIT are inside the try: cancelled while waiting for either, the statement
            # still runs on aiosqlite's thread, and the shared connection must not be left inside a
            # transaction. A failed COMMIT (a full disk) may leave it open too. Where BEGIN failed or
            # COMMIT went through, there is nothing to roll back, and SQLite says so.
            with contextlib.suppress(sqlite3.OperationalError):
                await self.connection.execute("ROLLBACK")
            raise
        finally:
            self._write_lock.release()

    async def _begin(self, deadline: float | None) -> None:
        """BEGIN IMMEDIATE, its wait for another process's lock cut to what is left until `deadline`."""
        if deadline is None:
            await self.connection.execute("BEGIN IMMEDIATE")
            return
        left_ms = max(0, round((deadline - asyncio.get_running_loop().time()) * 1000))
        await self.connection.execute(f"PRAGMA busy_timeout = {left_ms}")
        try:
            await self.connection.execute("BEGIN IMMEDIATE")
        finally:
            await self.connection.execute(f"PRAGMA busy_timeout = {self.busy_timeout_ms}")

    async def schema_version(self) -> int:
        async with self.connection.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def migrate(self) -> int:
        current = await self.schema_version()
        for version, name, script in available_migrations("sqlite"):
            if version <= current:
                continue
            log.info("Applying migration %s", name)
            async with self.transaction() as transaction:
                for statement in split_statements(script):
                    await transaction.execute(statement)
                await transaction.execute(f"PRAGMA user_version = {version}")
            current = version
        return current

    async def data_version(self) -> int:
        """Asked on the writing connection: SQLite's data_version never changes for a connection's own writes."""
        async with self.connection.execute("PRAGMA data_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def table_names(self) -> list[str]:
        # The full-text index and its shadow tables are made from `terms`, not copied.
        rows = await self.fetch_all(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite%' "
            "AND name NOT LIKE 'term_search%' ORDER BY name"
        )
        return [str(row[0]) for row in rows]

    async def fetch_all(self, sql: str, parameters: Sequence[object] = ()) -> list[Row]:
        async with self.reader.execute(sql, parameters) as cursor:
            return list(await cursor.fetchall())

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[Snapshot]:
        # A deferred read transaction: its snapshot is taken at the first read, and in WAL mode writers go on.
        await self.reader.execute("BEGIN")
        try:
            yield SQLiteSnapshot(self.reader)
        finally:
            await self.reader.execute("COMMIT")

    async def column_names(self, table: str) -> list[str]:
        return [str(row[1]) for row in await self.fetch_all(f"PRAGMA table_info({table})")]

    async def fetch_now(self, sql: str, parameters: Sequence[object] = ()) -> list[Row]:
        """Read on the event loop's thread, from a connection of its own: for a read of a fraction of a
        millisecond (a server's names at its first keystroke), the hop to aiosqlite's thread and back waited
        several milliseconds whenever the machine was busy. In WAL mode a reader never waits for a writer.
        An in-memory database (tests) is read the usual way."""
        if str(self.path) == MEMORY:
            return await self.fetch_all(sql, parameters)
        if self._inline_reader is None:
            self._inline_reader = sqlite3.connect(
                f"{self.path.resolve().as_uri()}?mode=ro", uri=True, timeout=INLINE_READ_TIMEOUT_S
            )
        return list(self._inline_reader.execute(sql, parameters).fetchall())

    async def fetch_chunks(self, sql: str, size: int) -> AsyncIterator[list[tuple[Any, ...]]]:
        # Plain tuples, not `Row`s: cheaper to make and to read for a whole table.
        async with self.reader.execute(sql) as cursor:
            cursor.row_factory = None
            while chunk := list(await cursor.fetchmany(size)):
                yield cast("list[tuple[Any, ...]]", chunk)  # typed as `Row`s; without a row factory, tuples


async def _connect(
    path: Path | str, busy_timeout_ms: int, *, query_only: bool = False, uri: bool = False
) -> aiosqlite.Connection:
    """A connection to a path, or with `uri` to a `file:` URI (see `read_only_uri`)."""
    # isolation_level=None: we issue BEGIN/COMMIT ourselves, so a transaction is exactly what we say.
    opening = asyncio.ensure_future(aiosqlite.connect(path, isolation_level=None, uri=uri))
    try:
        connection = await asyncio.shield(opening)
    except asyncio.CancelledError:
        # Cancelled (Ctrl-C) while aiosqlite's thread opens the file: let it finish and close it, or the
        # thread would outlive the event loop and fail handing over its result.
        with contextlib.suppress(Exception):
            await (await opening).close()
        raise
    connection.row_factory = aiosqlite.Row
    pragmas = ["synchronous = NORMAL", "foreign_keys = ON", f"busy_timeout = {busy_timeout_ms}"]
    if query_only:
        pragmas.append("query_only = ON")  # a write sent here by mistake fails instead of racing the writer
    try:
        for pragma in pragmas:
            await connection.execute(f"PRAGMA {pragma}")
    except BaseException:
        await connection.close()
        raise
    return connection
