"""Pure: user text becomes a safe FTS5 query, and a found row becomes the reason it matched.

Nothing the user types ever reaches FTS5 as syntax. The text is cut into words here (letters and
digits only, as FTS5's unicode61 tokenizer sees them), and each word is sent as a quoted string with
a prefix star: `"self"* "supervis"*`. Quotes, stars, `NEAR`, `-`, `:`, `^`, parentheses and SQL
metacharacters are separators, so they cannot open a phrase, name a column or negate a term; the
query itself travels as a bound parameter, never inside SQL text.

The words are also the query's "short form": a Previous/Next button carries them in its custom id
(see `MAX_CARRIED_QUERY_CHARS`), and a page is always computed from exactly what the button carries,
so page 2 answers the same search as page 1, even after a restart.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from bot.core.normalize import lookup_key

MAX_SEARCH_INPUT_CHARS = 100
"""Longest text /search accepts (Discord enforces it as the option's max length)."""
MAX_CARRIED_QUERY_CHARS = 60
"""Longest short form, in UTF-16 units as Discord counts: with the 5-character prefix, a 4-digit page,
a 20-digit user id and two colons, a page button's custom id stays within Discord's 100 characters.
Words past this are dropped rather than stored: every word must match (AND), so a longer search
would rarely find anything more, and nothing needs keeping or cleaning up."""
MAX_QUERY_WORDS = 10
"""Every word must match; more than this only slows FTS5 down."""
MIN_PREFIX_WORD_CHARS = 2
"""A one-letter prefix matches most of the glossary; a lone letter must match a whole word."""
PAGE_SIZE = 10
"""Hits per page: two rows of five buttons, leaving room for the Previous/Next row."""

HIGHLIGHT_OPEN = "\x02"
HIGHLIGHT_CLOSE = "\x03"
"""What the store asks FTS5 to put around matched words: control characters no glossary text uses,
so rendering can find them, escape everything between them, and only then add Markdown."""
ALIAS_SEPARATOR = "\n"
"""How the database joins a term's aliases into one indexed column (see migration 0004)."""


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True, slots=True)
class SearchQuery:
    words: tuple[str, ...]

    @property
    def text(self) -> str:
        """The short form: the words, separated by single spaces. `parse_query(text)` gives it back."""
        return " ".join(self.words)

    @property
    def key(self) -> str:
        """The words as a lookup key: a term named or aliased exactly so is the best hit of all."""
        return lookup_key(self.text)

    @property
    def fts(self) -> str:
        """The FTS5 MATCH expression: every word, quoted, as a prefix (each word must occur)."""
        parts = []
        for word in self.words:
            quoted = '"' + word.replace('"', '""') + '"'  # words never hold quotes; doubled anyway
            parts.append(quoted + "*" if len(word) >= MIN_PREFIX_WORD_CHARS else quoted)
        return " ".join(parts)

    def __bool__(self) -> bool:
        return bool(self.words)


def _words(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKC", text).casefold()
    cleaned = "".join(
        char if char.isalnum() else " "
        for char in folded
        if unicodedata.category(char) != "Cf"  # zero-width and direction marks vanish, as in /define
    )
    return cleaned.split()


def parse_query(text: str) -> SearchQuery:
    """The searchable words of `text`, bounded so their short form fits in a button's custom id."""
    words: list[str] = []
    used = 0
    for word in _words(text[: MAX_SEARCH_INPUT_CHARS * 2]):
        cost = _utf16_len(word) + (1 if words else 0)
        if used + cost > MAX_CARRIED_QUERY_CHARS:
            if not words:  # one enormous word: its head is still a useful prefix
                words.append(_cut_utf16(word, MAX_CARRIED_QUERY_CHARS))
            break
        words.append(word)
        used += cost
        if len(words) == MAX_QUERY_WORDS:
            break
    return SearchQuery(tuple(words))


def _cut_utf16(text: str, limit: int) -> str:
    while _utf16_len(text) > limit:
        text = text[:-1]
    return text


# ---- what the store finds ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SearchRow:
    """One hit as the store reads it: text with HIGHLIGHT_OPEN/CLOSE around the matched words."""

    term_id: int
    name: str
    marked_name: str
    marked_aliases: str
    """All aliases, ALIAS_SEPARATOR between them, matched words marked."""
    definition_snippet: str
    description_snippet: str


@dataclass(frozen=True, slots=True)
class SearchPage:
    query: SearchQuery
    page: int
    """1-based."""
    total: int
    rows: tuple[SearchRow, ...]

    @property
    def pages(self) -> int:
        return page_count(self.total)


def page_count(total: int) -> int:
    """Pages needed for `total` hits; an empty result still has one (empty) page."""
    return max(1, -(-total // PAGE_SIZE))


class MatchKind(StrEnum):
    NAME = "name"
    ALIAS = "alias"
    DEFINITION = "definition"
    DESCRIPTION = "explanation"


@dataclass(frozen=True, slots=True)
class MatchReason:
    kind: MatchKind
    marked: str
    """The matching alias(es) or snippet, still carrying the highlight marks; empty for a name."""


def is_marked(text: str) -> bool:
    return HIGHLIGHT_OPEN in text


def match_reason(row: SearchRow) -> MatchReason:
    """Why a row matched, strongest first: its name, an alias, its definition, its explanation."""
    if is_marked(row.marked_name):
        return MatchReason(MatchKind.NAME, "")
    aliases = [alias for alias in row.marked_aliases.split(ALIAS_SEPARATOR) if is_marked(alias)]
    if aliases:
        return MatchReason(MatchKind.ALIAS, ", ".join(aliases))
    if is_marked(row.definition_snippet):
        return MatchReason(MatchKind.DEFINITION, row.definition_snippet)
    # Every column but the explanation was clean, so the match is there (or FTS5 saw something we
    # did not mark, such as a stem): show the explanation's snippet either way.
    return MatchReason(MatchKind.DESCRIPTION, row.description_snippet)


_MARKED = re.compile(re.escape(HIGHLIGHT_OPEN) + "(.*?)" + re.escape(HIGHLIGHT_CLOSE), re.DOTALL)


def marked_segments(marked: str) -> list[tuple[str, bool]]:
    """(text, highlighted) pieces of a marked string; stray marks are dropped."""
    segments: list[tuple[str, bool]] = []
    position = 0
    for match in _MARKED.finditer(marked):
        segments.append((marked[position : match.start()], False))
        segments.append((match.group(1), True))
        position = match.end()
    segments.append((marked[position:], False))
    return [
        (text.replace(HIGHLIGHT_OPEN, "").replace(HIGHLIGHT_CLOSE, ""), highlighted)
        for text, highlighted in segments
        if text
    ]
