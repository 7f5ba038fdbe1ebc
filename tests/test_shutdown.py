"""SIGTERM and SIGINT stop the real bot process gracefully: the interaction in flight is answered,
the process exits 0, and the database is closed cleanly (sound, WAL checkpointed and gone)."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.e2e.bot_process import API_VARIABLE, GATEWAY_VARIABLE, GRACE_VARIABLE
from tests.e2e.fake_discord import FakeDiscord, InteractionResult
from tests.e2e.rig import EDITOR_ID, GUILD_ID, MEMBER_ID, populate_world
from tests.processes import BotProcess, database_problems, process_env, scalar, wal_is_empty

STOPPED = "stopped: gateway, HTTP and database closed"


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    fake = FakeDiscord()
    populate_world(fake)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


def bot_env(fake: FakeDiscord, database: Path, **settings: object) -> dict[str, str]:
    env = process_env(database, discord_token="fake-token", editor_user_ids=EDITOR_ID, **settings)
    env[API_VARIABLE] = fake.base_url
    env[GATEWAY_VARIABLE] = fake.gateway_url
    return env


def hold_requests(fake: FakeDiscord, kind: str) -> tuple[asyncio.Event, asyncio.Event]:
    """Make the fake keep the bot's requests of `kind` (a route kind) waiting until `release` is set.

    Returns (arrived, release): `arrived` is set when the first such request reaches the fake, so the
    test knows the bot is in the middle of it.
    """
    arrived, release = asyncio.Event(), asyncio.Event()
    for route in fake._routes:  # the fake has no public switch for a slow route
        if route.kind == kind:
            answer = route.handler

            async def held(request, answer=answer):  # type: ignore[no-untyped-def]
                arrived.set()
                await release.wait()
                return await answer(request)

            route.handler = held
    return arrived, release


async def start_bot(fake: FakeDiscord, tmp_path: Path, **settings: object) -> tuple[BotProcess, Path]:
    database = tmp_path / "bot.db"
    process = await BotProcess.start(bot_env(fake, database, **settings), tmp_path, tmp_path / "bot.log")
    await process.wait_until(lambda: fake.identify_count > 0, "the bot's IDENTIFY")
    return process, database


async def define_in_flight(fake: FakeDiscord, process: BotProcess) -> tuple[InteractionResult, asyncio.Event]:
    arrived, release = hold_requests(fake, "interaction_callback")  # in flight: begun, not yet answered
    result = await fake.slash("define", {"term": "llm"}, user_id=MEMBER_ID, guild_id=GUILD_ID, wait=False)
    await process.wait_until(arrived.is_set, "the bot's answer to /define")
    return result, release


def assert_closed_cleanly(database: Path) -> None:
    assert database_problems(database) == []
    assert wal_is_empty(database), "the -wal file survived: the database was not closed"


async def test_sigterm_answers_the_interaction_in_flight_and_exits_cleanly(fake: FakeDiscord, tmp_path: Path) -> None:
    process, database = await start_bot(fake, tmp_path)
    try:
        result, release = await define_in_flight(fake, process)
        process.signal(signal.SIGTERM)
        # The bot waits for the interaction instead of dying with it; only then does the answer go out.
        await process.wait_for_log("stopping: waiting for")
        release.set()
        await result.wait_answered(10)
        assert await process.wait() == 0, process.log()
    finally:
        await process.kill()
    assert result.embeds[0]["title"] == "Large Language Model"
    log = process.log()
    assert "SIGTERM received: stopping gracefully" in log and STOPPED in log, log
    assert_closed_cleanly(database)
    # Counted after the answer, still before the database closed.
    assert scalar(database, "SELECT lookups FROM terms WHERE name = 'Large Language Model'") == 1
    fake.assert_clean()


async def test_sigint_stops_the_bot_the_same_way(fake: FakeDiscord, tmp_path: Path) -> None:
    process, database = await start_bot(fake, tmp_path)
    try:
        answered = await fake.slash("define", {"term": "rag"}, user_id=MEMBER_ID, guild_id=GUILD_ID)
        assert answered.embeds, answered.content
        process.signal(signal.SIGINT)
        assert await process.wait() == 0, process.log()
    finally:
        await process.kill()
    log = process.log()
    assert "SIGINT received: stopping gracefully" in log and STOPPED in log
    assert "Traceback" not in log, log  # no KeyboardInterrupt unwinding through the bot
    assert_closed_cleanly(database)
    fake.assert_clean()


async def test_an_interaction_that_never_finishes_does_not_hold_up_the_stop(fake: FakeDiscord, tmp_path: Path) -> None:
    process, database = await start_bot(fake, tmp_path, **{GRACE_VARIABLE: 0.5})
    try:
        await define_in_flight(fake, process)  # never released: Discord does not answer
        process.signal(signal.SIGTERM)
        assert await process.wait() == 0, process.log()
    finally:
        await process.kill()
    log = process.log()
    assert "1 interactions did not finish within" in log and STOPPED in log, log
    assert_closed_cleanly(database)


async def test_a_stop_during_start_up_ends_the_start_and_closes_the_database(fake: FakeDiscord, tmp_path: Path) -> None:
    arrived, _ = hold_requests(fake, "commands")  # the start hangs in the command sync, never released
    database = tmp_path / "bot.db"
    process = await BotProcess.start(bot_env(fake, database), tmp_path, tmp_path / "bot.log")
    try:
        await process.wait_until(arrived.is_set, "the command sync")
        process.signal(signal.SIGTERM)
        assert await process.wait() == 0, process.log()
    finally:
        await process.kill()
    assert STOPPED in process.log() and fake.identify_count == 0
    assert_closed_cleanly(database)
