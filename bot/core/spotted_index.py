"""The matching index with a term spotter riding along, so "Explain terms" never lags behind /define.

The bot holds one `GlossaryIndex` and changes it in place (editor commands call `upsert` and `remove`,
a reload builds a new one). Rather than asking every caller to remember a second structure, this
subclass mirrors each of those changes into a `TermSpotter`: whatever the index knows, the spotter
knows. Every method of GlossaryIndex that changes names must be mirrored here.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.core.index import GlossaryIndex
from bot.core.spotting import TermSpotter


class SpottedIndex(GlossaryIndex):
    def __init__(self) -> None:
        super().__init__()
        self.spotter = TermSpotter()

    @classmethod
    def build(cls, terms: Iterable[tuple[int, str, Iterable[str], int]]) -> SpottedIndex:
        rows = [(term_id, name, tuple(aliases), lookups) for term_id, name, aliases, lookups in terms]
        index = super().build(rows)
        assert isinstance(index, SpottedIndex)  # GlossaryIndex.build constructs `cls`
        for term_id, name, aliases, _ in rows:
            index._spot(term_id, name, aliases)
        index.spotter.build()  # at start, not on the first "Explain terms"
        return index

    def upsert(self, term_id: int, name: str, aliases: Iterable[str], lookups: int | None = None) -> None:
        aliases = tuple(aliases)
        super().upsert(term_id, name, aliases, lookups)
        self.spotter.remove_term(term_id)
        self._spot(term_id, name, aliases)
        # No build(): the spotter rebuilds on its next find, so a batch of edits costs one rebuild.

    def remove(self, term_id: int) -> None:
        super().remove(term_id)
        self.spotter.remove_term(term_id)

    def _spot(self, term_id: int, name: str, aliases: Iterable[str]) -> None:
        for phrase in (name, *aliases):
            self.spotter.add(term_id, phrase)
