"""Invisible characters that have no place in a name.

Bidirectional overrides and isolates make a name display as something else (U+202E shows the rest of
a name reversed), and zero-width characters make two names that look alike differ. Names are cleaned
of them on the way in: every importer, the seed and every editing path builds an `Entry`, and `Entry`
cleans its names (bot/core/entry.py).
"""

from __future__ import annotations

INVISIBLE = frozenset(
    "\u202a\u202b\u202c\u202d\u202e"  # bidi embeddings and overrides (LRE, RLE, PDF, LRO, RLO)
    "\u2066\u2067\u2068\u2069"  # bidi isolates (LRI, RLI, FSI, PDI)
    "\u200e\u200f\u061c"  # direction marks (LRM, RLM, ALM)
    "\u200b\u200c\u200d\u2060\ufeff"  # zero-width space, non-joiner, joiner, word joiner, BOM
    "\u00ad\u180e\u2061\u2062\u2063\u2064"  # soft hyphen, Mongolian vowel separator, invisible operators
)
_DELETE = dict.fromkeys(map(ord, INVISIBLE))


def clean_text(text: str) -> str:
    """`text` without the characters of `INVISIBLE` (and without the spaces their removal left at the ends)."""
    if text.isascii():  # the common case, and none of them is ASCII
        return text
    cleaned = text.translate(_DELETE)
    return cleaned.strip() if cleaned != text else text
