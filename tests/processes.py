"""The bot and its CLI as real processes, for the crash, shutdown, backup and fault tests.

Each process gets a clean environment (no developer's settings or `.env`: it runs in a temporary
folder), the repository on PYTHONPATH, and a database under the test's tmp_path. The bot itself runs
through tests/e2e/bot_process.py, which points it at a FakeDiscord of the test process.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from bot.core.schedule import due_week, parse_zone, window_for

REPO_ROOT = Path(__file__).resolve().parents[1]
SEED_PATH = REPO_ROOT / "data" / "glossary.yaml"
SETTINGS_VARIABLES = frozenset(
    {
        "DISCORD_TOKEN",
        "DATABASE_PATH",
        "DEV_GUILD_ID",
        "EDITOR_USER_IDS",
        "LOG_LEVEL",
        "SEED_PATH",
        "PULSE_SEED_PATH",
        "PULSE_SOURCE_URL",
        "PULSE_SOURCE_POLL_MINUTES",
        "PULSE_EDITORS_CHANNEL_ID",
        "PULSE_GRACE_HOURS",
        "PULSE_REQUESTS_PER_SECOND",
        "SERVER_TERMS_LIMIT",
        "SHARD_COUNT",
        "SHARD_IDS",
        "DATABASE_URL",
    }
)
GRACE_HOURS = 144
"""The longest grace the settings allow (6 days): with a suitable hour and zone, some Friday's window
always holds the real "now", so the post is due the moment the bot starts, whatever the day."""
ZONES = ("UTC", "Asia/Tokyo")
"""UTC windows leave an hour on Thursday uncovered; Tokyo's Friday has begun by then."""
PROCESS_TIMEOUT = 120.0
"""A bound for a child that should have finished long before; it only turns a hang into a failure."""
POLL_SECONDS = 0.01


@dataclass(frozen=True)
class Slot:
    zone: str
    hour: int
    week: str
    start: datetime


def due_slot(now: datetime) -> Slot:
    """A subscription hour and zone whose post is due now, with the most time left in its window."""
    grace = timedelta(hours=GRACE_HOURS)
    candidates = []
    for zone_name in ZONES:
        zone = parse_zone(zone_name)
        for hour in range(24):
            week = due_week(now, hour, zone, grace, None)
            if week is not None:
                start, end = window_for(week, hour, zone, grace)
                candidates.append((end, Slot(zone_name, hour, week, start)))
    end, slot = max(candidates, key=lambda candidate: candidate[0])
    assert end - now > timedelta(hours=1)
    return slot


def process_env(database: Path, **settings: object) -> dict[str, str]:
    """The environment of a child process: `settings` by name (database_path=...) over safe defaults."""
    env = {key: value for key, value in os.environ.items() if key not in SETTINGS_VARIABLES}
    env["PYTHONPATH"] = str(REPO_ROOT)
    values: dict[str, object] = {
        "database_path": database,
        "seed_path": SEED_PATH,
        "log_level": "INFO",
    }
    values.update(settings)
    env.update({name.upper(): str(value) for name, value in values.items() if value is not None})
    return env


def run_cli(*arguments: object, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """`python -m bot ARGUMENTS` to completion."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *map(str, arguments)],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT,
        check=False,
    )


def run_clis(
    runs: Sequence[tuple[Sequence[object], dict[str, str]]], *, cwd: Path, timeout: float = PROCESS_TIMEOUT
) -> list[subprocess.CompletedProcess[str]]:
    """`python -m bot ARGUMENTS` for every (arguments, environment) at once, to completion: each process
    mostly waits for its imports, so together they take little longer than one. A hang fails the test
    (TimeoutExpired) instead of blocking it."""
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "bot", *map(str, arguments)],
            env=env,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for arguments, env in runs
    ]
    results = []
    try:
        for process in processes:
            out, err = process.communicate(timeout=timeout)
            results.append(subprocess.CompletedProcess(process.args, process.returncode, out, err))
    finally:
        for process in processes:
            if process.poll() is None:
                kill(process)
    return results


def spawn(module: str, *arguments: object, env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    """`python -m MODULE ARGUMENTS`, running; stdout is a pipe (line-buffered text), stderr is kept."""
    return subprocess.Popen(
        [sys.executable, "-m", module, *map(str, arguments)],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def kill(process: subprocess.Popen[str]) -> int:
    """SIGKILL (no cleanup of any kind runs in the child) and reap; returns the exit code."""
    process.kill()
    code = process.wait(timeout=PROCESS_TIMEOUT)
    if process.stdout:
        process.stdout.close()
    if process.stderr:
        process.stderr.close()
    return code


def database_problems(path: Path) -> list[str]:
    """What `PRAGMA integrity_check` and `PRAGMA foreign_key_check` find; empty for a sound database.

    Opening the database after a crash is also what the next start does: SQLite recovers the WAL.
    """
    with contextlib.closing(sqlite3.connect(path)) as connection:
        integrity = [str(row[0]) for row in connection.execute("PRAGMA integrity_check")]
        foreign_keys = connection.execute("PRAGMA foreign_key_check").fetchall()
    problems = [] if integrity == ["ok"] else integrity
    problems.extend(f"foreign key violation: {tuple(row)}" for row in foreign_keys)
    return problems


def scalar(path: Path, sql: str, parameters: tuple[object, ...] = ()) -> object:
    with contextlib.closing(sqlite3.connect(path)) as connection:
        row = connection.execute(sql, parameters).fetchone()
    return row[0] if row else None


def wal_is_empty(path: Path) -> bool:
    """No committed-but-uncheckpointed or half-written frames: the last connection closed cleanly
    (SQLite then checkpoints and deletes the -wal file)."""
    wal = path.with_name(path.name + "-wal")
    return not wal.exists() or wal.stat().st_size == 0


class BotProcess:
    """The real bot (`python -m tests.e2e.bot_process`) in a child process, its output in a log file."""

    def __init__(self, process: asyncio.subprocess.Process, log_path: Path) -> None:
        self.process = process
        self.log_path = log_path

    @classmethod
    async def start(cls, env: dict[str, str], cwd: Path, log_path: Path) -> BotProcess:
        with log_path.open("ab") as log:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "tests.e2e.bot_process",
                env=env,
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        return cls(process, log_path)

    @property
    def running(self) -> bool:
        return self.process.returncode is None

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def signal(self, signum: signal.Signals) -> None:
        self.process.send_signal(signum)

    async def kill(self) -> None:
        if self.running:
            self.process.kill()
        await self.process.wait()

    async def wait(self) -> int:
        return await asyncio.wait_for(self.process.wait(), PROCESS_TIMEOUT)

    async def wait_until(self, check: Callable[[], bool], what: str) -> None:
        """Poll `check` while the child runs; fail with its log if it exits first or time runs out."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + PROCESS_TIMEOUT
        while not check():
            if not self.running:
                raise AssertionError(f"the bot exited ({self.process.returncode}) before {what}:\n{self.log()}")
            if loop.time() > deadline:
                raise AssertionError(f"timed out waiting for {what}:\n{self.log()}")
            await asyncio.sleep(POLL_SECONDS)

    async def wait_for_log(self, text: str) -> None:
        await self.wait_until(lambda: text in self.log(), f"{text!r} in the log")


LOCK_HOLDER = """
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.readline()
connection.execute("COMMIT")
print("released", flush=True)
"""


@contextmanager
def locked_by_another_process(path: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holds BEGIN EXCLUSIVE on the database until `release(holder)` (or the end)."""
    holder = subprocess.Popen(
        [sys.executable, "-c", LOCK_HOLDER, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        yield holder
    finally:
        assert holder.stdin is not None and holder.stdout is not None
        holder.stdin.close()  # releases the lock if the test did not (end of input ends the wait)
        holder.wait()
        holder.stdout.close()


def release(holder: subprocess.Popen[str]) -> None:
    assert holder.stdin is not None and holder.stdout is not None
    holder.stdin.write("\n")
    holder.stdin.flush()
    assert holder.stdout.readline().strip() == "released"
