"""The Thursday reminder in the editors' channel, through the real bot and the fake Discord.

The rig's clock starts on Thursday 2026-11-26 at 12:00 UTC: the reminder of 2026-W48 is due at once.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.e2e.rig import PULSE_FIXTURE, SECOND_CHANNEL_ID, Rig, eventually, rig_settings
from tests.e2e.test_pulse import move_clock, pulse_cog

EDITORS_CHANNEL_ID = SECOND_CHANNEL_ID
W48 = "2026-W48"
NEXT_THURSDAY_NOON = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


async def start_with_editors_channel(rig: Rig, tmp_path: Path, *, points: bool = False) -> None:
    await rig.stop()
    rig.settings = rig_settings(
        tmp_path / "editors.db",
        pulse_seed_path=PULSE_FIXTURE if points else None,
        pulse_editors_channel_id=EDITORS_CHANNEL_ID,
    )
    await rig.start()


def reminders(rig: Rig) -> list[str]:
    return [str(m["content"]) for m in rig.fake.messages_in(EDITORS_CHANNEL_ID) if "Reminder" in str(m["content"])]


async def reminder_state(rig: Rig, week: str) -> str | None:
    return await pulse_cog(rig).store.reminder_state(week)


async def test_the_reminder_is_posted_once_also_across_a_restart(rig: Rig, tmp_path: Path) -> None:
    await start_with_editors_channel(rig, tmp_path)
    await rig.fake.wait_until(lambda: len(reminders(rig)) == 1, what="the editors' reminder")
    [text] = reminders(rig)
    assert text.startswith("**Reminder for editors:** No data points for 2026-W48 (Friday 2026-11-27) yet")
    assert "`/pulse add`" in text
    [request] = rig.fake.requests_to("POST", rf"/channels/{EDITORS_CHANNEL_ID}/messages$")
    assert request.json["allowed_mentions"] == {"parse": []}
    assert await eventually(lambda: _state_is(rig, W48, "sent"))

    for minutes in (1, 60, 600):
        await move_clock(rig, rig.clock.now + timedelta(minutes=minutes))
    await rig.restart()
    pulse_cog(rig).wake()
    await asyncio.sleep(0.3)  # a round or two of the loop: nothing more may come
    assert len(reminders(rig)) == 1

    await move_clock(rig, NEXT_THURSDAY_NOON)  # the next week's reminder is a new one
    await rig.fake.wait_until(lambda: len(reminders(rig)) == 2, what="the next week's reminder")
    assert "2026-W49" in reminders(rig)[1]


async def test_no_reminder_when_the_week_has_three_points(rig: Rig, tmp_path: Path) -> None:
    await start_with_editors_channel(rig, tmp_path, points=True)
    pulse_cog(rig).wake()
    await asyncio.sleep(0.3)
    assert reminders(rig) == [] and await reminder_state(rig, W48) is None


async def test_a_forbidden_editors_channel_is_logged_and_not_retried(rig: Rig, tmp_path: Path) -> None:
    rig.fake.set_channel_status(EDITORS_CHANNEL_ID, 403)
    await start_with_editors_channel(rig, tmp_path)
    assert await eventually(lambda: _state_is(rig, W48, "failed"))
    for minutes in (1, 30, 120):
        await move_clock(rig, rig.clock.now + timedelta(minutes=minutes))
    await rig.restart()
    pulse_cog(rig).wake()
    await asyncio.sleep(0.3)
    assert len(rig.fake.requests_to("POST", rf"/channels/{EDITORS_CHANNEL_ID}/messages$")) == 1


async def _state_is(rig: Rig, week: str, state: str) -> bool:
    return await reminder_state(rig, week) == state
