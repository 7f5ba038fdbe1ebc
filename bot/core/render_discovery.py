"""Pure rendering for discovery: /search result pages, Explain terms, /random's category choices.

Same contract as render.py: payloads are dicts and button specs within Discord's limits, and every
piece of glossary or user text is escaped before any Markdown of ours is put around it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.index import MAX_CHOICE_CHARS, MAX_CHOICES
from bot.core.normalize import lookup_key
from bot.core.render import (
    BUTTON_LABEL_LIMIT,
    BUTTONS_PER_ROW,
    ELLIPSIS,
    EMBED_COLOUR,
    EMBED_DESCRIPTION_LIMIT,
    EMBED_TITLE_LIMIT,
    MAX_BUTTONS,
    ButtonSpec,
    Reply,
    escape_markdown,
    related_buttons,
    shorten,
)
from bot.core.search import PAGE_SIZE, MatchKind, SearchPage, SearchRow, marked_segments, match_reason

SEARCH_LINE_LIMIT = 400
"""Characters per result line: ten lines stay under the 4,096 of a description (and 6,000 in all)."""
NAME_IN_LINE_LIMIT = 80
"""A term name in a list line is cut like a button label, so one long name cannot crowd out the reason."""
SAID_LIMIT = 40
"""How much of the message's own wording Explain terms quotes when it differs from the name."""
EXPLAIN_LINE_LIMIT = 300
"""Characters per Explain terms line when there are few; with many, the 4,096 are shared out."""
EXPLAIN_MAX_TERMS = MAX_BUTTONS
"""One button per explained term, and Discord allows 25 buttons a message."""
PAGER_ROW = -(-PAGE_SIZE // BUTTONS_PER_ROW)
"""The Previous/Next buttons sit on the first row after the hit buttons."""

NO_WORDS = "Your search has no words to look for: type a word or two, like `/search attention`."
NO_TERMS = "I found no glossary terms in that message."


@dataclass(frozen=True, slots=True)
class PagerSpec:
    """Previous/Next for a search: the cog turns it into persistent page buttons."""

    query: str
    """The query's short form (`SearchQuery.text`), carried in the buttons' custom ids."""
    page: int
    pages: int
    row: int = PAGER_ROW

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


@dataclass(frozen=True, slots=True)
class SearchReply:
    reply: Reply
    pager: PagerSpec | None = None


@dataclass(frozen=True, slots=True)
class Explained:
    """A term a message mentions, with what Explain terms shows of it."""

    term_id: int
    name: str
    definition: str
    said: str
    """The words of the message that mention it (`Mention` span)."""


# ---- text ----------------------------------------------------------------------------------------


def _one_line(text: str) -> str:
    return " ".join(text.split())


def clean_echo(text: str, limit: int) -> str:
    """User text to quote back: one line, no invisible or direction-changing characters, escaped."""
    visible = "".join(char for char in _one_line(text) if unicodedata.category(char) not in ("Cf", "Cc"))
    return fit_escaped(visible, limit)


def fit_escaped(text: str, limit: int) -> str:
    """Escape `text` for Markdown and cut the result to `limit` characters, ending in "…" if cut."""
    escaped, cut = _escape_within(text, limit)
    if not cut:
        return escaped
    escaped, _ = _escape_within(text, limit - len(ELLIPSIS))
    return escaped.rstrip() + ELLIPSIS


def _escape_within(text: str, budget: int) -> tuple[str, bool]:
    # Character by character, so an escape is never split from what it escapes.
    pieces: list[str] = []
    used = 0
    for char in text:
        piece = escape_markdown(char)
        if used + len(piece) > budget:
            return "".join(pieces), True
        pieces.append(piece)
        used += len(piece)
    return "".join(pieces), False


def marked_markdown(marked: str, limit: int) -> str:
    """Text with highlight marks as Markdown: everything escaped, matched words in bold, within `limit`."""
    out: list[str] = []
    used = 0
    budget = limit - len(ELLIPSIS)
    for text, highlighted in marked_segments(_one_line(marked)):
        markup = 4 if highlighted else 0  # the ** on each side
        escaped, cut = _escape_within(text, budget - used - markup)
        if escaped.strip() or not highlighted:
            out.append(f"**{escaped}**" if highlighted else escaped)
            used += len(escaped) + (markup if highlighted else 0)
        if cut:
            return "".join(out).rstrip() + ELLIPSIS
    return "".join(out)


# ---- /search ----------------------------------------------------------------------------------------


def render_search(result: SearchPage) -> SearchReply:
    """A page of hits: a numbered list saying why each matched, a button per hit, and Previous/Next."""
    if not result.rows:
        text = escape_markdown(result.query.text)
        return SearchReply(Reply(content=f"Nothing in the glossary matches “{text}”. Try fewer or shorter words."))
    first = (result.page - 1) * PAGE_SIZE + 1
    lines = [_search_line(number, row) for number, row in enumerate(result.rows, start=first)]
    plural = "result" if result.total == 1 else "results"
    embed: dict[str, object] = {
        "title": "Search: " + fit_escaped(result.query.text, EMBED_TITLE_LIMIT - len("Search: ")),
        "description": "\n".join(lines),
        "color": EMBED_COLOUR,
        "footer": {"text": f"Page {result.page} of {result.pages} · {result.total} {plural}"},
    }
    buttons = tuple(
        ButtonSpec(
            shorten(f"{first + index}. {_one_line(row.name)}", BUTTON_LABEL_LIMIT),
            row.term_id,
            index // BUTTONS_PER_ROW,
        )
        for index, row in enumerate(result.rows)
    )
    pager = PagerSpec(result.query.text, result.page, result.pages) if result.pages > 1 else None
    return SearchReply(Reply(embed=embed, buttons=buttons), pager)


def _search_line(number: int, row: SearchRow) -> str:
    head = f"**{number}. {fit_escaped(_one_line(row.name), NAME_IN_LINE_LIMIT)}** · "
    reason = match_reason(row)
    if reason.kind is MatchKind.NAME:
        return head + str(reason.kind)
    label = f"{reason.kind}: "
    return head + label + marked_markdown(reason.marked, SEARCH_LINE_LIMIT - len(head) - len(label))


# ---- Explain terms ----------------------------------------------------------------------------------


def render_explain(items: Sequence[Explained]) -> Reply:
    """Each mentioned term with its one-line definition, and a button to open it."""
    items = list(items)[:EXPLAIN_MAX_TERMS]
    if not items:
        return Reply(content=NO_TERMS)
    budget = min(EXPLAIN_LINE_LIMIT, (EMBED_DESCRIPTION_LIMIT - (len(items) - 1)) // len(items))
    embed: dict[str, object] = {
        "title": "Terms in this message",
        "description": "\n".join(_explain_line(item, budget) for item in items),
        "color": EMBED_COLOUR,
    }
    return Reply(embed=embed, buttons=related_buttons([(item.term_id, item.name) for item in items]))


def _explain_line(item: Explained, budget: int) -> str:
    head = f"**{fit_escaped(_one_line(item.name), min(NAME_IN_LINE_LIMIT, budget // 3))}**"
    said = _one_line(item.said)
    if lookup_key(said) != lookup_key(item.name):  # an alias or abbreviation: show what was written
        head += f" (“{clean_echo(said, min(SAID_LIMIT, budget // 5))}”)"
    separator = " — "
    return head + separator + fit_escaped(_one_line(item.definition), budget - len(head) - len(separator))


# ---- /random ----------------------------------------------------------------------------------------


def category_choices(categories: Sequence[tuple[str, int]], current: str) -> list[tuple[str, str]]:
    """(label, value) autocomplete choices: categories containing what was typed, those starting with
    it first. A category longer than a choice value can carry cannot be offered at all."""
    typed = _one_line(current).casefold()
    fitting = [(name, count) for name, count in categories if 0 < len(name) <= MAX_CHOICE_CHARS]
    matching = [(name, count) for name, count in fitting if typed in name.casefold()]
    matching.sort(key=lambda item: (not item[0].casefold().startswith(typed), item[0].casefold()))
    choices = []
    for name, count in matching[:MAX_CHOICES]:
        suffix = f" ({count} term{'s' if count != 1 else ''})"
        choices.append((shorten(name, MAX_CHOICE_CHARS - len(suffix)) + suffix, name))
    return choices
