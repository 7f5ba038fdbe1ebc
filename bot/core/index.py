"""Exact, prefix and fuzzy matching over term names and aliases, kept in memory: the tiers, their ranking,
and what a submitted term resolves to.

The index answers two questions from one candidate search:
- `complete(text)`: what to offer while someone types (autocomplete), ranked in tiers;
- `resolve(text)`: which single term a submitted `/define` means (autocomplete's first candidate when it
  is clearly ahead), the senses a base name shared by several names may mean, or what to suggest.

Design notes (sized for 100,000 terms; `make bench` measures every claim here):
- Keys come from `normalize.lookup_key`, so case, spaces, hyphens, punctuation and plurals never matter;
  a name is also found by its further keys (`normalize.further_keys`: "false positive" and "FP" for
  "false positive (FP)", and the name as typed where making it singular changed it).
- Every tier reads the sorted-key arrays (bot/core/keys.py): the keys starting with a prefix are a
  contiguous range found by binary search, so no tier scans the glossary.
- A range too large to rank per keystroke (one or two letters can match thousands of keys) is ranked by
  popularity once and cached; `record_lookup` keeps those cached rankings current.
- Typos are found by the typo walk (bot/core/typos.py), whose cost depends on the query and the keys near
  it, not on the glossary's size. Autocomplete looks for a second typo only in text that no name starts
  with (text some names start with is being typed as they are spelled).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import IntEnum
from typing import Literal

from rapidfuzz.distance import Indel

from bot.core.keys import SortedKeys
from bot.core.normalize import MAX_QUERY_CHARS, further_keys, lookup_key, singular, tokens, typed_key, typed_words
from bot.core.typos import TypoTuning, near_prefixes, typo_distance

IndexRow = tuple[int, str, tuple[str, ...], int]
"""(term id, name, aliases, lookups): what an index is built from, one per term."""
MAX_CHOICES = 25
"""Discord shows at most 25 autocomplete choices."""
MAX_CHOICE_CHARS = 100
"""Discord's limit for a choice's name and value."""
MAX_SUGGESTIONS = 5
"""How many "Did you mean" buttons a miss offers."""
MIN_FUZZY_KEY_CHARS = 4
"""Below this, every short key is "one edit away": fuzzy matching would be noise."""
MIN_SHARED_WORD_CHARS = 3
"""Shorter words ("ai", "of") are shared by too many names to make a suggestion meaningful."""
_STOP_WORDS_TEXT = """
the and for with from into what how why who which when where that this are was were you your our its not but
can does about over under
"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())
"""Words a miss's suggestions never rest on: they say nothing about what the person is looking for."""
PREFIX_SCAN_LIMIT = 256
"""A prefix range with more keys than this is ranked from a cached answer rather than scanned per keystroke:
ranking 256 keys takes a fraction of a millisecond, and larger ranges are few (at most n/256 per length)."""
LIKENESS_MARGIN = 0.05
"""Two terms as many typos from the query: the one this much more alike (`_likeness`) is clearly ahead."""
LIKENESS_FROM_CHARS = 6
"""Below this, a tie is not broken: a short word's typo is as often another word's ("csot" is one swap from
"cost" and one extra letter from "CoT", which likeness prefers; the bench's short words lost ten to one)."""
LIKENESS_SCALE = 1000
"""Likeness is ranked in thousandths, so equally alike keys keep their order by popularity."""
FUZZY_CANDIDATES = 60
"""At most this many near prefixes (the closest first) are turned into terms; more only costs time."""
ONE_EDIT_FROM_CHARS = 4
TWO_EDITS_FROM_CHARS = 6
"""Two typos in a word of six letters are still found ("grdint" is "gradient") in a glossary of up to
`TypoTuning.small_glossary_keys` keys; in a larger one, only from LARGE_GLOSSARY_TWO_EDITS_FROM_CHARS letters."""
LARGE_GLOSSARY_TWO_EDITS_FROM_CHARS = 8
"""At 100,000 terms most six-letter texts are two typos from hundreds of prefixes: ranking them all took
~0.75 ms a keystroke (median, five times more), for an answer that is mostly noise among so many names."""


def max_edits(key: str, *, large: bool = False) -> int:
    """How many typos a key of this length may carry and still count as a clear match (in a glossary
    of more than `TypoTuning.small_glossary_keys` keys if `large`)."""
    if len(key) < ONE_EDIT_FROM_CHARS:
        return 0
    return 1 if len(key) < (LARGE_GLOSSARY_TWO_EDITS_FROM_CHARS if large else TWO_EDITS_FROM_CHARS) else 2


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
    kind: Literal["exact", "alias", "fuzzy", "senses", "miss"]
    term_id: int | None
    """The one term meant; None for a miss, and for senses (the person picks one)."""
    matched: str
    """The name or alias that matched (for "Showing results for …"), or the normalised query on a miss."""
    suggestions: tuple[int, ...] = ()
    """On a miss, the terms to offer instead, best first."""
    senses: tuple[int, ...] = ()
    """When the query (or a typo of it) is a further key rather than a name or alias: the terms it means, in
    the order to offer them. Kind "senses" when there are several ("bias" for "bias (math)" and
    "bias (ethics/fairness)"): the person picks one."""


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
        # Plain strings and ints rather than an object per name: at 100,000 terms that saves ~20 MB and
        # a good part of the build. `_entry` assembles a `_Name` where one is wanted.
        self._by_key: dict[str, int] = {}
        """The term of every name and alias key."""
        self._alias_text: dict[str, str] = {}
        """The text of every alias, by key (a name's text is its term's display name)."""
        self._keys_of: dict[int, tuple[str, ...]] = {}
        """Each term's keys: its name's first (unless another term held it), then its aliases'."""
        self._derived: dict[str, list[int]] = {}
        """The terms of each further key (`further_keys`: "falsepositive" and "fp" of "false positive (FP)"):
        several names may share one (senses), and a name or alias that is the same key wins over all of them."""
        self._derived_of: dict[int, tuple[str, ...]] = {}
        """Each term's further keys, for the few terms that have any (an entry per term would cost ~5 MB at
        100,000 terms)."""
        self._display: dict[int, str] = {}
        self._popularity: dict[int, int] = {}
        self._keys = SortedKeys()
        self.tuning = TypoTuning()
        self._popular_prefix_cache: dict[str, list[int]] = {}
        self._popular_word_cache: dict[str, list[int]] = {}

    # ---- building and keeping current -------------------------------------------------------------

    @classmethod
    def build(cls, terms: Iterable[tuple[int, str, Iterable[str], int]]) -> GlossaryIndex:
        """Build from (term_id, name, aliases, lookups) rows in one pass, sorting once."""
        index = cls()
        words: list[tuple[str, int, str, int]] = []
        for term_id, name, aliases, lookups in terms:
            words += index._register(term_id, name, aliases, lookups)
        index._keys = SortedKeys.build(index._by_key, index._derived, words)
        # What an empty /define box offers is ranked over the whole glossary (tens of milliseconds at
        # 100,000 terms): rank it here, in the build, rather than on someone's first keystroke.
        index.most_popular()
        return index

    def upsert(self, term_id: int, name: str, aliases: Iterable[str], lookups: int | None = None) -> None:
        """Add a term or replace its names; keeps its popularity unless `lookups` is given."""
        popularity = self._popularity.get(term_id, 0) if lookups is None else lookups
        self.remove(term_id)
        words = self._register(term_id, name, aliases, popularity)
        # One edit changes a handful of keys: insert them where they belong instead of sorting everything
        # again, which at 100,000 terms would hold the event loop for a noticeable fraction of a second.
        for key in self._all_keys(term_id):
            self._keys.insert(key, term_id)
        for suffix, _, key, start in words:
            self._keys.insert_word(suffix, key, start, term_id)
        self._forget_rankings()

    def remove(self, term_id: int) -> None:
        if term_id not in self._display:
            return
        for key in self._all_keys(term_id):
            self._keys.delete(key, term_id)
        for suffix, _ in self._suffixes_of(term_id):
            self._keys.delete_word(suffix, term_id)
        for key in self._keys_of.pop(term_id):
            del self._by_key[key]
            self._alias_text.pop(key, None)
        for key in self._derived_of.pop(term_id, ()):
            owners = self._derived[key]
            owners.remove(term_id)
            if not owners:
                del self._derived[key]
        del self._display[term_id], self._popularity[term_id]
        self._forget_rankings()

    def record_lookup(self, term_id: int) -> None:
        if term_id not in self._popularity:
            return
        self._popularity[term_id] += 1
        # The cached rankings of every range holding this term may now be out of order: repair just those.
        for key in self._all_keys(term_id):
            for length in range(len(key) + 1):
                self._promote(self._popular_prefix_cache.get(key[:length]), term_id)
        if self._popular_word_cache:
            for suffix, _ in self._suffixes_of(term_id):
                for length in range(1, len(suffix) + 1):
                    self._promote(self._popular_word_cache.get(suffix[:length]), term_id)

    def _suffixes_of(self, term_id: int) -> Iterator[tuple[str, int]]:
        """The inner-word suffixes of the term's name, each with where it starts in the name's key."""
        keys = self._keys_of[term_id]
        if keys and keys[0] not in self._alias_text:
            key = keys[0]
            yield from ((key[start:], start) for start in _word_starts(tokens(self._display[term_id]), key))

    def _promote(self, ranking: list[int] | None, term_id: int) -> None:
        if ranking is None:
            return
        if term_id not in ranking:
            if len(ranking) == MAX_CHOICES and self._rank_key(term_id) >= self._rank_key(ranking[-1]):
                return
            ranking.append(term_id)
        ranking.sort(key=self._rank_key)
        del ranking[MAX_CHOICES:]

    def _register(
        self, term_id: int, name: str, aliases: Iterable[str], lookups: int
    ) -> list[tuple[str, int, str, int]]:
        """Record a term's names; return its inner-word suffixes as (suffix, term, name key, start)."""
        self._display[term_id] = name
        self._popularity[term_id] = lookups
        keys: list[str] = []
        words: list[tuple[str, int, str, int]] = []
        as_typed = typed_words(name)
        name_words = [singular(word) for word in as_typed]
        # A name's words make its key, its inner-word suffixes and its key as typed: split it once. (Past
        # MAX_QUERY_CHARS the key is cut short like any query's; the store keeps names shorter.)
        short = len(name) <= MAX_QUERY_CHARS
        key = "".join(name_words) if short else lookup_key(name)
        name_key = key
        if key and key not in self._by_key:  # the store guarantees uniqueness; first wins if not
            self._by_key[key] = term_id
            keys.append(key)
            words = [(key[start:], term_id, key, start) for start in _word_starts(name_words, key)]
        for alias in aliases:
            key = lookup_key(alias)
            if key and key not in self._by_key:
                self._by_key[key] = term_id
                self._alias_text[key] = alias
                keys.append(key)
        self._keys_of[term_id] = tuple(keys)
        if "(" in name:
            derived = [key for key in further_keys(name) if key not in keys]
        else:  # the same as further_keys(name), from the words already split
            typed = "".join(as_typed) if short else typed_key(name)
            derived = [typed] if typed != name_key and typed not in keys else []
        for key in derived:
            self._derived.setdefault(key, []).append(term_id)
        if derived:
            self._derived_of[term_id] = tuple(derived)
        return words

    def _all_keys(self, term_id: int) -> tuple[str, ...]:
        """Every key the term has in the sorted arrays: its name's and aliases', then its further keys."""
        return self._keys_of[term_id] + self._derived_of.get(term_id, ())

    def _entry(self, key: str) -> _Name | None:
        term_id = self._by_key.get(key)
        if term_id is None:
            return None
        alias = self._alias_text.get(key)
        return _Name(key, term_id, self._display[term_id] if alias is None else alias, alias is not None)

    def _entry_at(self, key: str, term_id: int) -> _Name:
        """The name, alias or further key `key` of `term_id` (a pair of the sorted arrays)."""
        alias = self._alias_text.get(key) if self._by_key.get(key) == term_id else None
        return _Name(key, term_id, self._display[term_id] if alias is None else alias, alias is not None)

    def _owners(self, key: str) -> tuple[int, ...]:
        """The terms a whole key means: the one it names or aliases, else all it is a further key of."""
        term_id = self._by_key.get(key)
        return (term_id,) if term_id is not None else tuple(self._derived.get(key, ()))

    def _is_key(self, key: str) -> bool:
        return key in self._by_key or key in self._derived

    def _forget_rankings(self) -> None:
        self._popular_prefix_cache.clear()
        self._popular_word_cache.clear()

    # ---- reading ----------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._display)

    def __contains__(self, term_id: object) -> bool:
        return term_id in self._display

    def name_of(self, term_id: int) -> str | None:
        return self._display.get(term_id)

    def aliases_of(self, term_id: int) -> tuple[str, ...]:
        """The term's aliases as the index holds them: an alias whose key another term held first is not one."""
        return tuple(self._alias_text[key] for key in self._keys_of.get(term_id, ()) if key in self._alias_text)

    def term_ids(self) -> list[int]:
        return list(self._display)

    def term_for(self, text: str) -> int | None:
        """The term whose name or alias is exactly `text` (normalised), if any."""
        return self._by_key.get(lookup_key(text))

    def phrase_for_key(self, key: str) -> tuple[int, str] | None:
        """The term holding the lookup key `key`, and the name or alias it holds it by, if any."""
        entry = self._entry(key)
        return None if entry is None else (entry.term_id, entry.text)

    def has_key_starting_with(self, prefix: str) -> bool:
        """Whether some name or alias key starts with `prefix` (one binary search)."""
        return self._keys.has_prefix(prefix)

    def most_popular(self, limit: int = MAX_CHOICES) -> list[int]:
        if limit <= MAX_CHOICES:
            return self._popular_in_range(self._popular_prefix_cache, "", self._keys.terms, 0, len(self._keys))[:limit]
        return self._by_popularity(set(self._display), limit)

    def _rank_key(self, term_id: int) -> tuple[int, int, str]:
        name = self._display[term_id]
        return (-self._popularity.get(term_id, 0), len(name), name.casefold())

    def _by_popularity(self, term_ids: set[int], limit: int) -> list[int]:
        if limit <= 0:
            return []
        if len(term_ids) > 4 * limit:
            # Popularity alone settles most of the order and is cheap to compare: only the terms at least
            # as popular as the limit-th need the full rank key (and its string work).
            popularity = self._popularity
            floor = heapq.nlargest(limit, map(popularity.__getitem__, term_ids))[-1]
            term_ids = {term_id for term_id in term_ids if popularity[term_id] >= floor}
        return heapq.nsmallest(limit, term_ids, key=self._rank_key)

    # ---- autocomplete -----------------------------------------------------------------------------

    def complete(self, text: str, limit: int = MAX_CHOICES) -> list[Choice]:
        """Up to `limit` terms for what has been typed so far, best first, each term once."""
        words = _query_words(text)
        if not words:
            return [self._choice(term_id, Tier.PREFIX) for term_id in self.most_popular(limit)]
        return self._complete_key(words, limit, None, typed_key(text))

    def _complete_key(self, words: list[str], limit: int, near: dict[str, int] | None, typed: str) -> list[Choice]:
        picked: dict[int, Choice] = {}
        for choice in self._tiers(words, limit, near, typed):
            picked.setdefault(choice.term_id, choice)
            if len(picked) >= limit:
                break
        return list(picked.values())

    def _tiers(self, words: list[str], limit: int, near: dict[str, int] | None, typed: str) -> Iterator[Choice]:
        key = "".join(words)
        exact = self._entry(key)
        if exact:
            yield self._choice(exact.term_id, Tier.EXACT, exact)
        else:
            yield from (self._choice(term_id, Tier.EXACT) for term_id in self._senses(key))
        prefixed = self._prefix_entries(key)
        names = [entry for entry in prefixed if not entry.is_alias]
        for term_id in self._by_popularity({entry.term_id for entry in names}, limit):
            yield self._choice(term_id, Tier.PREFIX)
        for entry in sorted((entry for entry in prefixed if entry.is_alias), key=lambda e: len(e.key)):
            yield self._choice(entry.term_id, Tier.ALIAS, entry)
        yield from (self._choice(term_id, Tier.WORD) for term_id in self._word_matches(key, limit))
        if near is None:
            # Text that names start with is being typed as they are spelled: a second typo is unlikely, and
            # looking for one among the many names that go on from a common first word is the slowest
            # work autocomplete does.
            near = self._near_prefixes(words, 1 if prefixed or self._is_key(key) else None, typed)
        fuzzy = self._fuzzy_terms((key, typed or key), near, limit)
        yield from (self._choice(term_id, Tier.FUZZY) for term_id in fuzzy)

    def _choice(self, term_id: int, tier: Tier, via: _Name | None = None) -> Choice:
        name = self._display[term_id]
        label = f"{name} ({via.text})" if via is not None and via.is_alias else name
        return Choice(term_id=term_id, name=_fit(name), label=_fit(label), tier=tier)

    def _prefix_entries(self, key: str) -> list[_Name]:
        start, end = self._keys.prefix_range(key)
        if end - start > PREFIX_SCAN_LIMIT:
            # A short prefix can match a large share of the glossary: rank it once and reuse.
            popular = self._popular_in_range(self._popular_prefix_cache, key, self._keys.terms, start, end)
            return [self._best_name(term_id) for term_id in popular]
        pairs = zip(self._keys.keys[start:end], self._keys.terms[start:end], strict=True)
        return [self._entry_at(k, term_id) for k, term_id in pairs if k != key]

    def _popular_in_range(
        self, cache: dict[str, list[int]], prefix: str, owners: list[int], start: int, end: int
    ) -> list[int]:
        cached = cache.get(prefix)
        if cached is None:
            cached = cache[prefix] = self._by_popularity(set(owners[start:end]), MAX_CHOICES)
        return cached

    def _best_name(self, term_id: int) -> _Name:
        keys = self._all_keys(term_id)  # a term always has one: at worst a further key of its name
        return self._entry_at(keys[0], term_id)

    def _senses(self, key: str) -> list[int]:
        """The terms a further key means, in the order to offer them (most looked up first)."""
        return sorted(self._derived.get(key, ()), key=self._rank_key)

    def _word_matches(self, key: str, limit: int) -> list[int]:
        start, end = self._keys.word_range(key)
        if end - start > PREFIX_SCAN_LIMIT:
            return self._popular_in_range(self._popular_word_cache, key, self._keys.word_terms, start, end)
        return self._by_popularity(set(self._keys.word_terms[start:end]), limit)

    # ---- typos ------------------------------------------------------------------------------------

    def _max_edits(self, key: str) -> int:
        return max_edits(key, large=len(self._keys) > self.tuning.small_glossary_keys)

    def _near_prefixes(self, words: list[str], most_edits: int | None = None, typed: str = "") -> dict[str, int]:
        """Every key prefix within `max_edits(key)` typos of the key of `words` (`typo_distance`), with that
        distance; but two typos within the first `tuning.typo_dense_prefix` letters only when later words follow.

        `typed` is the query as typed, plurals left alone (`typed_key`): where the key made a plural of a
        typo singular ("lsos" -> "lso"), the prefixes near the typed text count too ("loss").
        """
        near = self._near_reading(words, "".join(words), most_edits)
        if typed and typed != "".join(words):
            for prefix, distance in self._near_reading([typed], typed, most_edits).items():
                near[prefix] = min(distance, near.get(prefix, distance))
        return near

    def _near_reading(self, words: list[str], key: str, most_edits: int | None) -> dict[str, int]:
        edits = self._max_edits(key) if most_edits is None else min(self._max_edits(key), most_edits)
        if len(key) < MIN_FUZZY_KEY_CHARS:
            return {}
        return near_prefixes(self._keys, words, edits, self.tuning)

    def _fuzzy_terms(self, readings: tuple[str, ...], near: dict[str, int], limit: int) -> list[int]:
        """Terms with a name or alias starting with a near prefix: closest first, then the most popular.

        Among equally close prefixes, whole keys come first (the most alike first, see `_likeness`), then
        the prefixes as long as the query before longer or shorter ones: for "tempeature", the term
        "Temperature" before the many "Temperature …" that merely start alike, and for "graph onrro" the
        name "Graph Noro" before "Graph Entropy", as close but only by its first letters.
        """
        by_rank: dict[tuple[int, bool, int], list[str]] = {}
        for prefix, distance in near.items():
            if self._is_key(prefix):  # the most alike first: for "tirgam", "trigram" before "bigram"
                rank = (distance, False, -round(_likeness(readings, prefix) * LIKENESS_SCALE))
            else:
                rank = (distance, True, abs(len(prefix) - len(readings[0])))
            by_rank.setdefault(rank, []).append(prefix)
        picked: list[int] = []
        seen: set[int] = set()
        considered = 0
        for rank in sorted(by_rank):
            if len(picked) >= limit or considered >= FUZZY_CANDIDATES:
                break
            prefixes = by_rank[rank]
            considered += len(prefixes)
            whole = {term_id for prefix in prefixes for term_id in self._owners(prefix)} - seen
            group: set[int] = set()
            for prefix in prefixes:
                group.update(self._terms_with_prefix(prefix))
            group -= seen | whole
            seen |= group | whole
            picked.extend(self._by_popularity(whole, limit - len(picked)))
            picked.extend(self._by_popularity(group, limit - len(picked)))
        return picked[:limit]

    def _terms_with_prefix(self, prefix: str) -> list[int]:
        start, end = self._keys.prefix_range(prefix)
        if end - start > PREFIX_SCAN_LIMIT:
            return self._popular_in_range(self._popular_prefix_cache, prefix, self._keys.terms, start, end)
        return self._keys.terms[start:end]

    # ---- resolving a submitted term ---------------------------------------------------------------

    def resolve(self, text: str) -> Resolution:
        """The term `text` means: a name, alias or further key (several terms' one gives senses), or
        autocomplete's best candidate when it is clearly ahead; else a miss with suggestions, best first.

        Clearly ahead: a whole name, alias or further key within `max_edits` typos of the query,
        closer than any other term's; autocomplete ranks it first too (the closest whole key leads its tier).
        """
        words = _query_words(text)
        key = "".join(words)
        if not key:
            return Resolution("miss", None, "")
        entry = self._entry(key)
        if entry is not None:
            return Resolution("alias" if entry.is_alias else "exact", entry.term_id, entry.text)
        if key in self._derived:
            return self._meaning(key, "exact")
        typed = typed_key(text)
        near = self._near_prefixes(words, typed=typed)
        readings = (key, typed)
        winner = self._clear_winner(readings, self._near_keys(readings, near))
        if winner is not None:
            return self._meaning(winner, "fuzzy")
        return Resolution("miss", None, key, self._suggestions(words, near, typed))

    def _meaning(self, key: str, kind: Literal["exact", "fuzzy"]) -> Resolution:
        """What a whole key found by `resolve` answers: its one term, or the senses it may mean."""
        entry = self._entry(key)
        if entry is not None:
            return Resolution("alias" if entry.is_alias and kind == "exact" else kind, entry.term_id, entry.text)
        senses = tuple(self._senses(key))
        if len(senses) == 1:
            return Resolution(kind, senses[0], self._display[senses[0]], senses=senses)
        return Resolution("senses", None, key, senses=senses)

    def _suggestions(self, words: list[str], near: dict[str, int], typed: str) -> tuple[int, ...]:
        """What a miss offers: autocomplete's candidates, then names sharing a significant word with it."""
        picked = [choice.term_id for choice in self._complete_key(words, MAX_SUGGESTIONS, near, typed)]
        if len(picked) < MAX_SUGGESTIONS:
            picked += [term_id for term_id in self._sharing_words(words) if term_id not in picked]
        return tuple(picked[:MAX_SUGGESTIONS])

    def _sharing_words(self, words: list[str]) -> list[int]:
        """Terms whose name holds a significant word of the query, the most shared words first, then the
        most looked up: "gradient blending" offers gradient descent, gradient boosting, gradient clipping."""
        shared: dict[int, int] = {}
        for word in dict.fromkeys(words):
            if len(word) < MIN_SHARED_WORD_CHARS or word in STOP_WORDS:
                continue
            for term_id in self._terms_with_word(word):
                shared[term_id] = shared.get(term_id, 0) + 1
        return sorted(shared, key=lambda term_id: (-shared[term_id], *self._rank_key(term_id)))[:MAX_SUGGESTIONS]

    def _terms_with_word(self, word: str) -> set[int]:
        """Terms with `word` as a whole word of their name (at most a popular few of a very common word)."""
        starting = self._terms_with_prefix(word)
        start, end = self._keys.word_range(word)
        if end - start > PREFIX_SCAN_LIMIT:
            inner = self._popular_in_range(self._popular_word_cache, word, self._keys.word_terms, start, end)
        else:
            inner = self._keys.word_terms[start:end]
        return {term_id for term_id in {*starting, *inner} if word in tokens(self._display[term_id])}

    def _near_keys(self, readings: tuple[str, ...], near: dict[str, int]) -> dict[str, int]:
        """Whole keys (names, aliases, further keys) within `max_edits` typos of a reading of the
        query (its key, or as typed), with their distance.

        The near prefixes that are keys, and keys up to a letter or two longer than a near prefix: the walk
        stops where the query ends, but "large language mode" is one typo from "Large Language Model".
        """
        allowed = {reading: self._max_edits(reading) for reading in readings}
        metric = typo_distance(self._keys, self.tuning)
        edits = max(allowed.values())
        keys = self._keys.keys
        candidates: set[str] = set()
        for prefix, distance in near.items():
            if self._is_key(prefix):
                candidates.add(prefix)
            longest = len(prefix) + edits - distance
            if distance >= edits:
                continue
            low, high = self._keys.prefix_range(prefix)
            if high - low <= PREFIX_SCAN_LIMIT:
                candidates.update(k for k in keys[low:high] if len(k) <= longest)
                continue
            # Too many keys to scan: a key one letter longer opens its letter's range, one two longer the next.
            for letter, (child_low, child_high) in self._keys.branches(prefix, low, high).items():
                if len(keys[child_low]) <= longest:
                    candidates.add(keys[child_low])
                if longest > len(prefix) + 1:
                    grandchildren = self._keys.branches(prefix + letter, child_low, child_high).values()
                    candidates.update(keys[first] for first, _ in grandchildren if len(keys[first]) <= longest)
        result: dict[str, int] = {}
        for candidate in candidates:
            for reading, most in allowed.items():
                distance = metric(reading, candidate, score_cutoff=most)
                if distance <= most:
                    result[candidate] = min(distance, result.get(candidate, distance))
        return result

    def _clear_winner(self, readings: tuple[str, ...], near: dict[str, int]) -> str | None:
        """The whole key closest to the query, if no other term's key is as close (keys of the same terms,
        such as a name and its alias, or one base name's senses, do not compete)."""
        if not near:
            return None
        closest = min(near.values())
        keys = [key for key, distance in near.items() if distance == closest]
        by_meaning: dict[frozenset[int], float] = {}
        for key in keys:
            meaning = frozenset(self._owners(key))
            by_meaning[meaning] = max(by_meaning.get(meaning, 0.0), _likeness(readings, key))
        if len(by_meaning) > 1:
            # As many typos from two terms: the one far more alike still wins ("tirgam" is "trigram"), else
            # the person picks.
            first, second = heapq.nlargest(2, by_meaning.values())
            if first - second < LIKENESS_MARGIN or len(readings[0]) < LIKENESS_FROM_CHARS:
                return None
            keys = [key for key in keys if _likeness(readings, key) == first]
        return min(keys, key=lambda key: key not in self._by_key)  # a name or alias over a further key


def _likeness(readings: tuple[str, ...], key: str) -> float:
    """How alike a key is to the query beyond its typos: the share of letters they have in common, in order
    (the normalised longest common subsequence, as difflib's ratio), for the closer reading."""
    return max(Indel.normalized_similarity(reading, key) for reading in readings)


def _query_words(text: str) -> list[str]:
    """The words of a query as keys are made of them: `lookup_key(text) == "".join(_query_words(text))`."""
    return tokens(text[:MAX_QUERY_CHARS])


def _word_starts(words: list[str], key: str) -> Iterator[int]:
    """Where each word after the first starts in `key`, so "supervised" finds "Self-Supervised Learning".

    `key` is the words joined (or, for a name cut at MAX_QUERY_CHARS, a prefix of that): suffixes past its
    end are left out.
    """
    start = 0
    for word in words[:-1]:
        start += len(word)
        if start >= len(key):
            return
        yield start
