"""A server's glossary as a file: imported from an attachment (previewed, then all or nothing), exported.

The formats are the CLI's (bot/importers): the project's CSV, JSON and YAML, and the pipe-separated
flashcard CSV. An attachment is read the way the CLI reads a file, from a temporary copy, so the two
can never disagree about what a file holds.
"""

from __future__ import annotations

import asyncio
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

from bot.core.entry import Entry
from bot.core.render import quote_user_text
from bot.core.scope import Actor, CurationRefused, require_server_editor
from bot.importers import ImportFailed, ParsedGlossary, read_glossary, write_own_format
from bot.services.glossary import GlossaryService
from bot.store.glossary import ApplyReport, TooManyTerms

MAX_IMPORT_BYTES = 1_000_000
"""An attachment of at most 1 MB: thousands of entries, read in well under Discord's patience."""
MAX_IMPORT_ENTRIES = 5_000
IMPORT_SUFFIXES = (".csv", ".json", ".yaml", ".yml")
MAX_PROBLEMS_SHOWN = 5
ExportFormat = Literal["csv", "json", "yaml"]
EXPORT_FORMATS: tuple[ExportFormat, ...] = get_args(ExportFormat)
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True, slots=True)
class PendingImport:
    """A file read and tried (a dry run): what confirming it will do."""

    guild_id: int
    filename: str
    entries: tuple[Entry, ...]
    preview: ApplyReport


@dataclass(frozen=True, slots=True)
class ExportFile:
    filename: str
    content: bytes
    count: int


def check_attachment(filename: str, size: int) -> None:
    """Refuse a file by its name and size, before it is downloaded."""
    if Path(filename).suffix.lower() not in IMPORT_SUFFIXES:
        raise CurationRefused(
            f"“{quote_user_text(filename)}” is not a glossary file: attach a .csv, .json or .yaml file "
            "(the formats `python -m bot import` reads; /glossary export writes them)."
        )
    if size > MAX_IMPORT_BYTES:
        raise CurationRefused(f"That file is {size:,} bytes; at most {MAX_IMPORT_BYTES:,} (1 MB) can be imported.")


class GlossaryTransfer:
    def __init__(self, service: GlossaryService) -> None:
        self.service = service

    async def read_import(self, actor: Actor, filename: str, content: bytes) -> PendingImport:
        """Read an attached file and try it on the server's glossary: a refusal names what is wrong."""
        guild_id = require_server_editor(actor)
        check_attachment(filename, len(content))
        try:
            parsed = await asyncio.to_thread(_read_bytes, filename, content)
        except ImportFailed as failure:
            raise CurationRefused(_describe_failure(failure)) from failure
        entries = tuple(parsed.entries)
        if len(entries) > MAX_IMPORT_ENTRIES:
            raise CurationRefused(
                f"That file holds {len(entries):,} entries; at most {MAX_IMPORT_ENTRIES:,} can be imported at once."
            )
        preview = await self._apply(guild_id, entries, dry_run=True)
        return PendingImport(guild_id, filename, entries, preview)

    async def apply_import(self, actor: Actor, pending: PendingImport) -> ApplyReport:
        """Import what was previewed, all of it or (on any failure) nothing."""
        if require_server_editor(actor) != pending.guild_id:
            raise CurationRefused("That import belongs to another server.")
        try:
            return await self._apply(pending.guild_id, pending.entries, dry_run=False)
        finally:
            self.service.server_indexes.forget(pending.guild_id)

    async def _apply(self, guild_id: int, entries: tuple[Entry, ...], *, dry_run: bool) -> ApplyReport:
        limit = self.service.server_terms_limit
        try:
            return await self.service.glossary.apply_entries(
                entries, mode="import", dry_run=dry_run, guild_id=guild_id, max_terms=limit
            )
        except TooManyTerms as error:
            raise CurationRefused(
                f"Nothing was imported: this server's glossary would hold {error.count:,} entries, and "
                f"{error.limit:,} is the most a server may have."
            ) from error

    async def export(self, actor: Actor, file_format: ExportFormat) -> ExportFile:
        guild_id = require_server_editor(actor)
        entries = await self.service.glossary.export_entries(guild_id)
        filename = f"glossary-{guild_id}.{file_format}"
        content = await asyncio.to_thread(_write_bytes, entries, filename)
        return ExportFile(filename, content, len(entries))


def _read_bytes(filename: str, content: bytes) -> ParsedGlossary:
    with tempfile.TemporaryDirectory(prefix="glossary-import-") as folder:
        path = Path(folder) / _safe_name(filename)
        path.write_bytes(content)
        return read_glossary(path)


def _write_bytes(entries: list[Entry], filename: str) -> bytes:
    with tempfile.TemporaryDirectory(prefix="glossary-export-") as folder:
        path = Path(folder) / filename
        write_own_format(entries, path)
        return path.read_bytes()


def _safe_name(filename: str) -> str:
    """The file's name as a plain local one (an attachment's name is whatever the user's client sent)."""
    stem = _UNSAFE_FILENAME.sub("_", Path(filename).stem)[:60] or "glossary"
    return stem + Path(filename).suffix.lower()


def _describe_failure(failure: ImportFailed) -> str:
    problems = [str(issue) for issue in failure.issues[:MAX_PROBLEMS_SHOWN]]
    more = len(failure.issues) - len(problems)
    listed = "\n".join(f"- {quote_user_text(problem, 300)}" for problem in problems)
    tail = f"\n… and {more:,} more." if more > 0 else ""
    return f"Nothing was imported: the file has {len(failure.issues):,} problem(s).\n{listed}{tail}"
