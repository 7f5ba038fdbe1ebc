"""The glossary as cogs use it: the shared glossary and each server's own, behind one set of methods.

The rules of scope live here, and only here: what a server sees (its entries, then the shared ones; a
server entry wins on the same name), who may change what (bot/core/scope.py), and how big a server's
glossary may grow. Every write keeps the matching indexes in step in the same method that makes it, so
no cog can forget to. Refusals are raised as `CurationRefused` / `EditRefused`, whose messages are meant
for the user as they are; bot/errors.py turns them into the ephemeral answer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from bot.core.editing import Change, EditRefused
from bot.core.entry import Entry
from bot.core.index import MAX_CHOICES, Choice, GlossaryIndex, IndexRow
from bot.core.index_changes import apply_changes, changes_between
from bot.core.normalize import lookup_key
from bot.core.render import TermView, quote_user_text
from bot.core.render_admin import Stats
from bot.core.scope import (
    Actor,
    CurationRefused,
    Scope,
    check_curate,
    chosen_scope,
    require_editor,
    server_full,
)
from bot.core.scoped import ScopedIndex, first_keystroke
from bot.core.search import SearchPage, SearchQuery
from bot.services.indexes import DEFAULT_CAPACITY, ServerIndexes
from bot.store.db import Database
from bot.store.glossary import GlossaryStore
from bot.store.history import ChangeResult, CurationStore
from bot.store.search import SearchStore
from bot.store.servers import ServerStore

log = logging.getLogger(__name__)

DEFAULT_SERVER_TERMS_LIMIT = 5000
CHANGES_PER_TURN = 50
"""Terms changed in place per turn of the event loop when following a change made elsewhere (~15 ms)."""
SHARED_BUTTON_PREFIX = "Shared glossary: "
"""The label of the button from a server's entry to the shared entry of the same name."""

Matcher = GlossaryIndex | ScopedIndex
"""What matching reads in one place: the shared index alone, or a server's over it."""


@dataclass(frozen=True, slots=True)
class Target:
    """An existing entry an editor named, and whose it is."""

    term_id: int
    name: str
    guild_id: int | None


class GlossaryService:
    def __init__(
        self,
        database: Database,
        *,
        server_terms_limit: int = DEFAULT_SERVER_TERMS_LIMIT,
        server_index_capacity: int = DEFAULT_CAPACITY,
    ) -> None:
        self.database = database
        self.glossary = GlossaryStore(database)
        self.curation = CurationStore(database)
        self.search_store = SearchStore(database)
        self.servers = ServerStore(database)
        self.shared = GlossaryIndex()
        """The shared glossary's names; `GlossaryBot.reload_index` builds it."""
        self.server_indexes = ServerIndexes(self.servers.index_rows, lambda: self.shared, server_index_capacity)
        self.server_terms_limit = server_terms_limit

    def close(self) -> None:
        self.server_indexes.close()

    def replace_shared(self, index: GlossaryIndex) -> None:
        """A freshly built shared index (at start, or after another process changed the database): the
        servers' indexes may be stale too, and are read again on their next use."""
        self.shared = index
        self.server_indexes.forget()

    async def follow_shared(self, rows: Sequence[IndexRow]) -> bool:
        """Bring the shared index in step with `rows`, read after a change made elsewhere, by changing the
        terms that differ; False, changing nothing, when so many differ that a build is quicker.

        The comparison runs on a worker thread; the changes on the event loop, a turn at a time. The
        servers' indexes are read again on their next use, as after a build: theirs may have changed too.
        """
        index = self.shared
        changes = await asyncio.to_thread(changes_between, index, rows)
        if changes is None:
            return False
        for part in changes.in_parts(CHANGES_PER_TURN):
            apply_changes(index, part)
            await asyncio.sleep(0)
        self.server_indexes.forget()
        if changes:
            log.info(
                "glossary index: %d terms changed in place, %d removed", len(changes.upserts), len(changes.removals)
            )
        return True

    # ---- what a place sees ------------------------------------------------------------------------

    async def matcher(self, guild_id: int | None) -> Matcher:
        """The names /define, autocomplete and Explain terms match in a server (or a DM: None)."""
        scoped = await self.server_indexes.get(guild_id) if guild_id is not None else None
        return self.shared if scoped is None else scoped

    async def complete(self, guild_id: int | None, text: str) -> list[Choice]:
        """Autocomplete where it is asked. The first keystroke in a server whose index is not in memory is
        answered from its names' keys in the database (one range read, no index to build), and its index
        is built right after, for the keystrokes that follow: building it first would make that keystroke
        the slowest of all."""
        if guild_id is None or self.server_indexes.known(guild_id):
            return (await self.matcher(guild_id)).complete(text)
        self.server_indexes.prepare(guild_id)
        key = lookup_key(text)
        hits = await self.servers.names_starting_with(guild_id, key, MAX_CHOICES)
        return first_keystroke(self.shared, hits, text, key)

    async def term_view(self, term_id: int, guild_id: int | None) -> TermView | None:
        """The entry as shown in `guild_id`; None if it is gone or not visible there. A server's entry that
        carries a shared entry's name gets a button to that shared entry first."""
        view = await self.glossary.term_view(term_id, guild_id)
        if view is None or guild_id is None:
            return view
        matcher = await self.matcher(guild_id)
        twin = matcher.shadowed(term_id) if isinstance(matcher, ScopedIndex) else None
        if twin is None:
            return view
        return replace(view, related=((twin, SHARED_BUTTON_PREFIX + view.name), *view.related))

    def record_popularity(self, term_id: int, guild_id: int | None) -> None:
        """A lookup raises the term in autocomplete, in whichever index holds it."""
        scoped = self.server_indexes.cached(guild_id) if guild_id is not None else None
        (self.shared if scoped is None else scoped).record_lookup(term_id)

    async def search(self, query: SearchQuery, page: int, guild_id: int | None) -> SearchPage:
        return await self.search_store.search(query, page, guild_id=guild_id)

    async def random_term_id(self, category: str | None, guild_id: int | None) -> int | None:
        return await self.search_store.random_term_id(category, guild_id=guild_id)

    async def categories(self, guild_id: int | None) -> list[tuple[str, int]]:
        return await self.search_store.categories(guild_id=guild_id)

    async def definitions(self, term_ids: Sequence[int], guild_id: int | None) -> dict[int, tuple[str, str]]:
        return await self.search_store.definitions(term_ids, guild_id=guild_id)

    # ---- naming an entry to change ----------------------------------------------------------------

    async def target(self, actor: Actor, text: str) -> Target:
        """The entry an editor names: the server's of that name if it has one, else the shared one; exact
        names only (an editor changes exactly what they name, never a fuzzy guess)."""
        require_editor(actor)
        matcher = await self.matcher(actor.guild_id)
        term_id = matcher.term_for(text)
        if term_id is None:
            raise CurationRefused(f"No term is called “{quote_user_text(text)}”. Pick one from the list.")
        return await self._checked(actor, term_id, matcher.name_of(term_id) or text)

    async def _checked(self, actor: Actor, term_id: int, name: str) -> Target:
        guild_id = await self.servers.guild_of(term_id)
        check_curate(actor, guild_id, name)
        return Target(term_id, name, guild_id)

    async def entry_of(self, target: Target) -> Entry:
        entry = await self.curation.entry_of(target.term_id)
        if entry is None:
            raise CurationRefused("That term has just been removed.")
        return entry

    # ---- changing ---------------------------------------------------------------------------------

    async def home_for_new(self, actor: Actor, scope: Scope | None) -> int | None:
        """Where a new entry of `actor` asking for `scope` goes (None: the shared glossary), if it may."""
        guild_id = chosen_scope(actor, scope)
        if guild_id is not None:
            await self.check_room(guild_id, 1)
        return guild_id

    async def add(self, actor: Actor, entry: Entry, scope: Scope | None) -> ChangeResult:
        guild_id = await self.home_for_new(actor, scope)
        result = await self.curation.add(entry, actor.user_id, guild_id=guild_id, max_terms=self.server_terms_limit)
        return self._sync(result, guild_id)

    async def edit(self, actor: Actor, target: Target, entry: Entry, *, base: Entry | None) -> ChangeResult:
        await self._checked(actor, target.term_id, target.name)  # rights may have changed while the form was open
        result = await self.curation.edit(target.term_id, entry, actor.user_id, base=base)
        return self._sync(result, target.guild_id)

    async def add_alias(self, actor: Actor, target: Target, alias: str) -> ChangeResult:
        return self._sync(await self.curation.add_alias(target.term_id, alias, actor.user_id), target.guild_id)

    async def relate(self, actor: Actor, target: Target, other: str) -> tuple[ChangeResult, str]:
        """Link `target` to the entry called `other` as seen from here; the result and the other's name."""
        matcher = await self.matcher(actor.guild_id)
        other_id = matcher.term_for(other)
        if other_id is None:
            raise CurationRefused(f"No term is called “{quote_user_text(other)}”. Pick one from the list.")
        result = await self.curation.relate(target.term_id, other_id, actor.user_id)
        return self._sync(result, target.guild_id), matcher.name_of(other_id) or other

    async def remove(self, actor: Actor, target: Target) -> ChangeResult:
        await self._checked(actor, target.term_id, target.name)
        return self._sync(await self.curation.remove(target.term_id, actor.user_id), target.guild_id)

    async def revert(self, actor: Actor, change_id: int) -> tuple[ChangeResult, Change]:
        """Undo a change of the shared glossary (bot editors) or of the actor's server's."""
        change = await self.curation.change(change_id)
        if change is None or (change.guild_id is not None and change.guild_id != actor.guild_id):
            require_editor(actor)
            raise EditRefused(f"There is no change #{change_id}.")
        check_curate(actor, change.guild_id, change.name)
        brings_back = change.before is not None and await self.curation.entry_of(change.term_id) is None
        if change.guild_id is not None and brings_back:
            await self.check_room(change.guild_id, 1)
        return self._sync(await self.curation.revert(change_id, actor.user_id), change.guild_id), change

    async def history(self, actor: Actor, text: str) -> tuple[str, list[Change]]:
        """The named entry's latest changes (or a removed entry's), and the name to show them under."""
        require_editor(actor)
        matcher = await self.matcher(actor.guild_id)
        term_id = matcher.term_for(text)
        if term_id is not None:
            target = await self._checked(actor, term_id, matcher.name_of(term_id) or text)
            return target.name, await self.curation.history(term_id)
        # A removed entry: this server's first, then (for bot editors) the shared glossary's.
        scopes: list[int | None] = [actor.guild_id] if actor.guild_id is not None else []
        if actor.bot_editor:
            scopes.append(None)
        for guild_id in scopes:
            changes = await self.curation.removed_term_history(text, guild_id=guild_id)
            if changes:
                return f"{changes[0].name} (removed)", changes
        raise CurationRefused(f"No term is called “{quote_user_text(text)}”, and none by that name was removed.")

    async def recent_changes(self, actor: Actor, text: str) -> list[Change]:
        """For the revert autocomplete: the changes the actor may revert."""
        if not actor.is_editor:
            return []
        scopes: list[int | None] = [None] if actor.bot_editor else []
        if actor.server_editor or (actor.bot_editor and actor.guild_id is not None):
            scopes.append(actor.guild_id)
        return await self.curation.recent_changes(text, scopes=scopes)

    async def editor_categories(self, actor: Actor, text: str) -> list[str]:
        return await self.curation.categories(text, guild_id=actor.guild_id)

    async def stats(self, actor: Actor, scope: Scope | None, when: datetime) -> tuple[int | None, Stats]:
        guild_id = chosen_scope(actor, scope)
        return guild_id, await self.curation.stats(when, guild_id=guild_id)

    # ---- a server's glossary as a whole -----------------------------------------------------------

    async def check_room(self, guild_id: int, adding: int) -> None:
        """Refuse a change that would take the server past SERVER_TERMS_LIMIT entries."""
        count = await self.servers.count_terms(guild_id)
        if count + adding > self.server_terms_limit:
            raise CurationRefused(server_full(count, self.server_terms_limit))

    async def wipe(self, guild_id: int) -> int:
        removed = await self.servers.wipe(guild_id)
        self.server_indexes.forget(guild_id)
        log.info("server %s wiped its glossary: %d entries", guild_id, removed)
        return removed

    async def editor_role(self, guild_id: int) -> int | None:
        return await self.servers.editor_role(guild_id)

    async def set_editor_role(self, guild_id: int, role_id: int | None) -> None:
        await self.servers.set_editor_role(guild_id, role_id)

    # ---- keeping the indexes in step --------------------------------------------------------------

    def _sync(self, result: ChangeResult, guild_id: int | None) -> ChangeResult:
        """Bring the index of the entry's glossary in step with a change; the result, saying whose entry."""
        if guild_id is None:
            if result.entry is None:
                self.shared.remove(result.term_id)
            else:
                self.shared.upsert(result.term_id, result.entry.term, result.entry.aliases)
        elif result.entry is None:
            self.server_indexes.remove(guild_id, result.term_id)
        else:
            self.server_indexes.upsert(guild_id, result.term_id, result.entry.term, result.entry.aliases)
        return replace(result, guild_id=guild_id)
