"""The weekly pulse's rules: data points, what the coming Friday will post, subscriptions' schedule.

Used by the /pulse cog and by the CLI alike, so both say the same thing (for instance why nothing will
be posted on Friday).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.broadcast import Clock
from bot.config import Settings
from bot.core.pulse import (
    MAX_RANK,
    DataPoint,
    PulseFileError,
    Subscription,
    outlook_note,
    point_problems,
    render_points_list,
    render_post,
    render_post_plain,
    render_status,
)
from bot.core.pulse_sheet import source_note
from bot.core.refusal import Refusal
from bot.core.render import Reply
from bot.core.schedule import InvalidWeek, coming_week, next_slot, parse_week
from bot.services.pulse_sheet import SheetSync
from bot.store.pulse import PulseStore

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Outlook:
    """What the post of `week` would hold now."""

    week: str
    points: list[DataPoint]

    @property
    def note(self) -> str:
        return outlook_note(self.week, len(self.points))


class PulseService:
    def __init__(self, store: PulseStore, settings: Settings, clock: Clock) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock
        url = settings.pulse_source_url
        poll = timedelta(minutes=settings.pulse_source_poll_minutes)
        self.sheet = SheetSync(store, url, poll, clock) if url else None
        """None unless PULSE_SOURCE_URL is set."""

    async def prepare(self) -> None:
        """At start: delete the made-up examples older versions loaded, then import PULSE_SEED_PATH if set."""
        retired = await self.store.retire_shipped_examples()
        if retired:
            log.warning("deleted %d made-up example data points that earlier versions shipped", retired)
        path = self.settings.pulse_seed_path
        if path is None:
            return
        if not path.exists():
            log.warning("PULSE_SEED_PATH %s does not exist: no data points loaded from it", path)
            return
        try:
            count = await self.store.seed(path)
        except PulseFileError as failure:
            log.error("PULSE_SEED_PATH %s not loaded, nothing was changed: %s", path, "; ".join(failure.problems))
            return
        if count is not None:
            log.info("loaded %d data points from PULSE_SEED_PATH %s", count, path)

    # ---- what Friday will post ----------------------------------------------------------------------

    def coming_week(self) -> str:
        return coming_week(self.clock())

    async def outlook(self, week: str | None = None) -> Outlook:
        week = week or self.coming_week()
        return Outlook(week, await self.store.points_for(week))

    async def preview(self, week: str | None = None) -> Reply:
        outlook = await self.outlook(week)
        if not outlook.points:
            raise Refusal(outlook.note)
        return render_post(outlook.week, outlook.points)

    async def preview_plain(self, week: str | None = None) -> str:
        outlook = await self.outlook(_checked_week(week) if week else None)
        if not outlook.points:
            raise Refusal(outlook.note)
        return render_post_plain(outlook.week, outlook.points)

    async def status(self, guild_id: int) -> Reply:
        subscriptions = await self.store.guild_subscriptions(guild_id)
        notes = [(await self.outlook()).note]
        if self.sheet is not None:
            notes.append(source_note(await self.store.source_state(self.sheet.url)))
        return render_status(subscriptions, notes)

    # ---- subscriptions ------------------------------------------------------------------------------

    async def subscribe(
        self,
        *,
        channel_id: int,
        guild_id: int,
        role_id: int | None,
        hour: int,
        zone: ZoneInfo,
        grace: timedelta | None,
        created_by: int,
    ) -> tuple[Subscription | None, datetime, Outlook]:
        """Store the subscription; returns what it was before, when its next post is due, and that post's outlook."""
        existing = await self.store.subscription(channel_id)
        week, due = next_slot(self.clock(), hour, zone, grace, existing.last_week if existing else None)
        await self.store.subscribe(
            channel_id=channel_id,
            guild_id=guild_id,
            role_id=role_id,
            hour=hour,
            timezone=zone.key,
            created_by=created_by,
            next_week=week,
            next_due_at=due,
        )
        return existing, due, await self.outlook(week)

    # ---- data points (editors) ----------------------------------------------------------------------

    async def add_point(
        self, *, week: str, figure: str, headline: str, detail: str, source_url: str, rank: int | None
    ) -> DataPoint:
        """Add a hand-made point; without a rank it takes the week's lowest free one."""
        week = week.strip().upper() or self.coming_week()
        if rank is None:
            rank = await self._free_rank(week)
        point = DataPoint(week, figure.strip(), headline.strip(), detail.strip(), source_url.strip() or None, rank)
        problems = point_problems(point)
        if problems:
            raise Refusal("That data point isn't valid: " + "; ".join(problems) + ".")
        if await self.store.rank_taken(point.week, point.rank):
            raise Refusal(f"{point.week} already has a rank {point.rank} point. Remove it first or pick another rank.")
        await self.store.save_points([point])
        return point

    async def _free_rank(self, week: str) -> int:
        rank = await self.store.free_rank(_checked_week(week))
        if rank is None:
            raise Refusal(f"{week} already has {MAX_RANK} data points, the most a week can have. Remove one first.")
        return rank

    async def list_points(self, week: str) -> Reply:
        week_filter = week.strip().upper() or None
        return render_points_list(await self.store.list_points(week_filter), week_filter)

    async def remove_point(self, point_id: int) -> DataPoint:
        removed = await self.store.remove_point(point_id)
        if removed is None:
            raise Refusal(f"There is no data point #{point_id}.")
        return removed


def _checked_week(week: str) -> str:
    try:
        parse_week(week)
    except InvalidWeek as error:
        raise Refusal(str(error)) from None
    return week
