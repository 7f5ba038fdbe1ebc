"""The project's own glossary format: CSV, JSON or YAML with the fields of `Entry`, and its writer.

CSV has a header row naming the columns; list fields are `;`-separated in one cell. JSON and YAML hold
a list of objects with the same keys, list fields as lists of strings. Only `term` and `definition` are
required; every other column or key may be absent, and an unknown one is an error (usually a typo).
An absent column or key is `Entry.left_out`: importing the file keeps what an entry already had there.
"""

from __future__ import annotations

import csv
import io
import json
import os
import secrets
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TypeVar

import yaml

from bot.core.csv_fields import whole_csv_fields
from bot.core.entry import OPTIONAL_FIELDS, Entry
from bot.importers.common import (
    MAX_FILE_BYTES,
    FieldError,
    ImportIssue,
    ParsedGlossary,
    SourcedEntry,
    check_entry_count,
    describe_type,
    describe_yaml_error,
    fail,
    finish,
    long_fields,
    progress,
    read_text,
    text_field,
    text_list,
)

COLUMNS = ("term", "definition", "description", "aliases", "related", "category", "url")
"""Column order of written files, and the only keys a file may use."""
REQUIRED_COLUMNS = ("term", "definition")
LIST_SEPARATOR = ";"
"""Separates aliases and related terms in one CSV cell; a name therefore cannot contain it in CSV."""
JSON_WHITESPACE = " \t\n\r"
T = TypeVar("T")
YAML_UNSAFE_BREAKS = frozenset("\x85\u2028\u2029")
"""Line breaks only YAML knows (next line, line and paragraph separators)."""

try:
    # The C loader is the same safe loader (no arbitrary objects), just much faster on big files.
    _SafeLoader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # PyYAML built without libyaml
    _SafeLoader = yaml.SafeLoader


# --- reading ------------------------------------------------------------------------------------------


def _attempt(problems: list[str], convert: Callable[[], T], fallback: T) -> T:
    try:
        return convert()
    except FieldError as error:
        problems.append(str(error))
        return fallback


def _entry_from_fields(
    fields: Mapping[str, object], *, lists_as_text: bool, given: Iterable[str]
) -> tuple[Entry | None, list[str]]:
    """Build an entry from known column names; returns every field problem, not just the first.

    `given` names the columns or keys the source has: the others are left out (see `Entry.left_out`).
    """
    problems: list[str] = []

    def text(name: str, *, required: bool = False) -> str:
        return _attempt(problems, lambda: text_field(fields.get(name), name, required=required), "")

    def names(name: str) -> tuple[str, ...]:
        if lists_as_text:
            cell = text(name)
            return tuple(part.strip() for part in cell.split(LIST_SEPARATOR) if part.strip())
        return _attempt(problems, lambda: listed_names(fields.get(name), name), ())

    entry = Entry(
        term=text("term", required=True),
        definition=text("definition", required=True),
        description=text("description"),
        aliases=names("aliases"),
        related=names("related"),
        category=text("category") or None,
        url=text("url") or None,
        left_out=frozenset(OPTIONAL_FIELDS).difference(given),
    )
    return (None, problems) if problems else (entry, [])


def listed_names(value: object, name: str) -> tuple[str, ...]:
    """A JSON/YAML list of names; a blank one is an error (CSV has no way to write it)."""
    names = text_list(value, name)
    if not all(names):
        raise FieldError(f"the {name} list holds an empty name")
    return names


def _with_origin(entry: Entry, path: Path, location: str) -> Entry:
    entry.extra.update(source=str(path), location=location)
    return entry


def read_own_csv(path: Path, *, progress_bar: bool = False) -> ParsedGlossary:
    text = read_text(path)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[tuple[int, list[str]]] = []
    try:
        next_line = 1
        with whole_csv_fields(MAX_FILE_BYTES):
            for row in reader:
                # line_num is where the record ended; a quoted cell can span lines, so remember the start.
                start, next_line = next_line, reader.line_num + 1
                if any(cell.strip() for cell in row):
                    rows.append((start, row))
                    check_entry_count(path, len(rows) - 1)
    except csv.Error as error:
        raise fail(path, f"is not valid CSV: {error}", f"line {reader.line_num}") from error
    if not rows:
        raise fail(path, "is empty: expected a header row naming the columns")

    header_line, header = rows[0]
    columns = [name.strip().lower() for name in header]
    problems = _header_problems(columns)
    if problems:
        raise fail(path, "; ".join(problems), f"line {header_line} (header)")

    items: list[SourcedEntry] = []
    issues: list[ImportIssue] = []
    for line, row in progress(rows[1:], enabled=progress_bar, total=len(rows) - 1, desc=path.name):
        location = f"line {line}"
        too_long = long_fields(row, columns)
        if too_long:
            issues.extend(ImportIssue(str(path), location, problem) for problem in too_long)
            continue
        extra_cells = row[len(columns) :]
        if any(cell.strip() for cell in extra_cells):
            issues.append(ImportIssue(str(path), location, f"has {len(row)} fields, the header names {len(columns)}"))
            continue
        # Spreadsheets drop empty trailing cells, so a short row means empty optional columns.
        fields = dict(zip(columns, row, strict=False))
        entry, field_problems = _entry_from_fields(fields, lists_as_text=True, given=columns)
        issues.extend(ImportIssue(str(path), location, problem) for problem in field_problems)
        if entry is not None:
            items.append(SourcedEntry(_with_origin(entry, path, location), location))
    return finish(path, items, issues, progress_bar=progress_bar)


def _quoted(names: Iterable[str]) -> str:
    return ", ".join(repr(name) for name in names)


def _header_problems(columns: list[str]) -> list[str]:
    problems: list[str] = []
    unknown = [name for name in columns if name not in COLUMNS]
    if unknown:
        problems.append(f"unknown column(s) {_quoted(unknown)} (allowed: {', '.join(COLUMNS)})")
    repeated = sorted({name for name in columns if columns.count(name) > 1})
    if repeated:
        problems.append(f"column(s) {_quoted(repeated)} appear more than once")
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        problems.append(f"missing required column(s) {_quoted(missing)}")
    return problems


def _records(
    path: Path, data: object, lines: list[int], progress_bar: bool
) -> tuple[list[SourcedEntry], list[ImportIssue]]:
    """Entries from the list of objects a JSON or YAML file holds; `lines` gives each object's line."""
    if not isinstance(data, list):
        raise fail(path, f"must hold a list of entries, not {describe_type(data)}")
    check_entry_count(path, len(data))
    items: list[SourcedEntry] = []
    issues: list[ImportIssue] = []
    for number, (record, line) in enumerate(
        progress(zip(data, lines, strict=True), enabled=progress_bar, total=len(data), desc=path.name), 1
    ):
        term = record.get("term") if isinstance(record, dict) else None
        label = f"entry {number} {term.strip()[:60]!r}" if isinstance(term, str) else f"entry {number}"
        location = f"{label} (line {line})"
        if not isinstance(record, dict):
            issues.append(ImportIssue(str(path), location, f"must be a mapping of fields, not {describe_type(record)}"))
            continue
        unknown = [str(key) for key in record if key not in COLUMNS]
        if unknown:
            issues.append(
                ImportIssue(
                    str(path),
                    location,
                    f"unknown key(s) {_quoted(unknown)} (allowed: {', '.join(COLUMNS)})",
                )
            )
            continue
        missing = [name for name in REQUIRED_COLUMNS if name not in record]
        if missing:
            issues.append(ImportIssue(str(path), location, f"missing required key(s) {_quoted(missing)}"))
            continue
        entry, field_problems = _entry_from_fields(record, lists_as_text=False, given=record)
        issues.extend(ImportIssue(str(path), location, problem) for problem in field_problems)
        if entry is not None:
            items.append(SourcedEntry(_with_origin(entry, path, location), location))
    return items, issues


def read_own_json(path: Path, *, progress_bar: bool = False) -> ParsedGlossary:
    text = read_text(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise fail(path, f"is not valid JSON: {error.msg}", f"line {error.lineno}, column {error.colno}") from error
    except RecursionError as error:
        raise fail(path, "nests lists or objects too deeply to be a glossary") from error
    lines = _json_item_lines(text) if isinstance(data, list) else []
    items, issues = _records(path, data, lines, progress_bar)
    return finish(path, items, issues, progress_bar=progress_bar)


def _json_item_lines(text: str) -> list[int]:
    """The line each element of the top-level array starts on (`text` is known to be valid JSON).

    The json module keeps no positions, so walk the array with raw_decode, one element at a time.
    """
    decoder = json.JSONDecoder()
    lines: list[int] = []
    line, counted_to = 1, 0

    def skip(index: int) -> int:
        while index < len(text) and text[index] in JSON_WHITESPACE:
            index += 1
        return index

    index = skip(skip(0) + 1)  # past the opening bracket
    while text[index] != "]":
        line += text.count("\n", counted_to, index)
        counted_to = index
        lines.append(line)
        _, index = decoder.raw_decode(text, index)
        index = skip(index)
        if text[index] == ",":
            index = skip(index + 1)
    return lines


def read_own_yaml(path: Path, *, progress_bar: bool = False) -> ParsedGlossary:
    text = read_text(path)
    # This is exactly what yaml.safe_load does (same safe loader, no arbitrary objects), kept in two
    # steps so the node tree still knows which line each entry starts on.
    loader = _SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as error:
        where, what = describe_yaml_error(error)
        raise fail(path, f"is not valid YAML: {what}", where) from error
    except yaml.YAMLError as error:
        raise fail(path, f"is not valid YAML: {error}") from error
    except RecursionError as error:
        raise fail(path, "nests lists or mappings too deeply to be a glossary") from error
    finally:
        loader.dispose()
    if data is None:
        raise fail(path, "is empty: expected a list of entries")
    lines = [item.start_mark.line + 1 for item in node.value] if isinstance(data, list) and node else []
    items, issues = _records(path, data, lines, progress_bar)
    return finish(path, items, issues, progress_bar=progress_bar)


# --- writing ------------------------------------------------------------------------------------------


def _record(entry: Entry) -> dict[str, str | list[str]]:
    """The entry as JSON/YAML fields, leaving out empty optional ones to keep files readable."""
    record: dict[str, str | list[str]] = {"term": entry.term, "definition": entry.definition}
    if entry.description:
        record["description"] = entry.description
    if entry.aliases:
        record["aliases"] = list(entry.aliases)
    if entry.related:
        record["related"] = list(entry.related)
    if entry.category:
        record["category"] = entry.category
    if entry.url:
        record["url"] = entry.url
    return record


def _csv_text(entries: list[Entry]) -> str:
    buffer = io.StringIO(newline="")
    # The default "\r\n" terminator matters: it makes the writer quote cells holding a lone "\r" too.
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for entry in entries:
        for name in (*entry.aliases, *entry.related):
            if LIST_SEPARATOR in name:
                raise ValueError(
                    f"{entry.term!r}: {name!r} contains {LIST_SEPARATOR!r}, which separates names in CSV; "
                    "export as JSON or YAML instead"
                )
        writer.writerow(
            [
                entry.term,
                entry.definition,
                entry.description,
                f"{LIST_SEPARATOR} ".join(entry.aliases),
                f"{LIST_SEPARATOR} ".join(entry.related),
                entry.category or "",
                entry.url or "",
            ]
        )
    return buffer.getvalue()


class _ReadableDumper(yaml.SafeDumper):
    """Multi-line text as literal blocks, as a person would write it; the emitter falls back to quoting
    whenever a block could not reproduce the string exactly.

    Not the C dumper: it is faster, but escapes every character outside the Basic Multilingual Plane
    (emoji, rarer CJK) as \\U0001F916, and exports are small enough for readability to win.
    """


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style: str | None = None
    if any(char in YAML_UNSAFE_BREAKS for char in value):
        # PyYAML writes these raw in plain and block styles, and reading folds them into spaces;
        # only double quotes escape them.
        style = '"'
    elif "\n" in value:
        style = "|"
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_ReadableDumper.add_representer(str, _represent_str)


def write_own_format(entries: Iterable[Entry], path: Path) -> int:
    """Write `entries` in the project's format chosen by the extension; returns how many were written.

    What read_glossary returns reads back identically. The file is replaced atomically, so a failed
    export never leaves half a glossary behind.
    """
    entries = list(entries)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        text = _csv_text(entries)
    elif suffix == ".json":
        text = json.dumps([_record(entry) for entry in entries], ensure_ascii=False, indent=2) + "\n"
    elif suffix in {".yaml", ".yml"}:
        text = yaml.dump(
            [_record(entry) for entry in entries],
            Dumper=_ReadableDumper,
            allow_unicode=True,
            sort_keys=False,
            width=100,
        )
    else:
        raise ValueError(f"cannot tell the format of {path.name!r}: use .csv, .json, .yaml or .yml")
    # Created like any new file (0666 less the umask): NamedTemporaryFile's 0600 would leave an export
    # only its owner can read.
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        with open(temporary, "x", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return len(entries)
