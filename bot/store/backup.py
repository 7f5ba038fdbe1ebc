"""A consistent copy of the live database, made while the bot keeps running.

SQLite's online backup API copies every page in one step, inside one read transaction: the copy is
the database as of one moment, even while the bot (or the CLI) commits. In WAL mode a reader never
blocks a writer, so the bot does not notice. The copy is written next to its destination under a
temporary name, checked, and only then renamed into place: a failed backup leaves no half-written
file behind, and an existing file is replaced only when asked to.

Restoring is copying the file back while the bot is stopped (README, "Backups").
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from bot.store.db import BUSY_TIMEOUT_MS

_COUNTED_TABLES = {
    "terms": "terms",
    "term_changes": "editor changes",
    "subscriptions": "pulse subscriptions",
    "data_points": "pulse data points",
}
"""What a backup report counts, so the operator sees at a glance that the copy holds the glossary."""


class BackupRefused(Exception):
    """The backup was not made; the message says why, and nothing was written."""


@dataclass(frozen=True, slots=True)
class BackupReport:
    source: Path
    target: Path
    size_bytes: int
    counts: dict[str, int]
    """Rows per table (by the names in `_COUNTED_TABLES`), for tables the database has."""

    def summary(self) -> str:
        counted = ", ".join(f"{count} {_COUNTED_TABLES[table]}" for table, count in self.counts.items())
        return (
            f"Backed up {self.source} to {self.target}: {counted}; "
            f"{self.size_bytes / 1_000_000:.1f} MB, integrity check ok."
        )


def backup_database(source: Path, target: Path, *, force: bool = False) -> BackupReport:
    """Copy the database at `source` to `target`; `force` allows replacing an existing `target`."""
    if not source.is_file():
        raise BackupRefused(f"there is no database at {source} (check DATABASE_PATH).")
    if target.is_dir():
        raise BackupRefused(f"{target} is a folder: give the backup a file name, e.g. {target / 'bot.db'}.")
    if target.exists() and target.resolve() == source.resolve():
        raise BackupRefused(f"{target} is the database itself: back it up to another file.")
    if target.exists() and not force:
        raise BackupRefused(f"{target} already exists: choose another name, or pass --force to replace it.")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    partial.unlink(missing_ok=True)  # left over by a backup that was killed
    try:
        counts = _copy(source, partial)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return BackupReport(source, target, target.stat().st_size, counts)


def _copy(source: Path, destination: Path) -> dict[str, int]:
    # mode=rw: never create an empty database where the live one was expected.
    with contextlib.closing(sqlite3.connect(source.resolve().as_uri() + "?mode=rw", uri=True)) as live:
        live.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        with contextlib.closing(sqlite3.connect(destination)) as copy:
            live.backup(copy)  # pages=-1 (the default): all in one step, so one consistent snapshot
            # One self-contained file: the copy carries the live database's WAL flag otherwise.
            copy.execute("PRAGMA journal_mode = DELETE")
            problems = [row[0] for row in copy.execute("PRAGMA integrity_check")]
            if problems != ["ok"]:
                raise BackupRefused("The copy failed its integrity check: " + "; ".join(problems[:5]))
            tables = {row[0] for row in copy.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")}
            return {
                table: int(copy.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
                for table in _COUNTED_TABLES
                if table in tables
            }
