"""The database locked by another process, and a full disk: lookups keep answering, a write waits or
fails with a clear message, nothing is half-written, and work resumes once the fault clears.

What really happens under `BEGIN EXCLUSIVE` from another process, in WAL mode: reads go on (EXCLUSIVE
is the same as IMMEDIATE there, readers never need a lock); writes wait for the busy timeout (2 s in
the bot, under Discord's 3 s to answer; 5 s in the CLI) and then fail with SQLITE_BUSY.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import pytest

from bot.cli import EXIT_OK, EXIT_UNAVAILABLE, main
from bot.core.entry import Entry
from bot.importers import write_own_format
from bot.store.db import Database
from tests.e2e.fake_discord import InteractionResult
from tests.e2e.rig import EDITOR_ID, GUILD_ID, Rig, eventually
from tests.processes import SEED_PATH, database_problems, locked_by_another_process, release, scalar

UNLIMITED_PAGES = 1_073_741_823
TERM = "Large Language Model"
BUSY = "the database is busy"
FULL = "the database is full"
NOT_WRITTEN = "lookups not written yet"


async def add_alias(rig: Rig, alias: str, *, wait: bool = True) -> InteractionResult:
    return await rig.fake.slash(
        "glossary alias", {"term": TERM, "alias": alias}, user_id=EDITOR_ID, guild_id=GUILD_ID, wait=wait
    )


async def aliases_of_term(rig: Rig) -> list[str]:
    rows = await rig.bot.database.fetch_all(
        "SELECT n.text FROM term_names n JOIN terms t ON t.id = n.term_id WHERE t.name = ? AND n.is_alias = 1",
        (TERM,),
    )
    return [str(row[0]) for row in rows]


def writing(rig: Rig) -> bool:
    """The bot is inside a write transaction, here: waiting for the other process's lock."""
    return rig.bot.database._write_lock.locked()


async def test_lookups_answer_and_writes_fail_clearly_while_another_process_holds_the_lock(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    path = rig.settings.database_path
    with locked_by_another_process(path) as holder:
        first = await rig.define("llm")
        assert first.embeds[0]["title"] == TERM and not first.ephemeral
        assert await eventually(lambda: asyncio.sleep(0, writing(rig)))  # its lookup count waits for the lock
        # Reads have a connection of their own: the next lookup does not queue behind that write.
        second = await rig.define("rag")
        assert second.embeds[0]["title"] == "Retrieval-Augmented Generation"
        assert writing(rig) and NOT_WRITTEN not in caplog.text, "the second lookup waited for the count's write"
        # An editor's change waits its turn and the lock's, then says why it failed, privately, in time.
        refused = await add_alias(rig, "Big LM")
        assert refused.ephemeral and BUSY in refused.content and "Nothing was changed" in refused.content
        assert refused.followup_messages == [] and first.followup_messages == []
        assert await eventually(lambda: asyncio.sleep(0, NOT_WRITTEN in caplog.text))
        release(holder)
    assert "Big LM" not in await aliases_of_term(rig)

    saved = await add_alias(rig, "Big LM")
    assert saved.content.startswith("Added the alias “Big LM”"), saved.content
    await rig.define("llm")

    async def every_lookup_counted() -> bool:
        # The count held back while the database was locked is written with the new one: none is lost.
        lookups = await rig.bot.database.fetch_value("SELECT lookups FROM terms WHERE name = ?", (TERM,))
        return lookups == 2

    assert await eventually(every_lookup_counted)
    assert database_problems(path) == []


async def test_a_write_waits_for_a_short_lock_and_then_goes_through(rig: Rig) -> None:
    with locked_by_another_process(rig.settings.database_path) as holder:
        pending = await add_alias(rig, "Waited LM", wait=False)
        assert await eventually(lambda: asyncio.sleep(0, writing(rig)))
        assert not pending.answered
        release(holder)
    await pending.wait_answered(5)
    assert pending.content.startswith("Added the alias “Waited LM”"), pending.content
    assert "Waited LM" in await aliases_of_term(rig)


async def test_a_write_cancelled_while_it_waits_for_the_lock_leaves_the_connection_usable(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    database = await Database.open(path)
    try:

        async def record() -> None:
            async with database.transaction() as connection:
                await connection.execute("INSERT INTO meta (key, value) VALUES ('cancelled', 'x')")

        with locked_by_another_process(path) as holder:
            task = asyncio.create_task(record())
            assert await eventually(lambda: asyncio.sleep(0, database._write_lock.locked()))
            task.cancel()  # e.g. an interaction's deadline: BEGIN still runs on aiosqlite's thread
            release(holder)
        with contextlib.suppress(asyncio.CancelledError):
            await task
        assert not database.connection.in_transaction
        async with database.transaction() as connection:
            await connection.execute("INSERT INTO meta (key, value) VALUES ('after', 'y')")
        assert await database.fetch_value("SELECT group_concat(key) FROM meta WHERE value IN ('x', 'y')") == "after"
    finally:
        await database.close()


async def fill_the_disk(database: Database) -> None:
    """Simulate a full disk: the writing connection may not grow the file by one more page."""
    if await database.fetch_value("PRAGMA freelist_count"):
        await database.connection.execute("VACUUM")  # no free pages left inside the file to reuse
    pages = await database.fetch_value("PRAGMA page_count")
    await database.connection.execute(f"PRAGMA max_page_count = {pages}")


async def edit_explanation(rig: Rig, explanation: str) -> InteractionResult:
    opened = await rig.fake.slash("glossary edit", {"term": TERM}, user_id=EDITOR_ID, guild_id=GUILD_ID)
    assert opened.modal is not None
    values: dict[str, Any] = {
        row["component"]["custom_id"]: row["component"].get("value") or "" for row in opened.modal["components"]
    }
    return await rig.fake.submit_modal(
        opened.modal["custom_id"], {**values, "explanation": explanation}, user_id=EDITOR_ID, guild_id=GUILD_ID
    )


async def test_a_full_disk_refuses_an_edit_clearly_and_the_edit_works_once_there_is_room(rig: Rig) -> None:
    before = await rig.bot.database.fetch_value("SELECT description FROM terms WHERE name = ?", (TERM,))
    long_explanation = " ".join(["A much longer explanation than the term had before."] * 70)
    await fill_the_disk(rig.bot.database)

    refused = await edit_explanation(rig, long_explanation)
    assert refused.ephemeral and FULL in refused.content and "Nothing was changed" in refused.content
    assert await rig.bot.database.fetch_value("SELECT description FROM terms WHERE name = ?", (TERM,)) == before
    assert await rig.bot.database.fetch_value("SELECT count(*) FROM term_changes") == 0
    assert (await rig.define("llm")).embeds[0]["title"] == TERM  # reading goes on
    assert database_problems(rig.settings.database_path) == []

    await rig.bot.database.connection.execute(f"PRAGMA max_page_count = {UNLIMITED_PAGES}")
    saved = await edit_explanation(rig, long_explanation)
    assert saved.content.startswith(f"Saved **{TERM}**"), saved.content
    assert await rig.bot.database.fetch_value("SELECT count(*) FROM term_changes") == 1
    assert database_problems(rig.settings.database_path) == []


# ---- the CLI ---------------------------------------------------------------------------------------------


@pytest.fixture
def cli_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "bot.db"
    monkeypatch.setenv("DATABASE_PATH", str(path))
    monkeypatch.setenv("SEED_PATH", str(SEED_PATH))
    assert main(["define", "llm"]) == EXIT_OK  # created and seeded
    return path


@pytest.fixture
def glossary_file(tmp_path: Path) -> Path:
    path = tmp_path / "new.yaml"
    entries = [Entry(f"Fault Term {number}", f"Definition {number}.", "Explanation. " * 50) for number in range(200)]
    write_own_format(entries, path)
    return path


def open_with(monkeypatch: pytest.MonkeyPatch, *, busy_timeout_ms: int | None = None, full: bool = False) -> None:
    """The CLI's database, opened with a short lock wait, or on a "full disk"."""
    original = Database.open

    async def open_faulty(path: Path, **options: Any) -> Database:
        if busy_timeout_ms is not None:
            options["busy_timeout_ms"] = busy_timeout_ms
        database = await original(path, **options)
        if full:
            await fill_the_disk(database)
        return database

    monkeypatch.setattr("bot.cli.Database.open", open_faulty)


def terms_in(path: Path) -> int:
    return int(str(scalar(path, "SELECT count(*) FROM terms")))


def test_the_cli_says_the_database_is_locked_and_changes_nothing(
    cli_database: Path, glossary_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    before = terms_in(cli_database)
    capsys.readouterr()
    with locked_by_another_process(cli_database):
        with monkeypatch.context() as patched:
            open_with(patched, busy_timeout_ms=200)  # the CLI waits 5 s; the test need not
            assert main(["import", str(glossary_file)]) == EXIT_UNAVAILABLE
        err = capsys.readouterr().err
        assert err.startswith(f"import failed, nothing was changed: {BUSY}") and "Run it again" in err
        assert terms_in(cli_database) == before
    assert main(["import", str(glossary_file)]) == EXIT_OK
    assert terms_in(cli_database) == before + 200
    assert database_problems(cli_database) == []


def test_the_cli_says_the_disk_is_full_and_changes_nothing(
    cli_database: Path, glossary_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    before = terms_in(cli_database)
    capsys.readouterr()
    with monkeypatch.context() as patched:
        open_with(patched, full=True)
        assert main(["import", str(glossary_file)]) == EXIT_UNAVAILABLE
    err = capsys.readouterr().err
    assert err.startswith(f"import failed, nothing was changed: {FULL}"), err
    assert terms_in(cli_database) == before
    assert database_problems(cli_database) == []
    assert main(["import", str(glossary_file)]) == EXIT_OK
    assert terms_in(cli_database) == before + 200
