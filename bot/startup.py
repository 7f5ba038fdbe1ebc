"""What every start checks before it does any work: the database and the seed files the settings name.

A problem stops the start, the bot's (before it contacts Discord) or a command-line chore's, with one
line naming the setting, the path and what is wrong, and nothing has been changed at that point.
"""

from __future__ import annotations

import logging
from pathlib import Path

from bot.config import Settings, SettingsError
from bot.core.entry import Entry
from bot.core.words import plural
from bot.importers import ImportFailed, read_glossary
from bot.store.db import BUSY_TIMEOUT_MS, Database, DatabaseUnusable
from bot.store.sqlite import may_write

log = logging.getLogger(__name__)


def setting_problem(name: str, path: Path | str, reason: str) -> SettingsError:
    return SettingsError(f"{name} {path}: {reason}")


def seed_entries(settings: Settings) -> list[Entry] | None:
    """The seed glossary's entries; None, with a warning, when SEED_PATH names no file."""
    path = settings.seed_path
    if not path.exists():
        log.warning("SEED_PATH %s does not exist: the glossary stays as it is", path)
        return None
    try:
        return read_glossary(path).entries
    except ImportFailed as failure:
        raise setting_problem("SEED_PATH", path, _first_of(failure, path)) from None


async def open_database(
    settings: Settings, *, read_only: bool = False, busy_timeout_ms: int = BUSY_TIMEOUT_MS
) -> Database:
    """The database DATABASE_URL or DATABASE_PATH names, migrated; raises SettingsError naming it when it
    cannot be used.

    `read_only`: the caller only reads, so a user who may read a SQLite file but not write it still gets
    an answer (from the database as it is: not migrated, not seeded; see `Database.read_only`).
    """
    target = settings.database_target
    setting = "DATABASE_URL" if isinstance(target, str) else "DATABASE_PATH"
    writable = not isinstance(target, Path) or may_write(target)
    if not (read_only or writable):
        # Found now rather than at the first write, which would fail with "read-only" after work was done.
        raise setting_problem(setting, target, "is read-only for this user, and this needs to write to it")
    try:
        if isinstance(target, Path) and not writable:
            database = await Database.open_read_only(target)
        else:
            database = await Database.open(target, busy_timeout_ms=busy_timeout_ms)
    except DatabaseUnusable as problem:
        raise setting_problem(setting, problem.path, problem.reason) from None
    log.info("database: %s", database.describe())
    return database


def _first_of(failure: ImportFailed, path: Path) -> str:
    """The first problem of a seed file, and how to see the rest: one line, as a start's error should be."""
    if not failure.issues:
        return "cannot be read"
    issue = failure.issues[0]
    text = f"{issue.location}: {issue.reason}" if issue.location else issue.reason
    more = len(failure.issues) - 1
    if more > 0:
        text += f" (and {plural(more, 'more problem')}: `python -m bot import --dry-run {path}` lists them all)"
    return text
