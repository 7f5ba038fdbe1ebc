"""Servers' own glossaries: their rows for a server's matching index, their size, their settings, a wipe.

A server's entries live in `terms` beside the shared ones (`guild_id` set; migration 0008), so /define,
buttons, search and the change history treat them alike; what is only about servers is here.
"""

from __future__ import annotations

from bot.core.index import IndexRow
from bot.core.scoped import NameHit
from bot.store.db import Database

_PREFIX_SQL = (
    "SELECT n.term_id, n.key, n.text, n.is_alias, t.name FROM term_names n JOIN terms t ON t.id = n.term_id "
    # substr rather than a range of keys: a range's end depends on the database's collation (PostgreSQL's
    # may not sort by code point), and a server's names are few, found by the key's scope_id prefix.
    "WHERE n.scope_id = ? AND substr(n.key, 1, ?) = ? ORDER BY t.lookups DESC, n.key LIMIT ?"
)
_INDEX_ROWS_SQL = (
    "SELECT n.term_id, n.text, n.is_alias, t.lookups FROM term_names n JOIN terms t ON t.id = n.term_id "
    "WHERE n.scope_id = ? ORDER BY n.term_id, n.position"
)


class ServerStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def index_rows(self, guild_id: int) -> list[IndexRow]:
        """A server's terms for its matching index, in one statement (its names are keyed by the server, so
        they are one range of the key).

        This read is most of what the first keystroke in a server costs: `fetch_now` makes it as quick as
        the database can (on SQLite, read on the event loop's thread).
        """
        rows = await self.database.fetch_now(_INDEX_ROWS_SQL, (guild_id,))
        terms: dict[int, tuple[str, list[str], int]] = {}
        for term_id, text, is_alias, lookups in rows:
            if is_alias:
                terms[term_id][1].append(text)  # after the name: position 0 is the name
            else:
                terms[term_id] = (text, [], lookups)
        return [(term_id, name, tuple(aliases), lookups) for term_id, (name, aliases, lookups) in terms.items()]

    async def names_starting_with(self, guild_id: int, key: str, limit: int) -> list[NameHit]:
        """A server's names and aliases whose lookup key starts with `key`, most looked-up terms first
        (read like `index_rows`)."""
        parameters = (guild_id, len(key), key, limit)
        rows = await self.database.fetch_now(_PREFIX_SQL, parameters)
        return [NameHit(term_id, key, text, bool(is_alias), name) for term_id, key, text, is_alias, name in rows]

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
        async with self.database.transaction() as transaction:
            await transaction.execute(
                "INSERT INTO server_settings (guild_id, editor_role_id) VALUES (?, ?) "
                "ON CONFLICT (guild_id) DO UPDATE SET editor_role_id = excluded.editor_role_id",
                (guild_id, role_id),
            )

    async def wipe(self, guild_id: int) -> int:
        """Delete every entry of the server (names, relations and counts cascade); how many there were.

        The change history and the misses stay: they are the server's record, shown nowhere else.
        """
        async with self.database.transaction() as transaction:
            return await transaction.execute("DELETE FROM terms WHERE guild_id = ?", (guild_id,))
