"""An operator's ordinary mistakes stop a start (the bot's or a chore's) with one line, never a hang or a
traceback: a broken seed file, an unusable DATABASE_PATH, a rejected token. Real processes throughout,
each with a timeout, so a hang fails the test instead of blocking it."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import EXIT_NOT_FOUND, EXIT_OK, EXIT_UNAVAILABLE, EXIT_USAGE
from tests.e2e.bot_process import API_VARIABLE, GATEWAY_VARIABLE
from tests.e2e.fake_discord import FakeDiscord
from tests.e2e.rig import populate_world
from tests.processes import (
    REPO_ROOT,
    SETTINGS_VARIABLES,
    BotProcess,
    database_problems,
    kill,
    locked_by_another_process,
    process_env,
    run_cli,
    run_clis,
    spawn,
)

HANG = 60.0
"""Far more than any of these takes; reaching it means the process hung."""
VERBS = (
    ("define", "llm"),
    ("import", REPO_ROOT / "tests" / "fixtures" / "cli_glossary.yaml"),
    ("export", "{tmp}/export.yaml"),
    ("pulse", "preview"),
    ("backup", "{tmp}/backup.db"),
)


def verbs(tmp_path: Path) -> list[list[object]]:
    return [[str(part).format(tmp=tmp_path) for part in verb] for verb in VERBS]


def assert_one_line(result: subprocess.CompletedProcess[str], code: int, *texts: str) -> str:
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == code, result.stderr
    line = result.stderr.strip()
    assert "\n" not in line, line
    for text in texts:
        assert text in line
    return line


def broken_seed(tmp_path: Path, kind: str) -> Path:
    if kind == "bad YAML":
        path = tmp_path / "bad.yaml"
        path.write_text("a: [unclosed\n", encoding="utf-8")
    elif kind == "empty folder":
        path = tmp_path / "empty"
        path.mkdir()
    else:
        path = tmp_path / "glossary.txt"
        path.write_text("term,definition\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("kind", ["bad YAML", "empty folder", "unknown extension"])
def test_a_broken_seed_file_stops_every_verb_with_one_line(tmp_path: Path, kind: str) -> None:
    seed = broken_seed(tmp_path, kind)
    env = process_env(tmp_path / "bot.db", seed_path=seed)
    for result in run_clis([(verb, env) for verb in verbs(tmp_path)], cwd=tmp_path, timeout=HANG):
        assert_one_line(result, EXIT_USAGE, f"SEED_PATH {seed}: ")
    assert not (tmp_path / "export.yaml").exists() and not (tmp_path / "backup.db").exists()


def test_the_seed_reports_its_first_problem_and_how_to_see_the_rest(tmp_path: Path) -> None:
    seed = tmp_path / "seed.csv"
    seed.write_text("term,definition\nOne,\nTwo,\nThree,\n", encoding="utf-8")
    result = run_cli("define", "llm", env=process_env(tmp_path / "bot.db", seed_path=seed), cwd=tmp_path)
    line = assert_one_line(result, EXIT_USAGE, f"SEED_PATH {seed}: line 2: the definition is empty")
    assert line.endswith(f"(and 2 more problems: `python -m bot import --dry-run {seed}` lists them all)")


def test_a_missing_seed_file_is_a_warning(tmp_path: Path) -> None:
    seed = tmp_path / "nowhere.yaml"
    result = run_cli("define", "llm", env=process_env(tmp_path / "bot.db", seed_path=seed), cwd=tmp_path)
    assert result.returncode == EXIT_NOT_FOUND
    assert result.stderr.startswith(f"WARNING: SEED_PATH {seed} does not exist: the glossary stays as it is\n")


def unusable_database(tmp_path: Path, kind: str) -> Path:
    if kind == "text file":
        path = tmp_path / "notes.db"
        path.write_text("not a database\n", encoding="utf-8")
    elif kind == "folder":
        path = tmp_path / "folder"
        path.mkdir()
    else:
        path = Path("/proc/x")
    return path


UNUSABLE = {
    "text file": "is not a SQLite database",
    "folder": "is a folder",
    "/proc/x": "cannot be created (No such file or directory)",
}


@pytest.mark.parametrize("kind", list(UNUSABLE))
def test_an_unusable_database_path_stops_every_verb_naming_it(tmp_path: Path, kind: str) -> None:
    database = unusable_database(tmp_path, kind)
    env = process_env(database)
    runs = verbs(tmp_path)
    for verb, result in zip(runs, run_clis([(verb, env) for verb in runs], cwd=tmp_path, timeout=HANG), strict=True):
        # A backup never creates the database it copies: for it, a missing file is simply not there.
        reason = "there is no database there" if verb[0] == "backup" and kind == "/proc/x" else UNUSABLE[kind]
        line = assert_one_line(result, EXIT_USAGE, f"DATABASE_PATH {database}: ", reason)
        assert "again" not in line  # no advice to retry what cannot change by itself
    if kind == "text file":
        assert database.read_text(encoding="utf-8") == "not a database\n"


def test_an_empty_database_path_is_refused(tmp_path: Path) -> None:
    result = run_cli("define", "llm", env=process_env(tmp_path / "bot.db", database_path=""), cwd=tmp_path)
    assert_one_line(result, EXIT_USAGE, "DATABASE_PATH: is empty")


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def offline_bot_env(database: Path, port: int, **settings: object) -> dict[str, str]:
    env = process_env(database, discord_token="fake-token", **settings)
    env[API_VARIABLE] = f"http://127.0.0.1:{port}/api/v10"
    env[GATEWAY_VARIABLE] = f"ws://127.0.0.1:{port}/gateway"
    return env


def run_bot(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "tests.e2e.bot_process"]
    return subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=HANG, check=False)


@pytest.mark.parametrize("kind", ["text file", "folder", "/proc/x", "bad seed"])
def test_the_bot_checks_database_and_seed_before_contacting_discord(tmp_path: Path, kind: str) -> None:
    """Were Discord contacted first, the bot would report it unreachable and retry until the timeout."""
    if kind == "bad seed":
        env = offline_bot_env(tmp_path / "bot.db", closed_port(), seed_path=broken_seed(tmp_path, "bad YAML"))
        expected = f"SEED_PATH {tmp_path / 'bad.yaml'}: "
    else:
        database = unusable_database(tmp_path, kind)
        env = offline_bot_env(database, closed_port())
        expected = f"DATABASE_PATH {database}: {UNUSABLE[kind]}"
    result = run_bot(env, tmp_path)
    assert result.returncode == EXIT_USAGE, result.stderr
    assert "Traceback" not in result.stderr and "cannot reach Discord" not in result.stderr, result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith(expected)


async def test_a_rejected_token_is_one_line_and_exit_2(tmp_path: Path) -> None:
    async with FakeDiscord() as fake:
        populate_world(fake)
        fake.fail_next("GET", "/users/@me", 401, json={"message": "401: Unauthorized", "code": 0})
        env = process_env(tmp_path / "bot.db", discord_token="not-the-token")
        env[API_VARIABLE], env[GATEWAY_VARIABLE] = fake.base_url, fake.gateway_url
        process = await BotProcess.start(env, tmp_path, tmp_path / "bot.log")
        try:
            assert await process.wait() == EXIT_USAGE, process.log()
        finally:
            await process.kill()
    log = process.log()
    assert "Traceback" not in log, log
    assert log.strip().splitlines()[-1] == "Discord rejected DISCORD_TOKEN: Improper token has been passed."
    assert fake.identify_count == 0


async def test_without_network_the_bot_says_so_and_retries_until_discord_answers(tmp_path: Path) -> None:
    port = closed_port()
    process = await BotProcess.start(offline_bot_env(tmp_path / "bot.db", port), tmp_path, tmp_path / "bot.log")
    fake = FakeDiscord()
    populate_world(fake)
    try:
        await process.wait_for_log("cannot reach Discord: ")
        await fake.start(port)  # the network is back
        await process.wait_until(lambda: fake.identify_count > 0, "the bot's IDENTIFY after the retry")
        process.signal(signal.SIGTERM)
        assert await process.wait() == 0, process.log()
    finally:
        await process.kill()
        await fake.stop()
    log = process.log()
    assert "Traceback" not in log, log
    line = next(line for line in log.splitlines() if "cannot reach Discord" in line)
    assert f"127.0.0.1:{port}" in line and line.endswith("; the bot will retry in 1 s")


async def test_without_network_a_stop_ends_the_retries(tmp_path: Path) -> None:
    process = await BotProcess.start(
        offline_bot_env(tmp_path / "bot.db", closed_port()), tmp_path, tmp_path / "bot.log"
    )
    try:
        await process.wait_for_log("cannot reach Discord: ")
        process.signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), HANG) == EXIT_OK, process.log()
    finally:
        await process.kill()
    assert "Traceback" not in process.log()


AS_NOBODY = ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups")
"""How a root test runs a child as the user `nobody`, for whom file permissions bind."""


def child_prefix() -> list[str]:
    """Nothing for an ordinary user; as root, `AS_NOBODY` (skipping the test where that cannot run Python)."""
    if os.geteuid() != 0:
        return []
    probe = [*AS_NOBODY, sys.executable, "-c", "pass"]
    if shutil.which("setpriv") is None or subprocess.run(probe, capture_output=True, check=False).returncode != 0:
        pytest.skip("cannot run Python as another user here, and root ignores file permissions")
    return list(AS_NOBODY)


@pytest.fixture
def readable_only(tmp_path: Path) -> Iterator[tuple[Path, list[str]]]:
    """A database this test's child processes may read but not write, nor create files next to, and the
    command prefix that runs them as a user bound by that (see `child_prefix`).

    The folder is outside pytest's tmp tree, which only its owner may enter.
    """
    prefix = child_prefix()
    folder = Path(tempfile.mkdtemp(prefix="glossary-ro-"))
    database = folder / "data" / "bot.db"
    try:
        for chore in (["define", "llm"], ["pulse", "preview", PULSE_WEEK]):  # both seeded by their owner
            seeded = run_cli(*chore, env=reader_env(database), cwd=tmp_path)
            assert seeded.returncode == EXIT_OK, seeded.stderr
        writable = folder / "out"
        writable.mkdir()
        writable.chmod(0o777)
        folder.chmod(0o755)
        database.chmod(0o444)
        database.parent.chmod(0o555)
        yield database, prefix
    finally:
        database.parent.chmod(0o755)
        shutil.rmtree(folder)


PULSE_SEED = REPO_ROOT / "tests" / "fixtures" / "pulse_points.json"
PULSE_WEEK = json.loads(PULSE_SEED.read_text(encoding="utf-8"))[0]["week"]


def reader_env(database: Path) -> dict[str, str]:
    return process_env(database, pulse_seed_path=PULSE_SEED)


def run_as(prefix: list[str], *arguments: object, database: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*prefix, sys.executable, "-m", "bot", *map(str, arguments)],
        env=reader_env(database),
        cwd=database.parent,
        capture_output=True,
        text=True,
        timeout=HANG,
        check=False,
    )


def test_reading_commands_work_on_a_database_the_user_may_not_write(
    readable_only: tuple[Path, list[str]],
) -> None:
    database, prefix = readable_only
    before = database.read_bytes()
    out = database.parent.parent / "out"
    defined = run_as(prefix, "define", "llm", database=database)
    assert defined.returncode == EXIT_OK, defined.stderr
    assert defined.stdout.splitlines()[0] == "Large Language Model"
    preview = run_as(prefix, "pulse", "preview", PULSE_WEEK, database=database)
    assert preview.returncode == EXIT_OK, preview.stderr
    exported = run_as(prefix, "export", out / "glossary.csv", database=database)
    assert exported.returncode == EXIT_OK, exported.stderr
    backup = run_as(prefix, "backup", out / "bot.db", database=database)
    assert backup.returncode == EXIT_OK, backup.stderr
    assert database_problems(out / "bot.db") == []
    # A command that writes says which file it cannot write, and no retry will help.
    imported = run_as(prefix, "import", REPO_ROOT / "tests" / "fixtures" / "cli_glossary.yaml", database=database)
    line = assert_one_line(imported, EXIT_USAGE, f"DATABASE_PATH {database}: is read-only for this user")
    assert "again" not in line
    # So does the bot, before it contacts Discord (were it to, it would retry the closed port until the timeout).
    command = [*prefix, sys.executable, "-m", "tests.e2e.bot_process"]
    env = offline_bot_env(database, closed_port())
    bot = subprocess.run(
        command, env=env, cwd=database.parent, capture_output=True, text=True, timeout=HANG, check=False
    )
    assert bot.returncode == EXIT_USAGE, bot.stderr
    assert bot.stderr.strip().splitlines()[-1].startswith(f"DATABASE_PATH {database}: is read-only for this user")
    assert database.read_bytes() == before
    assert sorted(path.name for path in database.parent.iterdir()) == ["bot.db"]


def test_a_backup_to_an_impossible_place_blames_the_destination(tmp_path: Path) -> None:
    env = process_env(tmp_path / "bot.db")
    assert run_cli("define", "llm", env=env, cwd=tmp_path).returncode == EXIT_OK
    result = run_cli("backup", "/proc/x.db", env=env, cwd=tmp_path)
    line = assert_one_line(result, EXIT_UNAVAILABLE, "No backup made: /proc/x.db: No such file or directory")
    assert "DATABASE_PATH" not in line and "database file" not in line


def test_default_paths_follow_the_project_from_any_folder(tmp_path: Path) -> None:
    """`cd /tmp && /opt/glossary-bot/.venv/bin/python -m bot define llm` uses the bot's database, not a new one."""
    project = tmp_path / "project"
    shutil.copytree(REPO_ROOT / "bot", project / "bot", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO_ROOT / "pyproject.toml", project)
    shutil.copytree(REPO_ROOT / "data", project / "data", ignore=shutil.ignore_patterns("*.db*"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {key: value for key, value in process_env(tmp_path / "unused.db").items() if key not in SETTINGS_VARIABLES}
    env["PYTHONPATH"] = str(project)
    result = run_cli("define", "llm", env=env, cwd=elsewhere)
    assert result.returncode == EXIT_OK, result.stderr
    assert result.stdout.splitlines()[0] == "Large Language Model"
    assert (project / "data" / "bot.db").is_file()
    assert list(elsewhere.iterdir()) == []


async def test_losing_the_network_later_is_one_line_per_retry_too(tmp_path: Path) -> None:
    fake = FakeDiscord()
    populate_world(fake)
    await fake.start()
    env = process_env(tmp_path / "bot.db", discord_token="fake-token")
    env[API_VARIABLE], env[GATEWAY_VARIABLE] = fake.base_url, fake.gateway_url
    process = await BotProcess.start(env, tmp_path, tmp_path / "bot.log")
    try:
        await process.wait_until(lambda: fake.identify_count > 0, "the bot's IDENTIFY")
        await fake.stop()  # the gateway goes away and nothing answers any more
        await process.wait_for_log("cannot reach Discord: ")
        process.signal(signal.SIGTERM)
        assert await process.wait() == EXIT_OK, process.log()
    finally:
        await process.kill()
        await fake.stop()
    assert "Traceback" not in process.log(), process.log()


def test_ctrl_c_during_a_chore_is_quiet(tmp_path: Path) -> None:
    """Interrupted while waiting for another process's lock: exit 130 as shells expect, no traceback."""
    database = tmp_path / "bot.db"
    env = process_env(database, seed_path=tmp_path / "no-seed.yaml")
    assert run_cli("define", "llm", env=env, cwd=tmp_path).returncode == EXIT_NOT_FOUND  # creates it
    fixture = REPO_ROOT / "tests" / "fixtures" / "cli_glossary.yaml"
    with locked_by_another_process(database):
        process = spawn("bot", "import", fixture, env=env, cwd=tmp_path)
        try:
            opened = Path(f"/proc/{process.pid}/fd")
            deadline = time.monotonic() + HANG
            while not any(link.resolve() == database for link in opened.iterdir() if link.is_symlink()):
                assert process.poll() is None and time.monotonic() < deadline, "the import never opened the database"
                time.sleep(0.02)
            process.send_signal(signal.SIGINT)
            _, err = process.communicate(timeout=HANG)
        finally:
            if process.poll() is None:
                kill(process)
    assert process.returncode == 130, err
    assert "Traceback" not in err, "\n" + err
