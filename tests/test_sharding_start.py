"""A process refuses to start next to one that runs the same shard or counts shards otherwise: the shares
of PULSE_REQUESTS_PER_SECOND would add up past the bot's budget (and a server's events would arrive twice)."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import GlossaryBot
from bot.config import SettingsError
from bot.store.db import Database
from bot.store.shards import ShardStore
from tests.e2e.rig import rig_settings


async def hold(path: Path, holder: str, count: int, shards: tuple[int, ...]) -> None:
    database = await Database.open(path)
    try:
        await ShardStore(database).renew(holder, count, shards, datetime.now(UTC), timedelta(minutes=1))
    finally:
        await database.close()


@pytest.mark.parametrize(
    ("running", "says"),
    [(("0-1/2", 2, (0, 1)), "SHARD_IDS: shard 1 is already run"), (("0/4", 4, (0,)), "SHARD_COUNT:")],
)
async def test_an_overlapping_process_is_refused_before_discord(
    tmp_path: Path, running: tuple[str, int, tuple[int, ...]], says: str
) -> None:
    path = tmp_path / "bot.db"
    await hold(path, *running)
    bot = GlossaryBot(rig_settings(path, shard_count=2, shard_ids=(1,)))
    try:
        with pytest.raises(SettingsError, match=says):
            await bot.prepare()
    finally:
        await bot.database.close()


async def test_its_own_leases_from_before_a_restart_are_no_overlap(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    await hold(path, "1/2", 2, (1,))  # what the process left when it was killed
    await hold(path, "0/2", 2, (0,))  # its neighbour, running
    bot = GlossaryBot(rig_settings(path, shard_count=2, shard_ids=(1,)))
    try:
        await bot.prepare()
        assert bot.shard_plan.label() == "1/2" and not bot.shard_plan.holds_shard_zero
    finally:
        await bot.lookups.close()
        await bot.database.close()
