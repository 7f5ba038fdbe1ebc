"""Glossary importers: files in several formats → validated `Entry` lists, and the project's export."""

from bot.importers.common import (
    CSV_FIELD_LIMIT,
    MAX_ENTRIES,
    MAX_FILE_BYTES,
    ImportFailed,
    ImportIssue,
    ParsedGlossary,
    unresolved_links,
)
from bot.importers.dispatch import FORMATS, Format, detect_format, read_glossary
from bot.importers.own import write_own_format

__all__ = [
    "CSV_FIELD_LIMIT",
    "FORMATS",
    "MAX_ENTRIES",
    "MAX_FILE_BYTES",
    "Format",
    "ImportFailed",
    "ImportIssue",
    "ParsedGlossary",
    "detect_format",
    "read_glossary",
    "unresolved_links",
    "write_own_format",
]
