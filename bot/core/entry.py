"""A glossary entry as every source produces it: seed data, importers, editors and exports."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from bot.core.clean import clean_text
from bot.core.normalize import lookup_key

MAX_NAME_CHARS = 100
"""A name must fit an autocomplete choice (100) and an embed title (256)."""
MAX_DEFINITION_CHARS = 1000
MAX_DESCRIPTION_CHARS = 20_000
"""Stored text may be longer than an embed: rendering cuts it at a paragraph or sentence."""
MAX_ALIASES = 25
MAX_RELATED = 25
MAX_CATEGORY_CHARS = 64
MAX_URL_CHARS = 512
"""Discord's limit for a link button's URL."""
OPTIONAL_FIELDS = ("description", "aliases", "related", "category", "url")
"""The fields a source may leave out: see `Entry.left_out`."""


@dataclass(frozen=True, slots=True)
class Entry:
    term: str
    definition: str
    description: str = ""
    aliases: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    category: str | None = None
    url: str | None = None
    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    """Source-specific notes (e.g. the file and line an entry came from), never stored."""
    left_out: frozenset[str] = field(default=frozenset(), compare=False)
    """The OPTIONAL_FIELDS the source has no column or key for, as opposed to one it left empty.

    An import keeps what the entry had in a field left out, even with --replace; an empty field keeps it
    too, except with --replace, where the file's empty value stands (see bot/store/entry_writer.py).
    """

    def __post_init__(self) -> None:
        # Whichever way a name comes in (a file, a form, a command), it is cleaned here, once.
        object.__setattr__(self, "term", clean_text(self.term))
        object.__setattr__(self, "aliases", tuple(map(clean_text, self.aliases)))
        object.__setattr__(self, "related", tuple(map(clean_text, self.related)))


def is_valid_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError on a malformed port, as a browser would refuse it
    except ValueError:  # e.g. an unclosed IPv6 bracket: "https://[example.org"
        return False
    has_space = any(char.isspace() for char in url)
    return parts.scheme in {"http", "https"} and bool(parts.hostname) and not has_space and len(url) <= MAX_URL_CHARS


def _length_problem(label: str, value: str, limit: int) -> str | None:
    return f"{label} is {len(value)} characters, the limit is {limit}" if len(value) > limit else None


def entry_problems(entry: Entry) -> list[str]:
    """Everything wrong with `entry` on its own (clashes between entries are the store's job)."""
    problems: list[str] = []
    if not entry.term.strip() or not lookup_key(entry.term):
        problems.append("the term has no letters or digits")
    if not entry.definition.strip():
        problems.append("the definition is empty")
    checks = [
        _length_problem("the term", entry.term, MAX_NAME_CHARS),
        _length_problem("the definition", entry.definition, MAX_DEFINITION_CHARS),
        _length_problem("the description", entry.description, MAX_DESCRIPTION_CHARS),
        _length_problem("the category", entry.category or "", MAX_CATEGORY_CHARS),
    ]
    problems.extend(problem for problem in checks if problem)
    if len(entry.aliases) > MAX_ALIASES:
        problems.append(f"{len(entry.aliases)} aliases, the limit is {MAX_ALIASES}")
    if len(entry.related) > MAX_RELATED:
        problems.append(f"{len(entry.related)} related terms, the limit is {MAX_RELATED}")
    for alias in entry.aliases:
        if not lookup_key(alias) or len(alias) > MAX_NAME_CHARS:
            problems.append(f"alias {alias[:40]!r} is empty or longer than {MAX_NAME_CHARS} characters")
    if entry.url and not is_valid_url(entry.url):
        problems.append(f"the URL {entry.url[:80]!r} is not an http(s) link of at most {MAX_URL_CHARS} characters")
    return problems
