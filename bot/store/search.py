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
_SEARCH_SQL = (
    "SELECT rowid, name, highlight(term_search, 0, ?, ?), highlight(term_search, 1, ?, ?), "
    f"snippet(term_search, 2, ?, ?, '…', {SNIPPET_TOKENS}), snippet(term_search, 3, ?, ?, '…', {SNIPPET_TOKENS}) "
    "FROM term_search WHERE term_search MATCH ? "
    # A term named (or aliased) exactly what was typed comes first, as /define would resolve it; bm25
    # alone can put "Vision Transformer", whose explanation repeats the word, above "Transformer".
    "ORDER BY rowid IN (SELECT term_id FROM term_names WHERE key = ?) DESC, "
    f"{_RANK}, name COLLATE NOCASE, rowid LIMIT ? OFFSET ?"
)


class SearchStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def search(self, query: SearchQuery, page: int = 1) -> SearchPage:
        """One page of hits, best first; a page past the end shows the last one (the glossary may
        have shrunk since a Next button was drawn)."""
        if not query:
            return SearchPage(query, 1, 0, ())
        row = await self.database.fetch_one("SELECT count(*) FROM term_search WHERE term_search MATCH ?", (query.fts,))
        total = int(row[0]) if row else 0
        page = min(max(page, 1), page_count(total))
        if total == 0:
            return SearchPage(query, page, 0, ())
        rows = await self.database.fetch_all(
            _SEARCH_SQL, (*_MARKS, *_MARKS, *_MARKS, *_MARKS, query.fts, query.key, PAGE_SIZE, (page - 1) * PAGE_SIZE)
        )
        hits = tuple(SearchRow(row[0], row[1], row[2] or "", row[3] or "", row[4] or "", row[5] or "") for row in rows)
        return SearchPage(query, page, total, hits)

    async def random_term_id(self, category: str | None = None) -> int | None:
        """A random term, of `category` (any case) if given; None if there is none."""
        # ORDER BY random() reads every candidate id, but from the narrow category index, not the rows.
        if category is None:
            value = await self.database.fetch_value(
                "SELECT id FROM terms INDEXED BY terms_by_category ORDER BY random() LIMIT 1"
            )
        else:
            value = await self.database.fetch_value(
                "SELECT id FROM terms WHERE category = ? COLLATE NOCASE ORDER BY random() LIMIT 1", (category,)
            )
        return value if isinstance(value, int) else None

    async def categories(self) -> list[tuple[str, int]]:
        """(category, number of terms) for every category in use, by name."""
        rows = await self.database.fetch_all(
            "SELECT category, count(*) FROM terms WHERE category IS NOT NULL AND category <> '' "
            "GROUP BY category COLLATE NOCASE ORDER BY category COLLATE NOCASE"
        )
        return [(row[0], row[1]) for row in rows]

    async def definitions(self, term_ids: Sequence[int]) -> dict[int, tuple[str, str]]:
        """term id -> (name, definition) for those of `term_ids` that still exist."""
        if not term_ids:
            return {}
        marks = ", ".join("?" for _ in term_ids)
        rows = await self.database.fetch_all(
            f"SELECT id, name, definition FROM terms WHERE id IN ({marks})", tuple(term_ids)
        )
        return {row[0]: (row[1], row[2]) for row in rows}
