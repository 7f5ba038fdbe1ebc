"""The SQLite connection: pragmas, numbered migrations and write transactions.

One aiosqlite connection serves the whole bot. SQLite allows one writer at a time, so writes go
through `transaction()`, which holds an asyncio lock and an IMMEDIATE transaction: a coroutine
never sees another coroutine's half-finished write, and a crash leaves either all of it or none.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path

import aiosqlite

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5_000
"""How long a statement waits for another process's lock (a backup, the CLI) before failing."""
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


class Database:
    def __init__(self, connection: aiosqlite.Connection, path: Path) -> None:
        self.connection = connection
        self.path = path
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path) -> Database:
        """Open (creating it and its folder if needed), set the pragmas and apply pending migrations."""
        if str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: we issue BEGIN/COMMIT ourselves, so a transaction is exactly what we say.
        connection = await aiosqlite.connect(path, isolation_level=None)
        connection.row_factory = aiosqlite.Row
        for pragma in (
            "journal_mode = WAL",
            "synchronous = NORMAL",
            "foreign_keys = ON",
            f"busy_timeout = {BUSY_TIMEOUT_MS}",
        ):
            await connection.execute(f"PRAGMA {pragma}")
        database = cls(connection, path)
        await database.migrate()
        return database

    async def close(self) -> None:
        await self.connection.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._write_lock:
            await self.connection.execute("BEGIN IMMEDIATE")
            try:
                yield self.connection
            except BaseException:
                await self.connection.execute("ROLLBACK")
                raise
            await self.connection.execute("COMMIT")

    async def schema_version(self) -> int:
        async with self.connection.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def migrate(self) -> int:
        """Apply every migration newer than the stored version, each in its own transaction."""
        current = await self.schema_version()
        for version, name, script in available_migrations():
            if version <= current:
                continue
            log.info("Applying migration %s", name)
            async with self.transaction() as connection:
                for statement in split_statements(script):
                    await connection.execute(statement)
                await connection.execute(f"PRAGMA user_version = {version}")
            current = version
        return current

    async def get_meta(self, key: str) -> str | None:
        value = await self.fetch_value("SELECT value FROM meta WHERE key = ?", (key,))
        return None if value is None else str(value)

    async def set_meta(self, key: str, value: str) -> None:
        async with self.transaction() as connection:
            await connection.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    async def fetch_value(self, sql: str, parameters: tuple[object, ...] = ()) -> object:
        async with self.connection.execute(sql, parameters) as cursor:
            row = await cursor.fetchone()
        return row[0] if row else None

    async def fetch_all(self, sql: str, parameters: tuple[object, ...] = ()) -> list[aiosqlite.Row]:
        async with self.connection.execute(sql, parameters) as cursor:
            return list(await cursor.fetchall())

    async def fetch_one(self, sql: str, parameters: tuple[object, ...] = ()) -> aiosqlite.Row | None:
        async with self.connection.execute(sql, parameters) as cursor:
            return await cursor.fetchone()


def available_migrations() -> list[tuple[int, str, str]]:
    """(version, file name, SQL) of every migration shipped in bot/store/migrations, in order."""
    folder = resources.files("bot.store") / "migrations"
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
    """Split a migration into statements (executescript would commit behind our back)."""
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
