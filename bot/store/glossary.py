"""Terms, names, aliases and relations; lookups counted, misses recorded.

Every multi-row change runs in one transaction, so the glossary is never seen half-changed.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.core.entry import Entry
from bot.core.normalize import MAX_QUERY_CHARS, lookup_key
from bot.core.render import TermView
from bot.core.schedule import iso_week_of
from bot.store.db import Database, Transaction
from bot.store.entry_writer import ApplyReport, EntryWriter, Mode

SEED_DIGEST_KEY = "seed_digest"
_TERM_VIEW_SQL = {
    "sqlite": """
SELECT t.id, t.name, t.definition, t.description, t.category, t.url,
    (SELECT json_group_array(text) FROM
        (SELECT text FROM term_names WHERE term_id = t.id AND is_alias = 1 ORDER BY position)),
    (SELECT json_group_array(json_array(related_id, name)) FROM
        (SELECT r.related_id, rt.name FROM relations r JOIN terms rt ON rt.id = r.related_id
         WHERE r.term_id = t.id ORDER BY r.position))
FROM terms t WHERE t.id = ? AND (t.guild_id IS NULL OR t.guild_id = ?)
""",
    "postgresql": """
SELECT t.id, t.name, t.definition, t.description, t.category, t.url,
    (SELECT coalesce(json_agg(text ORDER BY position), '[]')::text
        FROM term_names WHERE term_id = t.id AND is_alias = 1),
    (SELECT coalesce(json_agg(json_build_array(r.related_id, rt.name) ORDER BY r.position), '[]')::text
        FROM relations r JOIN terms rt ON rt.id = r.related_id WHERE r.term_id = t.id)
FROM terms t WHERE t.id = ? AND (t.guild_id IS NULL OR t.guild_id = ?)
""",
}
_SHARED_TERMS_SQL = {
    # From the partial index that holds all this reads (migration 0009), so a million server entries beside
    # them cost nothing here.
    "sqlite": "SELECT id, name, lookups FROM terms INDEXED BY terms_shared_names WHERE guild_id IS NULL",
    "postgresql": "SELECT id, name, lookups FROM terms WHERE guild_id IS NULL",
}
__all__ = ["ApplyReport", "GlossaryStore", "Mode"]
ROWS_PER_FETCH = 4096
"""Rows read per trip to the database thread when reading a whole table: few trips, little held at once."""


def file_digest(path: Path) -> str:
    """A seed file's fingerprint; the files are small, so reading them inline is fine."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


class _DryRun(Exception):
    """Raised inside a transaction to roll a dry run back after it computed its report."""


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class GlossaryStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    # ---- reading ----------------------------------------------------------------------------------

    async def index_rows(self) -> list[tuple[int, str, tuple[str, ...], int]]:
        """(term id, name, aliases, lookups) for every term, by id, to build the matching index.

        Two plain scans rather than one join: the join looked up each term's aliases through the term_id
        index, one b-tree search per term (0.6 s of the start at 100,000 terms), where reading the few alias
        rows whole and grouping them here takes a twentieth of that (the whole read: ~0.2 s). Rows come as
        tuples, not `Row` objects, and a term without aliases shares one empty tuple: at 100,000 terms the
        rows take 25 MB rather than 42 while the index is built.
        """
        aliases: dict[int, tuple[str, ...]] = {}
        # `+` keeps SQLite from reading the rows through the term_id index: a scan is far cheaper here.
        alias_sql = (
            "SELECT term_id, text FROM term_names WHERE scope_id = 0 AND +is_alias = 1 ORDER BY +term_id, +position"
        )
        async for chunk in self._chunks(alias_sql):
            for term_id, text in chunk:
                aliases[term_id] = (*aliases.get(term_id, ()), text)
        rows: list[tuple[int, str, tuple[str, ...], int]] = []
        # The shared terms only (servers' entries have their own indexes).
        async for chunk in self._chunks(_SHARED_TERMS_SQL[self.database.dialect] + " ORDER BY id"):
            rows.extend((term_id, name, aliases.get(term_id, ()), lookups) for term_id, name, lookups in chunk)
        return rows

    def _chunks(self, sql: str) -> AsyncIterator[list[tuple[Any, ...]]]:
        """The rows of `sql` ROWS_PER_FETCH at a time: the rows of the whole table never sit in memory
        twice, as rows and as what is made of them."""
        return self.database.fetch_chunks(sql, ROWS_PER_FETCH)

    async def term_view(self, term_id: int, guild_id: int | None = None) -> TermView | None:
        """The term as shown in `guild_id` (None: a DM or the CLI): None if it does not exist or belongs to
        another server (or to a server at all, outside one)."""
        # One statement rather than three (term, aliases, related): each statement is a round trip to the
        # database thread, and this read is most of what a /define costs.
        row = await self.database.fetch_one(_TERM_VIEW_SQL[self.database.dialect], (term_id, guild_id))
        if row is None:
            return None
        return TermView(
            term_id=row[0],
            name=row[1],
            definition=row[2],
            description=row[3],
            category=row[4],
            url=row[5],
            aliases=tuple(json.loads(row[6])),
            related=tuple((related_id, name) for related_id, name in json.loads(row[7])),
        )

    async def count_terms(self) -> int:
        count = await self.database.fetch_value("SELECT count(*) FROM terms WHERE guild_id IS NULL")
        return count if isinstance(count, int) else 0

    async def export_entries(self, guild_id: int | None = None) -> list[Entry]:
        """Every term of the shared glossary (or of `guild_id`'s) in the project's own format, ordered by name."""
        ids = await self.database.fetch_all(
            "SELECT id FROM terms WHERE guild_id IS NOT DISTINCT FROM ? ORDER BY name COLLATE NOCASE", (guild_id,)
        )
        entries = []
        for (term_id,) in ids:
            view = await self.term_view(term_id, guild_id)
            if view is not None:
                entries.append(
                    Entry(
                        term=view.name,
                        definition=view.definition,
                        description=view.description,
                        aliases=view.aliases,
                        related=tuple(name for _, name in view.related),
                        category=view.category,
                        url=view.url,
                    )
                )
        return entries

    # ---- counting ---------------------------------------------------------------------------------

    async def record_lookup(self, term_id: int, when: datetime | None = None) -> None:
        await self.record_lookups({(term_id, iso_week_of((when or datetime.now(UTC)).date())): 1})

    async def record_lookups(self, counts: Mapping[tuple[int, str], int]) -> None:
        """Add lookups counted as {(term id, ISO week): how many}, in one transaction; terms deleted since
        they were looked up are skipped."""
        totals: Counter[int] = Counter()
        for (term_id, _), count in counts.items():
            totals[term_id] += count
        async with self.database.transaction() as transaction:
            await transaction.execute_many(
                "UPDATE terms SET lookups = lookups + ? WHERE id = ?", [(count, term) for term, count in totals.items()]
            )
            await transaction.execute_many(
                "INSERT INTO weekly_lookups (term_id, week, count) SELECT id, ?, ? FROM terms WHERE id = ? "
                "ON CONFLICT (term_id, week) DO UPDATE SET count = weekly_lookups.count + excluded.count",
                [(week, count, term_id) for (term_id, week), count in counts.items()],
            )

    async def record_miss(self, query: str, guild_id: int | None = None) -> None:
        """Count a query nothing answered: for the shared glossary, and for the server it was asked in."""
        key = lookup_key(query)
        if not key:
            return
        shown = " ".join(query.split())[:MAX_QUERY_CHARS]
        scopes = [0] if guild_id is None else [0, guild_id]
        async with self.database.transaction() as transaction:
            await transaction.execute_many(
                "INSERT INTO misses (scope_id, key, query) VALUES (?, ?, ?) ON CONFLICT (scope_id, key) "
                "DO UPDATE SET count = misses.count + 1, query = excluded.query, last_at = ?",
                [(scope, key, shown, _now()) for scope in scopes],
            )

    # ---- meta -------------------------------------------------------------------------------------

    async def get_meta(self, key: str) -> str | None:
        return await self.database.get_meta(key)

    async def set_meta(self, key: str, value: str) -> None:
        await self.database.set_meta(key, value)

    # ---- writing many entries (seed and import) ---------------------------------------------------

    async def apply_entries(
        self,
        entries: Sequence[Entry],
        *,
        mode: Mode,
        replace: bool = False,
        dry_run: bool = False,
        guild_id: int | None = None,
        max_terms: int | None = None,
    ) -> ApplyReport:
        """Insert or merge `entries` in one transaction (the rules: bot/store/entry_writer.py).

        A dry run computes the same report and rolls back. With `guild_id`, the entries are that server's
        own (related names are its own, then shared ones); with `max_terms`, an import that would leave it
        with more entries changes nothing (TooManyTerms).
        """
        report = ApplyReport()
        try:
            async with self.database.transaction() as transaction:
                writer = EntryWriter(
                    transaction, report, mode=mode, replace=replace, guild_id=guild_id, dialect=self.database.dialect
                )
                await writer.apply(entries)
                if guild_id is not None and max_terms is not None:
                    await _check_size(transaction, guild_id, max_terms)
                if dry_run:
                    raise _DryRun
        except _DryRun:
            pass
        return report

    async def seed(self, path: Path, entries: Iterable[Entry]) -> ApplyReport | None:
        """Apply the seed file once per version of it: an unchanged file costs nothing at start."""
        digest = file_digest(path)
        if await self.get_meta(SEED_DIGEST_KEY) == digest:
            return None
        report = await self.apply_entries(list(entries), mode="seed")
        await self.set_meta(SEED_DIGEST_KEY, digest)
        return report


class TooManyTerms(Exception):
    """An import would take a server past its entry limit; the transaction rolled back."""

    def __init__(self, count: int, limit: int) -> None:
        super().__init__(f"{count:,} entries, the limit is {limit:,}")
        self.count = count
        self.limit = limit


async def _check_size(transaction: Transaction, guild_id: int, limit: int) -> None:
    count = int(await transaction.fetch_value("SELECT count(*) FROM terms WHERE guild_id = ?", (guild_id,)))
    if count > limit:
        raise TooManyTerms(count, limit)
