"""A server's entries over the shared glossary: what matching sees inside one server.

Pure: two `GlossaryIndex`es (the shared one, and the server's own, small one) are read through their
public methods and their answers merged, so the index itself knows nothing of servers. The rule is one:
on the same name, the server's entry wins. A shared entry whose name (or alias) a server entry holds is
"shadowed" there: it is not offered in that server's autocomplete, and /define answers with the server's
entry, which carries a button to the shared one (see `shadowed`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from bot.core.index import MAX_CHOICE_CHARS, MAX_CHOICES, MAX_SUGGESTIONS, Choice, GlossaryIndex, Resolution, Tier

CLEAR_KINDS = ("exact", "alias")
"""Resolutions that name a term outright, rather than guess one."""
MAX_REMEMBERED = 4096
"""Shared entries whose visibility here is remembered (each answer offers up to 25): enough for a busy
server's usual lookups, and a bounded memory however many it makes."""


class ScopedIndex:
    """The shared glossary as seen from one server: its own entries first, then the shared ones."""

    def __init__(self, shared: GlossaryIndex, server: GlossaryIndex) -> None:
        self.shared = shared
        self.server = server
        self._visible: dict[int, bool] = {}
        """Whether a shared entry is reachable by its name here: normalising its name for each choice of
        each keystroke cost as much as the server's own matching."""

    def changed(self) -> None:
        """The server's names changed: what they hide must be worked out again."""
        self._visible.clear()

    def __len__(self) -> int:
        return len(self.shared) + len(self.server)

    def __contains__(self, term_id: object) -> bool:
        return term_id in self.server or term_id in self.shared

    def name_of(self, term_id: int) -> str | None:
        return self.server.name_of(term_id) or self.shared.name_of(term_id)

    def term_for(self, text: str) -> int | None:
        """The term whose name or alias is exactly `text`: the server's if it has one, else the shared one."""
        own = self.server.term_for(text)
        return own if own is not None else self.shared.term_for(text)

    def phrase_for_key(self, key: str) -> tuple[int, str] | None:
        return self.server.phrase_for_key(key) or self.shared.phrase_for_key(key)

    def has_key_starting_with(self, prefix: str) -> bool:
        return self.server.has_key_starting_with(prefix) or self.shared.has_key_starting_with(prefix)

    def record_lookup(self, term_id: int) -> None:
        (self.server if term_id in self.server else self.shared).record_lookup(term_id)

    def shadowed(self, term_id: int) -> int | None:
        """The shared entry that the server's entry `term_id` hides by carrying its name, if any."""
        name = self.server.name_of(term_id)
        return None if name is None else self.shared.term_for(name)

    def _visible_shared(self, term_id: int) -> bool:
        """Whether a shared entry can be reached by its name here (no server entry holds that name)."""
        visible = self._visible.get(term_id)
        if visible is None:
            name = self.shared.name_of(term_id)
            visible = name is not None and self.server.term_for(name) is None
            if len(self._visible) >= MAX_REMEMBERED:
                self._visible.clear()
            self._visible[term_id] = visible
        return visible

    def complete(self, text: str, limit: int = MAX_CHOICES) -> list[Choice]:
        """Both indexes' choices, best tier first; on a tie the server's first; shadowed shared ones left out."""
        own = self.server.complete(text, limit) if len(self.server) else []
        shared = [choice for choice in self.shared.complete(text, limit) if self._visible_shared(choice.term_id)]
        return merge_choices(own, shared, limit)

    def resolve(self, text: str) -> Resolution:
        """Exact or alias in the server, then in the shared glossary; then a fuzzy winner, the server's first."""
        own = self.server.resolve(text)
        if own.kind in CLEAR_KINDS and not own.senses:
            return own
        shared = self.shared.resolve(text)
        if shared.kind in CLEAR_KINDS and not shared.senses:
            return self._here(shared)
        senses = _first_distinct((*own.senses, *filter(self._visible_shared, shared.senses)), MAX_SUGGESTIONS)
        if len(senses) > 1:  # a base name several entries share, here or in the shared glossary: each a button
            return Resolution("senses", None, own.matched, senses=senses)
        if senses:  # one sense, or the others hidden here by the server's own names
            meant = own if own.senses else shared
            return Resolution("fuzzy" if meant.kind == "fuzzy" else "exact", senses[0], self.name_of(senses[0]) or "")
        if own.kind == "fuzzy":
            return own
        if shared.kind == "fuzzy":
            return self._here(shared)
        visible = (term_id for term_id in shared.suggestions if self._visible_shared(term_id))
        return Resolution("miss", None, own.matched, _first_distinct((*own.suggestions, *visible), MAX_SUGGESTIONS))

    def _here(self, found: Resolution) -> Resolution:
        """A shared answer as this server sees it: a shared entry whose name a server entry carries is that
        server entry here, also when it was found by one of its aliases ("LLM" for "Large Language Model")."""
        if found.term_id is None or self._visible_shared(found.term_id):
            return found
        name = self.shared.name_of(found.term_id)
        return replace(found, term_id=None if name is None else self.server.term_for(name))


def merge_choices(own: list[Choice], shared: list[Choice], limit: int = MAX_CHOICES) -> list[Choice]:
    """`own` and `shared` interleaved by tier (each list keeps its order), `own` first on a tie, one choice
    per value: Discord resolves a choice by its value, and the server's entry holds that name here."""
    merged = sorted([*own, *shared], key=lambda choice: choice.tier)  # stable: own stays ahead on a tie
    seen: set[str] = set()
    kept: list[Choice] = []
    for choice in merged:
        if choice.name in seen:
            continue
        seen.add(choice.name)
        kept.append(choice)
        if len(kept) == limit:
            break
    return kept


def _first_distinct(term_ids: Iterable[int], limit: int) -> tuple[int, ...]:
    return tuple(dict.fromkeys(term_ids))[:limit]


@dataclass(frozen=True, slots=True)
class NameHit:
    """A server's name or alias whose key starts with what was typed, as the store finds it by its key."""

    term_id: int
    key: str
    text: str
    is_alias: bool
    name: str
    """The term's display name."""


def first_keystroke(shared: GlossaryIndex, hits: Sequence[NameHit], text: str, key: str) -> list[Choice]:
    """Choices for a keystroke in a server whose index is not built yet: its names that start with what was
    typed (`hits`, most looked-up first) over the shared glossary's choices. Typos and inner words wait for
    the index, which is built right after this answer."""
    exact = [hit for hit in hits if hit.key == key]
    names = [hit for hit in hits if hit.key != key and not hit.is_alias]
    aliases = sorted((hit for hit in hits if hit.key != key and hit.is_alias), key=lambda hit: len(hit.key))
    own = [
        *(_hit_choice(hit, Tier.EXACT) for hit in exact),
        *(_hit_choice(hit, Tier.PREFIX) for hit in names),
        *(_hit_choice(hit, Tier.ALIAS) for hit in aliases),
    ]
    taken = {hit.name.casefold() for hit in hits}
    shared_choices = [choice for choice in shared.complete(text) if choice.name.casefold() not in taken]
    return merge_choices(own, shared_choices)


def _hit_choice(hit: NameHit, tier: Tier) -> Choice:
    label = f"{hit.name} ({hit.text})" if hit.is_alias else hit.name
    return Choice(hit.term_id, _fit(hit.name), _fit(label), tier)


def _fit(text: str) -> str:
    return text if len(text) <= MAX_CHOICE_CHARS else text[: MAX_CHOICE_CHARS - 1] + "…"
