"""Pipe-separated `term|HTML definition` files, as in the Google Machine Learning Glossary Anki deck.

No header; cells quoted with `"` and `""` escapes, spanning lines. Every term carries the deck's
" (Google Machine Learning Glossary)" suffix, and the HTML links to other terms by anchors of the
glossary page (`.../machine-learning/glossary/#gradient_descent`). The conversion:

* the HTML becomes Discord markdown (the description); its first paragraph, without links and cut at
  a sentence, becomes the definition;
* links to other terms of the file become related terms;
* "Abbreviation for X." rows become aliases of X;
* LaTeX loses its MathJax delimiters and is kept as inline code.
"""

from __future__ import annotations

import copy
import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

from bs4 import BeautifulSoup, Tag
from markdownify import ATX, MarkdownConverter

from bot.core.csv_fields import whole_csv_fields
from bot.core.entry import MAX_DEFINITION_CHARS, MAX_DESCRIPTION_CHARS, MAX_RELATED, Entry
from bot.core.normalize import lookup_key, tokens
from bot.importers.common import (
    MAX_FILE_BYTES,
    PIPE_CSV_DELIMITER,
    ImportIssue,
    ParsedGlossary,
    SourcedEntry,
    check_entry_count,
    drop_conflicting_aliases,
    fail,
    finish,
    long_fields,
    progress,
    read_text,
    unique_names,
)

TERM_SUFFIX = " (Google Machine Learning Glossary)"
PIPE_COLUMNS = ("term", "definition")
GLOSSARY_URL = "https://developers.google.com/machine-learning/glossary/"
"""Base for relative links, and the page cross-link anchors belong to."""
SKIPPED_TERMS = frozenset({lookup_key("Introduction")})
"""The deck's own notes row: about the flashcards, not a term."""
ABBREVIATION = re.compile(r"abbreviation for\s+(?P<target>.+?)\s*\.?", re.IGNORECASE | re.DOTALL)
"""A whole row reading "Abbreviation for X." (matched against its full text, so mentions don't count)."""
LATEX = re.compile(
    r"\[\$\$\](?P<a>.*?)\[/\$\$\]"  # the deck's own wrapping of display formulas
    r"|\[\$\](?P<b>.*?)\[/\$\]"
    r"|\$\$(?P<c>.*?)\$\$"
    r"|\\\[(?P<d>.*?)\\\]"
    r"|\\\((?P<e>.*?)\\\)",
    re.DOTALL,
)
SENTENCE_END = re.compile(r"[.!?](?=\s|$)")
BLOCK_BREAK = re.compile(r"\n\n+(?=\S)")
SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+")
PARENTHESIS = re.compile(r"\((?P<inner>[^()]*)\)")
ALTERNATIVE = re.compile(r"\s+or\s+")
"""Names like "data set or dataset": either spelling is how other rows link to it."""
PREFIX_MIN_WORDS = 2
"""A one-word name at the start of a link text ("model" in "model training") is too weak a match."""
ELLIPSIS = "…"
TRAILING_SPACE_AFTER_QUOTE = re.compile(r'"[ \t]+(?=\r?\n|\Z)')
URL_SCHEMES = frozenset({"http", "https"})
LEFT_OUT = frozenset({"category"})
"""The deck has no categories: importing it keeps the ones entries already have."""


class _DiscordMarkdown(MarkdownConverter):
    """markdownify, adjusted for what Discord renders."""

    def convert_sup(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        # Discord has no superscript; x^2 reads right, where the default "x2" changes the meaning.
        text = text.strip()
        if not text:
            return ""
        return f"^{text}" if len(text) == 1 else f"^({text})"

    def convert_table(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        # Discord does not render markdown tables, but a monospaced block keeps the columns aligned.
        body = text.strip().replace("\\_", "_").replace("\\*", "*")
        return f"\n\n```\n{body}\n```\n\n"


_CONVERTER = _DiscordMarkdown(heading_style=ATX, bullets="-", wrap=True, wrap_width=None)


@dataclass(slots=True)
class _Row:
    line: int
    name: str
    soup: BeautifulSoup
    links: list[tuple[str, str]] = field(default_factory=list)
    """(anchor, link text) of every link to the glossary page, in document order."""


# --- HTML → markdown ----------------------------------------------------------------------------------


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _unwrap_latex(html: str) -> str:
    """Formulas as inline code without their MathJax delimiters, on one line."""

    def code(match: re.Match[str]) -> str:
        formula = _collapse(next(group for group in match.groups() if group is not None))
        return f"<code>{formula}</code>" if formula else ""

    return LATEX.sub(code, html)


def _web_link(url: str) -> str | None:
    """`url` made absolute against the glossary's page, if it is a web link (a malformed one is not)."""
    try:
        absolute = urljoin(GLOSSARY_URL, url.strip())
        return absolute if urlsplit(absolute).scheme in URL_SCHEMES else None
    except ValueError:  # e.g. an unclosed IPv6 bracket: "http://[x"
        return None


def _prepare(html: str) -> tuple[BeautifulSoup, list[tuple[str, str]]]:
    """Parse the row's HTML and rewrite what Discord cannot show; returns the glossary links too."""
    soup = BeautifulSoup(_unwrap_latex(html), "html.parser")
    links: list[tuple[str, str]] = []
    for anchor in soup.find_all("a"):
        href = _web_link(str(anchor.get("href") or ""))
        if href is None or not anchor.get_text(strip=True):
            anchor.unwrap()  # javascript:, mailto:, malformed, empty duplicates of the next link
            continue
        anchor.attrs = {"href": href}
        page, fragment = urldefrag(href)
        if fragment and page.rstrip("/") == GLOSSARY_URL.rstrip("/"):
            links.append((fragment, _collapse(anchor.get_text(" "))))
    for image in soup.find_all("img"):
        src = _web_link(str(image.get("src") or ""))
        if src is not None:
            # Embeds show no inline images; a link still lets a reader open the figure.
            link = soup.new_tag("a", href=src)
            link.string = str(image.get("alt") or "").strip() or "figure"
            image.replace_with(link)
        else:
            image.decompose()
    for heading in soup.find_all(re.compile(r"^h[1-6]$")):
        # Embeds render no headings, so a heading becomes a bold line of its own.
        heading.name = "p"
        strong = soup.new_tag("strong")
        strong.extend(list(heading.contents))
        heading.append(strong)
    for aside in soup.find_all("aside"):
        aside.name = "blockquote"
    for table in soup.find_all("table"):
        for inline in table.find_all(["a", "strong", "b", "em", "i", "code"]):
            inline.unwrap()  # formatting marks would show literally inside the code block
    return soup, links


def _markdown(soup: BeautifulSoup) -> str:
    text = str(_CONVERTER.convert_soup(soup))
    text = re.sub(r"[ \t]+\n", "\n", text)  # markdownify's "  \n" line breaks; Discord needs none
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _without_links(soup: BeautifulSoup) -> BeautifulSoup:
    plain = copy.copy(soup)
    for anchor in plain.find_all("a"):
        anchor.unwrap()
    return plain


def summary(markdown: str) -> str:
    """The first paragraph (or list): what the term is, before examples and formulas."""
    # An indented block after a blank line continues a list item, so it is no block of its own.
    blocks = [block.strip() for block in BLOCK_BREAK.split(markdown) if block.strip()]
    start = next((i for i, block in enumerate(blocks) if not block.startswith(("```", ">"))), None)
    if start is None:
        return blocks[0] if blocks else ""
    first = blocks[start]
    if "\n" not in first:
        # "In multi-class classification, accuracy is defined as follows:" only makes sense with the
        # formula after it; drop such a lead-in when sentences before it already say what the term is.
        sentences = SENTENCE_SPLIT.split(first)
        while len(sentences) > 1 and sentences[-1].endswith(":"):
            sentences.pop()
        first = " ".join(sentences)
    parts = [first]
    # A lone lead-in ("Overloaded term with the following meanings:") needs what it announces.
    for block in blocks[start + 1 :]:
        if not parts[-1].endswith(":") or block.startswith(("```", ">")):
            break
        parts.append(block)
    return "\n\n".join(parts)


def cut_at_sentence(text: str, limit: int) -> str:
    """`text` if it fits, else up to the last sentence end or line break that fits (a word cut with "…"
    if there is none)."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    ends = [match.end() for match in SENTENCE_END.finditer(head)] + [head.rfind("\n")]
    end = max(ends)
    if end > 0:
        return head[:end].rstrip()
    space = head.rfind(" ", 0, limit - len(ELLIPSIS))
    return head[: space if space > 0 else limit - len(ELLIPSIS)].rstrip() + ELLIPSIS


def plain_name(term: str) -> str:
    """Row names carry HTML too ("L<sub>1</sub> loss", "experimenter&#39;s bias")."""
    return _collapse(BeautifulSoup(term, "html.parser").get_text()).removesuffix(TERM_SUFFIX.strip()).strip()


# --- cross-links --------------------------------------------------------------------------------------


def _name_variants(name: str) -> set[str]:
    """Other keys a row may be linked by: without its parenthesis, the parenthesis, either "or" side."""
    variants: set[str] = set()
    inner = PARENTHESIS.search(name)
    if inner:
        variants.add(lookup_key(inner.group("inner")))
        variants.add(lookup_key(PARENTHESIS.sub(" ", name)))
    for side in ALTERNATIVE.split(name):
        variants.add(lookup_key(side))
    variants.discard("")
    return variants - {lookup_key(name)}


class _LinkIndex:
    """Finds the row a link means: by its anchor first, then its text, then by word prefixes.

    Anchors are usually the name with underscores ("gradient_descent") but sometimes an abbreviation
    ("TP"), the name without its disambiguation ("bias_ethics") or an older spelling ("data_set"). A
    link that fits several rows equally well ("bias", "node") is not guessed at: it is left out.
    """

    def __init__(self, names: list[str]) -> None:
        self._exact: dict[str, int] = {}
        self._variants: dict[str, set[int]] = {}
        self._tokens = [tuple(tokens(name)) for name in names]
        for index, name in enumerate(names):
            self._exact.setdefault(lookup_key(name), index)
            for key in _name_variants(name):
                self._variants.setdefault(key, set()).add(index)

    def _by_key(self, text: str, exclude: int | None) -> int | None:
        key = lookup_key(text)
        if not key:
            return None
        exact = self._exact.get(key)
        if exact is not None and exact != exclude:
            return exact
        return _only(self._variants.get(key, set()) - {exclude})

    def _by_prefix(self, text: str, exclude: int | None) -> int | None:
        """The one row whose name starts with the words of `text` ("bias_ethics" → "bias (ethics/fairness)"),
        else the longest name that the text starts with ("multi-class classification problems")."""
        words = tuple(tokens(text))
        if not words:
            return None
        longer = {i for i, name in enumerate(self._tokens) if name[: len(words)] == words} - {exclude}
        if longer:
            return _only(longer)
        shorter = [
            (len(name), i)
            for i, name in enumerate(self._tokens)
            if len(name) >= PREFIX_MIN_WORDS and words[: len(name)] == name and i != exclude
        ]
        best = max(shorter, default=None)
        if best is None or sum(1 for size, _ in shorter if size == best[0]) > 1:
            return None
        return best[1]

    def resolve(self, anchor: str, text: str, *, exclude: int | None = None) -> tuple[int | None, bool]:
        """The row index (never `exclude`), and whether the anchor identified it: then it is that row's
        anchor on the page."""
        anchor = anchor.replace("_", " ")
        for find in (self._by_key, self._by_prefix):
            found = find(anchor, exclude)
            if found is not None:
                return found, True
            found = find(text, exclude)
            if found is not None:
                return found, False
        return None, False


def _only(candidates: set[int]) -> int | None:
    return next(iter(candidates)) if len(candidates) == 1 else None


# --- reading ------------------------------------------------------------------------------------------


def _rows(path: Path, text: str, issues: list[ImportIssue], notes: list[ImportIssue]) -> list[tuple[int, list[str]]]:
    # The real deck has a closing quote followed by spaces. Strict parsing rejects that, and lenient
    # parsing would also swallow a missing closing quote without a word, so trim just those spaces.
    text = TRAILING_SPACE_AFTER_QUOTE.sub('"', text)
    # Quotes come in pairs in valid CSV. The real deck is cut short inside its last quoted cell; closing
    # it keeps that entry, and a quote missing earlier still fails below where the pairs go wrong.
    unclosed = text.count('"') % 2 == 1
    if unclosed:
        text += '"'
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=PIPE_CSV_DELIMITER, quotechar='"', strict=True)
    rows: list[tuple[int, list[str]]] = []
    next_line = 1
    try:
        with whole_csv_fields(MAX_FILE_BYTES):
            for cells in reader:
                start, next_line = next_line, reader.line_num + 1
                if not any(cell.strip() for cell in cells):
                    continue
                problems = long_fields(cells, PIPE_COLUMNS)
                if len(cells) != len(PIPE_COLUMNS):
                    problems.append(f"has {len(cells)} fields, expected term|definition")
                if problems:
                    issues.extend(ImportIssue(str(path), f"line {start}", problem) for problem in problems)
                    continue
                rows.append((start, cells))
                check_entry_count(path, len(rows))
    except csv.Error as error:
        raise fail(path, f"is not valid pipe-separated CSV: {error}", f"line {reader.line_num}") from error
    if not rows and not issues:
        raise fail(path, "is empty")
    if unclosed and rows:
        reason = "the last quoted cell is never closed (is the file cut short?): read it to the end of the file"
        notes.append(ImportIssue(str(path), f"line {rows[-1][0]}", reason))
    return rows


def _abbreviation_target(soup: BeautifulSoup, links: list[tuple[str, str]]) -> tuple[str, str] | None:
    """(anchor, text) of X when the whole row says "Abbreviation for X."; anchor is "" without a link."""
    match = ABBREVIATION.fullmatch(_collapse(soup.get_text(" ")))
    if not match:
        return None
    target = match.group("target")
    for anchor, text in links:
        if lookup_key(text) == lookup_key(target):
            return anchor, text
    return "", target


def _parse_rows(path: Path, issues: list[ImportIssue], notes: list[ImportIssue], progress_bar: bool) -> list[_Row]:
    source = str(path)
    rows: list[_Row] = []
    cells = _rows(path, read_text(path), issues, notes)
    for line, (term, html) in progress(cells, enabled=progress_bar, total=len(cells), desc=path.name):
        name = plain_name(term)
        if lookup_key(name) in SKIPPED_TERMS:
            notes.append(ImportIssue(source, f"line {line}", f"skipped {name!r}: the deck's notes, not a term"))
            continue
        soup, links = _prepare(html)
        rows.append(_Row(line, name, soup, links))
    return rows


def _abbreviations(source: str, rows: list[_Row], index: _LinkIndex, notes: list[ImportIssue]) -> dict[int, int]:
    """Abbreviation row → the row it abbreviates; rows whose target is missing stay entries."""
    targets = {number: _abbreviation_target(row.soup, row.links) for number, row in enumerate(rows)}
    redirect: dict[int, int] = {}
    for number, target in targets.items():
        if target is None:
            continue
        found, _ = index.resolve(*target, exclude=number)
        # An abbreviation of an abbreviation would leave the alias on a row that disappears.
        if found is None or targets.get(found) is not None:
            reason = f"{rows[number].name!r} abbreviates {target[1]!r}, which is not a term here"
            notes.append(ImportIssue(source, f"line {rows[number].line}", f"{reason}: kept as its own entry"))
            continue
        redirect[number] = found
    return redirect


def _cross_links(
    rows: list[_Row], index: _LinkIndex, redirect: dict[int, int]
) -> tuple[dict[int, list[str]], dict[int, str]]:
    """The names each row links to, and the page anchor learnt for each linked row."""
    anchors: dict[int, str] = {}
    related: dict[int, list[str]] = {}
    for number, row in enumerate(rows):
        names: list[str] = []
        for anchor, text in row.links:
            found, by_anchor = index.resolve(anchor, text)
            if found is None:
                continue
            if by_anchor and found not in redirect:
                anchors.setdefault(found, anchor)
            names.append(rows[redirect.get(found, found)].name)
        related[number] = names
    return related, anchors


def _entry(
    source: str, row: _Row, *, related: list[str], aliases: list[str], anchor: str | None, notes: list[ImportIssue]
) -> SourcedEntry:
    """The row as an entry; cutting what exceeds the limits is noted rather than failing the import."""
    location = f"line {row.line} {row.name[:60]!r}"
    links = unique_names(related, exclude=[row.name])
    if len(links) > MAX_RELATED:
        notes.append(ImportIssue(source, location, f"links to {len(links)} terms: kept the first {MAX_RELATED}"))
        links = links[:MAX_RELATED]
    description = _markdown(row.soup)
    if len(description) > MAX_DESCRIPTION_CHARS:
        reason = f"the text is {len(description):,} characters: cut to {MAX_DESCRIPTION_CHARS:,}"
        notes.append(ImportIssue(source, location, reason))
        description = cut_at_sentence(description, MAX_DESCRIPTION_CHARS)
    entry = Entry(
        term=row.name,
        definition=cut_at_sentence(summary(_markdown(_without_links(row.soup))), MAX_DEFINITION_CHARS),
        description=description,
        aliases=unique_names(aliases, exclude=[row.name]),
        related=links,
        url=GLOSSARY_URL + (f"#{anchor}" if anchor else ""),
        extra={"source": source, "location": location},
        left_out=LEFT_OUT,
    )
    return SourcedEntry(entry, location)


def read_pipe_csv(path: Path, *, progress_bar: bool = False) -> ParsedGlossary:
    source = str(path)
    issues: list[ImportIssue] = []
    notes: list[ImportIssue] = []
    rows = _parse_rows(path, issues, notes, progress_bar)
    index = _LinkIndex([row.name for row in rows])
    # Abbreviations first, so links to "GAN" land on "generative adversarial network".
    redirect = _abbreviations(source, rows, index, notes)
    related, anchors = _cross_links(rows, index, redirect)
    aliases: dict[int, list[str]] = {}
    for number, target in redirect.items():
        aliases.setdefault(target, []).append(rows[number].name)

    items = [
        _entry(
            source,
            row,
            related=related[number],
            aliases=aliases.get(number, []),
            anchor=anchors.get(number),
            notes=notes,
        )
        for number, row in enumerate(rows)
        if number not in redirect
    ]
    items, alias_notes = drop_conflicting_aliases(source, items)
    return finish(source, items, issues, [*notes, *alias_notes], progress_bar=progress_bar)
