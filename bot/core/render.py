"""Pure rendering: a term (or a miss) becomes an embed dict and button specs within Discord's limits.

Nothing here imports discord: the cogs turn these payloads into `discord.Embed.from_dict` and
buttons. Every limit comes from Discord's documentation (see ../shared/discord/README.md).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from urllib.parse import urlsplit

EMBED_TITLE_LIMIT = 256
EMBED_DESCRIPTION_LIMIT = 4096
EMBED_FIELD_NAME_LIMIT = 256
EMBED_FIELD_VALUE_LIMIT = 1024
EMBED_FOOTER_LIMIT = 2048
EMBEDS_TOTAL_LIMIT = 6000
CONTENT_LIMIT = 2000
BUTTON_LABEL_LIMIT = 80
BUTTONS_PER_ROW = 5
ROWS_PER_MESSAGE = 5
MAX_BUTTONS = BUTTONS_PER_ROW * ROWS_PER_MESSAGE
QUOTED_QUERY_LIMIT = 100
"""User text echoed back ("No entry for …") is cut to this, so a 10,000-character query stays short."""

ELLIPSIS = "…"
EMBED_COLOUR = 0x5865F2
KNOWN_SOURCES = (
    ("developers.google.com", "/machine-learning/glossary", "Google Machine Learning Glossary"),
    ("wikipedia.org", "/", "Wikipedia"),
    ("arxiv.org", "/", "arXiv"),
    ("huggingface.co", "/", "Hugging Face"),
)
"""(site, path prefix, name) of sites entries often cite: a source link is named after its source,
by these names where one fits, else by the site's host ("nist.gov")."""
_FENCE = "```"
_SENTENCE_END = re.compile(r"[.!?][)\"'”’]?\s")
_MARKDOWN_SPECIAL = re.compile(r"([\\*_`~|>#\[\]()<@:-])")
_BOLD = "**"
_MARKDOWN_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_MARKDOWN_MARKS = re.compile(r"[*_`~\\]")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])[ \t]+")


class ButtonStyle(IntEnum):
    """Discord's button styles (component type 2)."""

    PRIMARY = 1
    SECONDARY = 2


@dataclass(frozen=True, slots=True)
class TermView:
    """What rendering needs to know about a term: the store fills it, the cog passes it on."""

    term_id: int
    name: str
    definition: str
    description: str = ""
    category: str | None = None
    url: str | None = None
    aliases: tuple[str, ...] = ()
    related: tuple[tuple[int, str], ...] = ()
    """(term id, name) of each related term, in display order."""


@dataclass(frozen=True, slots=True)
class ButtonSpec:
    label: str
    term_id: int
    row: int
    style: ButtonStyle = ButtonStyle.SECONDARY


@dataclass(frozen=True, slots=True)
class Reply:
    """A whole message: optional text, optional embed, buttons. Mentions are always disabled by the cog."""

    content: str | None = None
    embed: dict[str, object] | None = None
    buttons: tuple[ButtonSpec, ...] = field(default=())


def escape_markdown(text: str) -> str:
    """Make user text inert in Discord markdown: no formatting, no links, no mention syntax."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def quote_user_text(text: str, limit: int = QUOTED_QUERY_LIMIT) -> str:
    """User text, one line, cut short and escaped, for echoing it back."""
    single_line = " ".join(text.split())
    return escape_markdown(shorten(single_line, limit))


def shorten(text: str, limit: int) -> str:
    """Cut to `limit` characters at a word boundary, with a visible ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - len(ELLIPSIS)]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip() + ELLIPSIS


def truncate_markdown(text: str, limit: int) -> str:
    """Cut Markdown to `limit` characters at a paragraph, line or sentence boundary, never in a code fence."""
    if len(text) <= limit:
        return text
    budget = limit - len(ELLIPSIS)
    window = text[:budget]
    cut = _last_boundary(window, minimum=budget // 2)
    kept = window[:cut].rstrip()
    if kept.count(_FENCE) % 2:  # the cut fell inside a fenced block: drop the whole block
        kept = kept[: kept.rfind(_FENCE)].rstrip()
    return kept + ELLIPSIS


def _last_boundary(window: str, minimum: int) -> int:
    for separator in ("\n\n", "\n"):
        position = window.rfind(separator)
        if position >= minimum:
            return position
    sentence_ends = [match.end() for match in _SENTENCE_END.finditer(window)]
    if sentence_ends and sentence_ends[-1] >= minimum:
        return sentence_ends[-1]
    space = window.rfind(" ")
    return space if space >= minimum else len(window)


def embed_length(embed: dict[str, object]) -> int:
    """Characters Discord counts towards the 6,000 limit of a message's embeds."""
    total = len(str(embed.get("title", ""))) + len(str(embed.get("description", "")))
    for item in embed.get("fields", []) or []:  # type: ignore[attr-defined]
        total += len(str(item["name"])) + len(str(item["value"]))
    footer = embed.get("footer")
    if isinstance(footer, dict):
        total += len(str(footer.get("text", "")))
    author = embed.get("author")
    if isinstance(author, dict):
        total += len(str(author.get("name", "")))
    return total


def render_term(term: TermView, *, resolved_from: str | None = None) -> Reply:
    """The /define answer: the name as title, the definition first, then the explanation, then facts."""
    fields = _term_fields(term)
    fixed = len(term.name[:EMBED_TITLE_LIMIT]) + sum(len(str(f["name"])) + len(str(f["value"])) for f in fields)
    description = _term_description(term, budget=min(EMBED_DESCRIPTION_LIMIT, EMBEDS_TOTAL_LIMIT - fixed))
    embed: dict[str, object] = {
        "title": shorten(term.name, EMBED_TITLE_LIMIT),
        "description": description,
        "color": EMBED_COLOUR,
        "fields": fields,
    }
    if term.url:
        embed["url"] = term.url
    content = None
    if resolved_from is not None:
        content = (
            f"Showing results for **{escape_markdown(term.name)}** (you typed “{quote_user_text(resolved_from)}”)."
        )
    return Reply(content=content, embed=embed, buttons=related_buttons(term.related))


def _term_description(term: TermView, budget: int) -> str:
    # Bold inside the bold line would close it early and show stray asterisks: the line is bold anyway.
    definition = f"{_BOLD}{shorten(term.definition.replace(_BOLD, ''), budget // 2)}{_BOLD}"
    explanation = explanation_beyond(term.definition, term.description)
    if not explanation:
        return definition
    remaining = budget - len(definition) - 2
    return f"{definition}\n\n{truncate_markdown(explanation, remaining)}"


def _plain(text: str) -> str:
    """Text without Markdown links, marks or spacing differences, to compare what two texts say."""
    return " ".join(_MARKDOWN_MARKS.sub("", _MARKDOWN_LINK.sub(r"\1", text)).split()).casefold()


def explanation_beyond(definition: str, description: str) -> str:
    """The description without its leading paragraphs that only repeat the definition.

    Importers often take the definition from the description's first paragraph (the Google deck does):
    shown in full under the bold definition, that paragraph would be read twice.
    """
    said = _plain(definition)
    paragraphs = _PARAGRAPH_BREAK.split(description.strip())
    while paragraphs and _plain(paragraphs[0]) in said:
        paragraphs.pop(0)
    if paragraphs:
        # The definition may be the paragraph's first sentences only: the rest of it is still news.
        sentences = _SENTENCE_BREAK.split(paragraphs[0])
        repeated = 0
        while repeated < len(sentences) and said.startswith(_plain(" ".join(sentences[: repeated + 1]))):
            repeated += 1
        paragraphs[0] = " ".join(sentences[repeated:])
    return "\n\n".join(paragraphs).strip()


def source_label(url: str) -> str:
    """What a source link says: the source's name where it is a known one, else its site."""
    parts = urlsplit(url)
    host = (parts.hostname or "").removeprefix("www.")
    for site, path, name in KNOWN_SOURCES:
        if (host == site or host.endswith(f".{site}")) and parts.path.startswith(path):
            return name
    return host or "Source"


def _term_fields(term: TermView) -> list[dict[str, object]]:
    fields: list[dict[str, object]] = []
    if term.category:
        fields.append({"name": "Category", "value": shorten(term.category, EMBED_FIELD_VALUE_LIMIT), "inline": True})
    if term.aliases:
        aliases = shorten(", ".join(term.aliases), EMBED_FIELD_VALUE_LIMIT)
        fields.append({"name": "Also known as", "value": aliases, "inline": True})
    if term.url:
        fields.append({"name": "Source", "value": f"[{source_label(term.url)}]({term.url})", "inline": True})
    return fields


def related_buttons(
    related: Sequence[tuple[int, str]], style: ButtonStyle = ButtonStyle.SECONDARY
) -> tuple[ButtonSpec, ...]:
    """One button per distinct term, at most 5 a row and 5 rows; Discord forbids repeated custom ids."""
    seen: set[int] = set()
    buttons: list[ButtonSpec] = []
    for term_id, name in related:
        if term_id in seen or len(buttons) == MAX_BUTTONS:
            continue
        seen.add(term_id)
        row = len(buttons) // BUTTONS_PER_ROW
        buttons.append(ButtonSpec(shorten(name, BUTTON_LABEL_LIMIT), term_id, row, style))
    return tuple(buttons)


def render_miss(query: str, suggestions: Sequence[tuple[int, str]]) -> Reply:
    """The ephemeral answer to an unknown term: what was asked, and buttons for what may have been meant."""
    quoted = quote_user_text(query) or "that"
    if suggestions:
        content = f"No entry for “{quoted}”. Did you mean one of these?"
    else:
        content = f"No entry for “{quoted}”, and nothing close. Try `/define` with autocomplete, or ask an editor."
    return Reply(content=content, buttons=related_buttons(suggestions, ButtonStyle.PRIMARY))


def render_senses(query: str, senses: Sequence[tuple[int, str]]) -> Reply:
    """The answer to a name several entries share ("bias" for "bias (math)" and "bias (ethics/fairness)"):
    a button per sense, rather than a guess."""
    quoted = quote_user_text(query) or "that"
    content = f"“{quoted}” has {len(senses)} senses in the glossary. Which one do you mean?"
    return Reply(content=content, buttons=related_buttons(senses, ButtonStyle.PRIMARY))


def render_gone() -> Reply:
    return Reply(content="That entry no longer exists in the glossary.")


def render_plain(term: TermView, *, resolved_from: str | None = None) -> str:
    """The CLI's answer: the entry's name alone on the first line (scripts rely on it), then the rest."""
    lines = [term.name, "", term.definition]
    explanation = explanation_beyond(term.definition, term.description)
    if explanation:
        lines += ["", explanation]
    facts = [
        ("Category", term.category or ""),
        ("Also known as", ", ".join(term.aliases)),
        ("Related", ", ".join(name for _, name in term.related)),
        ("Source", term.url or ""),
    ]
    lines += [""] + [f"{label}: {value}" for label, value in facts if value]
    if resolved_from is not None:
        lines += ["", f"(showing results for {term.name!r}; you typed {resolved_from!r})"]
    return "\n".join(lines)
