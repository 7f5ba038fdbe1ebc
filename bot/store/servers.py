"""Servers' own glossaries: their rows for a server's matching index, their size, their settings, a wipe.

A server's entries live in `terms` beside the shared ones (`guild_id` set; migration 0008), so /define,
buttons, search and the change history treat them alike; what is only about servers is here.
"""

from __future__ import annotations

from bot.store.db import Database

IndexRow = tuple[int, str, tuple[str, ...], int]
"""(term id, name, aliases, lookups): what `GlossaryIndex.build` takes."""


class ServerStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def index_rows(self, guild_id: int) -> list[IndexRow]:
        """A server's terms for its matching index: two range reads (its names are keyed by the server)."""
        aliases: dict[int, tuple[str, ...]] = {}
        for term_id, text in await self.database.fetch_all(
            "SELECT term_id, text FROM term_names WHERE scope_id = ? AND is_alias = 1 ORDER BY term_id, position",
            (guild_id,),
        ):
            aliases[term_id] = (*aliases.get(term_id, ()), text)
        rows = await self.database.fetch_all(
            "SELECT id, name, lookups FROM terms WHERE guild_id = ? ORDER BY id", (guild_id,)
        )
        return [(term_id, name, aliases.get(term_id, ()), lookups) for term_id, name, lookups in rows]

    async def count_terms(self, guild_id: int) -> int:
        count = await self.database.fetch_value("SELECT count(*) FROM terms WHERE guild_id = ?", (guild_id,))
        return count if isinstance(count, int) else 0

    async def guild_of(self, term_id: int) -> int | None:
        """The server a term belongs to (None: the shared glossary, or no such term)."""
        value = await self.database.fetch_value("SELECT guild_id FROM terms WHERE id = ?", (term_id,))
        return value if isinstance(value, int) else None

    async def editor_role(self, guild_id: int) -> int | None:
        value = await self.database.fetch_value(
            "SELECT editor_role_id FROM server_settings WHERE guild_id = ?", (guild_id,)
        )
        return value if isinstance(value, int) else None

    async def set_editor_role(self, guild_id: int, role_id: int | None) -> None:
        async with self.database.transaction() as connection:
            await connection.execute(
                "INSERT INTO server_settings (guild_id, editor_role_id) VALUES (?, ?) "
                "ON CONFLICT (guild_id) DO UPDATE SET editor_role_id = excluded.editor_role_id",
                (guild_id, role_id),
            )

    async def wipe(self, guild_id: int) -> int:
        """Delete every entry of the server (names, relations and counts cascade); how many there were.

        The change history and the misses stay: they are the server's record, shown nowhere else.
        """
        async with self.database.transaction() as connection:
            cursor = await connection.execute("DELETE FROM terms WHERE guild_id = ?", (guild_id,))
            return cursor.rowcount
