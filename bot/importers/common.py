"""What every importer shares: issue reporting, limits, safe file reading and whole-file validation.

Importers are all or nothing: a format module turns a file into located entries plus the problems it
found on the way, and `finish` adds the per-entry checks and the clashes between entries, then either
returns the glossary or raises `ImportFailed` with every problem at once, so one round of fixes suffices.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar

import yaml

from bot.core.entry import Entry, entry_problems
from bot.core.normalize import lookup_key
from bot.core.words import plural

MAX_FILE_BYTES = 50 * 1024 * 1024
"""Bigger than any real glossary by orders of magnitude, small enough to decode in memory at once."""
MAX_ENTRIES = 200_000
"""Far beyond any real glossary; stops a generated or corrupted file from filling the store."""
PIPE_CSV_DELIMITER = "|"
"""The Google glossary's flashcard CSV separates its columns with this (and `detect_format` spots it)."""
MAX_REPORTED_ISSUES = 200
"""A broken file can produce a problem per entry; past this many, more lines only hide the pattern."""
PROGRESS_MIN_ITEMS = 500
"""Below this a progress bar flashes by faster than it can be read."""
CSV_FIELD_LIMIT = 131_072
"""Python's csv module refuses longer fields by default; no entry field comes near it."""

T = TypeVar("T")
LINE_NUMBER = re.compile(r"\bline (\d+)")


@dataclass(frozen=True, slots=True)
class ImportIssue:
    source: str
    """The file or folder being imported."""
    location: str
    """Where in the source: "line 12", "entry 3 'Foo' (line 7)", a file name, or "" for the whole source."""
    reason: str

    def __str__(self) -> str:
        name = Path(self.source).name or self.source
        return f"{name}, {self.location}: {self.reason}" if self.location else f"{name}: {self.reason}"


class ImportFailed(Exception):
    """The source cannot be imported; `issues` lists every problem found, in file order."""

    def __init__(self, issues: Sequence[ImportIssue]) -> None:
        self.issues: list[ImportIssue] = list(issues)
        lines = [str(issue) for issue in self.issues[:MAX_REPORTED_ISSUES]]
        hidden = len(self.issues) - len(lines)
        if hidden > 0:
            lines.append(f"... and {plural(hidden, 'more problem')}")
        super().__init__("\n".join(lines) if lines else "import failed")


@dataclass(slots=True)
class ParsedGlossary:
    entries: list[Entry]
    notes: list[ImportIssue] = field(default_factory=list)
    """Non-fatal remarks: something was converted in a way the person importing should know about."""


@dataclass(frozen=True, slots=True)
class SourcedEntry:
    """An entry and where it came from, so later checks can point at the right line."""

    entry: Entry
    location: str


class FieldError(ValueError):
    """A field of one entry has the wrong shape; becomes an `ImportIssue` for that entry."""


def fail(source: Path | str, reason: str, location: str = "") -> ImportFailed:
    return ImportFailed([ImportIssue(str(source), location, reason)])


def read_text(path: Path) -> str:
    """The file decoded as UTF-8 (a byte-order mark is allowed), refusing anything oversized."""
    if not path.is_file():
        raise fail(path, "no such file" if not path.exists() else "not a regular file")
    try:
        with path.open("rb") as handle:
            # Read one byte past the cap instead of trusting stat(): the file may be growing or a pipe.
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise fail(path, f"cannot be read ({error.strerror or error})") from error
    if len(data) > MAX_FILE_BYTES:
        raise fail(path, f"is larger than the {size_limit()} import limit")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise fail(path, "is not UTF-8 text (save it as UTF-8 and retry)", f"line {line}") from error


def long_fields(row: Sequence[str], columns: Sequence[str]) -> list[str]:
    """A problem for each field of `row` over CSV_FIELD_LIMIT, named by its column."""
    return [
        f"the {columns[index] if index < len(columns) else f'field {index + 1}'} is too long: "
        f"{len(cell):,} characters (a field may hold at most {CSV_FIELD_LIMIT:,})"
        for index, cell in enumerate(row)
        if len(cell) > CSV_FIELD_LIMIT
    ]


def size_limit() -> str:
    megabyte = 1024 * 1024
    return f"{MAX_FILE_BYTES // megabyte} MB" if megabyte <= MAX_FILE_BYTES else f"{MAX_FILE_BYTES:,} bytes"


def describe_yaml_error(error: yaml.MarkedYAMLError) -> tuple[str, str]:
    """(line and column, what is wrong there) for a YAML syntax error."""
    mark = error.problem_mark or error.context_mark
    where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    what = error.problem or error.context or "unreadable"
    if error.problem and error.context and error.context_mark:
        # The problem line alone can mislead: the real mistake is often where the construct began.
        what += f" ({error.context} at line {error.context_mark.line + 1})"
    return where, what


def check_total_size(source: Path | str, size: int) -> None:
    """For sources made of many files: together they get the budget of one file."""
    if size > MAX_FILE_BYTES:
        raise fail(source, f"holds more than the {size_limit()} import limit")


def check_entry_count(source: Path | str, count: int) -> None:
    if count > MAX_ENTRIES:
        raise fail(source, f"has more than {MAX_ENTRIES:,} entries, the import limit")


def progress(items: Iterable[T], *, enabled: bool, total: int | None, desc: str) -> Iterator[T]:
    """`items`, with a progress bar on stderr when asked for and the input is big enough to need one."""
    show = enabled and (total is None or total >= PROGRESS_MIN_ITEMS)
    if not show:
        yield from items
        return
    from tqdm import tqdm  # ~7 MB and tens of ms to import: only the command line shows progress

    with tqdm(items, total=total, desc=desc, unit=" entries", leave=False) as bar:
        yield from bar


# --- field shapes -------------------------------------------------------------------------------------


def describe_type(value: object) -> str:
    names = {
        bool: "true/false",
        int: "a number",
        float: "a number",
        list: "a list",
        dict: "a mapping",
        type(None): "empty",
    }
    return names.get(type(value), type(value).__name__)


def text_field(value: object, name: str, *, required: bool) -> str:
    """A string field, stripped; YAML turns `yes` or `1.0` into other types, so say how to fix that."""
    if value is None:
        if required:
            raise FieldError(f"the {name} is missing")
        return ""
    if not isinstance(value, str):
        raise FieldError(f"the {name} must be text, not {describe_type(value)} (put it in quotes)")
    return _encodable(value, name).strip()


def optional_text(value: object, name: str) -> str | None:
    return text_field(value, name, required=False) or None


def text_list(value: object, name: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise FieldError(f"the {name} must be a list of text, not {describe_type(value)}")
    for item in value:
        if not isinstance(item, str):
            raise FieldError(f"every item of the {name} must be text, found {describe_type(item)}")
    return tuple(_encodable(item, name).strip() for item in value)


def _encodable(text: str, name: str) -> str:
    """`text` if it is made of characters: JSON's escapes can spell half a character (a lone surrogate,
    "\\ud800"), which no file and no database can store."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise FieldError(
            f"the {name} holds \\u{ord(text[error.start]):04x}, half of a character (a lone surrogate)"
        ) from None
    return text


def unique_names(names: Iterable[str], *, exclude: Iterable[str] = ()) -> tuple[str, ...]:
    """`names` without repeats under `lookup_key` (first spelling wins) and without `exclude`."""
    seen = {lookup_key(name) for name in exclude}
    kept: list[str] = []
    for name in names:
        key = lookup_key(name)
        if key and key not in seen:
            seen.add(key)
            kept.append(name)
    return tuple(kept)


# --- whole-source checks ------------------------------------------------------------------------------


def _names(entry: Entry) -> Iterator[tuple[str, str]]:
    yield "term", entry.term
    for alias in entry.aliases:
        yield "alias", alias


def duplicate_issues(source: str, items: Sequence[SourcedEntry]) -> list[ImportIssue]:
    """A name (term or alias) of one entry that shares its lookup key with a name of another entry.

    Repeats inside one entry ("re-ranking" as an alias of "reranking") are harmless and not reported.
    """
    owners: dict[str, tuple[int, str, str]] = {}
    issues: list[ImportIssue] = []
    for index, item in enumerate(items):
        for kind, name in _names(item.entry):
            key = lookup_key(name)
            if not key:
                continue  # entry_problems reports names without letters or digits
            owner = owners.setdefault(key, (index, kind, name))
            if owner[0] == index:
                continue
            other = items[owner[0]]
            whose = "" if owner[1] == "term" else f" of {other.entry.term!r}"
            issues.append(
                ImportIssue(
                    source,
                    item.location,
                    f"the {kind} {name!r} has the same lookup key as the {owner[1]} {owner[2]!r}{whose} "
                    f"({other.location})",
                )
            )
    return issues


def drop_conflicting_aliases(
    source: str, items: Sequence[SourcedEntry]
) -> tuple[list[SourcedEntry], list[ImportIssue]]:
    """Resolve alias clashes that third-party glossaries contain, keeping their terms intact.

    For converted formats an alias is a convenience, not data the author must get right, so instead of
    refusing the whole file: an alias that is another entry's term goes, and an alias claimed by several
    entries goes from all of them (any choice of owner would be a guess). Each drop is a note. Terms that
    clash stay an error. The project's own format gets no such leniency: its files are meant to be clean.
    """
    term_owner: dict[str, int] = {}
    for index, item in enumerate(items):
        term_owner.setdefault(lookup_key(item.entry.term), index)
    alias_claims: dict[str, set[int]] = {}
    for index, item in enumerate(items):
        for alias in item.entry.aliases:
            alias_claims.setdefault(lookup_key(alias), set()).add(index)

    kept_items: list[SourcedEntry] = []
    notes: list[ImportIssue] = []
    for index, item in enumerate(items):
        entry = item.entry
        kept: list[str] = []
        for alias in unique_names(entry.aliases, exclude=[entry.term]):
            key = lookup_key(alias)
            owner = term_owner.get(key)
            if owner is not None and owner != index:
                other = items[owner]
                reason = f"is the term {other.entry.term!r} ({other.location})"
            elif len(alias_claims[key]) > 1:
                others = sorted(items[i].entry.term for i in alias_claims[key] if i != index)
                reason = "is also an alias of " + ", ".join(repr(term) for term in others)
            else:
                kept.append(alias)
                continue
            notes.append(ImportIssue(source, item.location, f"alias {alias!r} of {entry.term!r} dropped: it {reason}"))
        if tuple(kept) != entry.aliases:
            entry = replace(entry, aliases=tuple(kept))
        kept_items.append(SourcedEntry(entry, item.location))
    return kept_items, notes


def _position(issue: ImportIssue) -> tuple[int, str]:
    """File order: by line where the location has one, else by name (folders are read in name order)."""
    line = LINE_NUMBER.search(issue.location)
    return (int(line.group(1)), "") if line else (0, issue.location)


def finish(
    source: Path | str,
    items: Sequence[SourcedEntry],
    issues: Sequence[ImportIssue] = (),
    notes: Sequence[ImportIssue] = (),
    *,
    progress_bar: bool = False,
) -> ParsedGlossary:
    """Validate every entry and the clashes between them; all problems fail the import together."""
    source = str(source)
    check_entry_count(source, len(items))
    problems = list(issues)
    # Validation normalises every name and costs more than parsing, so it gets its own bar.
    for item in progress(items, enabled=progress_bar, total=len(items), desc=f"checking {Path(source).name}"):
        problems.extend(ImportIssue(source, item.location, reason) for reason in entry_problems(item.entry))
    problems.extend(duplicate_issues(source, items))
    if problems:
        raise ImportFailed(sorted(problems, key=_position))
    return ParsedGlossary([item.entry for item in items], sorted(notes, key=_position))


def unresolved_links(entries: Iterable[Entry], known_keys: set[str]) -> list[tuple[str, str]]:
    """(term, link) for every related link that names neither a known key nor an entry of `entries`.

    `known_keys` are the lookup keys already in the glossary; names in `entries` count too, so a batch
    may link among its own entries.
    """
    entries = list(entries)
    keys = set(known_keys)
    for entry in entries:
        keys.update(lookup_key(name) for _, name in _names(entry))
    return [(entry.term, link) for entry in entries for link in entry.related if lookup_key(link) not in keys]
