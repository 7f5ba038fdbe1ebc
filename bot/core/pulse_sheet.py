"""Data points from a published sheet (PULSE_SOURCE_URL): reading the document, deciding what a fetch
changes, and how long to wait after failures. Pure: the HTTP lives in bot/sheet_fetch.py, the loop in
bot/services/pulse_sheet.py.

The sheet is the source of truth for the weeks it lists: its points replace the points an earlier fetch
took from it for those weeks. Points added by hand are never touched (a sheet point whose rank a hand
point holds moves to a free rank), and a week whose post has gone out is left as it is.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from bot.core.pulse import MAX_RANK, DataPoint, PulseFileError, discord_time, parse_points

SHEET_LABEL = "the sheet"
"""How problems name the document (the URL may be secret: anyone with it can read the sheet)."""
FIRST_RETRY = timedelta(minutes=5)
BACKOFF_CAP_POLLS = 8
"""Repeated failures wait 5 min, 10, 20, … but never more than this many poll intervals."""
MAX_SHOWN_PROBLEMS = 3
_TEXT_CONTROL = frozenset(range(0x20)) - {0x09, 0x0A, 0x0D}


def retry_delay(failures: int, poll_interval: timedelta) -> timedelta:
    """The wait after `failures` failed fetches in a row: 5 min doubling, capped at 8 poll intervals."""
    if failures <= 0:
        return poll_interval
    doubling = FIRST_RETRY * (1 << min(failures - 1, 30))  # bounded, so a long outage cannot overflow timedelta
    return min(doubling, poll_interval * BACKOFF_CAP_POLLS)


def decode_document(body: bytes) -> tuple[str, bool]:
    """The document's text and whether it is CSV (else JSON), told apart by its content, not its name
    or Content-Type (a published Google Sheet and a file on a web server label the same CSV differently)."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PulseFileError([f"{SHEET_LABEL} is not UTF-8 text (binary data?)"]) from None
    if any(ord(char) in _TEXT_CONTROL for char in text[:4096]):
        raise PulseFileError([f"{SHEET_LABEL} is not text (it holds control characters: binary data?)"])
    start = text.lstrip()[:1]
    if start == "<":
        raise PulseFileError(
            [f"{SHEET_LABEL} is an HTML page, not CSV or JSON: publish the sheet to the web as CSV (see README)"]
        )
    return text, start not in ("[", "{")


def parse_sheet(body: bytes) -> list[DataPoint]:
    """Every point of the document, validated as `pulse import` does; all of them, or PulseFileError."""
    text, is_csv = decode_document(body)
    points = parse_points(text, source=SHEET_LABEL, is_csv=is_csv)
    return [replace(point, origin="sheet") for point in points]


def describe_problems(problems: Sequence[str]) -> str:
    shown = "; ".join(problems[:MAX_SHOWN_PROBLEMS])
    more = len(problems) - MAX_SHOWN_PROBLEMS
    return shown + (f"; and {more} more" if more > 0 else "")


@dataclass
class SheetPlan:
    """What applying a fetched sheet does, week by week."""

    writes: dict[str, list[DataPoint]] = field(default_factory=dict)
    """Per week: the sheet's points to store there, after deleting that week's earlier sheet points."""
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    posted: list[str] = field(default_factory=list)
    """Weeks the sheet lists whose post has gone out: left as they are."""
    moved: list[str] = field(default_factory=list)
    """Notes on sheet points that gave way to a hand-added point's rank."""

    def summary(self) -> str:
        parts = []
        if self.changed:
            parts.append("updated " + ", ".join(self.changed))
        if self.unchanged:
            parts.append(f"{len(self.unchanged)} weeks unchanged" if len(self.unchanged) > 1 else "1 week unchanged")
        if self.posted:
            parts.append("left as posted: " + ", ".join(self.posted))
        parts += self.moved
        return "; ".join(parts) or "the sheet lists no data points"


def plan_sheet(sheet: Sequence[DataPoint], stored: Iterable[DataPoint], posted_weeks: set[str]) -> SheetPlan:
    """Decide what `sheet` changes, given the `stored` points of the weeks it lists; PulseFileError when a
    week has no room left for its points beside the hand-added ones."""
    by_week: dict[str, list[DataPoint]] = defaultdict(list)
    for point in sheet:
        by_week[point.week].append(point)
    stored_by_week: dict[str, list[DataPoint]] = defaultdict(list)
    for point in stored:
        stored_by_week[point.week].append(point)
    plan = SheetPlan()
    problems: list[str] = []
    for week in sorted(by_week):
        if week in posted_weeks:
            plan.posted.append(week)
            continue
        hand_ranks = {point.rank for point in stored_by_week[week] if point.origin == "hand"}
        placed, week_problems, moved = _place_beside(by_week[week], hand_ranks)
        problems += week_problems
        plan.moved += moved
        before = sorted(_content(p) for p in stored_by_week[week] if p.origin == "sheet")
        (plan.unchanged if before == sorted(_content(p) for p in placed) else plan.changed).append(week)
        plan.writes[week] = placed
    if problems:
        raise PulseFileError(problems)
    return plan


def _place_beside(points: list[DataPoint], hand_ranks: set[int]) -> tuple[list[DataPoint], list[str], list[str]]:
    """The sheet's points of one week, in their order, each at its rank or the next one a hand point leaves
    free (the lowest free one if none is higher)."""
    used = set(hand_ranks)
    placed: list[DataPoint] = []
    problems: list[str] = []
    moved: list[str] = []
    for point in sorted(points, key=lambda p: p.rank):
        free = [rank for rank in range(1, MAX_RANK + 1) if rank not in used]
        rank = next((r for r in free if r >= point.rank), free[0] if free else None)
        if rank is None:
            problems.append(
                f"{SHEET_LABEL}: {point.week} has no free rank left for {point.headline!r} "
                f"(at most {MAX_RANK} points a week, hand-added ones included)"
            )
            continue
        if rank != point.rank:
            moved.append(f"{point.week}: rank {point.rank} is held by a hand-added point, the sheet's is {rank}")
        used.add(rank)
        placed.append(replace(point, rank=rank))
    return placed, problems, moved


def _content(point: DataPoint) -> tuple[int, str, str, str, str]:
    return (point.rank, point.figure, point.headline, point.detail, point.source_url or "")


@dataclass(frozen=True, slots=True)
class SourceState:
    """What the bot knows of its sheet: the last good fetch's validators, and the latest attempt."""

    url: str
    etag: str | None = None
    last_modified: str | None = None
    last_good_at: datetime | None = None
    last_change: str | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    failures: int = 0


def source_note(state: SourceState | None) -> str:
    """The sheet's state for /pulse status: editors see at once when fetching fails, and why."""
    if state is None:
        return "Sheet (PULSE_SOURCE_URL): not fetched yet."
    good = f"last good fetch {discord_time(state.last_good_at)}" if state.last_good_at else "no good fetch yet"
    if state.failures and state.last_error_at:
        attempts = "the last fetch" if state.failures == 1 else f"the last {state.failures} fetches"
        return (
            f"**Sheet (PULSE_SOURCE_URL): {attempts} failed**, {discord_time(state.last_error_at, 'R')}: "
            f"{state.last_error}. Nothing was changed ({good}); the bot keeps trying, less often."
        )
    return f"Sheet (PULSE_SOURCE_URL): {good}; {state.last_change or 'no change'}."
