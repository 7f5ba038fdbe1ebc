"""The weekly broadcast over two bot processes (shards 0 and 1 of 2), each the real `python -m bot` in a
child process (tests/e2e/bot_process.py), against one fake Discord holding the global limit, on one
SQLite file. Each process paces at half of PULSE_REQUESTS_PER_SECOND (its share: 1 shard of 2); the
floor is what the whole bot's budget allows, channels / PULSE_REQUESTS_PER_SECOND. Total runs from the
first post the fake accepted to the last, plus one interval (the first post's own).
"""

from __future__ import annotations

import asyncio
import sqlite3
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.config import LARGEST, Mode
from bench.report import Report, Row
from bot.core.pulse import DataPoint
from bot.store.db import Database
from bot.store.pulse import PulseStore, to_stored
from tests.e2e.bot_process import API_VARIABLE, GATEWAY_VARIABLE
from tests.e2e.fake_discord import FakeDiscord
from tests.processes import GRACE_HOURS, BotProcess, due_slot, process_env

SLACK = 1.1
RATE = 50
"""PULSE_REQUESTS_PER_SECOND for the whole bot (the most the settings allow) and the fake's global limit."""
GUILDS = 20
FIRST_CHANNEL_ID = 1_600_000_000_000_000_000
FIRST_GUILD_ID = 1_700_000_000_000_000_000
OWNER_ID = 1_700_000_000_000_000_001


async def _prepare(database: Path, channels: list[tuple[int, int]]) -> None:
    slot = due_slot(datetime.now(UTC))
    opened = await Database.open(database)
    try:
        await PulseStore(opened).save_points(
            [DataPoint(slot.week, f"Example {rank}", f"Example headline {rank}", rank=rank) for rank in (1, 2, 3)]
        )
    finally:
        await opened.close()
    connection = sqlite3.connect(database, isolation_level=None)
    try:
        connection.execute("BEGIN")
        connection.executemany(
            "INSERT INTO subscriptions (channel_id, guild_id, role_id, hour, timezone, next_week, next_due_at, "
            "created_by) VALUES (?, ?, NULL, ?, ?, ?, ?, ?)",
            [(c, g, slot.hour, slot.zone, slot.week, to_stored(slot.start), OWNER_ID) for c, g in channels],
        )
        connection.execute("COMMIT")
    finally:
        connection.close()


async def _broadcast(count: int, folder: Path) -> tuple[float, int]:
    # Guild ids a shard step apart, so the servers alternate between shard 0 and shard 1, each shard with
    # half the channels (as Discord's spread of servers over shards makes it, near enough).
    channels = [(FIRST_CHANNEL_ID + n, FIRST_GUILD_ID + ((n % GUILDS) << 22)) for n in range(count)]
    database = folder / "bot.db"
    await _prepare(database, channels)
    fake = FakeDiscord(validate=False, global_rate_limit=RATE, keep_history=False, message_rate_limit=None)
    fake.max_concurrency = 16
    for guild in sorted({guild for _, guild in channels}):
        fake.add_guild(guild, f"guild {guild % 1000}", owner_id=OWNER_ID)
    for channel, guild in channels:
        fake.add_channel(guild, channel, f"pulse-{channel % 100_000}")
    await fake.start()
    processes = []
    try:
        for shard in (0, 1):
            env = process_env(
                database,
                discord_token="fake-token",
                pulse_grace_hours=GRACE_HOURS,
                pulse_requests_per_second=RATE,
                shard_count=2,
                shard_ids=shard,
                log_level="WARNING",
            )
            env.update({API_VARIABLE: fake.base_url, GATEWAY_VARIABLE: fake.gateway_url})
            processes.append(await BotProcess.start(env, folder, folder / f"bot-{shard}.log"))
        posts: list[float] = []
        deadline = time.monotonic() + 2 * count / RATE + 120
        while time.monotonic() < deadline:
            posts = [
                r.time for r in fake.requests if r.method == "POST" and r.path.endswith("/messages") and r.status == 200
            ]
            if len(posts) >= count:
                break
            await asyncio.sleep(0.5)
        return (max(posts) - min(posts) + 1 / RATE if posts else float("inf")), len(posts)
    finally:
        for process in processes:
            await process.kill()
        await fake.stop()


def run(mode: Mode, report: Report) -> None:
    count = mode.broadcast_channels
    floor = count / RATE
    with tempfile.TemporaryDirectory(prefix="bench-shards-") as folder:
        total, sent = asyncio.run(_broadcast(count, Path(folder)))
    report.add(
        Row(
            "Processes",
            f"weekly post over 2 processes (shards 0, 1 of 2), {count:,} channels at {RATE}/s in all: total (floor)",
            {LARGEST: f"{total:.1f} s ({floor:.0f} s, {total / floor:.3f}×); {sent:,} sent"},
            target=f"≤ {SLACK}× floor, all sent",
            met=total <= floor * SLACK and sent == count,
        )
    )
    print(f"  broadcast over 2 processes: {total:.1f} s for {sent:,} posts (floor {floor:.0f} s)", flush=True)
    report.notes.append(
        "Processes, broadcast: two real `python -m bot` children (SHARD_COUNT=2, SHARD_IDS 0 and 1, "
        f"PULSE_REQUESTS_PER_SECOND={RATE}, so {RATE // 2}/s each) over one SQLite file, servers spread evenly "
        "over the shards; total is from the first post the fake accepted to the last."
    )
