"""Exact, prefix and fuzzy matching over term names and aliases, kept in memory.

The index answers two questions:
- `complete(text)`: what to offer while someone types (autocomplete), ranked in tiers;
- `resolve(text)`: which single term a submitted `/define` means, if any.

Design notes (sized for 100,000 terms):
- Keys come from `normalize.lookup_key`, so case, spaces, hyphens, punctuation and plurals never matter.
- Prefix tiers use binary search over sorted keys: O(log n) plus the matches, no scan.
- The fuzzy tier (rapidfuzz, in C) runs only when the cheaper tiers did not fill the answer, and
  only over keys of plausible length.
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import IntEnum
from typing import Literal

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.core.normalize import lookup_key, tokens

MAX_CHOICES = 25
"""Discord shows at most 25 autocomplete choices."""
MAX_CHOICE_CHARS = 100
"""Discord's limit for a choice's name and value."""
MAX_SUGGESTIONS = 5
"""How many "Did you mean" buttons a miss offers."""
MIN_FUZZY_KEY_CHARS = 4
"""Below this, every short key is "one edit away": fuzzy matching would be noise."""
PREFIX_SCAN_LIMIT = 2_000
"""A prefix range larger than this is ranked from a cached answer rather than scanned per keystroke."""
FUZZY_CANDIDATES = 60
"""How many fuzzy candidates rapidfuzz returns before we group them by term."""


ONE_EDIT_FROM_CHARS = 4
TWO_EDITS_FROM_CHARS = 8


def max_edits(key: str) -> int:
    """How many typos a key of this length may carry and still count as a clear match."""
    if len(key) < ONE_EDIT_FROM_CHARS:
        return 0
    return 1 if len(key) < TWO_EDITS_FROM_CHARS else 2


class Tier(IntEnum):
    """Why a term was offered; lower is better."""

    EXACT = 0
    PREFIX = 1
    ALIAS = 2
    WORD = 3
    FUZZY = 4


@dataclass(frozen=True, slots=True)
class Choice:
    term_id: int
    name: str
    """The term's display name, which is also the choice value: it resolves exactly."""
    label: str
    """What the user sees: the name, with the alias that matched when that is why it is offered."""
    tier: Tier


@dataclass(frozen=True, slots=True)
class Resolution:
    kind: Literal["exact", "alias", "fuzzy", "miss"]
    term_id: int | None
    matched: str
    """The name or alias that matched (for "Showing results for …"), or the normalised query on a miss."""
    suggestions: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class _Name:
    key: str
    term_id: int
    text: str
    is_alias: bool


def _fit(text: str, limit: int = MAX_CHOICE_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class GlossaryIndex:
    """All names and aliases of the glossary, for fast matching. Not thread-safe; one event loop owns it."""

    def __init__(self) -> None:
        self._by_key: dict[str, _Name] = {}
        self._names_of: dict[int, list[_Name]] = {}
        self._display: dict[int, str] = {}
        self._popularity: dict[int, int] = {}
        self._sorted_keys: list[str] = []
        self._word_keys: list[tuple[str, int]] = []
        self._keys_by_length: dict[int, list[str]] = {}
        self._popular_prefix_cache: dict[str, list[int]] = {}
        self._truncated_cache: dict[int, list[str]] = {}

    # ---- building and keeping current -------------------------------------------------------------

    @classmethod
    def build(cls, terms: Iterable[tuple[int, str, Iterable[str], int]]) -> GlossaryIndex:
        """Build from (term_id, name, aliases, lookups) rows in one pass, sorting once."""
        index = cls()
        for term_id, name, aliases, lookups in terms:
            index._register(term_id, name, aliases, lookups)
        index._rebuild_sorted()
        return index

    def upsert(self, term_id: int, name: str, aliases: Iterable[str], lookups: int | None = None) -> None:
        """Add a term or replace its names; keeps its popularity unless `lookups` is given."""
        popularity = self._popularity.get(term_id, 0) if lookups is None else lookups
        self._unregister(term_id)
        self._register(term_id, name, aliases, popularity)
        self._rebuild_sorted()

    def remove(self, term_id: int) -> None:
        self._unregister(term_id)
        self._rebuild_sorted()

    def record_lookup(self, term_id: int) -> None:
        if term_id in self._popularity:
            self._popularity[term_id] += 1

    def _register(self, term_id: int, name: str, aliases: Iterable[str], lookups: int) -> None:
        self._display[term_id] = name
        self._popularity[term_id] = lookups
        names = self._names_of.setdefault(term_id, [])
        for text, is_alias in [(name, False), *((alias, True) for alias in aliases)]:
            key = lookup_key(text)
            if key and key not in self._by_key:  # the store guarantees uniqueness; first wins if not
                entry = _Name(key, term_id, text, is_alias)
                self._by_key[key] = entry
                names.append(entry)

    def _unregister(self, term_id: int) -> None:
        for entry in self._names_of.pop(term_id, []):
            del self._by_key[entry.key]
        self._display.pop(term_id, None)
        self._popularity.pop(term_id, None)

    def _rebuild_sorted(self) -> None:
        # Rebuilding costs O(n log n) per edit: edits are rare and this keeps every query path simple.
        self._sorted_keys = sorted(self._by_key)
        words: list[tuple[str, int]] = []
        by_length: dict[int, list[str]] = {}
        for key, entry in self._by_key.items():
            by_length.setdefault(len(key), []).append(key)
            if not entry.is_alias:
                words.extend((suffix, entry.term_id) for suffix in _inner_word_suffixes(entry.text))
        words.sort()
        self._word_keys = words
        self._keys_by_length = by_length
        self._popular_prefix_cache.clear()
        self._truncated_cache.clear()

    # ---- reading ----------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._display)

    def __contains__(self, term_id: object) -> bool:
        return term_id in self._display

    def name_of(self, term_id: int) -> str | None:
        return self._display.get(term_id)

    def term_for(self, text: str) -> int | None:
        """The term whose name or alias is exactly `text` (normalised), if any."""
        entry = self._by_key.get(lookup_key(text))
        return entry.term_id if entry else None

    def most_popular(self, limit: int = MAX_CHOICES) -> list[int]:
        return heapq.nsmallest(limit, self._display, key=self._rank_key)

    def _rank_key(self, term_id: int) -> tuple[int, int, str]:
        name = self._display[term_id]
        return (-self._popularity.get(term_id, 0), len(name), name.casefold())

    # ---- autocomplete -----------------------------------------------------------------------------

    def complete(self, text: str, limit: int = MAX_CHOICES) -> list[Choice]:
        """Up to `limit` terms for what has been typed so far, best first, each term once."""
        key = lookup_key(text)
        if not key:
            return [self._choice(term_id, Tier.PREFIX) for term_id in self.most_popular(limit)]
        picked: dict[int, Choice] = {}
        for choice in self._tiers(key, limit):
            picked.setdefault(choice.term_id, choice)
            if len(picked) >= limit:
                break
        return list(picked.values())

    def _tiers(self, key: str, limit: int) -> Iterator[Choice]:
        exact = self._by_key.get(key)
        if exact:
            yield self._choice(exact.term_id, Tier.EXACT, exact)
        prefixed = self._prefix_entries(key)
        names = [entry for entry in prefixed if not entry.is_alias]
        for term_id in self._by_popularity({entry.term_id for entry in names}, limit):
            yield self._choice(term_id, Tier.PREFIX)
        for entry in sorted((entry for entry in prefixed if entry.is_alias), key=lambda e: len(e.key)):
            yield self._choice(entry.term_id, Tier.ALIAS, entry)
        for term_id in self._by_popularity(set(self._word_matches(key)), limit):
            yield self._choice(term_id, Tier.WORD)
        yield from (self._choice(term_id, Tier.FUZZY) for term_id in self._fuzzy_prefix(key, limit))

    def _choice(self, term_id: int, tier: Tier, via: _Name | None = None) -> Choice:
        name = self._display[term_id]
        label = f"{name} ({via.text})" if via is not None and via.is_alias else name
        return Choice(term_id=term_id, name=_fit(name), label=_fit(label), tier=tier)

    def _by_popularity(self, term_ids: set[int], limit: int) -> list[int]:
        return heapq.nsmallest(limit, term_ids, key=self._rank_key)

    def _prefix_range(self, key: str) -> tuple[int, int]:
        start = bisect.bisect_left(self._sorted_keys, key)
        end = bisect.bisect_left(self._sorted_keys, key + "\U0010ffff", lo=start)
        return start, end

    def _prefix_entries(self, key: str) -> list[_Name]:
        start, end = self._prefix_range(key)
        if end - start > PREFIX_SCAN_LIMIT:
            # A one- or two-letter prefix can match a large share of the glossary: rank it once and reuse.
            return [self._best_name(term_id) for term_id in self._popular_with_prefix(key, start, end)]
        return [self._by_key[k] for k in self._sorted_keys[start:end] if k != key]

    def _popular_with_prefix(self, key: str, start: int, end: int) -> list[int]:
        cached = self._popular_prefix_cache.get(key)
        if cached is None:
            ids = {self._by_key[k].term_id for k in self._sorted_keys[start:end]}
            cached = self._by_popularity(ids, MAX_CHOICES)
            self._popular_prefix_cache[key] = cached
        return cached

    def _best_name(self, term_id: int) -> _Name:
        return self._names_of[term_id][0]

    def _word_matches(self, key: str) -> Iterator[int]:
        start = bisect.bisect_left(self._word_keys, (key,))
        for index in range(start, min(start + PREFIX_SCAN_LIMIT, len(self._word_keys))):
            suffix, term_id = self._word_keys[index]
            if not suffix.startswith(key):
                break
            yield term_id

    def _fuzzy_prefix(self, key: str, limit: int) -> list[int]:
        """Terms whose name or alias starts with something a few typos away from `key`."""
        if len(key) < MIN_FUZZY_KEY_CHARS:
            return []
        edits = max_edits(key)
        scored: dict[int, tuple[int, int]] = {}
        for length in range(len(key) - edits, len(key) + edits + 1):
            candidates = self._truncated_keys(length)
            for _, distance, index in process.extract(
                key,
                candidates,
                scorer=OSA.distance,
                processor=None,
                score_cutoff=edits,
                limit=FUZZY_CANDIDATES,
            ):
                for term_id in self._terms_with_prefix(candidates[index]):
                    rank = (int(distance), abs(length - len(key)))
                    if rank < scored.get(term_id, (edits + 1, 0)):
                        scored[term_id] = rank
        ordered = sorted(scored, key=lambda term_id: (scored[term_id], self._rank_key(term_id)))
        return ordered[:limit]

    def _truncated_keys(self, length: int) -> list[str]:
        cached = self._truncated_cache.get(length)
        if cached is None:
            cached = self._truncated_cache[length] = self._distinct_prefixes(length)
        return cached

    def _distinct_prefixes(self, length: int) -> list[str]:
        # Derived from the sorted keys, so equal prefixes are adjacent and one comparison drops repeats.
        prefixes: list[str] = []
        for key in self._sorted_keys:
            if len(key) >= length and (not prefixes or prefixes[-1] != key[:length]):
                prefixes.append(key[:length])
        return prefixes

    def _terms_with_prefix(self, prefix: str) -> list[int]:
        start, end = self._prefix_range(prefix)
        return [self._by_key[k].term_id for k in self._sorted_keys[start : min(end, start + MAX_CHOICES)]]

    # ---- resolving a submitted term ---------------------------------------------------------------

    def resolve(self, text: str) -> Resolution:
        """The one term `text` means: exact name, alias, or a clear single fuzzy winner; else suggestions."""
        key = lookup_key(text)
        if not key:
            return Resolution("miss", None, "")
        entry = self._by_key.get(key)
        if entry is not None:
            return Resolution("alias" if entry.is_alias else "exact", entry.term_id, entry.text)
        winner = self._clear_fuzzy_winner(key)
        if winner is not None:
            return Resolution("fuzzy", winner.term_id, winner.text)
        suggestions = tuple(choice.term_id for choice in self.complete(text, MAX_SUGGESTIONS))
        return Resolution("miss", None, key, suggestions)

    def _clear_fuzzy_winner(self, key: str) -> _Name | None:
        edits = max_edits(key)
        if edits == 0:
            return None
        best: dict[int, tuple[int, _Name]] = {}
        for length in range(len(key) - edits, len(key) + edits + 1):
            keys = self._keys_by_length.get(length, [])
            for candidate, distance, _ in process.extract(
                key, keys, scorer=OSA.distance, processor=None, score_cutoff=edits, limit=FUZZY_CANDIDATES
            ):
                entry = self._by_key[candidate]
                if entry.term_id not in best or distance < best[entry.term_id][0]:
                    best[entry.term_id] = (int(distance), entry)
        if not best:
            return None
        ranked = sorted(best.values(), key=lambda pair: pair[0])
        if len(ranked) > 1 and ranked[1][0] == ranked[0][0]:
            return None  # two terms equally close: let the user pick
        return ranked[0][1]


def _inner_word_suffixes(name: str) -> Iterator[str]:
    """Keys starting at each word after the first, so "supervised" finds "Self-Supervised Learning"."""
    words = tokens(name)
    for start in range(1, len(words)):
        yield "".join(words[start:])
