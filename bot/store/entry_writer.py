"""Many entries into the glossary in one transaction: the seed file and imports.

Imports never lose anything a file brought:
- Names beat aliases: an entry whose name is another entry's alias becomes an entry of its own; the alias
  leaves the other entry, and the two are related to each other.
- An entry imported again keeps what it had: its aliases and related terms become the union of its own
  and the file's, and a field the file leaves out or empty keeps its value. The file's definition stands
  unless an editor changed the entry. `replace` starts over (the file's values, over an editor's changes
  too), except in fields the file has no column or key for (`Entry.left_out`).
- A name held by another entry is dropped with a warning, never the entry.
Seeding only fills in what nobody touched: it changes an entry only while it is the seed's own, unedited
and never changed by an import, and then makes it exactly what the seed file says.

Speed: the writer reads what it needs in a few statements, works every change out in memory, then writes
each table in bulk (one statement, or `insert_rows`' multi-row ones). The full-text index of migration 0004
is kept by triggers that cost ~50 µs a row (FTS5 flushes its pending terms at every statement) and more per
alias: 100,000 entries took most of a minute. So for its own transaction the writer lifts those triggers and
does their work in bulk, for exactly the rows it rewrote: it computes `alias_text` itself and re-indexes
those rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal, NamedTuple, TypeVar

from bot.core.entry import MAX_ALIASES, MAX_RELATED, Entry
from bot.core.normalize import lookup_key
from bot.core.words import plural
from bot.store.db import Dialect, Transaction

Mode = Literal["seed", "import"]
_Result = TypeVar("_Result")
FTS_TRIGGERS = "term_search_*"
"""The triggers of migration 0004 that keep `term_search` and `terms.alias_text` current (a GLOB)."""
SCOPE_TRIGGERS = "*_in_scope*"
"""The triggers of migration 0008 that keep names and relations within their scope (a GLOB)."""
FTS_PENDING_BYTES = 16 * 1024 * 1024
"""How much indexed text FTS5 holds in memory before it writes a segment (its default: 1 MB)."""
IMPORT_CACHE_KIB = 256 * 1024
"""SQLite's page cache while entries are written (KiB; its default is 2,000 KiB): see `EntryWriter.apply`."""
IDS_SQL = {
    "sqlite": "SELECT value FROM json_each(?)",
    "postgresql": "SELECT json_array_elements_text(?::json)::bigint",
}
"""Stands for a list of ids passed as one JSON parameter: one statement however many there are."""
KEYS_SQL = {
    "sqlite": "SELECT value FROM json_each(?)",
    "postgresql": "SELECT json_array_elements_text(?::json)",
}
"""The same for a list of texts."""
ALIAS_TEXT_SEPARATOR = "\n"
"""How migration 0004 joins a term's aliases into `terms.alias_text`."""
SCALAR_FIELDS = ("description", "category", "url")
TERM_COLUMNS = ("id", "name", "definition", "description", "category", "url", "alias_text", "origin", "guild_id")
"""What the writer sets of a new term (see `_term_rows`)."""


@dataclass
class ApplyReport:
    """What applying entries did (or, for a dry run, would do)."""

    inserted: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    """Entries an editor changed, left alone because the import did not ask to --replace."""
    unchanged: list[str] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)
    """Names that were another entry's alias and became entries of their own, each with what happened."""
    warnings: list[str] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return len(self.inserted) + len(self.updated)

    def summary(self) -> str:
        moved = f", {len(self.moved)} moved from an alias to an entry of their own" if self.moved else ""
        return (
            f"{len(self.inserted)} added, {len(self.updated)} updated, {len(self.unchanged)} unchanged, "
            f"{len(self.kept)} kept (edited by an editor){moved}, {plural(len(self.warnings), 'warning')}"
        )

    def details(self) -> list[str]:
        """One line per entry added, updated, moved or kept, for a person to check what an import does."""
        sections = (("added", self.inserted), ("updated", self.updated), ("moved", self.moved), ("kept", self.kept))
        return [f"  {label}: {item}" for label, items in sections for item in items]


class _Relinked(NamedTuple):
    """Terms whose related list changed, and the rows that store their lists."""

    ids: list[int]
    text_unchanged_ids: list[int]
    """Of those, the terms whose text and names are as they were (only their relations changed)."""
    rows: list[tuple[int, int, int]]
    """(term, related term, position)."""


class _NameOwner(NamedTuple):
    """Who holds a lookup key. A tuple, not a dataclass: one is made per name, and tuples are made faster."""

    term_id: int
    is_alias: bool


@dataclass(slots=True)
class _Term:
    """A term as the writer will leave it; `before` and `related_before` say what it was."""

    term_id: int
    name: str
    definition: str
    description: str
    category: str | None
    url: str | None
    origin: str
    edited: bool
    aliases: dict[str, str]
    """Lookup key → spelling, in display order."""
    related: list[int] = field(default_factory=list)
    new: bool = False
    before: tuple[object, ...] = ()
    related_before: tuple[int, ...] = ()

    def content(self) -> tuple[object, ...]:
        return (self.name, self.definition, self.description, self.category, self.url, tuple(self.aliases.values()))

    def alias_text(self) -> str:
        return ALIAS_TEXT_SEPARATOR.join(self.aliases.values())


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _ids(ids: Iterable[int]) -> tuple[str]:
    return (json.dumps(list(ids)),)


class EntryWriter:
    """One transaction's worth of entries: read, merge in memory, write in bulk (see the module's notes)."""

    def __init__(
        self,
        transaction: Transaction,
        report: ApplyReport,
        *,
        mode: Mode,
        replace: bool,
        guild_id: int | None = None,
        dialect: Dialect = "sqlite",
    ) -> None:
        self.transaction = transaction
        self.dialect: Dialect = dialect
        self.ids_sql = IDS_SQL[dialect]
        self.report = report
        self.mode = mode
        self.replace = replace
        self.guild_id = guild_id
        self.scope_id = guild_id or 0
        """Where the names live: 0 for the shared glossary, else the server's id (migration 0008)."""
        self.owners: dict[str, _NameOwner] = {}
        """The names of the glossary written to (the shared one, or the server's): one key space."""
        self.shared_ids: dict[str, int] = {}
        """For a server's entries, the shared terms their related lists name (looked up by key)."""
        self.name_of: dict[int, str] = {}
        self.alias_rows: dict[int, dict[str, str]] = {}
        self.terms: dict[int, _Term] = {}
        """Every term this batch reads or writes, by id."""
        self.links: list[tuple[int, int]] = []
        """(new entry, entry that held its name as an alias): related both ways once relations are set."""
        self.next_id = 1
        self.keys: dict[str, str] = {}
        """`lookup_key` of each text seen: related names repeat the batch's names, and keys are reused."""

    def _key(self, text: str) -> str:
        key = self.keys.get(text)
        if key is None:
            key = self.keys[text] = lookup_key(text)
        return key

    async def apply(self, entries: Sequence[Entry]) -> None:
        with _collector_paused():
            await self._apply_on_dialect(entries)

    async def _apply_on_dialect(self, entries: Sequence[Entry]) -> None:
        if self.dialect != "sqlite":
            await self._apply(entries)
            return
        cache_size = await self.transaction.fetch_value("PRAGMA cache_size")
        # A big import touches every page of the name and relation indexes in no particular order: with
        # SQLite's default 8 MB cache they are read and written again and again. The cache grows only as
        # pages are used, so a small import costs no more memory than before.
        await self.transaction.execute(f"PRAGMA cache_size = -{IMPORT_CACHE_KIB}")
        # The scope checks cost three lookups a row (a tenth of a big import); this writer keeps every name
        # and relation in scope by construction: it reads and writes one scope's names, and relates to
        # them or to shared terms only. Dropped inside the transaction, they come back on a rollback too.
        scope_triggers = await _lift_triggers(self.transaction, SCOPE_TRIGGERS)
        try:
            await self._apply(entries)
        finally:
            await self.transaction.execute(f"PRAGMA cache_size = {int(cache_size or -2000)}")
        for sql in scope_triggers:
            await self.transaction.execute(sql)

    async def _apply(self, entries: Sequence[Entry]) -> None:
        await self._read_names()
        keys = [self._key(entry.term) for entry in entries]
        await self._read_terms({owner.term_id for key in keys if (owner := self.owners.get(key))})
        written: dict[int, tuple[_Term, Entry]] = {}
        for entry, key in zip(entries, keys, strict=True):
            term = self._take(entry, key)
            if term is not None:
                written[term.term_id] = (term, entry)  # a term given twice: its last entry relates
        await self._read_relations([term for term in self.terms.values() if not term.new])
        await self._read_shared_names(name for _, entry in written.values() for name in entry.related)
        rewritten = [term for term in self.terms.values() if term.new or term.content() != term.before]
        # Names and text are settled: while the database's thread writes them (mostly indexing text, seconds
        # for a big import), another thread works out the relations, which only read the names, the rows that
        # store them, and the report. Both threads run at once: sqlite3 lets go of the GIL during a statement.
        relating = asyncio.ensure_future(asyncio.to_thread(self._relate_all, list(written.values())))
        try:
            await self._write_terms(rewritten)
        finally:
            relinked = await relating
        await self._write_relations(relinked)

    def _relate_all(self, written: list[tuple[_Term, Entry]]) -> _Relinked:
        for term, entry in written:
            self._relate(term, entry)
        for new, holder in self.links:
            self._link(self.terms[new], holder)
            self._link(self.terms[holder], new)
        for term, _ in written:
            if term.new:
                self.report.inserted.append(term.name)
            elif self._changed(term):
                self.report.updated.append(term.name)
            else:
                self.report.unchanged.append(term.name)
        relinked = [term for term in self.terms.values() if tuple(term.related) != term.related_before]
        return _Relinked(
            ids=[term.term_id for term in relinked],
            text_unchanged_ids=[term.term_id for term in relinked if not term.new and term.content() == term.before],
            rows=[(term.term_id, other, position) for term in relinked for position, other in enumerate(term.related)],
        )

    # ---- reading --------------------------------------------------------------------------------

    async def _read_names(self) -> None:
        rows = await self.transaction.fetch_all(
            "SELECT key, term_id, text, is_alias FROM term_names WHERE scope_id = ? ORDER BY term_id, position",
            (self.scope_id,),
        )
        for key, term_id, text, is_alias in rows:
            self.owners[key] = _NameOwner(term_id, bool(is_alias))
            if is_alias:
                self.alias_rows.setdefault(term_id, {})[key] = text
            else:
                self.name_of[term_id] = text
        self.next_id = int(await self.transaction.fetch_value("SELECT coalesce(max(id), 0) FROM terms")) + 1

    async def _read_terms(self, ids: set[int]) -> None:
        sql = (
            "SELECT id, name, definition, description, category, url, origin, edited FROM terms "
            f"WHERE id IN ({self.ids_sql})"
        )
        for term_id, name, definition, description, category, url, origin, edited in await self.transaction.fetch_all(
            sql, _ids(ids)
        ):
            aliases = dict(self.alias_rows.get(term_id, {}))
            term = _Term(term_id, name, definition, description, category, url, origin, bool(edited), aliases)
            term.before = term.content()
            self.terms[term.term_id] = term

    async def _read_relations(self, terms: list[_Term]) -> None:
        sql = f"SELECT term_id, related_id FROM relations WHERE term_id IN ({self.ids_sql}) ORDER BY term_id, position"
        for term_id, related_id in await self.transaction.fetch_all(sql, _ids(term.term_id for term in terms)):
            self.terms[term_id].related.append(related_id)
        for term in terms:
            term.related_before = tuple(term.related)

    async def _read_shared_names(self, names: Iterable[str]) -> None:
        """A server's entries may relate to shared terms: those their related names mean and theirs do not."""
        if self.guild_id is None:
            return
        keys = {key for name in names if (key := self._key(name)) not in self.owners}
        sql = f"SELECT key, term_id FROM term_names WHERE scope_id = 0 AND key IN ({KEYS_SQL[self.dialect]})"
        for key, term_id in await self.transaction.fetch_all(sql, (json.dumps(sorted(keys)),)):
            self.shared_ids[key] = term_id

    # ---- merging --------------------------------------------------------------------------------

    def _take(self, entry: Entry, key: str) -> _Term | None:
        """The term `entry` is written to (merged into an existing one or new), or None if left alone."""
        owner = self.owners.get(key)
        if owner is None:
            return self._new_term(entry, key)
        if owner.is_alias:
            return self._move(entry, key, self.terms[owner.term_id])
        term = self.terms[owner.term_id]
        if not self._may_overwrite(term):
            self.report.kept.append(entry.term)
            return None
        term.name, term.definition = entry.term, entry.definition
        for name in SCALAR_FIELDS:
            value = getattr(entry, name)
            if self._starts_over(entry, name) or (value and name not in entry.left_out):
                setattr(term, name, value)
        if self._starts_over(entry, "aliases"):
            for alias_key in list(term.aliases):
                self._release(term, alias_key)
        self._add_aliases(term, entry)
        return term

    def _may_overwrite(self, term: _Term) -> bool:
        if term.new:
            return True
        if self.mode == "seed":
            return _untouched_seed(term)
        return self.replace or not term.edited

    def _starts_over(self, entry: Entry, name: str) -> bool:
        """Whether the entry's value replaces the term's, even when empty (see the module's notes)."""
        return self.mode == "seed" or (self.replace and name not in entry.left_out)

    def _new_term(self, entry: Entry, key: str) -> _Term:
        term = _Term(
            term_id=self.next_id,
            name=entry.term,
            definition=entry.definition,
            description=entry.description,
            category=entry.category,
            url=entry.url,
            origin=self.mode,
            edited=False,
            aliases={},
            new=True,
        )
        self.next_id += 1
        self.terms[term.term_id] = term
        self.owners[key] = _NameOwner(term.term_id, is_alias=False)
        self._add_aliases(term, entry)
        return term

    def _move(self, entry: Entry, key: str, holder: _Term) -> _Term | None:
        """Names beat aliases: `entry` becomes a term, its name leaves `holder`, and the two are related."""
        if self.mode == "seed" and not _untouched_seed(holder):
            self.report.warnings.append(
                f"{entry.term!r} is an alias of {holder.name!r}, which an import or an editor changed: not seeded"
            )
            return None
        self._release(holder, key)
        term = self._new_term(entry, key)
        self.links.append((term.term_id, holder.term_id))
        moved = f"{entry.term!r} was an alias of {holder.name!r}: now an entry of its own, related to it"
        self.report.moved.append(moved)
        return term

    def _release(self, term: _Term, key: str) -> None:
        del term.aliases[key]
        del self.owners[key]

    def _add_aliases(self, term: _Term, entry: Entry) -> None:
        for alias in entry.aliases:
            key = self._key(alias)
            owner = self.owners.get(key)
            if owner is not None:
                # An alias repeating the term's own name or alias (ignoring case, hyphens, plurals) is
                # dropped quietly; only a name held by another term deserves a warning.
                if owner.term_id != term.term_id:
                    whose = "an alias of" if owner.is_alias else "the name of"
                    self.report.warnings.append(
                        f"{entry.term!r}: alias {alias!r} dropped: it is already {whose} {self._name(owner.term_id)!r}"
                    )
                continue
            if not key:
                continue
            if len(term.aliases) == MAX_ALIASES:
                self.report.warnings.append(f"{entry.term!r}: alias {alias!r} dropped: {MAX_ALIASES} is the limit")
                continue
            term.aliases[key] = alias
            self.owners[key] = _NameOwner(term.term_id, is_alias=True)

    def _name(self, term_id: int) -> str:
        term = self.terms.get(term_id)
        return term.name if term is not None else self.name_of[term_id]

    def _relate(self, term: _Term, entry: Entry) -> None:
        if self._starts_over(entry, "related"):
            term.related = []
        for name in entry.related:
            key = self._key(name)
            owner = self.owners.get(key)
            related_id = owner.term_id if owner is not None else self.shared_ids.get(key)
            if related_id is None:
                self.report.warnings.append(f"{entry.term!r}: related term {name!r} is not in the glossary")
            elif related_id != term.term_id and related_id not in term.related:
                if len(term.related) == MAX_RELATED:
                    reason = f"{MAX_RELATED} is the limit"
                    self.report.warnings.append(f"{entry.term!r}: related term {name!r} dropped: {reason}")
                    continue
                term.related.append(related_id)

    def _link(self, term: _Term, other: int) -> None:
        if other not in term.related:
            term.related.append(other)

    def _changed(self, term: _Term) -> bool:
        return term.content() != term.before or tuple(term.related) != term.related_before

    # ---- writing --------------------------------------------------------------------------------

    async def _write_terms(self, rewritten: list[_Term]) -> None:
        """Terms whose text or names changed, their names, and their rows in the full-text index."""
        if not rewritten:
            return
        if self.mode == "import":
            for term in rewritten:
                term.origin = "import"  # seeding never overwrites what an import changed
        # Each statement's rows are built on another thread while the database's thread runs the statements
        # before it (see `_apply`).
        building_terms = _on_a_thread(self._term_rows, rewritten)
        triggers = await lift_search_triggers(self.transaction, self.dialect)
        old = _ids(term.term_id for term in rewritten if not term.new)
        ids_sql, transaction = self.ids_sql, self.transaction
        if self.dialect == "sqlite":
            # Index in memory in big runs (FTS5 writes what it holds each time this much is pending): a fifth
            # less work for a big import than the default 1 MB.
            await transaction.execute(
                "INSERT INTO term_search (term_search, rank) VALUES ('hashsize', ?)", (FTS_PENDING_BYTES,)
            )
            await transaction.execute(
                "INSERT INTO term_search (term_search, rowid, name, alias_text, definition, description) "
                f"SELECT 'delete', id, name, alias_text, definition, description FROM terms WHERE id IN ({ids_sql})",
                old,
            )
        await transaction.execute(f"DELETE FROM term_names WHERE term_id IN ({ids_sql})", old)
        updates, inserts = await building_terms
        building_names = _on_a_thread(self._all_name_rows, rewritten)
        await transaction.execute_many(
            "UPDATE terms SET name = ?, definition = ?, description = ?, category = ?, url = ?, alias_text = ?, "
            "origin = ?, updated_at = ? WHERE id = ?",
            updates,
        )
        await transaction.insert_rows("terms", TERM_COLUMNS, inserts)
        # Names one row a statement, not in `insert_rows`' multi-row statements: their keys land all over the
        # primary key's pages, and the bigger statements were slower here (measured at 100,000 terms).
        await transaction.execute_many(
            "INSERT INTO term_names (scope_id, key, term_id, text, is_alias, position) VALUES (?, ?, ?, ?, ?, ?)",
            await building_names,
        )
        if self.dialect == "sqlite":
            await transaction.execute(
                "INSERT INTO term_search (rowid, name, alias_text, definition, description) "
                f"SELECT id, name, alias_text, definition, description FROM terms WHERE id IN ({ids_sql})",
                _ids(term.term_id for term in rewritten),
            )
        for sql in triggers:
            await transaction.execute(sql)

    def _term_rows(self, rewritten: list[_Term]) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
        """The parameters of the UPDATE of the terms there were and of the INSERT of the new ones."""
        now = _now()
        updates: list[tuple[object, ...]] = [
            (*_row(term), term.origin, now, term.term_id) for term in rewritten if not term.new
        ]
        inserts: list[tuple[object, ...]] = [
            (term.term_id, *_row(term), term.origin, self.guild_id) for term in rewritten if term.new
        ]
        return updates, inserts

    def _all_name_rows(self, rewritten: list[_Term]) -> list[tuple[int, str, int, str, int, int]]:
        # In term order, not key order: the term_id indexes and the scope check then read and write
        # neighbouring pages (measured: half the time of key order at 100,000 terms).
        return [row for term in rewritten for row in self._name_rows(term)]

    async def _write_relations(self, relinked: _Relinked) -> None:
        if not relinked.ids:
            return
        if self.mode == "import" and relinked.text_unchanged_ids:
            await self.transaction.execute(
                f"UPDATE terms SET origin = 'import', updated_at = ? WHERE id IN ({self.ids_sql})",
                (_now(), *_ids(relinked.text_unchanged_ids)),
            )
        await self.transaction.execute(f"DELETE FROM relations WHERE term_id IN ({self.ids_sql})", _ids(relinked.ids))
        if self.dialect != "sqlite":
            await self.transaction.insert_rows("relations", ("term_id", "related_id", "position"), relinked.rows)
            return
        # SQLite: one statement for all rows, not one per row. A statement that may fail part way (a foreign
        # key check can) first saves the pages it will change, so a statement per row saved them over and
        # over (measured: a third less time at 100,000 terms).
        await self.transaction.execute(
            "INSERT INTO relations (term_id, related_id, position) SELECT json_extract(value, '$[0]'), "
            "json_extract(value, '$[1]'), json_extract(value, '$[2]') FROM json_each(?)",
            (json.dumps(relinked.rows),),
        )

    def _name_rows(self, term: _Term) -> list[tuple[int, str, int, str, int, int]]:
        scope, term_id = self.scope_id, term.term_id
        rows = [(scope, self._key(term.name), term_id, term.name, 0, 0)]
        aliases = enumerate(term.aliases.items(), 1)
        return rows + [(scope, key, term_id, text, 1, position) for position, (key, text) in aliases]


async def lift_search_triggers(transaction: Transaction, dialect: Dialect) -> list[str]:
    """Turn the search triggers off for this transaction (for a writer that keeps `alias_text` and, on SQLite,
    the FTS5 index itself); returns the SQL that turns them on again.

    SQLite: they are dropped, inside the transaction, so a rollback (a dry run, a failure) brings them back
    too. PostgreSQL: its alias trigger stands aside while `glossary.bulk_write` is on, a setting that ends
    with the transaction (its tsvector column follows the rows by itself).
    """
    if dialect == "postgresql":
        await transaction.execute("SET LOCAL glossary.bulk_write = 'on'")
        return []
    return await _lift_triggers(transaction, FTS_TRIGGERS)


async def _lift_triggers(transaction: Transaction, name_glob: str) -> list[str]:
    """Drop SQLite's triggers named like `name_glob` in this transaction; returns the SQL that makes them again."""
    rows = await transaction.fetch_all(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name GLOB ?", (name_glob,)
    )
    triggers = [(str(name), str(text)) for name, text in rows]
    for name, _ in triggers:
        await transaction.execute(f'DROP TRIGGER "{name}"')
    return [text for _, text in triggers]


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while a batch is merged.

    The writer makes a few objects per entry, all alive until it ends: for a big import the collector's
    passes free nothing, yet each full one walks every object of the process (measured: 100,000 entries
    took 5.5 s with it on, 4.7 s with it off, in a process holding other data as the bot does). Objects
    are still freed by reference counting meanwhile; cycles wait for the next pass.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _on_a_thread(work: Callable[[list[_Term]], _Result], terms: list[_Term]) -> asyncio.Future[_Result]:
    """Start `work(terms)` on a worker thread now; await the result when it is needed."""
    return asyncio.ensure_future(asyncio.to_thread(work, terms))


def _untouched_seed(term: _Term) -> bool:
    """Seeding may change only what it wrote and nobody (an import, an editor) changed since."""
    return term.origin == "seed" and not term.edited


def _row(term: _Term) -> tuple[str, str, str, str | None, str | None, str]:
    return (term.name, term.definition, term.description, term.category, term.url, term.alias_text())
