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
import errno
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bot.store.db import BUSY_TIMEOUT_MS
from bot.store.sqlite import lasting_problem, read_only_uri

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
    """Copy the database at `source` to `target`; `force` allows replacing an existing `target`.

    Raises BackupRefused for a refusal or a database that cannot be read, OSError (naming `target`'s
    trouble) when the copy cannot be written.
    """
    if not source.is_file():
        raise BackupRefused(
            f"DATABASE_PATH {source}: {'is a folder' if source.is_dir() else 'there is no database there'}."
        )
    if target.is_dir():
        raise BackupRefused(f"{target} is a folder: give the backup a file name, e.g. {target / 'bot.db'}.")
    if target.exists() and target.resolve() == source.resolve():
        raise BackupRefused(f"{target} is the database itself: back it up to another file.")
    if target.exists() and not force:
        raise BackupRefused(f"{target} already exists: choose another name, or pass --force to replace it.")
    with _open_source(source) as live:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
        partial.unlink(missing_ok=True)  # left over by a backup that was killed
        # Created here rather than by SQLite, whose "unable to open database file" names no culprit.
        os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        try:
            counts = _copy(live, partial)
            os.replace(partial, target)
        except sqlite3.DatabaseError as error:
            # The source was read a moment ago: what fails now is writing the copy (a full disk, say).
            raise OSError(errno.EIO, f"the copy could not be written ({error})") from error
        finally:
            partial.unlink(missing_ok=True)
    return BackupReport(source, target, target.stat().st_size, counts)


@contextlib.contextmanager
def _open_source(source: Path) -> Iterator[sqlite3.Connection]:
    """The live database, read-only (a backup may be made by a user who may not write it), checked to
    be a database before anything is written."""
    try:
        live = sqlite3.connect(read_only_uri(source), uri=True)
    except sqlite3.DatabaseError as error:
        raise BackupRefused(
            f"DATABASE_PATH {source}: {lasting_problem(error) or 'cannot be read'} ({error})."
        ) from error
    with contextlib.closing(live):
        try:
            live.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            live.execute("SELECT count(*) FROM sqlite_schema").fetchone()
        except sqlite3.DatabaseError as error:
            problem = lasting_problem(error) or "cannot be read"
            raise BackupRefused(f"DATABASE_PATH {source}: {problem} ({error}).") from error
        yield live


def _copy(live: sqlite3.Connection, destination: Path) -> dict[str, int]:
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
