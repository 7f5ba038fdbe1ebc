"""Fixtures for end-to-end tests against the fake Discord (see ``tests/e2e/fake_discord.py``).

``fake_discord`` starts a :class:`FakeDiscord` on 127.0.0.1 with one guild, a text channel and a member,
and at teardown calls ``assert_clean()`` so that any payload violation or unhandled route fails the test
that caused it. Bot fixtures build on it with ``running_client(fake_discord, bot)`` and a bot constructed
with ``**FAST_CLIENT_OPTIONS``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.e2e.fake_discord import FakeDiscord

GUILD_ID = 1200000000000000001
CHANNEL_ID = 1200000000000000002
OWNER_ID = 1200000000000000003
USER_ID = 1200000000000000004


def populate(fake: FakeDiscord) -> None:
    """The default world: guild GUILD_ID with text channel CHANNEL_ID ("general") and member USER_ID."""
    fake.add_guild(GUILD_ID, "Glossary Test Guild", owner_id=OWNER_ID)
    fake.add_channel(GUILD_ID, CHANNEL_ID, "general")
    fake.add_member(GUILD_ID, USER_ID, "alice")


@pytest.fixture
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    """A started fake Discord with the default world; fails the test on violations at teardown."""
    fake = FakeDiscord()
    populate(fake)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()
    fake.assert_clean()
