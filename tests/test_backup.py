"""`python -m bot backup PATH`: a consistent copy of a live database, and the README's restore steps."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from bot.cli import EXIT_NOT_FOUND, EXIT_OK, EXIT_USAGE, main
from bot.core.entry import Entry
from bot.importers import read_glossary
from bot.store.db import Database
from bot.store.glossary import GlossaryStore
from tests.processes import SEED_PATH, database_problems, process_env, run_cli, scalar

CANARY = Entry(term="Backup Canary", definition="A term that was in the glossary when the backup was made.")
LATE = Entry(term="Written After The Backup", definition="A term added after the backup, so not in it.")
WRITER_WARMUP = 20
"""Transactions the writer commits before the backup starts, so the backup really overlaps writing."""


async def make_live_database(path: Path) -> int:
    """The seeded glossary plus the canary, as the bot would have it; returns the term count."""
    database = await Database.open(path)
    try:
        store = GlossaryStore(database)
        await store.seed(SEED_PATH, read_glossary(SEED_PATH).entries)
        await store.apply_entries([CANARY], mode="import")
        return await store.count_terms()
    finally:
        await database.close()


class Writer(threading.Thread):
    """Another connection committing in a loop: each transaction adds a row and moves a counter."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.path = path
        self.committed = 0
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with contextlib.closing(sqlite3.connect(self.path, isolation_level=None, timeout=30)) as connection:
                while not self.stop.is_set():
                    number = self.committed + 1
                    connection.execute("BEGIN IMMEDIATE")
                    connection.execute("INSERT INTO misses (key, query) VALUES (?, ?)", (f"writer {number}", "x"))
                    connection.execute(
                        "INSERT INTO meta (key, value) VALUES ('writer', ?) "
                        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                        (str(number),),
                    )
                    connection.execute("COMMIT")
                    self.committed = number
        except BaseException as error:
            self.error = error

    def wait_for(self, count: int) -> None:
        while self.committed < count and self.is_alive():
            self.stop.wait(0.001)


def restore_as_documented(backup: Path, database: Path) -> None:
    """README, "Restoring a backup", with the bot stopped: copy the backup over DATABASE_PATH and
    delete the -wal and -shm files next to it (a stale WAL would be replayed onto the restored copy)."""
    shutil.copyfile(backup, database)
    for suffix in ("-wal", "-shm"):
        database.with_name(database.name + suffix).unlink(missing_ok=True)


def crash_after_writing(database: Path, entry: Entry, env: dict[str, str]) -> None:
    """A process that commits a term and dies without closing: its WAL stays behind, as after a crash."""
    script = (
        "import asyncio, os, sys\n"
        "from pathlib import Path\n"
        "from bot.core.entry import Entry\n"
        "from bot.store.db import Database\n"
        "from bot.store.glossary import GlossaryStore\n"
        "async def main():\n"
        "    database = await Database.open(Path(sys.argv[1]))\n"
        "    await database.connection.execute('PRAGMA wal_autocheckpoint = 0')\n"
        "    await GlossaryStore(database).apply_entries([Entry(sys.argv[2], sys.argv[3])], mode='import')\n"
        "    os.kill(os.getpid(), 9)\n"
        "asyncio.run(main())\n"
    )
    subprocess.run([sys.executable, "-c", script, database, entry.term, entry.definition], env=env, check=False)


def test_a_backup_made_while_another_connection_writes_is_consistent_and_restores(tmp_path: Path) -> None:
    live = tmp_path / "live" / "bot.db"
    terms = asyncio.run(make_live_database(live))
    env = process_env(live)
    writer = Writer(live)
    writer.start()
    try:
        writer.wait_for(WRITER_WARMUP)
        before = writer.committed
        backed_up = run_cli("backup", tmp_path / "backups" / "bot.db", env=env, cwd=tmp_path)
        after = writer.committed
    finally:
        writer.stop.set()
        writer.join()
    assert writer.error is None
    assert backed_up.returncode == EXIT_OK, backed_up.stderr
    backup = tmp_path / "backups" / "bot.db"
    assert backed_up.stdout.startswith(f"Backed up {live} to ") and "integrity check ok" in backed_up.stdout
    assert f"{terms} terms" in backed_up.stdout
    print(f"backup taken while the writer went from {before} to {after} commits")

    assert database_problems(backup) == []
    assert scalar(backup, "PRAGMA journal_mode") == "delete"  # one self-contained file
    assert not backup.with_name("bot.db-wal").exists()
    assert scalar(backup, "SELECT count(*) FROM terms") == terms
    # One moment of the live database: whole transactions only, and every one before that moment.
    copied = int(str(scalar(backup, "SELECT count(*) FROM misses WHERE key LIKE 'writer %'")))
    assert before <= copied <= after
    assert scalar(backup, "SELECT value FROM meta WHERE key = 'writer'") == str(copied)
    assert scalar(backup, "SELECT max(CAST(substr(key, 8) AS INTEGER)) FROM misses WHERE key LIKE 'writer %'") == copied

    # The live database moves on, then the machine crashes, leaving a WAL the restore must not replay.
    crash_after_writing(live, LATE, env)
    assert live.with_name("bot.db-wal").stat().st_size > 0

    restore_as_documented(backup, live)
    restored = run_cli("define", CANARY.term, env=env, cwd=tmp_path)
    assert restored.returncode == EXIT_OK, restored.stderr
    assert restored.stdout.splitlines()[0] == CANARY.term
    assert run_cli("define", LATE.term, env=env, cwd=tmp_path).returncode == EXIT_NOT_FOUND
    assert database_problems(live) == []
    assert scalar(live, "SELECT value FROM meta WHERE key = 'writer'") == str(copied)


@pytest.fixture
def live(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "bot.db"
    monkeypatch.setenv("DATABASE_PATH", str(path))
    monkeypatch.setenv("SEED_PATH", str(SEED_PATH))
    return path


def test_an_existing_file_is_replaced_only_with_force(
    live: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    asyncio.run(make_live_database(live))
    target = tmp_path / "backup.db"
    target.write_text("an older backup")
    assert main(["backup", str(target)]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "already exists" in err and "--force" in err
    assert target.read_text() == "an older backup"
    assert main(["backup", str(target), "--force"]) == EXIT_OK
    assert "Backed up" in capsys.readouterr().out
    assert database_problems(target) == []
    assert [path.name for path in tmp_path.iterdir() if "partial" in path.name] == []


def test_no_backup_of_a_database_that_is_not_there_and_none_of_itself(
    live: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["backup", str(tmp_path / "backup.db")]) == EXIT_USAGE
    assert "there is no database there" in capsys.readouterr().err
    assert not live.exists() and not (tmp_path / "backup.db").exists()  # nothing created on the way
    asyncio.run(make_live_database(live))
    assert main(["backup", str(live), "--force"]) == EXIT_USAGE
    assert "the database itself" in capsys.readouterr().err
    assert database_problems(live) == []
