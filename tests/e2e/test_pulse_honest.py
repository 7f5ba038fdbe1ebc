"""A week without data points: nothing is posted, and everyone who asks is told why (issue 13)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from bot.cli import EXIT_NOT_FOUND, main
from tests.e2e.rig import CHANNEL_ID, EDITOR_ID, GUILD_ID, MANAGER_ID, Rig, rig_settings
from tests.e2e.test_pulse import FRIDAY_9_UTC, move_clock, pulse_cog, pulse_posts, subscribe

NOTHING_FOR_W48 = "No data points for 2026-W48 (Friday 2026-11-27) yet: nothing will be posted that Friday"


async def fresh_install(rig: Rig, tmp_path: Path) -> None:
    """A new database and the default settings: no PULSE_SEED_PATH, no sheet."""
    await rig.stop()
    rig.settings = rig_settings(tmp_path / "fresh.db", pulse_seed_path=None)
    await rig.start()


async def test_a_fresh_install_posts_nothing_on_friday_and_says_why(
    rig: Rig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    await fresh_install(rig, tmp_path)
    assert await rig.bot.database.fetch_value("SELECT count(*) FROM data_points") == 0
    subscribed = await subscribe(rig)
    assert subscribed.ephemeral and NOTHING_FOR_W48 in subscribed.content
    status = await rig.fake.slash("pulse status", user_id=MANAGER_ID, guild_id=GUILD_ID)
    assert NOTHING_FOR_W48 in status.embeds[0]["description"]
    preview = await rig.fake.slash("pulse preview", user_id=MANAGER_ID, guild_id=GUILD_ID)
    assert preview.ephemeral and NOTHING_FOR_W48 in preview.content and not preview.embeds

    await move_clock(rig, FRIDAY_9_UTC)
    assert await _eventually_empty(rig)
    await move_clock(rig, FRIDAY_9_UTC + timedelta(hours=3))
    assert pulse_posts(rig.fake, CHANNEL_ID) == []

    monkeypatch.setenv("DATABASE_PATH", str(rig.settings.database_path))
    monkeypatch.setenv("SEED_PATH", str(tmp_path / "no-seed.yaml"))
    monkeypatch.delenv("PULSE_SEED_PATH", raising=False)
    monkeypatch.chdir(tmp_path)
    assert await asyncio.to_thread(main, ["pulse", "preview", "2026-W48"]) == EXIT_NOT_FOUND
    assert NOTHING_FOR_W48 in capsys.readouterr().err


async def _eventually_empty(rig: Rig) -> bool:
    from tests.e2e.rig import eventually

    return bool(await eventually(lambda: _delivery_is_empty(rig)))


async def _delivery_is_empty(rig: Rig) -> bool:
    return await pulse_cog(rig).store.delivery_state(CHANNEL_ID, "2026-W48") == "empty"


async def test_status_without_subscriptions_still_tells_what_friday_holds(rig: Rig, tmp_path: Path) -> None:
    await fresh_install(rig, tmp_path)
    status = await rig.fake.slash("pulse status", user_id=MANAGER_ID, guild_id=GUILD_ID)
    assert "No channel here receives the weekly pulse yet" in status.content and NOTHING_FOR_W48 in status.content


async def test_fewer_than_three_points_are_announced_too(rig: Rig, tmp_path: Path) -> None:
    await fresh_install(rig, tmp_path)
    added = await rig.fake.slash(
        "pulse add", {"figure": "Example", "headline": "Example headline"}, user_id=EDITOR_ID, guild_id=GUILD_ID
    )
    assert added.content == "Added to 2026-W48 at rank 1."
    subscribed = await subscribe(rig)
    assert "Only 1 of 3 data points for 2026-W48" in subscribed.content


async def test_points_added_without_a_rank_take_the_next_free_ranks(rig: Rig, tmp_path: Path) -> None:
    await fresh_install(rig, tmp_path)
    for rank in (1, 2):
        added = await rig.fake.slash(
            "pulse add",
            {"figure": "Example", "headline": f"Example {rank}", "week": "2026-W50"},
            user_id=EDITOR_ID,
            guild_id=GUILD_ID,
        )
        assert added.content == f"Added to 2026-W50 at rank {rank}."
