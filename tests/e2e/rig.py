"""The `rig` fixture: a FakeDiscord world and a real GlossaryBot on a temporary SQLite file.

A test drives the bot as users would, in a few lines::

    async def test_something(rig: Rig) -> None:
        result = await rig.define("llm")
        assert result.embeds[0]["title"] == "Large Language Model"

The world: guild GUILD_ID (owned by OWNER_ID, who is therefore the application's owner and an editor)
with text channels CHANNEL_ID and SECOND_CHANNEL_ID and a role ROLE_ID; members EDITOR_ID (listed in
EDITOR_USER_IDS), MEMBER_ID (no special rights) and MANAGER_ID (Manage Server). OTHER_GUILD_ID has its
own channel OTHER_CHANNEL_ID and member OTHER_MEMBER_ID. The clock is controllable (`rig.clock.now`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.app import GlossaryBot
from bot.config import Settings
from tests.e2e.fake_discord import FAST_CLIENT_OPTIONS, FakeDiscord, InteractionResult, running_client

REPO_ROOT = Path(__file__).resolve().parents[2]
PULSE_FIXTURE = REPO_ROOT / "tests" / "fixtures" / "pulse_points.json"
"""Fictional data points for 2026-W48 (the rig loads them through PULSE_SEED_PATH), so the Friday has a post."""
GUILD_ID = 1200000000000000001
CHANNEL_ID = 1200000000000000002
OWNER_ID = 1200000000000000003
SECOND_CHANNEL_ID = 1200000000000000005
ROLE_ID = 1200000000000000006
EDITOR_ID = 1200000000000000010
MEMBER_ID = 1200000000000000011
MANAGER_ID = 1200000000000000012
OTHER_GUILD_ID = 1300000000000000001
OTHER_CHANNEL_ID = 1300000000000000002
OTHER_OWNER_ID = 1300000000000000003
OTHER_MEMBER_ID = 1300000000000000004
MANAGE_GUILD = 1 << 5
START_OF_TEST_TIME = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
"""A Thursday: the Friday post of 2026-W48 is due the next day."""


class ControllableClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def populate_world(fake: FakeDiscord) -> None:
    fake.add_guild(GUILD_ID, "Glossary Test Guild", owner_id=OWNER_ID)
    fake.add_channel(GUILD_ID, CHANNEL_ID, "general")
    fake.add_channel(GUILD_ID, SECOND_CHANNEL_ID, "news")
    fake.add_role(GUILD_ID, ROLE_ID, "pulse-readers")
    fake.add_member(GUILD_ID, EDITOR_ID, "edith")
    fake.add_member(GUILD_ID, MEMBER_ID, "mia")
    fake.add_member(GUILD_ID, MANAGER_ID, "max", permissions=MANAGE_GUILD | (1 << 10) | (1 << 11))
    fake.add_guild(OTHER_GUILD_ID, "Another Guild", owner_id=OTHER_OWNER_ID)
    fake.add_channel(OTHER_GUILD_ID, OTHER_CHANNEL_ID, "elsewhere")
    fake.add_member(OTHER_GUILD_ID, OTHER_MEMBER_ID, "otto")


def rig_settings(database_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "discord_token": "fake-token",
        "database_path": database_path,
        "dev_guild_id": None,
        "editor_user_ids": frozenset({EDITOR_ID}),
        "log_level": "INFO",
        "seed_path": REPO_ROOT / "data" / "glossary.yaml",
        "pulse_seed_path": PULSE_FIXTURE,
        "pulse_grace_hours": None,
        "pulse_requests_per_second": 50.0,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


async def eventually(check: Callable[[], Awaitable[object]], *, within: float = 5.0) -> object:
    """Poll until `check` returns something truthy: work the bot does after answering takes a moment."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        value = await check()
        if value or asyncio.get_running_loop().time() > deadline:
            return value
        await asyncio.sleep(0.02)


@dataclass
class Rig:
    fake: FakeDiscord
    settings: Settings
    clock: ControllableClock
    bot: GlossaryBot = field(init=False)
    _stack: contextlib.AsyncExitStack = field(default_factory=contextlib.AsyncExitStack)

    async def start(self) -> GlossaryBot:
        self.bot = GlossaryBot(self.settings, clock=self.clock, **FAST_CLIENT_OPTIONS)
        await self._stack.enter_async_context(running_client(self.fake, self.bot))
        return self.bot

    async def stop(self) -> None:
        await self._stack.aclose()
        self._stack = contextlib.AsyncExitStack()

    async def restart(self) -> GlossaryBot:
        """Stop the bot and start a new one on the same database, as after a deploy or a crash."""
        await self.stop()
        return await self.start()

    async def define(
        self, term: str, *, user_id: int = MEMBER_ID, private: bool | None = None, **kwargs: Any
    ) -> InteractionResult:
        options: dict[str, Any] = {"term": term}
        if private is not None:
            options["private"] = private
        return await self.fake.slash("define", options, user_id=user_id, guild_id=GUILD_ID, **kwargs)


@contextlib.asynccontextmanager
async def started_rig(settings: Settings) -> AsyncIterator[Rig]:
    """A started fake Discord and bot on `settings`; any payload violation fails the test at the end."""
    fake = FakeDiscord()
    populate_world(fake)
    await fake.start()
    rig = Rig(fake=fake, settings=settings, clock=ControllableClock(START_OF_TEST_TIME))
    try:
        await rig.start()
        yield rig
    finally:
        await rig.stop()
        await fake.stop()
    fake.assert_clean()


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    """A started fake Discord and bot; any payload violation fails the test at teardown."""
    async with started_rig(rig_settings(tmp_path / "bot.db")) as rig:
        yield rig
