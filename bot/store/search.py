"""Discovery reads: full-text search (FTS5, migration 0004), random terms, categories, definitions.

The FTS5 index follows every write to `terms` and `term_names` through triggers, so nothing here
writes, and a search always sees the glossary as committed.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.search import (
    HIGHLIGHT_CLOSE,
    HIGHLIGHT_OPEN,
    PAGE_SIZE,
    SearchPage,
    SearchQuery,
    SearchRow,
    page_count,
)
from bot.store.db import Database

NAME_WEIGHT = 10.0
ALIAS_WEIGHT = 8.0
DEFINITION_WEIGHT = 2.0
DESCRIPTION_WEIGHT = 1.0
"""bm25 column weights, in the index's column order: a word in a name or alias says far more about
what a term is than the same word somewhere in a paragraph about it."""
SNIPPET_TOKENS = 16
"""Words of context in a definition or explanation snippet (FTS5 allows up to 64)."""

_RANK = f"bm25(term_search, {NAME_WEIGHT}, {ALIAS_WEIGHT}, {DEFINITION_WEIGHT}, {DESCRIPTION_WEIGHT})"
_MARKS = (HIGHLIGHT_OPEN, HIGHLIGHT_CLOSE)
_VISIBLE = "EXISTS (SELECT 1 FROM terms WHERE id = term_search.rowid AND (guild_id IS NULL OR guild_id = ?))"
"""Shared terms, and those of the server asked in (a NULL guild: none), read per hit by the primary key."""
_SEARCH_SQL = (
    "SELECT rowid, name, highlight(term_search, 0, ?, ?), highlight(term_search, 1, ?, ?), "
    f"snippet(term_search, 2, ?, ?, '…', {SNIPPET_TOKENS}), snippet(term_search, 3, ?, ?, '…', {SNIPPET_TOKENS}) "
    f"FROM term_search WHERE term_search MATCH ? AND {_VISIBLE} "
    # A term named (or aliased) exactly what was typed comes first, as /define would resolve it; bm25
    # alone can put "Vision Transformer", whose explanation repeats the word, above "Transformer".
    "ORDER BY rowid IN (SELECT term_id FROM term_names WHERE scope_id IN (0, ?) AND key = ?) DESC, "
    f"{_RANK}, name COLLATE NOCASE, rowid LIMIT ? OFFSET ?"
)


class SearchStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def search(self, query: SearchQuery, page: int = 1, *, guild_id: int | None = None) -> SearchPage:
        """One page of hits among the terms visible in `guild_id` (None: the shared ones), best first; a page
        past the end shows the last one (the glossary may have shrunk since a Next button was drawn)."""
        if not query:
            return SearchPage(query, 1, 0, ())
        row = await self.database.fetch_one(
            f"SELECT count(*) FROM term_search WHERE term_search MATCH ? AND {_VISIBLE}", (query.fts, guild_id)
        )
        total = int(row[0]) if row else 0
        page = min(max(page, 1), page_count(total))
        if total == 0:
            return SearchPage(query, page, 0, ())
        rows = await self.database.fetch_all(
            _SEARCH_SQL,
            (
                *_MARKS,
                *_MARKS,
                *_MARKS,
                *_MARKS,
                query.fts,
                guild_id,
                guild_id or 0,
                query.key,
                PAGE_SIZE,
                (page - 1) * PAGE_SIZE,
            ),
        )
        hits = tuple(SearchRow(row[0], row[1], row[2] or "", row[3] or "", row[4] or "", row[5] or "") for row in rows)
        return SearchPage(query, page, total, hits)

    async def random_term_id(self, category: str | None = None, *, guild_id: int | None = None) -> int | None:
        """A random term among those visible in `guild_id`, of `category` (any case) if given; None if none."""
        # ORDER BY random() reads every candidate id, but from the narrow category indexes, not the rows.
        of_category = "" if category is None else " AND category = ? COLLATE NOCASE"
        given = () if category is None else (category,)
        value = await self.database.fetch_value(
            f"SELECT id FROM (SELECT id FROM terms INDEXED BY terms_shared_by_category WHERE guild_id IS NULL"
            f"{of_category} UNION ALL SELECT id FROM terms WHERE guild_id = ?{of_category}) ORDER BY random() LIMIT 1",
            (*given, guild_id, *given),
        )
        return value if isinstance(value, int) else None

    async def categories(self, *, guild_id: int | None = None) -> list[tuple[str, int]]:
        """(category, number of terms) for every category in use among the terms visible in `guild_id`, by name."""
        rows = await self.database.fetch_all(
            "SELECT category, count(*) FROM (SELECT category FROM terms INDEXED BY terms_shared_by_category "
            "WHERE guild_id IS NULL UNION ALL SELECT category FROM terms WHERE guild_id = ?) "
            "WHERE category IS NOT NULL AND category <> '' "
            "GROUP BY category COLLATE NOCASE ORDER BY category COLLATE NOCASE",
            (guild_id,),
        )
        return [(row[0], row[1]) for row in rows]

    async def definitions(self, term_ids: Sequence[int], *, guild_id: int | None = None) -> dict[int, tuple[str, str]]:
        """term id -> (name, definition) for those of `term_ids` that still exist and are visible in `guild_id`."""
        if not term_ids:
            return {}
        marks = ", ".join("?" for _ in term_ids)
        rows = await self.database.fetch_all(
            f"SELECT id, name, definition FROM terms WHERE id IN ({marks}) AND (guild_id IS NULL OR guild_id = ?)",
            (*term_ids, guild_id),
        )
        return {row[0]: (row[1], row[2]) for row in rows}
