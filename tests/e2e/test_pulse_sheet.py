"""Data points from a published sheet served on 127.0.0.1, through the real bot and the fake Discord."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from bot.cli import EXIT_FETCH_FAILED, EXIT_OK, EXIT_USAGE, main
from bot.core.pulse import DataPoint
from bot.services.pulse_sheet import SheetSync
from tests.e2e.rig import CHANNEL_ID, EDITOR_ID, GUILD_ID, MANAGER_ID, Rig, eventually, rig_settings
from tests.e2e.test_pulse import FRIDAY_9_UTC, move_clock, pulse_cog, pulse_posts, subscribe
from tests.sheet_server import EXAMPLE_SHEET, SheetServer, sheet_csv

WEEK = "2026-W48"
CHANGED_SHEET = sheet_csv(
    "2026-W48,Example 1,Example changed headline one,,,1",
    "2026-W48,Example 2,Example changed headline two,,,2",
)


async def start_with_sheet(rig: Rig, tmp_path: Path, sheet_server: SheetServer) -> None:
    """A fresh install pointed at the sheet; returns once the fetch at start has stored its points."""
    await rig.stop()
    rig.settings = rig_settings(tmp_path / "sheet.db", pulse_seed_path=None, pulse_source_url=sheet_server.url)
    await rig.start()
    assert await eventually(lambda: _has_points(rig, 3)), "the fetch at start stored nothing"


async def _has_points(rig: Rig, count: int) -> bool:
    return len(await pulse_cog(rig).store.points_for(WEEK)) == count


def sheet(rig: Rig) -> SheetSync:
    sync = pulse_cog(rig).service.sheet
    assert sync is not None
    return sync


async def headlines(rig: Rig) -> list[tuple[int, str, str]]:
    return [(p.rank, p.headline, p.origin) for p in await pulse_cog(rig).store.points_for(WEEK)]


async def run_cli(rig: Rig, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *arguments: str) -> int:
    """`python -m bot ARGUMENTS` against the rig's database and settings, beside the running bot."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_PATH", str(rig.settings.database_path))
    monkeypatch.setenv("SEED_PATH", str(tmp_path / "no-seed.yaml"))
    monkeypatch.delenv("PULSE_SEED_PATH", raising=False)
    if rig.settings.pulse_source_url:
        monkeypatch.setenv("PULSE_SOURCE_URL", rig.settings.pulse_source_url)
    return await asyncio.to_thread(main, list(arguments))


async def test_points_fetched_at_start_appear_in_that_fridays_post(
    rig: Rig, tmp_path: Path, sheet_server: SheetServer
) -> None:
    await start_with_sheet(rig, tmp_path, sheet_server)
    assert "If-None-Match" not in sheet_server.requests[0].headers
    assert [p.rank for p in await pulse_cog(rig).store.points_for("2026-W49")] == [1]  # unranked: next free rank
    subscribed = await subscribe(rig)
    assert "No data points" not in subscribed.content
    await move_clock(rig, FRIDAY_9_UTC)
    await rig.fake.wait_until(lambda: len(pulse_posts(rig.fake, CHANNEL_ID)) == 1, what="the Friday post")
    [post] = pulse_posts(rig.fake, CHANNEL_ID)
    assert [field["name"] for field in post["embeds"][0]["fields"]] == [
        "1. Example 1 — Example sheet headline one",
        "2. Example 2 — Example sheet headline two",
        "3. Example 3 — Example sheet headline three",
    ]
    assert post["embeds"][0]["fields"][0]["value"] == "Example detail.\n[Source](https://example.org/sheet/1)"


async def test_an_unchanged_sheet_costs_a_304_from_the_bot_the_cli_and_after_a_restart(
    rig: Rig,
    tmp_path: Path,
    sheet_server: SheetServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await start_with_sheet(rig, tmp_path, sheet_server)
    outcome = await sheet(rig).fetch_once()
    assert outcome.ok and "unchanged" in outcome.message
    assert sheet_server.requests[-1].headers["If-None-Match"] == sheet_server.etag
    assert sheet_server.requests[-1].status == 304

    assert await run_cli(rig, monkeypatch, tmp_path, "pulse", "fetch") == EXIT_OK
    assert capsys.readouterr().out.strip() == "The sheet is unchanged since the last fetch (304 Not Modified)."
    assert sheet_server.requests[-1].status == 304 and len(sheet_server.requests) == 3

    await rig.restart()  # fetches at start again, with the validators kept in the database
    assert await eventually(lambda: asyncio.sleep(0, len(sheet_server.requests) == 4))
    assert sheet_server.requests[-1].headers["If-None-Match"] == sheet_server.etag
    assert sheet_server.requests[-1].status == 304

    sheet_server.body = CHANGED_SHEET
    assert await run_cli(rig, monkeypatch, tmp_path, "pulse", "fetch") == EXIT_OK
    assert capsys.readouterr().out.startswith("Fetched the sheet (2 data points): updated 2026-W48")
    assert await headlines(rig) == [
        (1, "Example changed headline one", "sheet"),
        (2, "Example changed headline two", "sheet"),
    ]


@pytest.mark.parametrize(
    ("problem", "reason"),
    [
        ({"status": 500}, "the server answered HTTP 500 Internal Server Error"),
        ({"body": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe" * 50}, "the sheet is not UTF-8 text"),
        ({"body": b"week,figure,detail\n2026-W48,Example,Example\n"}, "the header row has no 'headline' column"),
        ({"body": EXAMPLE_SHEET + b"x" * 5_000_000, "chunked": True}, "the document is larger than 1 MB"),
        ({"body": sheet_csv("2026-W48,Example,Example,,,1", "2026-W61,Example,Example,,,")}, "Invalid week"),
    ],
    ids=["http-500", "binary-garbage", "missing-column", "5-mb-body", "bad-week"],
)
async def test_a_failed_fetch_changes_nothing_and_says_why(  # noqa: PLR0917 -- fixtures and parameters
    rig: Rig,
    tmp_path: Path,
    sheet_server: SheetServer,
    caplog: pytest.LogCaptureFixture,
    problem: dict[str, object],
    reason: str,
) -> None:
    await start_with_sheet(rig, tmp_path, sheet_server)
    await subscribe(rig)
    before = await headlines(rig)
    for name, value in problem.items():
        setattr(sheet_server, name, value)
    with caplog.at_level(logging.WARNING, logger="bot.services.pulse_sheet"):
        first = await sheet(rig).fetch_once()
        second = await sheet(rig).fetch_once()
    assert not first.ok and reason in first.message and second.failures == 2
    assert await headlines(rig) == before
    assert reason in caplog.text and "nothing was changed" in caplog.text
    status = await rig.fake.slash("pulse status", user_id=MANAGER_ID, guild_id=GUILD_ID)
    description = status.embeds[0]["description"]
    assert "the last 2 fetches failed" in description and reason in description
    assert "last good fetch <t:" in description

    sheet_server.status, sheet_server.body, sheet_server.chunked = 200, CHANGED_SHEET, False
    assert (await sheet(rig).fetch_once()).ok  # recovers by itself at the next attempt
    status = await rig.fake.slash("pulse status", user_id=MANAGER_ID, guild_id=GUILD_ID)
    assert "failed" not in status.embeds[0]["description"]


async def test_a_hand_added_point_survives_later_fetches(rig: Rig, tmp_path: Path, sheet_server: SheetServer) -> None:
    await start_with_sheet(rig, tmp_path, sheet_server)
    added = await rig.fake.slash(
        "pulse add",
        {"figure": "Example", "headline": "Example hand-added", "week": WEEK},
        user_id=EDITOR_ID,
        guild_id=GUILD_ID,
    )
    assert added.content == f"Added to {WEEK} at rank 4."
    sheet_server.body = CHANGED_SHEET
    assert (await sheet(rig).fetch_once()).ok
    assert await headlines(rig) == [
        (1, "Example changed headline one", "sheet"),
        (2, "Example changed headline two", "sheet"),
        (4, "Example hand-added", "hand"),
    ]
    # A hand-added point over a sheet's rank keeps it; the sheet's point moves to a free rank.
    store = pulse_cog(rig).store
    await store.save_points([DataPoint(WEEK, "Example", "Example hand-added first", rank=1)])
    sheet_server.body = EXAMPLE_SHEET
    outcome = await sheet(rig).fetch_once()
    assert outcome.ok and "rank 1 is held by a hand-added point, the sheet's is 2" in outcome.message
    assert await headlines(rig) == [
        (1, "Example hand-added first", "hand"),
        (2, "Example sheet headline one", "sheet"),
        (3, "Example sheet headline two", "sheet"),
        (4, "Example hand-added", "hand"),
        (5, "Example sheet headline three", "sheet"),
    ]


async def test_a_week_whose_post_went_out_is_not_changed(rig: Rig, tmp_path: Path, sheet_server: SheetServer) -> None:
    await start_with_sheet(rig, tmp_path, sheet_server)
    await subscribe(rig)
    await move_clock(rig, FRIDAY_9_UTC)
    await rig.fake.wait_until(lambda: len(pulse_posts(rig.fake, CHANNEL_ID)) == 1, what="the Friday post")
    assert await eventually(lambda: _sent(rig))
    before = await headlines(rig)
    sheet_server.body = CHANGED_SHEET
    outcome = await sheet(rig).fetch_once()
    assert outcome.ok and "left as posted: 2026-W48" in outcome.message
    assert await headlines(rig) == before


async def _sent(rig: Rig) -> bool:
    return await pulse_cog(rig).store.delivery_state(CHANNEL_ID, WEEK) == "sent"


async def test_cli_fetch_says_what_is_wrong_without_a_traceback(
    rig: Rig,
    tmp_path: Path,
    sheet_server: SheetServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("PULSE_SOURCE_URL", raising=False)
    assert await run_cli(rig, monkeypatch, tmp_path, "pulse", "fetch") == EXIT_USAGE
    assert "PULSE_SOURCE_URL is not set" in capsys.readouterr().err
    await start_with_sheet(rig, tmp_path, sheet_server)
    sheet_server.status = 404
    assert await run_cli(rig, monkeypatch, tmp_path, "pulse", "fetch") == EXIT_FETCH_FAILED
    err = capsys.readouterr().err
    assert err.strip() == "Fetch failed, nothing was changed: the server answered HTTP 404 Not Found"
    assert len(await pulse_cog(rig).store.points_for(WEEK)) == 3


async def test_a_post_due_at_start_waits_for_the_fetch_at_start(
    rig: Rig, tmp_path: Path, sheet_server: SheetServer
) -> None:
    await start_with_sheet(rig, tmp_path, sheet_server)
    await subscribe(rig)
    await rig.stop()
    sheet_server.body = CHANGED_SHEET  # edited while the bot was down
    sheet_server.delay = 1.0  # slower than the connection to Discord
    rig.clock.now = FRIDAY_9_UTC
    await rig.start()
    await rig.fake.wait_until(lambda: len(pulse_posts(rig.fake, CHANNEL_ID)) == 1, what="the Friday post")
    [post] = pulse_posts(rig.fake, CHANNEL_ID)
    assert [field["name"] for field in post["embeds"][0]["fields"]] == [
        "1. Example 1 — Example changed headline one",
        "2. Example 2 — Example changed headline two",
    ]
