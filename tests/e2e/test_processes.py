"""Two bot processes, shards 0 and 1 of 2, against the fake Discord over one database.

Each process is the real `python -m bot` (tests/e2e/bot_process.py) with SHARD_COUNT=2 and its own
SHARD_IDS; the fake sends each server's events on its shard's connection only, so a server is answered
by its own shard's process or not at all.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest

from bot.core.pulse import DataPoint, footer_text
from bot.core.sharding import shard_of
from bot.store.db import Database
from bot.store.pulse import PulseStore
from tests.e2e.bot_process import API_VARIABLE, GATEWAY_VARIABLE, LEASE_VARIABLE
from tests.e2e.fake_discord import FakeDiscord
from tests.postgres import BACKENDS, ScratchServer, need_postgres, server_url
from tests.processes import GRACE_HOURS, BotProcess, Slot, due_slot, process_env, run_cli

SHARD_COUNT = 2
FIRST_GUILD_ID = 1_400_000_000_000_000_000
GUILDS_PER_SHARD = 2
CHANNELS_PER_GUILD = 20
MEMBER_ID = 1_400_000_000_000_000_001
MANAGER_ID = 1_400_000_000_000_000_002
LEASE_SECONDS = 3.0
PROPAGATION_LIMIT_SECONDS = 2.0
"""The issue's bound for a change made elsewhere to reach every process's index."""
NEW_TERM = "Example Propagation Term"
NEW_ALIAS = "Marsupial Relay"
LATER_TERM = "Example Later Term"
MESSAGE_PATHS = r"/channels/\d+/messages"


@dataclass
class Bots:
    fake: FakeDiscord
    tmp_path: Path
    database: Path
    url: str | None
    """The PostgreSQL database's URL (DATABASE_URL), None on SQLite."""
    guilds: dict[int, list[int]] = field(default_factory=dict)
    """Guild ids by shard."""
    channels: dict[int, list[int]] = field(default_factory=dict)
    """Channel ids by shard."""
    guild_of: dict[int, int] = field(default_factory=dict)
    processes: dict[int, BotProcess] = field(default_factory=dict)

    def env(self, shard: int) -> dict[str, str]:
        env = process_env(
            self.database,
            discord_token="fake-token",
            pulse_grace_hours=GRACE_HOURS,
            pulse_requests_per_second=40,
            shard_count=SHARD_COUNT,
            shard_ids=shard,
        )
        env.update({API_VARIABLE: self.fake.base_url, GATEWAY_VARIABLE: self.fake.gateway_url})
        env[LEASE_VARIABLE] = str(LEASE_SECONDS)
        if self.url is not None:
            env["DATABASE_URL"] = self.url
        return env

    @property
    def target(self) -> Path | str:
        return self.url or self.database

    async def drop_database_connections(self) -> int:
        """What a PostgreSQL restart does to the bots: every connection to the database ends at once."""
        assert self.url is not None
        connection = await asyncpg.connect(server_url(), timeout=10)
        try:
            ended = await connection.fetch(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                self.url.rsplit("/", 1)[1],
            )
        finally:
            await connection.close()
        return len(ended)

    async def start(self) -> None:
        # One after the other: the first creates and migrates the database, which the second would wait
        # for (on a loaded machine, longer than a start waits for SQLite's lock).
        for shard in range(SHARD_COUNT):
            log = self.tmp_path / f"bot-{shard}.log"
            self.processes[shard] = process = await BotProcess.start(self.env(shard), self.tmp_path, log)
            await process.wait_until(lambda shard=shard: shard in self.fake.sessions, f"shard {shard}'s IDENTIFY")
        await self.fake.wait_for_shards(*range(SHARD_COUNT), timeout=60)

    async def stop(self) -> None:
        for process in self.processes.values():
            if process.running:
                process.signal(signal.SIGTERM)
        for process in self.processes.values():
            assert await process.wait() in (0, -signal.SIGKILL), process.log()

    async def define(self, shard: int, term: str) -> str | None:
        """The title /define answers with in a server of `shard` (None: no entry)."""
        result = await self.fake.slash(
            "define", {"term": term}, guild_id=self.guilds[shard][0], user_id=MEMBER_ID, timeout=10
        )
        assert result.answered
        return result.embeds[0].get("title") if result.embeds else None

    def posts(self, channel_id: int, week: str) -> int:
        footer = footer_text(week)
        return sum(
            1
            for message in self.fake.messages_in(channel_id)
            if any(embed.get("footer", {}).get("text") == footer for embed in message.get("embeds", []))
        )


def guilds_by_shard() -> dict[int, list[int]]:
    guilds: dict[int, list[int]] = {shard: [] for shard in range(SHARD_COUNT)}
    guild_id = FIRST_GUILD_ID
    while any(len(ids) < GUILDS_PER_SHARD for ids in guilds.values()):
        shard = shard_of(guild_id, SHARD_COUNT)
        if len(guilds[shard]) < GUILDS_PER_SHARD:
            guilds[shard].append(guild_id)
        guild_id += 1 << 22
    return guilds


@pytest.fixture(params=BACKENDS)
async def bots(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Bots]:
    # nonce_window=0: Discord's own dedupe is off, so only the bot's claims and history lookups keep a
    # post single. max_concurrency=16: both shards may IDENTIFY at once (one bucket each).
    fake = FakeDiscord(nonce_window=0)
    fake.max_concurrency = 16
    fake.add_user(MEMBER_ID, "mia")
    url = None
    if request.param == "postgresql":
        server: ScratchServer = request.getfixturevalue("postgres_server")
        need_postgres(server)
        url = server.create()
    bots = Bots(fake, tmp_path, tmp_path / "bot.db", url, guilds=guilds_by_shard())
    for shard, guild_ids in bots.guilds.items():
        bots.channels[shard] = []
        for guild_id in guild_ids:
            fake.add_guild(guild_id, f"Example guild {guild_id % 1000}", owner_id=MANAGER_ID)
            fake.add_member(guild_id, MEMBER_ID, "mia")
            for number in range(CHANNELS_PER_GUILD):
                channel_id = guild_id + 1 + number
                fake.add_channel(guild_id, channel_id, f"pulse-{number}")
                bots.channels[shard].append(channel_id)
                bots.guild_of[channel_id] = guild_id
    await fake.start()
    try:
        yield bots
    finally:
        for process in bots.processes.values():
            await process.kill()
        await fake.stop()
    fake.assert_clean()


async def subscribe_every_channel(bots: Bots, slot: Slot) -> None:
    database = await Database.open(bots.target)
    try:
        store = PulseStore(database)
        await store.save_points(
            [DataPoint(slot.week, f"Example {rank}", f"Example headline {rank}", rank=rank) for rank in (1, 2, 3)]
        )
        for shard in bots.guilds:
            for channel_id in bots.channels[shard]:
                await store.subscribe(
                    channel_id=channel_id,
                    guild_id=bots.guild_of[channel_id],
                    role_id=None,
                    hour=slot.hour,
                    timezone=slot.zone,
                    created_by=MANAGER_ID,
                    next_week=slot.week,
                    next_due_at=slot.start,
                )
    finally:
        await database.close()


async def test_each_process_answers_its_own_shards_servers_and_sees_changes_made_elsewhere(bots: Bots) -> None:
    await bots.start()
    # Only the process running shard 0 synced the commands (once).
    assert len(bots.fake.requests_to("PUT", r"/applications/\d+/commands$")) == 1
    assert {payload["shard"][0] for payload in bots.fake.identify_payloads} == {0, 1}
    for shard in range(SHARD_COUNT):
        assert await bots.define(shard, "LLM") == "Large Language Model"
        assert await bots.define(shard, NEW_TERM) is None

    glossary = bots.tmp_path / "new.yaml"
    glossary.write_text(f"- term: {NEW_TERM}\n  definition: A fictional entry for the propagation test.\n")
    await import_and_see_it_everywhere(bots, glossary, NEW_TERM)
    # A change to a term the processes hold (here an alias added) is made in their indexes in place.
    glossary.write_text(
        f"- term: {NEW_TERM}\n  definition: A fictional entry for the propagation test.\n  aliases: [{NEW_ALIAS}]\n"
    )
    await import_and_see_it_everywhere(bots, glossary, NEW_TERM, asked=NEW_ALIAS)
    if bots.url is not None:
        # As a PostgreSQL restart would: the bots lose every connection, and find their way back. Nothing
        # committed is lost, and a change made afterwards reaches them as quickly.
        assert await bots.drop_database_connections() >= SHARD_COUNT
        for shard in range(SHARD_COUNT):
            assert await bots.define(shard, NEW_TERM) == NEW_TERM
        glossary.write_text(f"- term: {LATER_TERM}\n  definition: Another fictional entry, after the restart.\n")
        await import_and_see_it_everywhere(bots, glossary, LATER_TERM)
    await bots.stop()


async def import_and_see_it_everywhere(bots: Bots, glossary: Path, term: str, *, asked: str | None = None) -> None:
    """Import `glossary` through the CLI; every process's /define of `asked` (the term itself unless given)
    answers `term` within the bound."""
    imported = await asyncio.to_thread(run_cli, "import", glossary, env=bots.env(0), cwd=bots.tmp_path)
    assert imported.returncode == 0, imported.stderr
    committed = time.monotonic()
    for shard in range(SHARD_COUNT):
        while await bots.define(shard, asked or term) != term:
            assert time.monotonic() - committed < PROPAGATION_LIMIT_SECONDS, f"shard {shard} never saw {term}"
            await asyncio.sleep(0.05)


async def test_a_broadcast_survives_a_process_killed_mid_way_with_exactly_one_post_per_channel(bots: Bots) -> None:
    slot = due_slot(datetime.now(UTC))
    await subscribe_every_channel(bots, slot)
    await bots.start()
    dying = bots.processes[1]
    dying_channels = set(bots.channels[1])

    def posted_by_the_dying() -> int:
        return sum(1 for channel_id in dying_channels if bots.posts(channel_id, slot.week))

    await dying.wait_until(lambda: posted_by_the_dying() >= 5, "shard 1's process posting")
    await dying.kill()  # SIGKILL mid-broadcast: its claims stay behind, its leases run out
    killed_at = posted_by_the_dying()
    every = [channel_id for shard in range(SHARD_COUNT) for channel_id in bots.channels[shard]]
    survivor = bots.processes[0]
    await survivor.wait_until(lambda: all(bots.posts(channel_id, slot.week) for channel_id in every), "every post")
    assert [bots.posts(channel_id, slot.week) for channel_id in every] == [1] * len(every)
    assert killed_at < len(dying_channels), "the process was killed after it had finished"
    assert "took over shards 1" in survivor.log()
    assert bots.fake.rate_limit_hits["global"] == 0  # the two processes' shares stayed within the bot's budget
    await bots.stop()
