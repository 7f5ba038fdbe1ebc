"""Editors' changes to single terms, each recorded in the change history, and the numbers editors curate by.

Every change runs in one transaction that also writes its history row, so a change is never stored
without its record (or the other way round). Seeding and imports (bot/store/glossary.py) are not
recorded here: they are bulk operations with their own report, and they leave edited terms alone.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.core.editing import (
    Action,
    Change,
    EditRefused,
    current_lineage,
    entry_from_snapshot,
    snapshot,
    with_alias,
    with_related,
)
from bot.core.entry import Entry
from bot.core.normalize import lookup_key
from bot.core.render_admin import Ranked, Stats
from bot.core.schedule import iso_week_of
from bot.core.scope import server_full
from bot.store.db import Database, Row, Transaction

HISTORY_LIMIT = 10
"""Changes /glossary history shows: enough to see what happened lately, short enough for one embed."""
RECENT_CHANGES_LIMIT = 25
"""Discord shows at most 25 autocomplete choices."""
MAX_HISTORY_SCAN = 500
"""Changes read to find a term's lineage; a term edited more often than this shows its latest ones."""
STATS_LIMIT = 10

_SELECT_CHANGES = (
    "SELECT c.id, c.term_id, c.term_name, c.action, c.user_id, c.at, c.before, c.after, c.reverts, r.term_id, "
    "c.guild_id "
    "FROM term_changes c LEFT JOIN term_changes r ON r.id = c.reverts"
)


@dataclass(frozen=True, slots=True)
class ChangeResult:
    """What a change did: its history id, the term, and the term as stored now (None: removed)."""

    change_id: int
    term_id: int
    entry: Entry | None
    notes: tuple[str, ...] = ()
    """What a revert could not restore (a name now taken, a related term since removed)."""
    guild_id: int | None = None
    """The server whose entry it is; None for the shared glossary (the service fills it in)."""


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _change_from_row(row: Row) -> Change:
    return Change(
        change_id=int(str(row[0])),
        term_id=int(str(row[1])),
        term_name=str(row[2]),
        action=str(row[3]),  # type: ignore[arg-type]  # the table's CHECK admits only Action values
        user_id=int(str(row[4])),
        at=str(row[5]),
        before=entry_from_snapshot(None if row[6] is None else str(row[6])),
        after=entry_from_snapshot(None if row[7] is None else str(row[7])),
        reverts=None if row[8] is None else int(str(row[8])),
        reverted_term_id=None if row[9] is None else int(str(row[9])),
        guild_id=None if row[10] is None else int(str(row[10])),
    )


class CurationStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    # ---- reading ----------------------------------------------------------------------------------

    async def entry_of(self, term_id: int) -> Entry | None:
        return await _read_entry(self.database, term_id)

    async def categories(
        self, text: str = "", limit: int = RECENT_CHANGES_LIMIT, *, guild_id: int | None = None
    ) -> list[str]:
        """Categories in use (shared, and `guild_id`'s), those containing `text` first by how many terms use them."""
        rows = await self.database.fetch_all(
            "SELECT category, count(*) AS uses FROM terms WHERE (guild_id IS NULL OR guild_id = ?) "
            "AND category IS NOT NULL AND category <> '' AND instr(lower(category), lower(?)) > 0 "
            "GROUP BY category ORDER BY uses DESC, category LIMIT ?",
            (guild_id, text.strip(), limit),
        )
        return [str(row[0]) for row in rows]

    async def change(self, change_id: int) -> Change | None:
        row = await self.database.fetch_one(f"{_SELECT_CHANGES} WHERE c.id = ?", (change_id,))
        return None if row is None else _change_from_row(row)

    async def history(self, term_id: int, limit: int = HISTORY_LIMIT) -> list[Change]:
        """The latest changes of the term that has `term_id` now, newest first (see `current_lineage`)."""
        exists = await self.database.fetch_value("SELECT 1 FROM terms WHERE id = ?", (term_id,)) is not None
        return current_lineage(await self._changes_of(term_id), exists=exists)[:limit]

    async def removed_term_history(
        self, name: str, limit: int = HISTORY_LIMIT, *, guild_id: int | None = None
    ) -> list[Change]:
        """The history of the most recently removed term that had this name (in the shared glossary, or in
        `guild_id`'s), for a term no longer there."""
        term_id = await self.database.fetch_value(
            "SELECT term_id FROM term_changes WHERE guild_id IS NOT DISTINCT FROM ? AND term_key = ? AND after IS NULL "
            "ORDER BY id DESC LIMIT 1",
            (guild_id, lookup_key(name)),
        )
        if term_id is None:
            return []
        changes = await self._changes_of(int(str(term_id)))
        # Start at that removal: anything newer under the same id belongs to a term created since.
        while changes and changes[0].after is not None:
            changes.pop(0)
        return current_lineage(changes, exists=False)[:limit]

    async def recent_changes(
        self, text: str = "", limit: int = RECENT_CHANGES_LIMIT, *, scopes: Sequence[int | None] = (None,)
    ) -> list[Change]:
        """Newest changes for the revert autocomplete: by id when `text` is digits, else by term name; of the
        shared glossary (None in `scopes`) and of the servers in `scopes`."""
        text = text.strip().lstrip("#")
        parameters: tuple[object, ...]
        if text.isdigit():
            where, parameters = "CAST(c.id AS TEXT) LIKE ?", (text + "%",)
        elif lookup_key(text):
            where, parameters = "instr(c.term_key, ?) > 0", (lookup_key(text),)
        else:
            where, parameters = "TRUE", ()
        servers = [scope for scope in scopes if scope is not None]
        shared = "c.guild_id IS NULL" if None in scopes else "FALSE"
        in_scope = f"({shared} OR c.guild_id IN ({', '.join('?' for _ in servers) or 'NULL'}))"
        rows = await self.database.fetch_all(
            f"{_SELECT_CHANGES} WHERE {in_scope} AND {where} ORDER BY c.id DESC LIMIT ?",
            (*servers, *parameters, limit),
        )
        return [_change_from_row(row) for row in rows]

    async def _changes_of(self, term_id: int) -> list[Change]:
        rows = await self.database.fetch_all(
            f"{_SELECT_CHANGES} WHERE c.term_id = ? ORDER BY c.id DESC LIMIT ?",
            (term_id, MAX_HISTORY_SCAN),
        )
        return [_change_from_row(row) for row in rows]

    async def stats(
        self, when: datetime | None = None, limit: int = STATS_LIMIT, *, guild_id: int | None = None
    ) -> Stats:
        """Most looked-up terms this ISO week (UTC, as lookups are counted) and overall, and top misses: of
        the shared glossary, or of `guild_id`'s entries and the misses asked in that server."""
        week = iso_week_of((when or datetime.now(UTC)).date())
        # Two spellings rather than `IS ?`, so that each can use its partial index of terms.
        owned, owned_by = ("t.guild_id IS NULL", ()) if guild_id is None else ("t.guild_id = ?", (guild_id,))
        this_week = await self.database.fetch_all(
            "SELECT t.name, w.count FROM weekly_lookups w JOIN terms t ON t.id = w.term_id "
            f"WHERE w.week = ? AND {owned} ORDER BY w.count DESC, t.name COLLATE NOCASE LIMIT ?",
            (week, *owned_by, limit),
        )
        overall = await self.database.fetch_all(
            f"SELECT name, lookups FROM terms t WHERE {owned} AND lookups > 0 "
            "ORDER BY lookups DESC, name COLLATE NOCASE LIMIT ?",
            (*owned_by, limit),
        )
        # A miss whose words are now a name or alias (there) has been dealt with: it is no longer a to-do.
        scope = guild_id or 0
        misses = await self.database.fetch_all(
            "SELECT query, count FROM misses m WHERE scope_id = ? AND NOT EXISTS "
            "(SELECT 1 FROM term_names n WHERE n.scope_id IN (0, ?) AND n.key = m.key) "
            "ORDER BY count DESC, last_at DESC, key LIMIT ?",
            (scope, scope, limit),
        )
        return Stats(
            week=week,
            this_week=[Ranked(str(row[0]), int(row[1])) for row in this_week],
            overall=[Ranked(str(row[0]), int(row[1])) for row in overall],
            misses=[Ranked(str(row[0]), int(row[1])) for row in misses],
        )

    # ---- changing ---------------------------------------------------------------------------------

    async def add(
        self, entry: Entry, user_id: int, *, guild_id: int | None = None, max_terms: int | None = None
    ) -> ChangeResult:
        """A new term from an editor, shared or `guild_id`'s; refuses names already taken (there), related
        terms that do not exist (there or in the shared glossary), and a server's entry past `max_terms`."""
        async with self.database.transaction() as transaction:
            if guild_id is not None and max_terms is not None:
                await _check_room(transaction, guild_id, max_terms)
            writer = _TermWriter(transaction, strict=True, guild_id=guild_id)
            term_id = await writer.write(None, entry)
            after = await _read_entry(transaction, term_id)
            change_id = await _record(transaction, "add", term_id, user_id, before=None, after=after, guild_id=guild_id)
        return ChangeResult(change_id, term_id, after)

    async def edit(self, term_id: int, entry: Entry, user_id: int, *, base: Entry | None = None) -> ChangeResult:
        """Replace a term's content. With `base` (the entry the editor's form started from), refuse
        if someone else changed the term meanwhile, rather than silently undoing their change."""
        async with self.database.transaction() as transaction:
            before = await _require_entry(transaction, term_id)
            if base is not None and before != base:
                raise EditRefused(
                    f"{before.term!r} was changed by someone else while you were editing it. "
                    "Open the edit form again to start from the current text."
                )
            if entry == before:
                raise EditRefused(f"Nothing to save: {before.term!r} already reads like that.")
            guild_id = await _guild_of(transaction, term_id)
            await _TermWriter(transaction, strict=True, guild_id=guild_id).write(term_id, entry)
            after = await _read_entry(transaction, term_id)
            change_id = await _record(
                transaction, "edit", term_id, user_id, before=before, after=after, guild_id=guild_id
            )
        return ChangeResult(change_id, term_id, after)

    async def add_alias(self, term_id: int, alias: str, user_id: int) -> ChangeResult:
        async with self.database.transaction() as transaction:
            before = await _require_entry(transaction, term_id)
            guild_id = await _guild_of(transaction, term_id)
            await _TermWriter(transaction, strict=True, guild_id=guild_id).write(term_id, with_alias(before, alias))
            after = await _read_entry(transaction, term_id)
            change_id = await _record(
                transaction, "alias", term_id, user_id, before=before, after=after, guild_id=guild_id
            )
        return ChangeResult(change_id, term_id, after)

    async def relate(self, term_id: int, other_id: int, user_id: int) -> ChangeResult:
        """Append `other_id` to the related terms of `term_id` (one direction: the other term is unchanged)."""
        async with self.database.transaction() as transaction:
            before = await _require_entry(transaction, term_id)
            other = await _require_entry(transaction, other_id)
            if other_id == term_id:
                raise EditRefused("A term cannot be related to itself.")
            guild_id = await _guild_of(transaction, term_id)
            other_guild_id = await _guild_of(transaction, other_id)
            if other_guild_id is not None and other_guild_id != guild_id:
                raise EditRefused(
                    f"{before.term!r} is in the shared glossary, so it can only link to shared entries, "
                    f"and {other.term!r} is this server's own."
                )
            writer = _TermWriter(transaction, strict=True, guild_id=guild_id)
            await writer.write(term_id, with_related(before, other.term))
            after = await _read_entry(transaction, term_id)
            change_id = await _record(
                transaction, "relate", term_id, user_id, before=before, after=after, guild_id=guild_id
            )
        return ChangeResult(change_id, term_id, after)

    async def remove(self, term_id: int, user_id: int) -> ChangeResult:
        async with self.database.transaction() as transaction:
            before = await _require_entry(transaction, term_id)
            guild_id = await _guild_of(transaction, term_id)
            linked_from = await _delete_term(transaction, term_id)
            change_id = await _record(
                transaction,
                "remove",
                term_id,
                user_id,
                before=before,
                after=None,
                linked_from=linked_from,
                guild_id=guild_id,
            )
        return ChangeResult(change_id, term_id, None)

    async def revert(self, change_id: int, user_id: int) -> ChangeResult:
        """Put the term back as it was before `change_id`; the revert is itself a change.

        Reverting an add removes the term; reverting a removal re-creates it, with its related terms
        and the links other terms had to it, where those terms still exist. Restoring is lenient: an
        alias now taken by another term or a related term since removed is left out and reported.
        """
        change = await self.change(change_id)
        if change is None:
            raise EditRefused(f"There is no change #{change_id}.")
        async with self.database.transaction() as transaction:
            current = await _read_entry(transaction, change.term_id)
            lineage = current_lineage(await self._changes_of(change.term_id), exists=current is not None)
            if change.change_id not in {item.change_id for item in lineage}:
                # The term this change belongs to was removed and its id reused by a newer term.
                current, term_id, removal = None, None, await _first_removal_since(transaction, change)
            else:
                term_id = change.term_id
                removal = lineage[0] if current is None and lineage else None
            target = change.before
            if target is None and current is None:
                raise EditRefused(f"Nothing to revert: {change.name!r} has already been removed.")
            if target == current:
                raise EditRefused(f"Nothing to revert: {change.name!r} already is as it was before #{change_id}.")
            notes: list[str] = []
            if target is None:
                assert term_id is not None  # current exists, so the change is in its lineage
                linked_from = await _delete_term(transaction, term_id)
                new_id = await _record(
                    transaction,
                    "revert",
                    term_id,
                    user_id,
                    before=current,
                    after=None,
                    linked_from=linked_from,
                    reverts=change_id,
                    guild_id=change.guild_id,
                )
                return ChangeResult(new_id, term_id, None)
            writer = _TermWriter(transaction, strict=False, guild_id=change.guild_id)
            if term_id is None or current is None:
                free = await _id_is_free(transaction, change.term_id)
                term_id = await writer.write(None, target, reuse_id=change.term_id if free else None)
                if removal is not None:
                    await _relink(transaction, term_id, removal, notes)
            else:
                await writer.write(term_id, target)
            notes.extend(writer.notes)
            after = await _read_entry(transaction, term_id)
            new_id = await _record(
                transaction,
                "revert",
                term_id,
                user_id,
                before=current,
                after=after,
                reverts=change_id,
                guild_id=change.guild_id,
            )
        return ChangeResult(new_id, term_id, after, tuple(notes))


# ---- helpers sharing the transaction's transaction -----------------------------------------------------


async def _fetch_all(reader: Transaction | Database, sql: str, parameters: tuple[object, ...]) -> list[Row]:
    return await reader.fetch_all(sql, parameters)


async def _read_entry(transaction: Transaction | Database, term_id: int) -> Entry | None:
    rows = await _fetch_all(
        transaction, "SELECT name, definition, description, category, url FROM terms WHERE id = ?", (term_id,)
    )
    if not rows:
        return None
    row = rows[0]
    aliases = await _fetch_all(
        transaction, "SELECT text FROM term_names WHERE term_id = ? AND is_alias = 1 ORDER BY position", (term_id,)
    )
    related = await _fetch_all(
        transaction,
        "SELECT t.name FROM relations r JOIN terms t ON t.id = r.related_id WHERE r.term_id = ? ORDER BY r.position",
        (term_id,),
    )
    return Entry(
        term=row[0],
        definition=row[1],
        description=row[2],
        aliases=tuple(alias[0] for alias in aliases),
        related=tuple(item[0] for item in related),
        category=row[3],
        url=row[4],
    )


async def _guild_of(transaction: Transaction, term_id: int) -> int | None:
    """The server a term belongs to; None for the shared glossary (or a term that does not exist)."""
    rows = await _fetch_all(transaction, "SELECT guild_id FROM terms WHERE id = ?", (term_id,))
    return None if not rows or rows[0][0] is None else int(rows[0][0])


async def _check_room(transaction: Transaction, guild_id: int, max_terms: int) -> None:
    """Inside the change's transaction, so two editors adding at once cannot both take the last place."""
    rows = await _fetch_all(transaction, "SELECT count(*) FROM terms WHERE guild_id = ?", (guild_id,))
    if int(rows[0][0]) >= max_terms:
        raise EditRefused(server_full(int(rows[0][0]), max_terms))


async def _require_entry(transaction: Transaction, term_id: int) -> Entry:
    entry = await _read_entry(transaction, term_id)
    if entry is None:
        raise EditRefused("That term no longer exists in the glossary.")
    return entry


async def _id_is_free(transaction: Transaction, term_id: int) -> bool:
    return not await _fetch_all(transaction, "SELECT 1 FROM terms WHERE id = ?", (term_id,))


async def _delete_term(transaction: Transaction, term_id: int) -> list[tuple[str, int, int]]:
    """Delete a term (names, relations and counts cascade); returns who linked to it (name, position and
    scope: a shared term may be linked from servers' entries), to restore later."""
    linked_from = await _fetch_all(
        transaction,
        "SELECT t.name, r.position, coalesce(t.guild_id, 0) FROM relations r JOIN terms t ON t.id = r.term_id "
        "WHERE r.related_id = ? ORDER BY t.name",
        (term_id,),
    )
    await transaction.execute("DELETE FROM terms WHERE id = ?", (term_id,))
    return [(str(row[0]), int(row[1]), int(row[2])) for row in linked_from]


async def _first_removal_since(transaction: Transaction, change: Change) -> Change | None:
    rows = await _fetch_all(
        transaction,
        f"{_SELECT_CHANGES} WHERE c.term_id = ? AND c.id >= ? AND c.after IS NULL ORDER BY c.id LIMIT 1",
        (change.term_id, change.change_id),
    )
    return _change_from_row(rows[0]) if rows else None


async def _relink(transaction: Transaction, term_id: int, removal: Change, notes: list[str]) -> None:
    """Give back the links other terms had to a removed term, where those terms still exist."""
    value = await _fetch_all(transaction, "SELECT linked_from FROM term_changes WHERE id = ?", (removal.change_id,))
    if not value or value[0][0] is None:
        return
    missing: list[str] = []
    for name, position, *scope in json.loads(value[0][0]):
        # Removals recorded before servers had glossaries name shared terms only: scope 0.
        owner = await _fetch_all(
            transaction,
            "SELECT term_id FROM term_names WHERE scope_id = ? AND key = ?",
            (scope[0] if scope else 0, lookup_key(name)),
        )
        if not owner or owner[0][0] == term_id:
            missing.append(name)
            continue
        await transaction.execute(
            "INSERT INTO relations (term_id, related_id, position) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            (owner[0][0], term_id, position),
        )
    if missing:
        notes.append(f"not linked again from {', '.join(missing)} (no longer in the glossary)")


async def _record(
    transaction: Transaction,
    action: Action,
    term_id: int,
    user_id: int,
    *,
    before: Entry | None,
    after: Entry | None,
    linked_from: list[tuple[str, int, int]] | None = None,
    reverts: int | None = None,
    guild_id: int | None = None,
) -> int:
    shown = after or before
    assert shown is not None  # a change has a before or an after (the table checks it too)
    change_id = await transaction.fetch_value(
        "INSERT INTO term_changes (term_id, term_name, term_key, action, user_id, at, before, after, linked_from, "
        "reverts, guild_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (
            term_id,
            shown.term,
            lookup_key(shown.term),
            action,
            user_id,
            _now(),
            snapshot(before),
            snapshot(after),
            None if linked_from is None else json.dumps(linked_from, ensure_ascii=False),
            reverts,
            guild_id,
        ),
    )
    return int(change_id)


class _TermWriter:
    """Writes one entry's row, names and relations, checking every name against the other terms.

    Strict (an editor's change): anything that does not fit refuses the whole change with a reason.
    Lenient (a revert): a clashing alias or a missing related term is left out and noted; only a
    primary name that another term now holds still refuses, as the term would have no name.

    Names are checked in the term's scope only (a server's entry may share a name with a shared one);
    related terms are found in the term's server first, then in the shared glossary.
    """

    def __init__(self, transaction: Transaction, *, strict: bool, guild_id: int | None = None) -> None:
        self.transaction = transaction
        self.strict = strict
        self.guild_id = guild_id
        self.scope_id = guild_id or 0
        self.notes: list[str] = []

    async def write(self, term_id: int | None, entry: Entry, *, reuse_id: int | None = None) -> int:
        aliases = await self._free_aliases(term_id, entry)
        related_ids = await self._related_ids(term_id, entry)
        values = (entry.term, entry.definition, entry.description, entry.category, entry.url)
        if term_id is None:
            # The next id after the highest, as SQLite gives a row without one: on PostgreSQL too, where the
            # import writer also picks ids itself (so no sequence could keep up with both).
            term_id = int(
                await self.transaction.fetch_value(
                    "INSERT INTO terms (id, name, definition, description, category, url, origin, edited, guild_id) "
                    "VALUES (coalesce(?, (SELECT coalesce(max(id), 0) + 1 FROM terms)), ?, ?, ?, ?, ?, 'editor', 1, ?) "
                    "RETURNING id",
                    (reuse_id, *values, self.guild_id),
                )
            )
        else:
            # edited = 1: seeding and imports without --replace now leave this term alone.
            await self.transaction.execute(
                "UPDATE terms SET name = ?, definition = ?, description = ?, category = ?, url = ?, edited = 1, "
                "updated_at = ? WHERE id = ?",
                (*values, _now(), term_id),
            )
        await self.transaction.execute("DELETE FROM term_names WHERE term_id = ?", (term_id,))
        for position, (text, is_alias) in enumerate([(entry.term, False), *((alias, True) for alias in aliases)]):
            await self.transaction.execute(
                "INSERT INTO term_names (scope_id, key, term_id, text, is_alias, position) VALUES (?, ?, ?, ?, ?, ?)",
                (self.scope_id, lookup_key(text), term_id, text, int(is_alias), position),
            )
        await self.transaction.execute("DELETE FROM relations WHERE term_id = ?", (term_id,))
        for position, related_id in enumerate(related_ids):
            await self.transaction.execute(
                "INSERT INTO relations (term_id, related_id, position) VALUES (?, ?, ?)",
                (term_id, related_id, position),
            )
        return term_id

    async def _owner(self, name: str, scope_id: int | None = None) -> tuple[int, str, bool] | None:
        """(term id, that term's name, whether `name` is its alias) of whoever holds `name`'s key in the
        scope (by default the term's own)."""
        rows = await _fetch_all(
            self.transaction,
            "SELECT n.term_id, t.name, n.is_alias FROM term_names n JOIN terms t ON t.id = n.term_id "
            "WHERE n.scope_id = ? AND n.key = ?",
            (self.scope_id if scope_id is None else scope_id, lookup_key(name)),
        )
        return (int(rows[0][0]), str(rows[0][1]), bool(rows[0][2])) if rows else None

    async def _visible_owner(self, name: str) -> tuple[int, str, bool] | None:
        """Who holds `name` as the term sees it: its own scope first, then the shared glossary."""
        owner = await self._owner(name)
        if owner is None and self.scope_id:
            owner = await self._owner(name, 0)
        return owner

    async def _free_aliases(self, term_id: int | None, entry: Entry) -> list[str]:
        owner = await self._owner(entry.term)
        if owner is not None and owner[0] != term_id:
            raise EditRefused(f"The name {entry.term!r} is already {_held_by(entry.term, owner)}.")
        kept: list[str] = []
        keys = {lookup_key(entry.term)}
        for alias in entry.aliases:
            key = lookup_key(alias)
            if key in keys:
                continue
            owner = await self._owner(alias)
            if owner is not None and owner[0] != term_id:
                self._problem(f"the alias {alias!r} is already {_held_by(alias, owner)}", f"alias {alias!r} left out")
                continue
            keys.add(key)
            kept.append(alias)
        return kept

    async def _related_ids(self, term_id: int | None, entry: Entry) -> list[int]:
        ids: list[int] = []
        unknown: list[str] = []
        for name in entry.related:
            owner = await self._visible_owner(name)
            if owner is None:
                unknown.append(name)
            elif owner[0] == term_id:
                self._problem(f"{name!r} is this term itself and cannot be related to it", f"{name!r} left out")
            elif owner[0] not in ids:
                ids.append(owner[0])
        if unknown:
            listed = ", ".join(repr(name) for name in unknown)
            self._problem(
                f"no term is called {listed}: add it first or check the spelling",
                f"related {listed} left out (no longer in the glossary)",
            )
        return ids

    def _problem(self, refusal: str, note: str) -> None:
        if self.strict:
            raise EditRefused(f"Not saved: {refusal}.")
        self.notes.append(note)


def _held_by(name: str, owner: tuple[int, str, bool]) -> str:
    _, owner_name, is_alias = owner
    return f"an alias of {owner_name!r}" if is_alias else f"the name of {owner_name!r}"
