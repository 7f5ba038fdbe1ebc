"""The sorted-key arrays every tier of the index reads: no tier scans the glossary.

- `keys` / `terms`: every name, alias and further key in order, each with its term (a further key several
  terms hold, such as "bia" of "bias (math)" and "bias (ethics/fairness)", is there once for each, in
  term order). The keys starting with a prefix are a contiguous range found by binary search, and a
  prefix's branches (the letters that follow it) are found by hopping through its range, so the typo walk
  can read the keys as a trie.
- `word_keys` / `word_starts` / `word_terms`: the inner-word suffixes of names, sorted, so "supervised"
  finds "Self-Supervised Learning". Suffix i is `word_keys[i][word_starts[i]:]` (the name's key from a word
  on, kept as the key and an offset rather than another string: at 100,000 terms that saves ~20 MB).

Plain lists of strings and ints rather than an object per key: that saves memory and a good part of the
build. Edits insert and delete in place (a handful of keys each) instead of sorting again.
"""

from __future__ import annotations

import bisect
from operator import itemgetter

AFTER_EVERY_KEY = "\U0010ffff"
"""Sorts after any character a key can hold, so `prefix + AFTER_EVERY_KEY` ends a prefix's range."""
BRANCH_CACHE_DEPTH = 3
"""Prefixes this short have dozens of branches each, and every typo walk visits them: list them once."""

Branches = dict[str, tuple[int, int]]
"""Each letter that follows a prefix, with the range (low, high) of the keys it starts."""
WordSuffix = tuple[str, int, str, int]
"""An inner-word suffix as a name gives it: (suffix, term, the name's key, where the suffix starts)."""


class SortedKeys:
    def __init__(self) -> None:
        self.keys: list[str] = []
        self.terms: list[int] = []
        """The term of each key, at the same position."""
        self.word_keys: list[str] = []
        self.word_starts: list[int] = []
        self.word_terms: list[int] = []
        self._branch_cache: dict[str, Branches] = {}

    @classmethod
    def build(cls, by_key: dict[str, int], shared: dict[str, list[int]], words: list[WordSuffix]) -> SortedKeys:
        """From each name and alias key's term (`by_key`), the terms of each further key (`shared`, which
        may repeat a key of `by_key`), and the names' inner-word suffixes."""
        arrays = cls()
        arrays.keys, arrays.terms = _sorted_pairs(by_key, shared)
        words.sort(key=itemgetter(0))  # by suffix alone: comparing whole tuples took a third of the build
        arrays.word_keys = [key for _, _, key, _ in words]
        arrays.word_starts = [start for _, _, _, start in words]
        arrays.word_terms = [term_id for _, term_id, _, _ in words]
        return arrays

    def __len__(self) -> int:
        return len(self.keys)

    # ---- edits ------------------------------------------------------------------------------------

    def insert(self, key: str, term_id: int) -> None:
        at = bisect.bisect_left(self.keys, key)
        while at < len(self.keys) and self.keys[at] == key and self.terms[at] < term_id:
            at += 1  # keys several terms share are in term order, as `build` sorts them
        self.keys.insert(at, key)
        self.terms.insert(at, term_id)
        self._branch_cache.clear()

    def delete(self, key: str, term_id: int) -> None:
        at = bisect.bisect_left(self.keys, key)
        while self.terms[at] != term_id:  # a further key can be several terms'
            at += 1
        del self.keys[at], self.terms[at]
        self._branch_cache.clear()

    def insert_word(self, suffix: str, key: str, start: int, term_id: int) -> None:
        at = self._word_position(suffix)
        self.word_keys.insert(at, key)
        self.word_starts.insert(at, start)
        self.word_terms.insert(at, term_id)

    def delete_word(self, suffix: str, term_id: int) -> None:
        at = self._word_position(suffix)
        while self.word_terms[at] != term_id:  # several names can share a suffix
            at += 1
        del self.word_keys[at], self.word_starts[at], self.word_terms[at]

    # ---- ranges -----------------------------------------------------------------------------------

    def prefix_range(self, prefix: str, low: int = 0, high: int | None = None) -> tuple[int, int]:
        """The keys starting with `prefix` are keys[start:end]; `low`/`high` bound the search."""
        high = len(self.keys) if high is None else high
        start = bisect.bisect_left(self.keys, prefix, low, high)
        return start, bisect.bisect_left(self.keys, prefix + AFTER_EVERY_KEY, start, high)

    def has_prefix(self, prefix: str) -> bool:
        at = bisect.bisect_left(self.keys, prefix)
        return at < len(self.keys) and self.keys[at].startswith(prefix)

    def word_suffix(self, index: int) -> str:
        return self.word_keys[index][self.word_starts[index] :]

    def _word_position(self, suffix: str) -> int:
        return bisect.bisect_left(range(len(self.word_keys)), suffix, key=self.word_suffix)

    def word_range(self, prefix: str) -> tuple[int, int]:
        """The inner-word suffixes starting with `prefix` are those at positions start:end."""
        positions = range(len(self.word_keys))
        start = bisect.bisect_left(positions, prefix, key=self.word_suffix)
        return start, bisect.bisect_left(positions, prefix + AFTER_EVERY_KEY, lo=start, key=self.word_suffix)

    # ---- the keys as a trie -----------------------------------------------------------------------

    def branches(self, prefix: str, low: int, high: int, memo: dict[str, Branches] | None = None) -> Branches:
        """Each letter that follows `prefix` (whose keys are keys[low:high]) with the range it starts.

        Found by hopping through the range: one binary search per letter. Kept in the arrays' cache for
        prefixes of up to BRANCH_CACHE_DEPTH letters, and in `memo` (one walk's) for longer ones.
        """
        cache = self._branch_cache if len(prefix) <= BRANCH_CACHE_DEPTH else memo
        cached = None if cache is None else cache.get(prefix)
        if cached is not None:
            return cached
        keys = self.keys
        depth = len(prefix)
        branches: Branches = {}
        position = low
        while position < high:
            key = keys[position]
            if len(key) == depth:  # the prefix is itself a key
                position += 1
                continue
            letter = key[depth]
            after = bisect.bisect_left(keys, prefix + chr(ord(letter) + 1), position, high)
            branches[letter] = (position, after)
            position = after
        if cache is not None:
            cache[prefix] = branches
        return branches

    def child_range(self, node: str, low: int, high: int, letter: str) -> tuple[int, int] | None:
        """The range of the keys going on from `node` (keys[low:high]) with `letter`, if any.

        A dictionary lookup where the node's branches are cached (the first letters, which every walk
        narrows through), else two binary searches.
        """
        if len(node) <= BRANCH_CACHE_DEPTH:
            return self.branches(node, low, high).get(letter)
        low, high = self.prefix_range(node + letter, low, high)
        return (low, high) if low < high else None


def _sorted_pairs(by_key: dict[str, int], shared: dict[str, list[int]]) -> tuple[list[str], list[int]]:
    """Every key in order with its term; a key several terms hold once for each, in term order (as
    `SortedKeys.insert` puts them). Sorting the keys alone and pairing them after is much faster than
    sorting pairs, and most keys have one term."""
    unique = sorted([*by_key, *(shared.keys() - by_key.keys())])
    if not shared:
        return unique, [by_key[key] for key in unique]
    keys: list[str] = []
    terms: list[int] = []
    for key in unique:
        owners = shared.get(key)
        if owners is None:
            keys.append(key)
            terms.append(by_key[key])
            continue
        for term_id in sorted({*owners, *([by_key[key]] if key in by_key else [])}):
            keys.append(key)
            terms.append(term_id)
    return keys, terms
