"""When the weekly Friday post is due: pure calendar and time-zone arithmetic.

Nothing here reads the clock, touches Discord or the database: the current instant is always a
parameter, so every rule below can be tested with an explicit "now".

Vocabulary
----------
week
    An ISO 8601 week, "YYYY-Www". A post belongs to the ISO week that contains its local Friday, so
    Friday 2027-01-01 belongs to "2026-W53".
slot
    The instant the post of a week is due: Friday of that week at ``hour``:00 local time.
window
    The half-open interval ``[slot, slot + grace)`` in which a post missed while the bot was down may
    still go out. ``grace=None`` means "until the local Friday ends", i.e. local Saturday 00:00.
    ``grace`` is elapsed (UTC) time, not wall-clock time, so a DST change inside the window does not
    stretch or shrink it.

Daylight saving decisions
-------------------------
* Ambiguous wall time (fall-back fold): the *first* occurrence is used (``fold=0``), so the post goes
  out as early as the local clock first reads ``hour``:00 and is not repeated an hour later.
* Non-existent wall time (spring-forward gap): the slot is the *first instant after the gap*, i.e. the
  transition instant itself. zoneinfo alone does not give this: for a time in a gap ``fold=0`` applies
  the pre-transition offset, which lands as far past the transition as the time was into the gap (with
  Antarctica/Casey's 03:00→06:00 jump of 2019-10-04, 04:00 would become 07:00). We therefore locate the
  transition by bisection between the ``fold=1`` and ``fold=0`` interpretations, which bracket it.
* The same rules resolve the end of a ``grace=None`` window (local Saturday 00:00).
* If a gap swallows the rest of the Friday (Asia/Dhaka skipped 2009-06-19 23:00-24:00; Pacific/Apia
  skipped all of 2011-12-30), the slot is the first instant after the gap, which is local Saturday
  00:00. With ``grace=None`` that week's window is then empty, so that week's post never becomes due and
  `next_slot` skips it; with a finite grace it goes out on Saturday 00:00.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

WEEK_PATTERN: re.Pattern[str] = re.compile(r"^(\d{4})-W(\d{2})$", re.ASCII)
"""An ISO week as stored and shown: "2026-W48". ASCII-only so that e.g. Arabic-Indic digits are rejected."""

FRIDAY = 4
"""`date.weekday()` of Friday (Monday is 0)."""

ISO_FRIDAY = FRIDAY + 1
"""`date.isocalendar()` weekday of Friday (Monday is 1)."""

ISO_MONDAY = 1

FIRST_WEEK = 1

DEC_28 = (12, 28)
"""28 December always lies in the last ISO week of its year, so its week number is the year's count (52 or
53: 53 when the year starts on a Thursday, or is a leap year starting on a Wednesday)."""

MAX_SHOWN_INPUT_CHARS = 64
"""Bad user input is echoed in error messages only this far, so a pasted essay cannot flood a reply."""

MIN_HOUR = 0
MAX_HOUR = 23

MAX_GRACE = timedelta(weeks=1)
"""Longest accepted grace: any longer and a missed post would still be pending when the next one is due."""

MAX_ZONE_NAME_CHARS = 64
"""Longest zone name we try to load. Real IANA names are at most ~32 characters; this bounds hostile input."""

UTC_ZONE_NAME = "UTC"

MAX_CHOICE_CHARS = 100
"""Discord rejects autocomplete choices (and their values) longer than 100 characters."""

DISCORD_MAX_CHOICES = 25
"""Discord shows at most 25 autocomplete choices."""

_NON_ZONE_NAMES = frozenset({"Factory", "localtime", "posixrules"})
"""Files in the zoneinfo tree that are not places a user would pick: a placeholder and host-specific links."""

_SEARCH_WEEKS = 4
"""How many weeks `next_slot` scans: at most one week in a row can have an empty window (a skipped Friday)."""

_ONE_SECOND = timedelta(seconds=1)
_ONE_DAY = timedelta(days=1)
REMINDER_TIME = time(12, 0)
"""The editors' reminder goes out on the Thursday before each Friday at this time, UTC."""
REMINDER_WINDOW = timedelta(hours=36)
"""From Thursday 12:00 UTC to the end of Friday in UTC."""


class InvalidWeek(ValueError):
    """A week string that is malformed, names a week its year does not have, or is out of range."""


# --- ISO weeks ---------------------------------------------------------------------------------------


def iso_week_of(moment: date | datetime) -> str:
    """The ISO week of `moment`'s own calendar date, e.g. "2026-W48".

    A datetime is not converted to any zone first: callers pass local datetimes.
    """
    year, week, _ = moment.isocalendar()
    return f"{year:04d}-W{week:02d}"


def weeks_in_year(iso_year: int) -> int:
    """52 or 53: the number of ISO weeks in `iso_year`."""
    try:
        return date(iso_year, *DEC_28).isocalendar().week
    except ValueError as error:
        raise InvalidWeek(f"ISO year {iso_year} is out of range") from error


def _shown(text: str) -> str:
    return text if len(text) <= MAX_SHOWN_INPUT_CHARS else text[:MAX_SHOWN_INPUT_CHARS] + "…"


def parse_week(week: str) -> tuple[int, int]:
    """(ISO year, week number) of a "YYYY-Www" string; raises `InvalidWeek` if it is not a real week."""
    match = WEEK_PATTERN.fullmatch(week)  # fullmatch: `$` alone would accept a trailing newline
    if match is None:
        raise InvalidWeek(f"Invalid week {_shown(week)!r}: expected the form YYYY-Www, e.g. 2026-W48")
    year, number = int(match[1]), int(match[2])
    last = weeks_in_year(year)
    if not FIRST_WEEK <= number <= last:
        raise InvalidWeek(f"Invalid week {week!r}: ISO year {year} has weeks W01 to W{last:02d}")
    return year, number


def _monday_of(week: str) -> date:
    year, number = parse_week(week)
    return date.fromisocalendar(year, number, ISO_MONDAY)


def shift_week(week: str, delta: int) -> str:
    """The week `delta` weeks after `week` (before it if negative), across year boundaries."""
    try:
        return iso_week_of(_monday_of(week) + timedelta(weeks=delta))
    except OverflowError as error:
        raise InvalidWeek(f"Week {week!r} shifted by {delta} is out of range") from error


def friday_of(week: str) -> date:
    """The Friday of an ISO week (which may fall in the next calendar year, e.g. 2026-W53 → 2027-01-01)."""
    year, number = parse_week(week)
    return date.fromisocalendar(year, number, ISO_FRIDAY)


# --- Local time → UTC --------------------------------------------------------------------------------


def _require_aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {moment.isoformat()}")


def _wall_clock(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.astimezone(zone).replace(tzinfo=None)


def _local_to_utc(wall: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant at which `zone`'s clocks read the naive `wall` time (see the module docstring).

    Ambiguous → first occurrence; non-existent → first instant after the gap.
    """
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if _wall_clock(first, zone) == wall:
        return first  # exists; for an ambiguous time fold=0 is the earlier of the two instants
    # In a gap, fold=1 reads the time with the post-transition offset and lands before the transition;
    # fold=0 uses the pre-transition offset and lands at or after it. Every instant before the
    # transition shows a wall time before the gap, every instant from it on one after the gap.
    before = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    low, high = 0, (first - before) // _ONE_SECOND  # tz offsets and transitions are whole seconds
    while high - low > 1:
        middle = (low + high) // 2
        if _wall_clock(before + middle * _ONE_SECOND, zone) > wall:
            high = middle
        else:
            low = middle
    return before + high * _ONE_SECOND


def _check_hour(hour: int) -> None:
    if not MIN_HOUR <= hour <= MAX_HOUR:
        raise ValueError(f"hour must be between {MIN_HOUR} and {MAX_HOUR}, got {hour}")


def _check_grace(grace: timedelta | None) -> None:
    if grace is not None and not timedelta(0) < grace <= MAX_GRACE:
        raise ValueError(f"grace must be None or more than 0 and at most {MAX_GRACE}, got {grace}")


def slot_for(week: str, hour: int, zone: ZoneInfo) -> datetime:
    """When the post of `week` is due: its Friday at `hour`:00 in `zone`, as an aware UTC datetime."""
    _check_hour(hour)
    friday = friday_of(week)
    try:
        return _local_to_utc(datetime.combine(friday, time(hour)), zone)
    except OverflowError as error:
        raise InvalidWeek(f"Week {week!r} is out of the supported range") from error


def window_for(week: str, hour: int, zone: ZoneInfo, grace: timedelta | None) -> tuple[datetime, datetime]:
    """The half-open UTC interval ``[start, end)`` in which the post of `week` may go out.

    ``end == start`` (an empty window) only when a gap swallowed the rest of the Friday and grace is None.
    """
    _check_grace(grace)
    start = slot_for(week, hour, zone)
    try:
        if grace is not None:
            end = start + grace
        else:
            saturday = friday_of(week) + _ONE_DAY
            end = _local_to_utc(datetime.combine(saturday, time(0)), zone)
    except OverflowError as error:
        raise InvalidWeek(f"Week {week!r} is out of the supported range") from error
    return start, max(start, end)


# --- Decisions at a given "now" ----------------------------------------------------------------------


def current_week(now: datetime, zone: ZoneInfo) -> str:
    """The ISO week of `now`'s local date in `zone`; `now` must be timezone-aware."""
    _require_aware(now, "now")
    return iso_week_of(now.astimezone(zone).date())


def coming_week(now: datetime) -> str:
    """The ISO week of the coming Friday in UTC: this week's until Friday ends, then the next week's."""
    _require_aware(now, "now")
    today = now.astimezone(UTC).date()
    week = iso_week_of(today)
    return shift_week(week, 1) if today > friday_of(week) else week


def reminder_instant(week: str) -> datetime:
    """When the editors' reminder of `week` is due: the Thursday before its Friday, 12:00 UTC."""
    return datetime.combine(friday_of(week) - _ONE_DAY, REMINDER_TIME, tzinfo=UTC)


def reminder_week(now: datetime) -> str | None:
    """The week whose editors' reminder may go out now: from its Thursday 12:00 UTC until its Friday ends
    in UTC (a bot that was down at noon still reminds, late, while it can help); None outside that window."""
    week = iso_week_of(now.astimezone(UTC).date())
    start = reminder_instant(week)
    return week if start <= now < start + REMINDER_WINDOW else None


def next_reminder_at(now: datetime) -> datetime:
    """The next instant a reminder falls due, for a loop that sleeps until then."""
    week = iso_week_of(now.astimezone(UTC).date())
    instant = reminder_instant(week)
    return instant if instant > now else reminder_instant(shift_week(week, 1))


def due_week(
    now: datetime,
    hour: int,
    zone: ZoneInfo,
    grace: timedelta | None,
    last_delivered: str | None,
) -> str | None:
    """The week whose post should go out at `now`, or None.

    A week qualifies when `now` lies in its window and it is later than `last_delivered`. The current
    local week is preferred; the previous one is only considered because a grace of up to a week can
    carry a Friday's window past Sunday midnight into the next ISO week.
    """
    _check_hour(hour)
    _check_grace(grace)
    delivered = None if last_delivered is None else parse_week(last_delivered)
    this_week = current_week(now, zone)
    for weeks_back in (0, 1):
        week = shift_week(this_week, -weeks_back)
        if delivered is not None and parse_week(week) <= delivered:
            return None  # that week, and every earlier one, is already out (or superseded)
        start, end = window_for(week, hour, zone, grace)
        if start <= now < end:
            return week
    return None


def next_slot(
    now: datetime,
    hour: int,
    zone: ZoneInfo,
    grace: timedelta | None,
    last_delivered: str | None,
) -> tuple[str, datetime]:
    """The next post to send: (week, its slot in UTC).

    If a post is due now (see `due_week`) that is it, and its slot is in the past. Otherwise it is the
    first week, later than `last_delivered`, whose slot is strictly after `now` and whose window is not
    empty, so that `due_week` at the returned instant names the returned week.
    """
    due = due_week(now, hour, zone, grace, last_delivered)
    if due is not None:
        return due, slot_for(due, hour, zone)
    week = current_week(now, zone)
    if last_delivered is not None and parse_week(last_delivered) >= parse_week(week):
        # A stored week from the future (clock moved back): posting before it would repeat weeks.
        week = shift_week(last_delivered, 1)
    for _ in range(_SEARCH_WEEKS):
        start, end = window_for(week, hour, zone, grace)
        if start > now and end > start:
            return week, start
        week = shift_week(week, 1)
    raise RuntimeError(f"no usable Friday slot in {_SEARCH_WEEKS} weeks after {now.isoformat()}")


def seconds_until(moment: datetime, now: datetime) -> float:
    """Seconds from `now` to `moment`, never negative (a slot in the past is due immediately)."""
    _require_aware(moment, "moment")
    _require_aware(now, "now")
    return max(0.0, (moment - now).total_seconds())


# --- Zone names --------------------------------------------------------------------------------------


@cache
def _zone_names() -> tuple[str, ...]:
    # available_timezones() walks every zoneinfo tree on disk: far too slow to repeat per keystroke.
    return tuple(sorted(available_timezones() - _NON_ZONE_NAMES))


@cache
def _folded_zone_names() -> dict[str, str]:
    """Folded name → canonical name, in alphabetical order of the canonical names."""
    return {_fold_zone_query(name): name for name in _zone_names()}


def _fold_zone_query(text: str) -> str:
    # IANA names spell spaces as "_", and users type "new york".
    return "_".join(text.split()).casefold()


def zone_names() -> list[str]:
    """All selectable IANA zone names, sorted (a fresh list; the underlying scan is cached)."""
    return list(_zone_names())


def _unknown_zone(name: str) -> ValueError:
    return ValueError(f"Unknown time zone '{_shown(name)}'")


def parse_zone(name: str) -> ZoneInfo:
    """The zone named `name` (case and spaces-for-underscores forgiven); ValueError if there is none.

    Only names listed by `zone_names` (plus "UTC") are loaded: zoneinfo keys are file paths, so user text
    must never reach it unchecked.
    """
    text = name.strip()
    if (
        not text
        or len(text) > MAX_ZONE_NAME_CHARS
        or ".." in text
        or text.startswith("/")
        or "\\" in text
        or "\0" in text
    ):
        raise _unknown_zone(name)
    canonical = UTC_ZONE_NAME if text == UTC_ZONE_NAME else _folded_zone_names().get(_fold_zone_query(text))
    if canonical is None:
        raise _unknown_zone(name)
    try:
        return ZoneInfo(canonical)
    except (ZoneInfoNotFoundError, ValueError, OSError) as error:  # listed, yet unloadable: a broken tree
        raise _unknown_zone(name) from error


def _starts_a_segment(query: str, folded_name: str) -> bool:
    return any(folded_name.startswith(query, index + 1) for index, char in enumerate(folded_name) if char == "/")


def suggest_zones(query: str, limit: int = DISCORD_MAX_CHOICES) -> list[str]:
    """Up to `limit` zone names for autocomplete, best first.

    Case-insensitive; spaces match "_". Exact matches first, then names the query starts, then names with
    a part after a "/" that the query starts ("berlin" → Europe/Berlin), then names merely containing it.
    Splitting the prefix tier keeps "eu" on Europe/... before Australia/Eucla. Ties stay alphabetical. An
    empty query lists names alphabetically.
    """
    if limit <= 0:
        return []
    wanted = _fold_zone_query(query[:MAX_CHOICE_CHARS])
    if not wanted:
        return [name for name in _zone_names() if len(name) <= MAX_CHOICE_CHARS][:limit]
    exact: list[str] = []
    name_prefix: list[str] = []
    segment_prefix: list[str] = []
    contains: list[str] = []
    for folded, name in _folded_zone_names().items():
        if len(name) > MAX_CHOICE_CHARS:
            continue
        if folded == wanted:
            exact.append(name)
        elif folded.startswith(wanted):
            name_prefix.append(name)
        elif _starts_a_segment(wanted, folded):
            segment_prefix.append(name)
        elif wanted in folded:
            contains.append(name)
    return (exact + name_prefix + segment_prefix + contains)[:limit]
