"""A server's entries over the shared glossary: what matching sees inside one server.

Pure: two `GlossaryIndex`es (the shared one, and the server's own, small one) are read through their
public methods and their answers merged, so the index itself knows nothing of servers. The rule is one:
on the same name, the server's entry wins. A shared entry whose name (or alias) a server entry holds is
"shadowed" there: it is not offered in that server's autocomplete, and /define answers with the server's
entry, which carries a button to the shared one (see `shadowed`).
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.core.index import MAX_CHOICES, MAX_SUGGESTIONS, Choice, GlossaryIndex, Resolution

CLEAR_KINDS = ("exact", "alias")
"""Resolutions that name a term outright, rather than guess one."""


class ScopedIndex:
    """The shared glossary as seen from one server: its own entries first, then the shared ones."""

    def __init__(self, shared: GlossaryIndex, server: GlossaryIndex) -> None:
        self.shared = shared
        self.server = server

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
        name = self.shared.name_of(term_id)
        return name is not None and self.server.term_for(name) is None

    def complete(self, text: str, limit: int = MAX_CHOICES) -> list[Choice]:
        """Both indexes' choices, best tier first; on a tie the server's first; shadowed shared ones left out."""
        own = self.server.complete(text, limit) if len(self.server) else []
        shared = [choice for choice in self.shared.complete(text, limit) if self._visible_shared(choice.term_id)]
        return merge_choices(own, shared, limit)

    def resolve(self, text: str) -> Resolution:
        """Exact or alias in the server, then in the shared glossary; then a fuzzy winner, the server's first."""
        own = self.server.resolve(text)
        if own.kind in CLEAR_KINDS:
            return own
        shared = self.shared.resolve(text)
        if shared.kind in CLEAR_KINDS and shared.term_id is not None and self._visible_shared(shared.term_id):
            return shared
        for candidate in (own, shared):
            if candidate.kind == "fuzzy" and (candidate is own or self._visible_shared(candidate.term_id or 0)):
                return candidate
        visible = (term_id for term_id in shared.suggestions if self._visible_shared(term_id))
        return Resolution("miss", None, own.matched, _first_distinct((*own.suggestions, *visible), MAX_SUGGESTIONS))


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
