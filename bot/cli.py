"""`python -m bot` runs the bot; `python -m bot VERB …` runs a chore without connecting to Discord."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

from bot.broadcast import system_clock
from bot.config import (
    POSTGRES_URL_PREFIXES,
    SQLITE_URL_PREFIX,
    Settings,
    SettingsError,
    configure_logging,
    load_settings,
)
from bot.core.entry import Entry
from bot.core.index import GlossaryIndex
from bot.core.pulse import DataPoint, PulseFileError, read_points_file
from bot.core.refusal import Refusal
from bot.core.render import render_plain
from bot.core.schedule import InvalidWeek, parse_week
from bot.core.words import plural
from bot.importers import ImportFailed, read_glossary, write_own_format
from bot.services.pulse import PulseService
from bot.services.pulse_sheet import SheetSync
from bot.startup import open_database, seed_entries
from bot.store.backup import BackupRefused, backup_database
from bot.store.copy import CopyRefused, copy_database
from bot.store.db import Database, DatabaseUnusable, is_database_error, lasting_problem, redact, unavailable_reason
from bot.store.glossary import GlossaryStore, TooManyTerms
from bot.store.pulse import PulseStore

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_NOT_FOUND = 1
EXIT_USAGE = 2
EXIT_UNAVAILABLE = 3
"""The database could not do the work (locked by another process, disk full): nothing was changed."""
EXIT_FETCH_FAILED = 4
"""`pulse fetch`: the sheet could not be fetched or was not valid; nothing was changed."""
SHEET_HINT = "PULSE_SOURCE_URL is not set: put the link of your published sheet there (see README)."
EXPORT_SUFFIXES = (".csv", ".json", ".yaml", ".yml")
"""The project's own format, chosen by the file name (see bot/importers/own.py)."""
URL_HINT = "give sqlite:///path/to/bot.db or postgresql://user:password@host:port/database"
TOKEN_HINT = "DISCORD_TOKEN is not set: copy .env.example to .env and put your bot's token there (see README)."
Chore = Callable[[Settings, argparse.Namespace, "list[Entry] | None"], Coroutine[Any, Any, int]]
"""A verb's work: the settings, the parsed arguments and the seed glossary's entries (read and checked first)."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="The AI glossary Discord bot.")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB")
    verbs.add_parser("run", help="run the bot (the default)")
    define = verbs.add_parser("define", help="print the answer /define would give")
    define.add_argument("term")
    importer = verbs.add_parser("import", help="import a glossary file or folder, all or nothing")
    importer.add_argument("path", type=Path)
    importer.add_argument("--dry-run", action="store_true", help="report what would change, change nothing")
    importer.add_argument("--replace", action="store_true", help="overwrite entries editors have changed")
    importer.add_argument("--server", type=guild_id, metavar="ID", help="into this server's own glossary (a guild id)")
    export = verbs.add_parser("export", help="write the glossary in the project's own format (.csv/.json/.yaml)")
    export.add_argument("path", type=Path)
    export.add_argument("--server", type=guild_id, metavar="ID", help="this server's own glossary (a guild id)")
    export.add_argument("--force", action="store_true", help="replace PATH if it exists")
    pulse = verbs.add_parser("pulse", help="the weekly pulse's data points").add_subparsers(
        dest="pulse_verb", required=True
    )
    pulse_import = pulse.add_parser("import", help="import data points from JSON or CSV, all or nothing")
    pulse_import.add_argument("file", type=Path)
    pulse.add_parser("fetch", help="fetch the sheet at PULSE_SOURCE_URL now, all or nothing")
    pulse_preview = pulse.add_parser("preview", help="print a week's post (default: the coming Friday's)")
    pulse_preview.add_argument("week", nargs="?")
    pulse.metavar = "{" + ",".join(pulse.choices) + "}"  # what a missing verb's error names, not the dest
    backup = verbs.add_parser("backup", help="copy the database to PATH, consistently, even while the bot runs")
    backup.add_argument("path", type=Path)
    backup.add_argument("--force", action="store_true", help="replace PATH if it exists")
    copy = verbs.add_parser("copy-to", help="copy the whole database to another (SQLite or PostgreSQL), consistently")
    copy.add_argument("url", metavar="URL", help="sqlite:///path/to/bot.db or postgresql://user:password@host:port/db")
    copy.add_argument("--force", action="store_true", help="replace what the target database holds")
    return parser


def guild_id(text: str) -> int:
    """A server (guild) id as Discord shows it: a positive whole number (a snowflake)."""
    if not text.isdigit() or not 0 < int(text) < 2**63:
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a server id (Discord shows it as a long number)")
    return int(text)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    running_bot = arguments.verb in (None, "run")
    try:
        settings = load_settings()
    except SettingsError as error:
        print(error, file=sys.stderr)
        return EXIT_USAGE
    configure_logging(settings.log_level if running_bot else "WARNING", chore=not running_bot)
    if running_bot:
        return run_bot(settings)
    chores: dict[str, Chore] = {
        "define": define_term,
        "import": import_glossary,
        "export": export_glossary,
        "pulse": pulse_chore,
        "backup": backup_chore,
        "copy-to": copy_chore,
    }
    try:
        # Every verb checks the seed files, as the bot's start does: a broken one is found by the first
        # cron job, not by the next restart.
        seed = seed_entries(settings)
        return asyncio.run(chores[arguments.verb](settings, arguments, seed))
    except SettingsError as error:
        print(error, file=sys.stderr)
        return EXIT_USAGE
    except Exception as error:
        if not is_database_error(error):
            raise
        return database_failure(verb_of(arguments), settings, error)


def verb_of(arguments: argparse.Namespace) -> str:
    return f"{arguments.verb} {arguments.pulse_verb}" if arguments.verb == "pulse" else str(arguments.verb)


def database_failure(verb: str, settings: Settings, error: Exception) -> int:
    """Say why a chore's database work failed; the failed write was a transaction of its own, rolled back whole."""
    problem = lasting_problem(error)
    if problem is not None:  # waiting will not help: the database, its permissions or the setting must change
        where = (
            f"DATABASE_URL {redact(settings.database_url)}"
            if settings.database_url
            else (f"DATABASE_PATH {settings.database_path}")
        )
        print(f"{verb} failed, nothing was changed: {where}: {problem} ({error}).", file=sys.stderr)
        return EXIT_USAGE
    reason = unavailable_reason(error)
    if reason is None:
        raise error
    print(f"{verb} failed, nothing was changed: {reason} ({error}).", file=sys.stderr)
    print("Run it again once that has cleared.", file=sys.stderr)
    return EXIT_UNAVAILABLE


def run_bot(settings: Settings) -> int:
    if not settings.discord_token:
        print(TOKEN_HINT, file=sys.stderr)
        return EXIT_USAGE
    import discord  # only needed when the bot really runs

    from bot.app import GlossaryBot, run_until_stopped

    try:
        # Not discord.py's Client.run: it leaves SIGTERM (what systemd sends) to kill the process on the spot.
        asyncio.run(run_until_stopped(GlossaryBot(settings), settings.discord_token))
    except SettingsError as error:  # the database or a seed file, checked before connecting to Discord
        print(error, file=sys.stderr)
        return EXIT_USAGE
    except discord.LoginFailure as failure:
        print(f"Discord rejected DISCORD_TOKEN: {failure}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


async def open_glossary(
    settings: Settings, seed: list[Entry] | None, *, read_only: bool = False
) -> tuple[Database, GlossaryStore]:
    """The database as the bot would see it: migrated and seeded, so a fresh install answers at once.

    `read_only`: the chore only reads, so a user who may not write the database reads it as it is.
    """
    database = await open_database(settings, read_only=read_only)
    try:
        store = GlossaryStore(database)
        if seed is not None and not database.read_only:
            await store.seed(settings.seed_path, seed)
    except BaseException:
        await database.close()  # its threads would keep the process alive
        raise
    return database, store


async def define_term(settings: Settings, arguments: argparse.Namespace, seed: list[Entry] | None) -> int:
    database, store = await open_glossary(settings, seed, read_only=True)
    try:
        index = GlossaryIndex.build(await store.index_rows())
        resolution = index.resolve(arguments.term)
        view = await store.term_view(resolution.term_id) if resolution.term_id is not None else None
        if resolution.kind == "senses":
            names = [name for term_id in resolution.senses if (name := index.name_of(term_id))]
            print(f"{arguments.term[:100]!r} has several senses: " + "; ".join(names), file=sys.stderr)
            return EXIT_NOT_FOUND
        if view is None:
            names = [name for term_id in resolution.suggestions if (name := index.name_of(term_id))]
            print(f"No entry for {arguments.term[:100]!r}.", file=sys.stderr)
            if names:
                print("Did you mean: " + "; ".join(names), file=sys.stderr)
            return EXIT_NOT_FOUND
        print(render_plain(view, resolved_from=arguments.term if resolution.kind == "fuzzy" else None))
        return EXIT_OK
    finally:
        await database.close()


def print_failure(problems: Sequence[object]) -> None:
    print(f"Import failed, nothing was changed ({plural(len(problems), 'problem')}):", file=sys.stderr)
    for problem in problems:
        print(f"  {problem}", file=sys.stderr)


async def import_glossary(settings: Settings, arguments: argparse.Namespace, seed: list[Entry] | None) -> int:
    try:
        parsed = read_glossary(arguments.path, progress=sys.stderr.isatty())
    except ImportFailed as failure:
        print_failure(failure.issues)
        return EXIT_USAGE
    for note in parsed.notes:
        print(f"note: {note}", file=sys.stderr)
    database, store = await open_glossary(settings, seed)
    try:
        report = await store.apply_entries(
            parsed.entries,
            mode="import",
            replace=arguments.replace,
            dry_run=arguments.dry_run,
            guild_id=arguments.server,
            max_terms=settings.server_terms_limit,
        )
    except TooManyTerms as error:
        print(f"Import failed, nothing was changed: server {arguments.server} would hold {error}.", file=sys.stderr)
        return EXIT_USAGE
    finally:
        await database.close()
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    prefix = "Dry run, nothing changed. Would apply: " if arguments.dry_run else "Imported: "
    print(prefix + report.summary())
    for line in report.details():
        print(line)
    return EXIT_OK


async def export_glossary(settings: Settings, arguments: argparse.Namespace, seed: list[Entry] | None) -> int:
    # Checked first: a mistyped name should cost nothing and say so, not end in a traceback.
    refusal = export_refusal(arguments.path, force=arguments.force)
    if refusal:
        print(f"No export made: {refusal}", file=sys.stderr)
        return EXIT_USAGE
    database, store = await open_glossary(settings, seed, read_only=True)
    try:
        entries = await store.export_entries(arguments.server)
    finally:
        await database.close()
    try:
        count = write_own_format(entries, arguments.path)
    except OSError as error:
        print(f"No export made: {arguments.path}: {error.strerror or error}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    print(f"Exported {plural(count, 'term')} to {arguments.path}")
    return EXIT_OK


def export_refusal(path: Path, *, force: bool) -> str | None:
    """Why `export` will not write to `path`, as `backup` refuses: an existing file is replaced only with --force."""
    if path.suffix.lower() not in EXPORT_SUFFIXES:
        return f"the name {path.name!r} must end in .csv, .json, .yaml or .yml."
    if path.is_dir():
        return f"{path} is a folder: give the export a file name, e.g. {path / 'glossary.yaml'}."
    if path.exists() and not force:
        return f"{path} already exists: choose another name, or pass --force to replace it."
    return None


async def pulse_chore(settings: Settings, arguments: argparse.Namespace, _seed: list[Entry] | None) -> int:
    points: list[DataPoint] = []
    importing = arguments.pulse_verb == "import"
    if importing:
        try:
            points = read_points_file(arguments.file)
        except PulseFileError as failure:
            print_failure(failure.problems)
            return EXIT_USAGE
    if arguments.pulse_verb == "fetch" and not settings.pulse_source_url:
        print(SHEET_HINT, file=sys.stderr)
        return EXIT_USAGE
    week = arguments.week.upper() if getattr(arguments, "week", None) else None
    if week is not None:
        try:
            parse_week(week)
        except InvalidWeek as error:
            print(error, file=sys.stderr)
            return EXIT_USAGE
    database = await open_database(settings, read_only=arguments.pulse_verb == "preview")
    try:
        service = PulseService(PulseStore(database), settings, system_clock)
        if not database.read_only:  # a user who may only read gets the data points as they are
            await service.prepare()
        if importing:
            print(f"Imported {await service.store.save_points(points)} data points from {arguments.file}")
            return EXIT_OK
        if arguments.pulse_verb == "fetch":
            return await fetch_sheet(service)
        text = await service.preview_plain(week)
    except Refusal as refusal:
        print(refusal, file=sys.stderr)
        return EXIT_NOT_FOUND
    finally:
        await database.close()
    print(text)
    return EXIT_OK


async def fetch_sheet(service: PulseService) -> int:
    assert service.sheet is not None, "checked before opening the database"
    # The outcome is printed below: the service's log line would say the same thing twice.
    logging.getLogger(SheetSync.__module__).setLevel(logging.ERROR)
    outcome = await service.sheet.fetch_once()
    if not outcome.ok:
        print(f"Fetch failed, nothing was changed: {outcome.message}", file=sys.stderr)
        return EXIT_FETCH_FAILED
    print(outcome.message)
    return EXIT_OK


async def backup_chore(settings: Settings, arguments: argparse.Namespace, _seed: list[Entry] | None) -> int:
    try:
        report = await asyncio.to_thread(backup_database, settings.database_path, arguments.path, force=arguments.force)
    except BackupRefused as refusal:
        print(f"No backup made: {refusal}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as error:
        print(f"No backup made: {arguments.path}: {error.strerror or error}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    print(report.summary())
    return EXIT_OK


async def copy_chore(settings: Settings, arguments: argparse.Namespace, _seed: list[Entry] | None) -> int:
    url = str(arguments.url).strip()
    if not url.startswith((SQLITE_URL_PREFIX, *POSTGRES_URL_PREFIXES)) or url == SQLITE_URL_PREFIX:
        print(f"No copy made: {redact(url)} is not a database URL: {URL_HINT}.", file=sys.stderr)
        return EXIT_USAGE
    source = await open_database(settings)
    try:
        try:
            target = await Database.open(url)
        except DatabaseUnusable as problem:
            print(f"No copy made: {problem.path}: {problem.reason}.", file=sys.stderr)
            return EXIT_USAGE
        try:
            report = await copy_database(source, target, force=arguments.force)
        finally:
            await target.close()
    except CopyRefused as refusal:
        print(f"No copy made: {refusal}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as error:
        if not is_database_error(error):
            raise
        reason = unavailable_reason(error) or lasting_problem(error) or str(error)
        print(f"No copy made, nothing was changed: {reason} ({error}).", file=sys.stderr)
        return EXIT_UNAVAILABLE
    finally:
        await source.close()
    print(report.summary())
    return EXIT_OK
