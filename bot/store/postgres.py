"""PostgreSQL, through asyncpg: one database for several bot processes (and the CLI beside them).

The store's SQL is written with `?` placeholders; `to_postgres` numbers them ($1, $2, …) once per
statement text. A pool of a few connections serves reads concurrently. Writes keep SQLite's discipline:
one write transaction at a time for the whole database, in this process by an asyncio lock and across
processes by a transaction-scoped advisory lock taken first, so a transaction that reads and then writes
(a name check before an insert, a claim before a send) sees no other process's write in between, as it
would on SQLite. Waiting for it takes `busy_timeout_ms` at most (lock_timeout), then fails as "busy".
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Any, ClassVar
from urllib.parse import urlsplit

import asyncpg

from bot.store.db import (
    BUSY_TIMEOUT_MS,
    Database,
    DatabaseUnusable,
    Dialect,
    Row,
    Snapshot,
    Transaction,
    available_migrations,
    redact,
)

log = logging.getLogger(__name__)

POOL_SIZE = 4
"""Connections per process: reads run side by side; writes take one at a time."""
CONNECT_TIMEOUT_S = 10
WRITE_LOCK_KEY = 0x676C6F73
CHANGES_CHANNEL = "glossary_changes"
"""Where migration 0010's triggers announce a committed change to the glossary's names."""
CONNECTION_LOST = (
    asyncpg.PostgresConnectionError,
    asyncpg.AdminShutdownError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
)
"""How a query on a connection the server ended fails (asyncpg's InternalClientError: mid-protocol)."""
RELISTEN_FIRST_S = 0.2
RELISTEN_MAX_S = 5.0
"""The advisory lock every write transaction holds (any fixed number; this one spells "glos")."""
_UNAVAILABLE: tuple[tuple[type[BaseException], str], ...] = (
    (asyncpg.LockNotAvailableError, "the database is busy: another program is writing to it"),
    (asyncpg.DiskFullError, "the database is full: its disk has no space left"),
    (asyncpg.TooManyConnectionsError, "the database server has no connection to spare"),
    (asyncpg.CannotConnectNowError, "the database server is starting or stopping"),
    (asyncpg.AdminShutdownError, "the database server is restarting"),
    (asyncpg.PostgresConnectionError, "the connection to the database server was lost"),
    (asyncpg.InterfaceError, "the connection to the database server was lost"),
    (ConnectionRefusedError, "the database server cannot be reached"),
)
_LASTING: tuple[tuple[type[BaseException], str], ...] = (
    (asyncpg.InvalidCatalogNameError, "names a database that does not exist (create it first, see README)"),
    (asyncpg.InvalidPasswordError, "was refused: wrong user or password"),
    (asyncpg.InvalidAuthorizationSpecificationError, "was refused: this user may not connect"),
    (asyncpg.InsufficientPrivilegeError, "does not let this user create or change the bot's tables"),
)


def unavailable_reason(error: BaseException) -> str | None:
    return next((reason for kind, reason in _UNAVAILABLE if isinstance(error, kind)), None)


def lasting_problem(error: BaseException) -> str | None:
    return next((reason for kind, reason in _LASTING if isinstance(error, kind)), None)


def is_database_error(error: BaseException) -> bool:
    return isinstance(error, asyncpg.PostgresError | asyncpg.InterfaceError | ConnectionRefusedError)


@lru_cache(maxsize=2048)
def to_postgres(sql: str) -> str:
    """`sql` with its `?` placeholders numbered as PostgreSQL wants them; quoted text is left alone."""
    out: list[str] = []
    number = 0
    quote: str | None = None
    for char in sql:
        if quote is not None:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "?":
            number += 1
            out.append(f"${number}")
            continue
        out.append(char)
    return "".join(out)


def _hide_password(url: str, text: str) -> str:
    """A driver's message that may quote the URL, without the password."""
    password = urlsplit(url).password
    return text.replace(password, "***") if password else text


def _changed_rows(status: str) -> int:
    """Rows a statement changed, from its status ("UPDATE 3", "INSERT 0 1"); 0 for others ("CREATE TABLE")."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


class PostgresTransaction(Transaction):
    def __init__(self, connection: Any) -> None:
        self.connection = connection

    async def execute(self, sql: str, parameters: Sequence[object] = ()) -> int:
        # Without parameters asyncpg sends the text as it is, which may hold several statements (a migration).
        if not parameters:
            return _changed_rows(await self.connection.execute(sql))
        return _changed_rows(await self.connection.execute(to_postgres(sql), *parameters))

    async def execute_many(self, sql: str, rows: Iterable[Sequence[object]]) -> None:
        rows = list(rows)
        if rows:
            await self.connection.executemany(to_postgres(sql), rows)

    async def fetch_all(self, sql: str, parameters: Sequence[object] = ()) -> list[Row]:
        return list(await self.connection.fetch(to_postgres(sql), *parameters))

    async def insert_rows(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
        await self.connection.copy_records_to_table(table, records=rows, columns=list(columns))


class PostgresSnapshot(Snapshot):
    def __init__(self, connection: Any) -> None:
        self.connection = connection

    async def fetch_value(self, sql: str) -> Any:
        return await self.connection.fetchval(sql)

    async def fetch_chunks(self, sql: str, size: int) -> AsyncIterator[Sequence[Sequence[Any]]]:
        cursor = await self.connection.cursor(sql)
        while chunk := await cursor.fetch(size):
            yield chunk


class PostgresDatabase(Database):
    dialect: ClassVar[Dialect] = "postgresql"

    def __init__(self, pool: Any, url: str, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> None:
        self.pool = pool
        self.url = url
        self.busy_timeout_ms = busy_timeout_ms
        self._write_lock = asyncio.Lock()
        self._listener: Any = None
        """The connection LISTENing on CHANGES_CHANNEL (see `watch_changes`); kept out of the pool."""
        self._on_change: Callable[[], None] | None = None
        self._relisten_task: asyncio.Task[None] | None = None
        self._closing = False

    def describe(self) -> str:
        return f"PostgreSQL at {redact(self.url)}"

    async def watch_changes(self, on_change: Callable[[], None]) -> bool:
        """LISTEN on CHANGES_CHANNEL (the triggers of migration 0010 NOTIFY it when a change commits). A lost
        connection is made again at once, and then `on_change` is called anyway: a change may have
        committed while nobody listened, and a stale index must not go unnoticed."""
        self._on_change = on_change
        await self._listen()
        return True

    async def _listen(self) -> None:
        connection = await asyncpg.connect(self.url, timeout=CONNECT_TIMEOUT_S)
        await connection.add_listener(CHANGES_CHANNEL, self._notified)
        connection.add_termination_listener(self._listener_lost)
        self._listener = connection

    def _notified(self, *_: object) -> None:
        if self._on_change is not None:
            self._on_change()

    def _listener_lost(self, *_: object) -> None:
        if self._closing:
            return
        log.warning("lost the connection that hears other processes' glossary changes: connecting again")
        self._relisten_task = asyncio.get_running_loop().create_task(self._relisten(), name="relisten")

    async def _relisten(self) -> None:
        # Most likely the server restarted, or dropped every connection: the pool's are gone too, and each
        # would fail one query before the pool noticed. New ones for every next query instead.
        await self.pool.expire_connections()
        delay = RELISTEN_FIRST_S
        while not self._closing:
            try:
                await self._listen()
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                log.warning("cannot listen for glossary changes yet (%s): trying again in %.1f s", error, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RELISTEN_MAX_S)
                continue
            log.info("listening for glossary changes again: reloading what may have changed meanwhile")
            self._notified()
            return

    @classmethod
    async def open_url(cls, url: str, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> PostgresDatabase:
        """Connect and apply pending migrations. Raises DatabaseUnusable for a database that cannot be used now:
        one that refuses us or does not exist, or a server that does not answer."""
        try:
            pool = await asyncpg.create_pool(
                url, min_size=1, max_size=POOL_SIZE, timeout=CONNECT_TIMEOUT_S, command_timeout=None
            )
        except (asyncpg.PostgresError, asyncpg.InterfaceError, ValueError) as error:
            problem = lasting_problem(error) or f"cannot be used ({_hide_password(url, str(error))})"
            raise DatabaseUnusable(redact(url), problem) from None
        except (OSError, TimeoutError) as error:
            raise DatabaseUnusable(redact(url), f"cannot be reached ({error or 'timed out'})") from None
        database = cls(pool, url, busy_timeout_ms=busy_timeout_ms)
        try:
            await database.migrate()
        except BaseException as error:
            await database.close()
            lasting = lasting_problem(error)
            if lasting is not None:
                raise DatabaseUnusable(redact(url), lasting) from None
            raise
        return database

    async def close(self) -> None:
        self._closing = True
        if self._relisten_task is not None:
            self._relisten_task.cancel()
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.close(timeout=CONNECT_TIMEOUT_S)
        await self.pool.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.busy_timeout_ms / 1000
        try:
            async with asyncio.timeout_at(deadline):
                await self._write_lock.acquire()
        except TimeoutError:
            raise asyncpg.LockNotAvailableError("waited too long for this process's other writes") from None
        try:
            async with self.pool.acquire() as connection, connection.transaction():
                left_ms = max(1, round((deadline - loop.time()) * 1000))
                await connection.execute(f"SET LOCAL lock_timeout = {left_ms}")
                await connection.execute("SELECT pg_advisory_xact_lock($1)", WRITE_LOCK_KEY)
                yield PostgresTransaction(connection)
        finally:
            self._write_lock.release()

    async def fetch_all(self, sql: str, parameters: Sequence[object] = ()) -> list[Row]:
        try:
            return list(await self.pool.fetch(to_postgres(sql), *parameters))
        except CONNECTION_LOST:
            # A pooled connection the server ended (a restart) fails once before the pool notices; a read
            # can safely go again, on new connections.
            log.warning("a connection to the database was lost: reading again on a new one")
            await self.pool.expire_connections()
            return list(await self.pool.fetch(to_postgres(sql), *parameters))

    async def fetch_chunks(self, sql: str, size: int) -> AsyncIterator[list[tuple[Any, ...]]]:
        # Records unpack and index like tuples; making tuples of them would only cost time.
        rows = await self.pool.fetch(sql)
        for start in range(0, len(rows), size):
            yield rows[start : start + size]

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[Snapshot]:
        async with (
            self.pool.acquire() as connection,
            connection.transaction(isolation="repeatable_read", readonly=True),
        ):
            yield PostgresSnapshot(connection)

    async def column_names(self, table: str) -> list[str]:
        rows = await self.fetch_all(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
            "AND table_name = ? AND is_generated = 'NEVER' ORDER BY ordinal_position",
            (table,),
        )
        return [str(row[0]) for row in rows]

    async def schema_version(self) -> int:
        if await self.fetch_value("SELECT to_regclass('schema_version') IS NOT NULL") is not True:
            return 0
        value = await self.fetch_value("SELECT max(version) FROM schema_version")
        return int(value or 0)

    async def migrate(self) -> int:
        current = 0
        for version, name, script in available_migrations("postgresql"):
            # Each in its own transaction, which holds the write lock: processes starting together migrate once.
            async with self.transaction() as transaction:
                await transaction.execute("CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)")
                current = int(await transaction.fetch_value("SELECT coalesce(max(version), 0) FROM schema_version"))
                if version <= current:
                    continue
                log.info("Applying migration %s (PostgreSQL)", name)
                await transaction.execute(script)
                await transaction.execute("DELETE FROM schema_version")
                await transaction.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))
                current = version
        return current

    async def data_version(self) -> int:
        return 0  # changes reach other processes by LISTEN/NOTIFY, not by polling

    async def table_names(self) -> list[str]:
        rows = await self.fetch_all(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename <> 'schema_version' "
            "ORDER BY tablename"
        )
        return [str(row[0]) for row in rows]
