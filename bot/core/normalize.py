"""How a name becomes a lookup key.

Case, hyphens, spaces, punctuation, invisible characters and a plural "s" must not matter, so
"Self-Supervised Learning", "self supervised learnings" and "SELF\u200bSUPERVISED-learning" share one key.
"""

from __future__ import annotations

import re
import unicodedata

MAX_QUERY_CHARS = 100
"""Longest user text we normalise: Discord caps choice values at 100, and nothing longer is a name."""

_ASCII_SEPARATORS = re.compile(r"[^a-z0-9]+")
_MIN_PLURAL_TOKEN = 4
"""Shorter tokens ending in "s" are words or abbreviations ("gas", "ops"), not plurals."""


def singular(token: str) -> str:
    if len(token) < _MIN_PLURAL_TOKEN or not token.endswith("s"):
        return token
    if token.endswith("ies") and len(token) > _MIN_PLURAL_TOKEN:
        return token[:-3] + "y"
    if token.endswith(("ss", "us", "is")):
        return token
    return token[:-1]


def tokens(text: str) -> list[str]:
    """Lower-cased, singular word tokens; anything that is not a letter or digit separates words."""
    if text.isascii():  # the common case, ~10x faster; same result as the general path below
        return [singular(token) for token in _ASCII_SEPARATORS.split(text.lower()) if token]
    folded = unicodedata.normalize("NFKC", text).casefold()
    cleaned = "".join(
        char if char.isalnum() else " "
        for char in folded
        if unicodedata.category(char) != "Cf"  # zero-width and direction marks vanish, not split
    )
    return [singular(token) for token in cleaned.split()]


def normalize(text: str) -> str:
    """Words of `text` joined by single spaces: the human-readable normal form."""
    return " ".join(tokens(text[:MAX_QUERY_CHARS]))


def lookup_key(text: str) -> str:
    """The key names are stored and matched under: the normal form without spaces.

    Dropping spaces makes "fine tuning", "fine-tuning" and "finetuning" one name.
    """
    return "".join(tokens(text[:MAX_QUERY_CHARS]))
