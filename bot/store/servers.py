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
        """A server's terms for its matching index, in one statement: this read is most of what the first
        keystroke in a server costs (its names are keyed by the server, so it is one range of the key)."""
        rows = await self.database.fetch_all(
            "SELECT n.term_id, n.text, n.is_alias, t.lookups FROM term_names n JOIN terms t ON t.id = n.term_id "
            "WHERE n.scope_id = ? ORDER BY n.term_id, n.position",
            (guild_id,),
        )
        terms: dict[int, tuple[str, list[str], int]] = {}
        for term_id, text, is_alias, lookups in rows:
            if is_alias:
                terms[term_id][1].append(text)  # after the name: position 0 is the name
            else:
                terms[term_id] = (text, [], lookups)
        return [(term_id, name, tuple(aliases), lookups) for term_id, (name, aliases, lookups) in terms.items()]

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
