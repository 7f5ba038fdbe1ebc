"""Discovery reads: full-text search (migration 0004), random terms, categories, definitions.

SQLite searches with FTS5, PostgreSQL with a tsvector column and its GIN index; both follow every write
to `terms` and `term_names` by themselves, so nothing here writes, and a search always sees the glossary
as committed. The two rank alike (name over alias over definition over explanation, an exact name
first), so the same query finds the same best hit on both.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.search import (
    HIGHLIGHT_CLOSE,
    HIGHLIGHT_OPEN,
    MIN_PREFIX_WORD_CHARS,
    PAGE_SIZE,
    SearchPage,
    SearchQuery,
    SearchRow,
    page_count,
)
from bot.store.db import Database, Row

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
_EXACT_FIRST = "IN (SELECT term_id FROM term_names WHERE scope_id IN (0, ?) AND key = ?) DESC"
"""A term named (or aliased) exactly what was typed comes first, as /define would resolve it; the ranking
alone can put "Vision Transformer", whose explanation repeats the word, above "Transformer"."""
_SQLITE_COUNT = f"SELECT count(*) FROM term_search WHERE term_search MATCH ? AND {_VISIBLE}"
_SQLITE_SEARCH = (
    "SELECT rowid, name, highlight(term_search, 0, ?, ?), highlight(term_search, 1, ?, ?), "
    f"snippet(term_search, 2, ?, ?, '…', {SNIPPET_TOKENS}), snippet(term_search, 3, ?, ?, '…', {SNIPPET_TOKENS}) "
    f"FROM term_search WHERE term_search MATCH ? AND {_VISIBLE} "
    f"ORDER BY rowid {_EXACT_FIRST}, {_RANK}, name COLLATE NOCASE, rowid LIMIT ? OFFSET ?"
)

# PostgreSQL: each word matches as itself stemmed (websearch_to_tsquery) or, from two letters on, as the start
# of a word (`word:*`), as FTS5's `"word"*` does; every word must match. Words are letters and digits only
# (bot/core/search.py), passed as an array parameter, never as SQL.
_PG_QUERY = (
    "(SELECT tsquery_and_all(websearch_to_tsquery('english', search_text(w)) || CASE WHEN length(w) >= "
    f"{MIN_PREFIX_WORD_CHARS} THEN to_tsquery('simple', quote_literal(search_text(w)) || ':*') "
    "ELSE ''::tsquery END) FROM unnest(?::text[]) AS w)"
)
_PG_RANK = f"ts_rank('{{{DESCRIPTION_WEIGHT / NAME_WEIGHT}, {DEFINITION_WEIGHT / NAME_WEIGHT}, "
_PG_RANK += f"{ALIAS_WEIGHT / NAME_WEIGHT}, 1}}', t.search, q.query)"
_PG_VISIBLE = "(t.guild_id IS NULL OR t.guild_id = ?)"
_PG_COUNT = f"SELECT count(*) FROM terms t, {_PG_QUERY} q(query) WHERE t.search @@ q.query AND {_PG_VISIBLE}"
_PG_SEARCH = (
    "SELECT t.id, t.name, ts_headline('english', t.name, q.query, ?), "
    "ts_headline('english', t.alias_text, q.query, ?), ts_headline('english', t.definition, q.query, ?), "
    "ts_headline('english', t.description, q.query, ?) "
    f"FROM terms t, {_PG_QUERY} q(query) WHERE t.search @@ q.query AND {_PG_VISIBLE} "
    f"ORDER BY t.id {_EXACT_FIRST}, {_PG_RANK} DESC, t.name COLLATE nocase, t.id LIMIT ? OFFSET ?"
)
_PG_MARKS = f'StartSel="{HIGHLIGHT_OPEN}", StopSel="{HIGHLIGHT_CLOSE}"'
_PG_WHOLE = f"{_PG_MARKS}, HighlightAll=true"
_PG_SNIPPET = f"{_PG_MARKS}, MaxWords={SNIPPET_TOKENS}, MinWords={SNIPPET_TOKENS // 2}, ShortWord=0"
_SHARED_TERMS = {
    "sqlite": "terms INDEXED BY terms_shared_by_category",  # SQLite would otherwise scan the whole table
    "postgresql": "terms",
}


class SearchStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def search(self, query: SearchQuery, page: int = 1, *, guild_id: int | None = None) -> SearchPage:
        """One page of hits among the terms visible in `guild_id` (None: the shared ones), best first; a page
        past the end shows the last one (the glossary may have shrunk since a Next button was drawn)."""
        if not query:
            return SearchPage(query, 1, 0, ())
        found = self._search_postgres if self.database.dialect == "postgresql" else self._search_sqlite
        total, page, rows = await found(query, page, guild_id)
        hits = tuple(SearchRow(row[0], row[1], row[2] or "", row[3] or "", row[4] or "", row[5] or "") for row in rows)
        return SearchPage(query, page, total, hits)

    async def _search_sqlite(self, query: SearchQuery, page: int, guild_id: int | None) -> tuple[int, int, list[Row]]:
        """(total hits, the page shown, its rows), the page clamped to the last one."""
        total = int(await self.database.fetch_value(_SQLITE_COUNT, (query.fts, guild_id)) or 0)
        page = min(max(page, 1), page_count(total))
        if total == 0:
            return total, page, []
        marks = (*_MARKS, *_MARKS, *_MARKS, *_MARKS)
        parameters = (*marks, query.fts, guild_id, guild_id or 0, query.key, PAGE_SIZE, (page - 1) * PAGE_SIZE)
        return total, page, await self.database.fetch_all(_SQLITE_SEARCH, parameters)

    async def _search_postgres(self, query: SearchQuery, page: int, guild_id: int | None) -> tuple[int, int, list[Row]]:
        words = list(query.words)
        total = int(await self.database.fetch_value(_PG_COUNT, (words, guild_id)) or 0)
        page = min(max(page, 1), page_count(total))
        if total == 0:
            return total, page, []
        parameters = (
            *(_PG_WHOLE, _PG_WHOLE, _PG_SNIPPET, _PG_SNIPPET),
            words,
            guild_id,
            guild_id or 0,
            query.key,
            PAGE_SIZE,
            (page - 1) * PAGE_SIZE,
        )
        return total, page, await self.database.fetch_all(_PG_SEARCH, parameters)

    async def random_term_id(self, category: str | None = None, *, guild_id: int | None = None) -> int | None:
        """A random term among those visible in `guild_id`, of `category` (any case) if given; None if none."""
        # ORDER BY random() reads every candidate id, but from the narrow category indexes, not the rows.
        of_category = "" if category is None else " AND category = ? COLLATE NOCASE"
        given = () if category is None else (category,)
        value = await self.database.fetch_value(
            f"SELECT id FROM (SELECT id FROM {_SHARED_TERMS[self.database.dialect]} WHERE guild_id IS NULL"
            f"{of_category} UNION ALL SELECT id FROM terms WHERE guild_id = ?{of_category}) AS visible "
            "ORDER BY random() LIMIT 1",
            (*given, guild_id, *given),
        )
        return value if isinstance(value, int) else None

    async def categories(self, *, guild_id: int | None = None) -> list[tuple[str, int]]:
        """(category, number of terms) for every category in use among the terms visible in `guild_id`, by name."""
        rows = await self.database.fetch_all(
            f"SELECT min(category), count(*) FROM (SELECT category FROM {_SHARED_TERMS[self.database.dialect]} "
            "WHERE guild_id IS NULL UNION ALL SELECT category FROM terms WHERE guild_id = ?) AS visible "
            "WHERE category IS NOT NULL AND category <> '' "
            "GROUP BY category COLLATE NOCASE ORDER BY min(category) COLLATE NOCASE",
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
