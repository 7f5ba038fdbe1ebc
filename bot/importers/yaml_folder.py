"""A folder of one-term-per-file YAML, as in the ai-glossary project (its term.schema.json).

Mapping: term→term, short_def→definition, long_def→description, aliases→aliases, the first category
→category, relationships related+broader+narrower→related, the first citation's url→url. Everything
else in those files (audiences, examples, governance, ...) has no place in an entry and is ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import yaml

from bot.core.entry import Entry
from bot.importers.common import (
    FieldError,
    ImportFailed,
    ImportIssue,
    ParsedGlossary,
    SourcedEntry,
    check_entry_count,
    check_total_size,
    describe_type,
    describe_yaml_error,
    drop_conflicting_aliases,
    fail,
    finish,
    optional_text,
    progress,
    read_text,
    text_field,
    text_list,
    unique_names,
)

SUFFIXES = frozenset({".yml", ".yaml"})
TERMS_SUBFOLDER = "terms"
"""Where the ai-glossary repository keeps its term files, so its root folder can be given as well."""
RELATIONSHIP_KINDS = ("related", "broader", "narrower")
"""Order matters: related terms are the closest, so they come first when the buttons run out."""
LEFT_OUT_WHEN_MISSING = {
    "description": "long_def",
    "aliases": "aliases",
    "related": "relationships",
    "category": "categories",
    "url": "citations",
}
"""Entry fields, and the key of a term file that brings each (when the key is missing, so is the field)."""


def term_files(folder: Path) -> list[Path]:
    """The YAML files of the folder (not recursive, hidden files skipped), in name order."""
    if not folder.is_dir():
        raise fail(folder, "no such folder")

    def listing(directory: Path) -> list[Path]:
        return sorted(
            path
            for path in directory.iterdir()
            if path.suffix.lower() in SUFFIXES and not path.name.startswith(".") and path.is_file()
        )

    files = listing(folder)
    if not files and (folder / TERMS_SUBFOLDER).is_dir():
        files = listing(folder / TERMS_SUBFOLDER)
    if not files:
        raise fail(folder, "holds no .yml or .yaml files")
    check_entry_count(folder, len(files))
    return files


def _entry_from_document(data: Mapping[object, object]) -> Entry:
    term = text_field(data.get("term"), "term", required=True)
    definition = text_field(data.get("short_def"), "short_def", required=True)
    description = text_field(data.get("long_def"), "long_def", required=False)
    aliases = text_list(data.get("aliases"), "aliases")
    categories = text_list(data.get("categories"), "categories")

    relationships = data.get("relationships") or {}
    if not isinstance(relationships, dict):
        raise FieldError(f"relationships must be a mapping, not {describe_type(relationships)}")
    links = [
        link for kind in RELATIONSHIP_KINDS for link in text_list(relationships.get(kind), f"relationships.{kind}")
    ]

    citations = data.get("citations") or []
    if not isinstance(citations, list):
        raise FieldError(f"citations must be a list, not {describe_type(citations)}")
    url = None
    if citations:
        first = citations[0]
        if not isinstance(first, dict):
            raise FieldError(f"each citation must be a mapping, not {describe_type(first)}")
        url = optional_text(first.get("url"), "url of the first citation")

    # What the file has no key for is left out: an import keeps what the entry already had there.
    left_out = frozenset(name for name, key in LEFT_OUT_WHEN_MISSING.items() if data.get(key) is None)
    return Entry(
        term=term,
        definition=definition,
        description=description,
        aliases=aliases,
        related=unique_names(links, exclude=[term]),
        category=categories[0] if categories else None,
        url=url,
        left_out=left_out,
    )


def read_yaml_folder(folder: Path, *, progress_bar: bool = False) -> ParsedGlossary:
    files = term_files(folder)
    source = str(folder)
    items: list[SourcedEntry] = []
    issues: list[ImportIssue] = []
    total_bytes = 0
    for path in progress(files, enabled=progress_bar, total=len(files), desc=folder.name):
        location = path.name if path.parent == folder else str(path.relative_to(folder))
        total_bytes += path.stat().st_size
        check_total_size(folder, total_bytes)
        try:
            text = read_text(path)
        except ImportFailed as error:
            issues.extend(
                ImportIssue(source, location, f"{issue.reason} ({issue.location})" if issue.location else issue.reason)
                for issue in error.issues
            )
            continue
        try:
            data = yaml.safe_load(text)
        except yaml.MarkedYAMLError as error:
            where, what = describe_yaml_error(error)
            issues.append(ImportIssue(source, location, f"is not valid YAML at {where}: {what}"))
            continue
        except yaml.YAMLError as error:
            issues.append(ImportIssue(source, location, f"is not valid YAML: {error}"))
            continue
        except RecursionError:
            issues.append(ImportIssue(source, location, "nests lists or mappings too deeply"))
            continue
        if not isinstance(data, dict):
            issues.append(ImportIssue(source, location, f"must be a mapping of fields, not {describe_type(data)}"))
            continue
        try:
            entry = _entry_from_document(data)
        except FieldError as error:
            issues.append(ImportIssue(source, location, str(error)))
            continue
        entry.extra.update(source=str(path), location=location)
        items.append(SourcedEntry(entry, location))
    items, notes = drop_conflicting_aliases(source, items)
    return finish(source, items, issues, notes, progress_bar=progress_bar)
