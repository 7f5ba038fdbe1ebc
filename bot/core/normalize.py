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
    return [singular(token) for token in _folded_words(text)]


def typed_words(text: str) -> list[str]:
    """`tokens` as typed: lower-cased words, plurals left alone."""
    if text.isascii():
        return [token for token in _ASCII_SEPARATORS.split(text.lower()) if token]
    return _folded_words(text)


def _folded_words(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKC", text).casefold()
    cleaned = "".join(
        char if char.isalnum() else " "
        for char in folded
        if unicodedata.category(char) != "Cf"  # zero-width and direction marks vanish, not split
    )
    return cleaned.split()


def typed_key(text: str) -> str:
    """`lookup_key` without making plurals singular: "lsos" stays "lsos" (a typo of "loss"), not "lso"."""
    return "".join(typed_words(text[:MAX_QUERY_CHARS]))


def normalize(text: str) -> str:
    """Words of `text` joined by single spaces: the human-readable normal form."""
    return " ".join(tokens(text[:MAX_QUERY_CHARS]))


def lookup_key(text: str) -> str:
    """The key names are stored and matched under: the normal form without spaces.

    Dropping spaces makes "fine tuning", "fine-tuning" and "finetuning" one name.
    """
    return "".join(tokens(text[:MAX_QUERY_CHARS]))


# ---- names with a parenthetical: "Mean Squared Error (MSE)", "bias (math)" --------------------------------

_PARENTHETICAL = re.compile(r"\(([^()]*)\)")
_ABBREVIATION = re.compile(r"[^\W_]{2,12}")
"""Letters and digits only, one word: "MSE", "sepCNN", "IoU", "GPT4"."""


def is_abbreviation(text: str) -> bool:
    """Letters and digits, at least as many capitals as small letters: "MSE", "ReLU", "sepCNN", not "math"."""
    if not _ABBREVIATION.fullmatch(text):
        return False
    capitals = sum(char.isupper() for char in text)
    return capitals > 0 and capitals >= sum(char.islower() for char in text)


def parenthetical_texts(name: str) -> list[str]:
    """The texts a name with a parenthetical, "X (Y)", is also found by, as a person would type them.

    X (the name without the parenthesis, wherever it stands) is one; Y is one too when it is an
    abbreviation ("false positive (FP)" is also "FP"), or when X is an abbreviation and Y spells it out
    ("AUC (Area under the ROC Curve)"). A qualifier that is neither ("bias (math)", "rank (Tensor)") is not
    one: it names the sense, not the entry. Several entries may share one ("bias (math)" and
    "bias (ethics/fairness)" are both "bias"): the index keeps them all, as senses.
    """
    match = _PARENTHETICAL.search(name)
    if match is None:
        return []
    base = " ".join(_PARENTHETICAL.sub(" ", name).split())
    inner = match.group(1).strip()
    if is_abbreviation(inner) or (is_abbreviation(base) and len(inner.split()) > 1):
        return [base, inner]
    return [base]


def parenthetical_keys(name: str) -> list[str]:
    """The lookup keys of `parenthetical_texts(name)` that are not the name's own key."""
    whole = lookup_key(name)
    keys = [key for key in map(lookup_key, parenthetical_texts(name)) if key and key != whole]
    return list(dict.fromkeys(keys))


def further_keys(name: str) -> list[str]:
    """Keys a name is found by besides `lookup_key(name)`: its parenthetical keys, and the name as typed
    where making it singular changed it ("bias" is keyed "bia", so "bais" would be two typos from it)."""
    whole = lookup_key(name)
    keys = parenthetical_keys(name)
    typed = [typed_key(text) for text in (name, *([name[: name.find("(")]] if keys else []))]
    return [key for key in dict.fromkeys([*keys, *typed]) if key and key != whole]
