"""The typo walk: every key prefix within a few typos of a query, without reading the whole glossary.

Instead of comparing the query with every key, the walk reads the sorted keys as if they were a trie (a
node's children found by binary search, see `SortedKeys.branches`). It follows the query exactly for as
long as some key does, and branches only where a typo can be: at each step it tries a dropped, extra,
swapped or replaced letter, with the letters that actually occur there. Each branch costs a binary search,
and once few keys are left under a branch they are compared with the query directly, in C (rapidfuzz's
OSA distance, after a longest-common-subsequence filter). A lookup's work depends on the query and on how
many keys branch near it, not on reading the glossary: ×2.5 per tenfold glossary where a scan is ×10.
Two typos among the very first letters are left out (see `TypoTuning.typo_dense_prefix`) unless the later
words of the query single out the names to compare.

Every threshold that trades speed for recall is a field of `TypoTuning` (`make bench` measured each);
the brute-force tests in tests/core/test_index.py set them to extremes and check the walk finds the same.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from operator import itemgetter
from types import MappingProxyType

from rapidfuzz import process
from rapidfuzz.distance import OSA, DamerauLevenshtein, LCSseq

from bot.core.keys import Branches, SortedKeys

Distance = Callable[..., int]
"""`OSA.distance` or `DamerauLevenshtein.distance` (query, key, score_cutoff=...)."""


@dataclass(frozen=True, slots=True)
class TypoTuning:
    direct_match_keys: Mapping[int, int] = field(default_factory=lambda: MappingProxyType({1: 8, 2: 1024}))
    """With this many keys or fewer left under the walk's position (by typos left), comparing the rest of
    the query with each of them in C is cheaper than walking on letter by letter in Python. Not more for
    two typos: at 100,000 terms the keys under a common first word's first letters ("ma…" for "Machine …",
    2,000 to 3,500) nearly all hold a prefix within two typos of a query typed a letter or two past that
    word, and listing those prefixes for the comparison took ~1.5 ms (the slowest keystrokes); the walk
    narrows them first."""
    small_glossary_keys: int = 4096
    """A glossary of this many keys or fewer is compared with a two-typo query whole, from the first letter:
    it costs about what the walk does there, and it finds two typos among the first letters too, which the
    walk leaves out (typo_dense_prefix). At 1,000 terms that keeps answers such as "Cairation" →
    "Variational", and "grdint" → "gradient" in a real glossary."""
    typo_dense_prefix: int = 4
    """The walk finds one typo anywhere but not two within these first letters: near the start every prefix
    is two edits from most others, and the walk would branch into much of the glossary (tens of milliseconds
    at 100,000 terms) for the few queries that misspell two of their first four letters. Four rather than
    three: a typo among them must be followed by one more right letter, which prunes most branches early
    (the p99 at 100,000 terms drops by a fifth) and loses no recall that the later-words check does not
    win back."""
    leaf_scan_keys: int = 4
    """A branch with this many keys or fewer is checked key by key; a larger one by binary search."""
    lcs_filter_min_slack: int = 2
    """`_match_keys` filters keys by their common subsequence with the query only for a rest of the query
    longer than this many times the typos allowed, and more keys than lcs_filter_min_keys."""
    lcs_filter_min_keys: int = 16
    later_words_min_chars: int = 4
    later_words_max_names: int = 1024
    """Later words of at least later_words_min_chars letters that go on in more names than this (common
    words at 100,000 terms) are not used: comparing with every one of them would cost more than the rest
    of a walk."""


def typo_distance(keys: SortedKeys, tuning: TypoTuning) -> Distance:
    """How typos are counted in this glossary: as edits, a swap of two letters one edit (OSA distance) where
    the walk follows them; in a glossary compared whole, also a letter dropped or added between two swapped
    ones (Damerau-Levenshtein: "regurlization" is two typos from "regularization", where OSA counts three)."""
    distance: Distance = DamerauLevenshtein.distance if len(keys) <= tuning.small_glossary_keys else OSA.distance
    return distance


def near_prefixes(keys: SortedKeys, words: list[str], edits: int, tuning: TypoTuning) -> dict[str, int]:
    """Every key prefix within `edits` typos of the key of `words` (by `typo_distance`), with that distance;
    but two typos within the first `tuning.typo_dense_prefix` letters only when later words follow (and
    the glossary is larger than `tuning.small_glossary_keys`)."""
    key = "".join(words)
    if not keys or edits == 0:
        return {}
    walk = _Walk(key, edits)
    walker = _TypoWalker(keys, tuning)
    metric = typo_distance(keys, tuning)
    walker._walk(walk, "", 0, len(keys), at=0, budget=edits, typos_from=0)
    if edits > 1 and len(words) > 1:
        walker._match_later_words(walk, words)
    near: dict[str, int] = {}
    for prefix in walk.found:
        # The walk may reach a prefix by a path OSA does not allow (it edits a letter twice): re-check.
        distance = metric(key, prefix, score_cutoff=edits)
        if distance <= edits:
            near[prefix] = distance
    return near


@dataclass(slots=True)
class _Walk:
    """One typo walk: the query and the typos it may hold, what it found, and what it already did."""

    query: str
    edits: int
    found: set[str] = field(default_factory=set)
    seen: set[tuple[str, int, int]] = field(default_factory=set)
    """(prefix, query position, typos left) states walked."""
    branches: dict[str, Branches] = field(default_factory=dict)
    """`SortedKeys.branches` of the prefixes too deep for its own cache: the walk meets many of them twice
    (a wrong letter and a missing one both go on from the same prefix), and no other walk needs them."""


class _TypoWalker:
    def __init__(self, keys: SortedKeys, tuning: TypoTuning) -> None:
        # The hot loops read these many times a walk: plain attributes, not a lookup through two objects.
        self._keys = keys
        self._sorted = keys.keys
        self._branches = keys.branches
        self._tuning = tuning
        self._direct = dict(tuning.direct_match_keys)
        self._dense = tuning.typo_dense_prefix
        self._leaf = tuning.leaf_scan_keys
        self._metric = typo_distance(keys, tuning)

    def _walk(self, walk: _Walk, node: str, low: int, high: int, *, at: int, budget: int, typos_from: int) -> None:
        """Follow the query from `at` on, from the key prefix `node` (whose keys are keys[low:high]),
        with up to `budget` typos at positions from `typos_from` on; add the prefixes it leads to."""
        query, keys = walk.query, self._sorted
        if budget == 0:  # most branches end here: one binary search says whether node + rest exists
            whole = node + query[at:]
            found_at = bisect.bisect_left(keys, whole, low, high)
            if found_at < high and keys[found_at].startswith(whole):
                walk.found.add(whole)
            return
        small = budget > 1 and not node and high - low <= self._tuning.small_glossary_keys
        if small or high - low <= self._direct[budget]:
            self._match_range(walk, node, low, high, at=at, budget=budget)
            return
        for position in range(at, len(query) + 1):
            if position == len(query):
                walk.found.add(node)  # the keys followed the query to its end
                return
            typed = query[position]
            if position >= typos_from:
                if (node, position, budget) in walk.seen:
                    return  # another path got here with this budget: it goes on exactly as this one would
                walk.seen.add((node, position, budget))
                branches = self._branches(node, low, high, walk.branches)
                self._try_typos(walk, node, position, span=(low, high), budget=budget, branches=branches)
                following = branches.get(typed)
                if following is None:
                    return  # no key goes on with the typed letter: only the typos tried above lead anywhere
                node, (low, high) = node + typed, following
            else:  # no typo allowed here: narrowing the range is all it takes
                span = self._keys.child_range(node, low, high, typed)
                if span is None:
                    return
                node, (low, high) = node + typed, span
            if high - low <= self._direct[budget]:
                self._match_range(walk, node, low, high, at=position + 1, budget=budget)
                return

    def _try_typos(
        self,
        walk: _Walk,
        node: str,
        position: int,
        *,
        span: tuple[int, int],
        budget: int,
        branches: Branches,
    ) -> None:
        """The branches of one step: the letter typed at `position` was extra, swapped, wrong, or one is missing."""
        query = walk.query
        typed = query[position]
        left = budget - 1
        if left == 0:
            self._try_last_typo(walk, node, position, branches)
            return
        after = self._dense if position < self._dense else 0
        self._walk(walk, node, *span, at=position + 1, budget=left, typos_from=after)  # a letter too many
        next_typed = query[position + 1] if position + 1 < len(query) else typed
        for child, (child_low, child_high) in branches.items():
            if child == typed:
                continue  # the exact path, walked by the caller; a missing copy of it is tried one step on
            grown = node + child
            # The letter typed was wrong (the query goes on after it), or a letter is missing (it goes on here).
            self._walk(walk, grown, child_low, child_high, at=position + 1, budget=left, typos_from=after)
            self._walk(walk, grown, child_low, child_high, at=position, budget=left, typos_from=after)
            if child == next_typed:  # two letters swapped
                swapped = node + child + typed
                swapped_low, swapped_high = self._keys.prefix_range(swapped, child_low, child_high)
                if swapped_low < swapped_high:
                    self._walk(walk, swapped, swapped_low, swapped_high, at=position + 2, budget=left, typos_from=after)

    def _try_last_typo(self, walk: _Walk, node: str, position: int, branches: Branches) -> None:
        """`_try_typos` when this typo is the last: each branch then ends at once, so it is checked inline.

        Most of a walk's time is spent in these leaves. A child with few keys is checked by comparing its
        keys in place (`startswith` at an offset builds no string); a larger one by a binary search.
        """
        query, keys, found, search = walk.query, self._sorted, walk.found, bisect.bisect_left
        depth = len(node)
        after = depth + 1
        typed = query[position]
        missing = query[position:]  # what follows a letter the person left out
        tail = query[position + 1 :]  # what follows a wrong letter, or a letter too many
        if not tail:
            found.add(node)  # the last letter was one too many
        elif (span := branches.get(tail[0])) is not None:
            # A letter too many, and (unless it is a double letter) two letters swapped: both go on with
            # the next letter typed, so both lie in its branch.
            low, high = span
            texts = [node + tail] if tail[0] == typed else [node + tail, node + tail[0] + typed + tail[1:]]
            for text in texts:
                at = search(keys, text, low, high)
                if at < high and keys[at].startswith(text):
                    found.add(text)
        for child, (low, high) in branches.items():
            if child == typed:
                continue
            if high - low <= self._leaf:
                # A wrong letter, or one missing: the key goes on from `after`.
                for key in keys[low:high]:
                    if key.startswith(tail, after):
                        found.add(key[: after + len(tail)])
                    if key.startswith(missing, after):
                        found.add(key[: after + len(missing)])
                continue
            grown = node + child
            for text in (grown + tail, grown + missing):
                at = search(keys, text, low, high)
                if at < high and keys[at].startswith(text):
                    found.add(text)

    def _match_range(self, walk: _Walk, node: str, low: int, high: int, *, at: int, budget: int) -> None:
        """Compare the rest of the query (from `at`) with the keys under `node`, keys[low:high], in C."""
        self._match_keys(walk, self._sorted[low:high], node=node, at=at, budget=budget)

    def _match_later_words(self, walk: _Walk, words: list[str]) -> None:
        """Names whose words after the first are the query's: its first word may then hold both typos.

        The walk does not look for two typos among the first letters (see `TypoTuning.typo_dense_prefix`); but when the
        later words are typed right, the names going on with them (from the inner-word suffixes) are few,
        and comparing those few directly finds "Approximate Uncertainty" for "AA0proximate Uncertainty".
        """
        later = "".join(words[1:])
        if len(later) < self._tuning.later_words_min_chars:
            return
        low, high = self._keys.word_range(later)
        if 0 < high - low <= self._tuning.later_words_max_names:
            self._match_keys(walk, self._keys.word_keys[low:high])

    def _match_keys(
        self, walk: _Walk, keys: list[str], *, node: str = "", at: int = 0, budget: int | None = None
    ) -> None:
        """Add every prefix of `keys` (which all start with `node`) that the rest of the query, from `at`,
        reaches within `budget` typos (by default all the query may hold).

        A filter first, needing no slicing of keys: a key with a prefix within `budget` typos of the query
        shares all but `budget` of its letters with it, in order (their longest common subsequence). Then
        each distinct continuation of a plausible length of the keys that pass is compared exactly.
        """
        budget = walk.edits if budget is None else budget
        rest = walk.query[at:]
        depth, size = len(node), len(rest)
        shortest, longest = max(size - budget, 0), size + budget
        # For a short rest nearly every key would pass; for a few keys the filter costs more than it saves.
        if size > self._tuning.lcs_filter_min_slack * budget and len(keys) > self._tuning.lcs_filter_min_keys:
            # Only a key's first `longest` letters after `node` can be part of a near prefix: comparing just
            # those (cut in C by the processor, which cuts `node + rest` to `rest` alike) filters out the
            # many long keys that share the query's letters only far past its end.
            passed = process.extract(
                node + rest,
                keys,
                scorer=LCSseq.similarity,
                processor=itemgetter(slice(depth, depth + longest)),
                score_cutoff=size - budget,
                limit=None,
            )
            keys = [key for key, _, _ in passed]
        continuations = {key[depth : depth + longest] for key in keys}
        candidates = list(
            {
                continuation[:length]
                for continuation in continuations
                for length in range(shortest, len(continuation) + 1)
            }
        )
        for candidate, _, _ in process.extract(
            rest, candidates, scorer=self._metric, processor=None, score_cutoff=budget, limit=None
        ):
            walk.found.add(node + candidate)
