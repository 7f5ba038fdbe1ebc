"""Schedule arithmetic for the weekly Friday post, with an explicit "now" in every test.

Historical DST examples rely on the IANA database (tzdata); the ones chosen are long settled.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.schedule import (
    DISCORD_MAX_CHOICES,
    FRIDAY,
    MAX_CHOICE_CHARS,
    MAX_GRACE,
    MAX_ZONE_NAME_CHARS,
    WEEK_PATTERN,
    InvalidWeek,
    coming_week,
    current_week,
    due_week,
    friday_of,
    iso_week_of,
    next_reminder_at,
    next_slot,
    parse_week,
    parse_zone,
    reminder_instant,
    reminder_week,
    seconds_until,
    shift_week,
    slot_for,
    suggest_zones,
    weeks_in_year,
    window_for,
    zone_names,
)

NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
JERUSALEM = ZoneInfo("Asia/Jerusalem")
CAIRO = ZoneInfo("Africa/Cairo")
CASEY = ZoneInfo("Antarctica/Casey")
AMMAN = ZoneInfo("Asia/Amman")
TEHRAN = ZoneInfo("Asia/Tehran")
GAZA = ZoneInfo("Asia/Gaza")
DHAKA = ZoneInfo("Asia/Dhaka")
APIA = ZoneInfo("Pacific/Apia")
KATHMANDU = ZoneInfo("Asia/Kathmandu")
KOLKATA = ZoneInfo("Asia/Kolkata")
CHATHAM = ZoneInfo("Pacific/Chatham")
KIRITIMATI = ZoneInfo("Pacific/Kiritimati")
PAGO_PAGO = ZoneInfo("Pacific/Pago_Pago")
UTC_ZONE = ZoneInfo("UTC")

SECOND = timedelta(seconds=1)
HOUR = timedelta(hours=1)
WEEK = timedelta(weeks=1)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:  # noqa: PLR0917
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def wall(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.astimezone(zone).replace(tzinfo=None)


# --- ISO weeks ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (date(2026, 11, 27), "2026-W48"),
        (date(2021, 1, 1), "2020-W53"),  # a Friday on 1 January belongs to the previous ISO year
        (date(2027, 1, 1), "2026-W53"),
        (date(2027, 12, 31), "2027-W52"),  # a Friday on 31 December
        (date(2032, 12, 31), "2032-W53"),  # ...which may also be week 53
        (date(2024, 12, 30), "2025-W01"),  # late-December days in ISO week 1
        (date(2025, 12, 29), "2026-W01"),
        (date(2026, 1, 4), "2026-W01"),
        (date(2026, 1, 5), "2026-W02"),
        (date(2009, 12, 31), "2009-W53"),
    ],
)
def test_iso_week_of_dates(moment: date, expected: str) -> None:
    assert iso_week_of(moment) == expected


def test_iso_week_of_datetime_uses_its_own_local_date() -> None:
    # 2026-01-04 23:30 in Pago Pago is already Monday in UTC; the caller's local date is what counts.
    local = datetime(2026, 1, 4, 23, 30, tzinfo=PAGO_PAGO)
    assert iso_week_of(local) == "2026-W01"
    assert iso_week_of(local.astimezone(UTC)) == "2026-W02"
    assert iso_week_of(datetime(2026, 11, 27, 18)) == "2026-W48"


@pytest.mark.parametrize("year", [2004, 2009, 2015, 2020, 2026, 2032, 2037])
def test_long_years_have_53_weeks(year: int) -> None:
    assert weeks_in_year(year) == 53
    assert parse_week(f"{year}-W53") == (year, 53)


@pytest.mark.parametrize("year", [2021, 2022, 2023, 2024, 2025, 2027, 2028, 2031, 2033])
def test_short_years_have_52_weeks(year: int) -> None:
    assert weeks_in_year(year) == 52
    with pytest.raises(InvalidWeek, match=r"W01 to W52"):
        parse_week(f"{year}-W53")


def test_weeks_in_year_matches_the_calendar() -> None:
    for year in range(1900, 2101):
        last_week_seen = max(
            (date(year, 1, 1) + timedelta(days=offset)).isocalendar().week
            for offset in range(366)
            if (date(year, 1, 1) + timedelta(days=offset)).isocalendar().year == year
        )
        assert weeks_in_year(year) == last_week_seen, year


def test_weeks_in_year_rejects_years_outside_the_calendar() -> None:
    with pytest.raises(InvalidWeek):
        weeks_in_year(0)
    with pytest.raises(InvalidWeek):
        weeks_in_year(10_000)


def test_parse_week_accepts_valid_weeks() -> None:
    assert parse_week("2026-W48") == (2026, 48)
    assert parse_week("2026-W01") == (2026, 1)
    assert parse_week("2025-W52") == (2025, 52)
    assert WEEK_PATTERN.pattern == r"^(\d{4})-W(\d{2})$"


@pytest.mark.parametrize(
    "text",
    [
        "2025-W53",
        "2026-W00",
        "2026-W54",
        "2026-W99",
        "2026-w48",
        "2026W48",
        "26-W48",
        "2026-W4",
        "2026-W048",
        "12026-W48",
        "2026-W48\n",
        " 2026-W48",
        "2026-W48 ",
        "",
        "0000-W01",
        "٢٠٢٦-W48",  # Arabic-Indic digits match \d without re.ASCII
        "2026-48",
        "2026-W4８",
    ],
)
def test_parse_week_rejects_invalid_weeks(text: str) -> None:
    with pytest.raises(InvalidWeek):
        parse_week(text)


def test_invalid_week_is_a_value_error_with_a_clear_message() -> None:
    assert issubclass(InvalidWeek, ValueError)
    with pytest.raises(ValueError, match=r"Invalid week '2025-W53': ISO year 2025 has weeks W01 to W52"):
        parse_week("2025-W53")
    with pytest.raises(ValueError, match=r"expected the form YYYY-Www"):
        parse_week("next friday")
    with pytest.raises(InvalidWeek) as caught:
        parse_week("W" * 5000)
    assert len(str(caught.value)) < 150  # absurd input is not echoed in full


@pytest.mark.parametrize(
    ("week", "delta", "expected"),
    [
        ("2026-W53", 1, "2027-W01"),
        ("2027-W01", -1, "2026-W53"),
        ("2025-W52", 1, "2026-W01"),
        ("2026-W01", -1, "2025-W52"),
        ("2020-W53", 1, "2021-W01"),
        ("2026-W48", 0, "2026-W48"),
        ("2026-W01", 52, "2026-W53"),
        ("2026-W01", 53, "2027-W01"),
        ("2026-W48", 5, "2026-W53"),
        ("2026-W48", 6, "2027-W01"),
        ("2026-W48", -52, "2025-W48"),
        ("2026-W48", 522, "2036-W48"),
    ],
)
def test_shift_week(week: str, delta: int, expected: str) -> None:
    assert shift_week(week, delta) == expected
    assert shift_week(expected, -delta) == week


def test_shift_week_validates_and_stays_in_range() -> None:
    with pytest.raises(InvalidWeek):
        shift_week("2025-W53", 1)
    with pytest.raises(InvalidWeek, match="out of range"):
        shift_week("9999-W52", 1)
    with pytest.raises(InvalidWeek, match="out of range"):
        shift_week("0001-W01", -1)


@pytest.mark.parametrize(
    ("week", "expected"),
    [
        ("2026-W48", date(2026, 11, 27)),
        ("2026-W53", date(2027, 1, 1)),
        ("2020-W53", date(2021, 1, 1)),
        ("2025-W01", date(2025, 1, 3)),
        ("2026-W01", date(2026, 1, 2)),
        ("2021-W52", date(2021, 12, 31)),
        ("2032-W53", date(2032, 12, 31)),
    ],
)
def test_friday_of(week: str, expected: date) -> None:
    assert friday_of(week) == expected


def test_friday_of_round_trips_every_week() -> None:
    for year in range(2019, 2034):
        for number in range(1, weeks_in_year(year) + 1):
            week = f"{year}-W{number:02d}"
            friday = friday_of(week)
            assert friday.weekday() == FRIDAY
            assert iso_week_of(friday) == week
            assert shift_week(week, 1) == iso_week_of(friday + WEEK)


# --- Slots and windows -------------------------------------------------------------------------------


def test_slot_in_utc_zone_is_returned_in_utc() -> None:
    slot = slot_for("2026-W48", 18, UTC_ZONE)
    assert slot == utc(2026, 11, 27, 18)
    assert slot.tzinfo is UTC


@pytest.mark.parametrize(
    ("zone", "week", "hour", "expected"),
    [
        # New York springs forward on Sunday 2026-03-08: that week's Friday is still EST.
        (NEW_YORK, "2026-W10", 18, utc(2026, 3, 6, 23)),
        (NEW_YORK, "2026-W11", 18, utc(2026, 3, 13, 22)),
        # ...and falls back on Sunday 2026-11-01: that week's Friday is still EDT.
        (NEW_YORK, "2026-W44", 18, utc(2026, 10, 30, 22)),
        (NEW_YORK, "2026-W45", 18, utc(2026, 11, 6, 23)),
        # Berlin changes on Sundays 2026-03-29 and 2026-10-25.
        (BERLIN, "2026-W13", 18, utc(2026, 3, 27, 17)),
        (BERLIN, "2026-W14", 18, utc(2026, 4, 3, 16)),
        (BERLIN, "2026-W43", 18, utc(2026, 10, 23, 16)),
        (BERLIN, "2026-W44", 18, utc(2026, 10, 30, 17)),
        (BERLIN, "2026-W43", 0, utc(2026, 10, 22, 22)),
        (BERLIN, "2026-W43", 23, utc(2026, 10, 23, 21)),
    ],
)
def test_slots_around_dst_changes(zone: ZoneInfo, week: str, hour: int, expected: datetime) -> None:
    slot = slot_for(week, hour, zone)
    assert slot == expected
    assert slot.utcoffset() == timedelta(0)
    assert wall(slot, zone) == datetime.combine(friday_of(week), time(hour))


def test_slots_a_week_apart_differ_by_the_dst_change() -> None:
    assert slot_for("2026-W11", 18, NEW_YORK) - slot_for("2026-W10", 18, NEW_YORK) == WEEK - HOUR
    assert slot_for("2026-W45", 18, NEW_YORK) - slot_for("2026-W44", 18, NEW_YORK) == WEEK + HOUR
    assert slot_for("2026-W14", 9, BERLIN) - slot_for("2026-W13", 9, BERLIN) == WEEK - HOUR


@pytest.mark.parametrize(
    ("zone", "week", "hour", "expected_utc", "expected_wall"),
    [
        # Israel springs forward on Friday 2026-03-27, 02:00 → 03:00.
        (JERUSALEM, "2026-W13", 2, utc(2026, 3, 27, 0), datetime(2026, 3, 27, 3)),
        (JERUSALEM, "2026-W13", 3, utc(2026, 3, 27, 0), datetime(2026, 3, 27, 3)),
        (JERUSALEM, "2026-W13", 1, utc(2026, 3, 26, 23), datetime(2026, 3, 27, 1)),
        # Egypt springs forward at the start of the last Friday of April, 00:00 → 01:00.
        (CAIRO, "2026-W17", 0, utc(2026, 4, 23, 22), datetime(2026, 4, 24, 1)),
        (CAIRO, "2026-W17", 1, utc(2026, 4, 23, 22), datetime(2026, 4, 24, 1)),
        # Casey jumped three hours on Friday 2019-10-04, 03:00 → 06:00: 04:00 is mid-gap, yet the slot is
        # 06:00, not the 07:00 that fold=0 alone would give.
        (CASEY, "2019-W40", 3, utc(2019, 10, 3, 19), datetime(2019, 10, 4, 6)),
        (CASEY, "2019-W40", 4, utc(2019, 10, 3, 19), datetime(2019, 10, 4, 6)),
        (CASEY, "2019-W40", 5, utc(2019, 10, 3, 19), datetime(2019, 10, 4, 6)),
        (CASEY, "2019-W40", 6, utc(2019, 10, 3, 19), datetime(2019, 10, 4, 6)),
    ],
)
def test_slot_in_a_spring_forward_gap_is_the_first_instant_after_it(
    zone: ZoneInfo, week: str, hour: int, expected_utc: datetime, expected_wall: datetime
) -> None:
    slot = slot_for(week, hour, zone)
    assert slot == expected_utc
    assert wall(slot, zone) == expected_wall
    if expected_wall.hour != hour:  # inside the gap: the instant before shows a time before the gap
        assert wall(slot - SECOND, zone) < datetime.combine(friday_of(week), time(hour))


def test_zoneinfo_alone_would_overshoot_a_mid_gap_slot() -> None:
    naive_fold0 = datetime(2019, 10, 4, 4, tzinfo=CASEY).astimezone(UTC)
    assert wall(naive_fold0, CASEY) == datetime(2019, 10, 4, 7)
    assert slot_for("2019-W40", 4, CASEY) < naive_fold0


@pytest.mark.parametrize(
    ("zone", "week", "hour", "first", "second"),
    [
        # Jordan fell back on Friday 2021-10-29, 01:00 → 00:00: 00:00-01:00 happened twice.
        (AMMAN, "2021-W43", 0, utc(2021, 10, 28, 21), utc(2021, 10, 28, 22)),
        # Iran fell back on Friday 2018-09-21, 24:00 → 23:00.
        (TEHRAN, "2018-W38", 23, utc(2018, 9, 21, 18, 30), utc(2018, 9, 21, 19, 30)),
        # Palestine fell back on Friday 2019-10-25, 24:00 → 23:00.
        (GAZA, "2019-W43", 23, utc(2019, 10, 25, 20), utc(2019, 10, 25, 21)),
    ],
)
def test_ambiguous_slot_uses_the_first_occurrence(
    zone: ZoneInfo, week: str, hour: int, first: datetime, second: datetime
) -> None:
    local = datetime.combine(friday_of(week), time(hour))
    assert wall(first, zone) == wall(second, zone) == local  # really ambiguous
    assert slot_for(week, hour, zone) == first


@pytest.mark.parametrize(
    ("zone", "week", "hour", "expected"),
    [
        (KATHMANDU, "2026-W48", 9, utc(2026, 11, 27, 3, 15)),  # +05:45
        (KOLKATA, "2026-W48", 18, utc(2026, 11, 27, 12, 30)),  # +05:30
        (CHATHAM, "2026-W27", 9, utc(2026, 7, 2, 20, 15)),  # +12:45 in the southern winter
        (CHATHAM, "2026-W48", 9, utc(2026, 11, 26, 19, 15)),  # +13:45 in summer: Thursday in UTC
        (KIRITIMATI, "2026-W48", 0, utc(2026, 11, 26, 10)),  # +14: Friday starts on Thursday in UTC
        (KIRITIMATI, "2026-W48", 9, utc(2026, 11, 26, 19)),
        (PAGO_PAGO, "2026-W48", 20, utc(2026, 11, 28, 7)),  # −11: Saturday in UTC
        (PAGO_PAGO, "2026-W53", 23, utc(2027, 1, 2, 10)),
    ],
)
def test_slots_in_odd_offsets(zone: ZoneInfo, week: str, hour: int, expected: datetime) -> None:
    slot = slot_for(week, hour, zone)
    assert slot == expected
    assert wall(slot, zone) == datetime.combine(friday_of(week), time(hour))


def test_slot_on_new_years_day_friday() -> None:
    assert slot_for("2026-W53", 10, BERLIN) == utc(2027, 1, 1, 9)
    assert slot_for("2020-W53", 10, NEW_YORK) == utc(2021, 1, 1, 15)
    assert slot_for("2027-W52", 10, UTC_ZONE) == utc(2027, 12, 31, 10)


@pytest.mark.parametrize("hour", [-1, 24, 100])
def test_slot_rejects_hours_outside_the_day(hour: int) -> None:
    with pytest.raises(ValueError, match="hour"):
        slot_for("2026-W48", hour, UTC_ZONE)


def test_slot_rejects_invalid_and_out_of_range_weeks() -> None:
    with pytest.raises(InvalidWeek):
        slot_for("2025-W53", 10, UTC_ZONE)
    with pytest.raises(InvalidWeek, match="supported range"):
        window_for("9999-W52", 10, UTC_ZONE, None)  # its Friday is 9999-12-31: no Saturday after it


def test_window_with_grace_is_elapsed_time() -> None:
    start, end = window_for("2026-W48", 18, NEW_YORK, timedelta(hours=3))
    assert (start, end) == (utc(2026, 11, 27, 23), utc(2026, 11, 28, 2))


def test_window_grace_counts_real_hours_across_a_dst_change() -> None:
    # Israel's 2026 spring-forward happens inside a Thursday-evening window with a 12h grace.
    start, end = window_for("2026-W13", 0, JERUSALEM, timedelta(hours=12))
    assert end - start == timedelta(hours=12)
    assert wall(end, JERUSALEM) == datetime(2026, 3, 27, 13)


@pytest.mark.parametrize(
    ("zone", "week", "hour", "expected"),
    [
        (NEW_YORK, "2026-W48", 18, (utc(2026, 11, 27, 23), utc(2026, 11, 28, 5))),
        (BERLIN, "2026-W48", 18, (utc(2026, 11, 27, 17), utc(2026, 11, 27, 23))),
        (BERLIN, "2026-W48", 0, (utc(2026, 11, 26, 23), utc(2026, 11, 27, 23))),
        (KIRITIMATI, "2026-W48", 23, (utc(2026, 11, 27, 9), utc(2026, 11, 27, 10))),
        (PAGO_PAGO, "2026-W48", 12, (utc(2026, 11, 27, 23), utc(2026, 11, 28, 11))),
        (CHATHAM, "2026-W48", 23, (utc(2026, 11, 27, 9, 15), utc(2026, 11, 27, 10, 15))),
        # The Friday of Israel's spring-forward has only 23 hours.
        (JERUSALEM, "2026-W13", 0, (utc(2026, 3, 26, 22), utc(2026, 3, 27, 21))),
        # The hour Tehran repeated at the end of Friday 2018-09-21 still belongs to Friday.
        (TEHRAN, "2018-W38", 23, (utc(2018, 9, 21, 18, 30), utc(2018, 9, 21, 20, 30))),
    ],
)
def test_window_without_grace_ends_at_local_midnight(
    zone: ZoneInfo, week: str, hour: int, expected: tuple[datetime, datetime]
) -> None:
    start, end = window_for(week, hour, zone, None)
    assert (start, end) == expected
    assert wall(end, zone) == datetime.combine(friday_of(week) + timedelta(days=1), time(0))
    assert wall(end - SECOND, zone).date() == friday_of(week)


def test_window_end_in_a_saturday_midnight_gap_is_the_transition() -> None:
    # Palestine sprang forward at the start of Saturday 2021-03-27, 00:00 → 01:00.
    start, end = window_for("2021-W12", 20, GAZA, None)
    assert start == utc(2021, 3, 26, 18)
    assert end == utc(2021, 3, 26, 22)
    assert wall(end, GAZA) == datetime(2021, 3, 27, 1)
    assert wall(end - SECOND, GAZA) == datetime(2021, 3, 26, 23, 59, 59)


def test_window_end_at_an_ambiguous_saturday_midnight_is_its_first_occurrence() -> None:
    # Palestine fell back at Saturday 2020-10-24 01:00 → 00:00: Saturday 00:00 happened twice.
    _, end = window_for("2020-W43", 20, GAZA, None)
    assert end == utc(2020, 10, 23, 21)
    assert wall(end + HOUR, GAZA) == datetime(2020, 10, 24, 0)


@pytest.mark.parametrize(
    ("zone", "week", "hour", "slot"),
    [
        # Bangladesh jumped from Friday 2009-06-19 23:00 straight to Saturday 00:00.
        (DHAKA, "2009-W25", 23, utc(2009, 6, 19, 17)),
        # Samoa skipped Friday 2011-12-30 entirely, crossing the date line.
        (APIA, "2011-W52", 0, utc(2011, 12, 30, 10)),
        (APIA, "2011-W52", 18, utc(2011, 12, 30, 10)),
    ],
)
def test_a_gap_that_swallows_the_rest_of_friday(zone: ZoneInfo, week: str, hour: int, slot: datetime) -> None:
    assert slot_for(week, hour, zone) == slot
    assert wall(slot, zone) == datetime.combine(friday_of(week) + timedelta(days=1), time(0))
    # Without grace the Friday is over before the slot: an empty window, so the post is never due...
    assert window_for(week, hour, zone, None) == (slot, slot)
    assert due_week(slot, hour, zone, None, None) is None
    # ...while a finite grace still lets it go out on Saturday.
    assert window_for(week, hour, zone, HOUR) == (slot, slot + HOUR)
    assert due_week(slot, hour, zone, HOUR, None) == week


@pytest.mark.parametrize("grace", [timedelta(0), -SECOND, MAX_GRACE + SECOND, timedelta(days=30)])
def test_window_rejects_grace_outside_the_allowed_range(grace: timedelta) -> None:
    with pytest.raises(ValueError, match="grace"):
        window_for("2026-W48", 18, UTC_ZONE, grace)
    with pytest.raises(ValueError, match="grace"):
        due_week(utc(2026, 11, 27, 18), 18, UTC_ZONE, grace, None)


def test_window_accepts_the_longest_grace() -> None:
    start, end = window_for("2026-W48", 18, UTC_ZONE, MAX_GRACE)
    assert end - start == MAX_GRACE == WEEK


# --- current_week ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "zone", "expected"),
    [
        (utc(2026, 11, 27, 12), UTC_ZONE, "2026-W48"),
        # Sunday noon in UTC is already Monday in Kiritimati...
        (utc(2026, 1, 4, 12), KIRITIMATI, "2026-W02"),
        (utc(2026, 1, 4, 12), UTC_ZONE, "2026-W01"),
        # ...and Monday morning in UTC still Sunday in Pago Pago.
        (utc(2026, 1, 5, 5), PAGO_PAGO, "2026-W01"),
        (utc(2026, 1, 5, 5), UTC_ZONE, "2026-W02"),
        # Across the ISO year boundary.
        (utc(2025, 12, 28, 12), KIRITIMATI, "2026-W01"),
        (utc(2025, 12, 28, 12), UTC_ZONE, "2025-W52"),
        (utc(2027, 1, 4, 5), PAGO_PAGO, "2026-W53"),
        # Kathmandu's Monday begins at 18:15 UTC on Sunday.
        (utc(2026, 3, 1, 18, 14), KATHMANDU, "2026-W09"),
        (utc(2026, 3, 1, 18, 15), KATHMANDU, "2026-W10"),
        # An aware "now" in another zone is converted, not read as local.
        (datetime(2026, 1, 4, 23, 30, tzinfo=BERLIN), NEW_YORK, "2026-W01"),
        (datetime(2026, 1, 4, 23, 30, tzinfo=NEW_YORK), BERLIN, "2026-W02"),
    ],
)
def test_current_week_uses_the_local_date(now: datetime, zone: ZoneInfo, expected: str) -> None:
    assert current_week(now, zone) == expected


def test_current_week_rejects_naive_now() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        current_week(datetime(2026, 11, 27, 12), UTC_ZONE)


# --- due_week ----------------------------------------------------------------------------------------

NY_SLOT_W48 = utc(2026, 11, 27, 23)  # 2026-W48 at 18:00 in New York


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (NY_SLOT_W48 - timedelta(days=3), None),
        (NY_SLOT_W48 - SECOND, None),
        (NY_SLOT_W48, "2026-W48"),
        (NY_SLOT_W48 + HOUR, "2026-W48"),
        (NY_SLOT_W48 + 2 * HOUR - SECOND, "2026-W48"),
        (NY_SLOT_W48 + 2 * HOUR, None),
        (NY_SLOT_W48 + timedelta(days=2), None),
    ],
)
def test_due_week_inside_and_outside_the_window(now: datetime, expected: str | None) -> None:
    assert due_week(now, 18, NEW_YORK, 2 * HOUR, None) == expected


@pytest.mark.parametrize(
    ("last_delivered", "expected"),
    [
        (None, "2026-W48"),
        ("2026-W47", "2026-W48"),
        ("2025-W52", "2026-W48"),
        ("2026-W48", None),
        ("2026-W49", None),  # a later week was already sent (clock moved back): never go backwards
        ("2027-W01", None),
    ],
)
def test_due_week_respects_last_delivered(last_delivered: str | None, expected: str | None) -> None:
    assert due_week(NY_SLOT_W48 + HOUR, 18, NEW_YORK, 2 * HOUR, last_delivered) == expected


def test_due_week_rejects_a_malformed_last_delivered() -> None:
    with pytest.raises(InvalidWeek):
        due_week(NY_SLOT_W48, 18, NEW_YORK, None, "2026-48")


def test_due_week_rejects_naive_now() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        due_week(datetime(2026, 11, 27, 23), 18, NEW_YORK, None, None)


def test_due_week_without_grace_lasts_until_local_midnight() -> None:
    # 2026-W48 at 18:00 in Berlin (CET) is 17:00 UTC; Saturday begins at 23:00 UTC.
    assert due_week(utc(2026, 11, 27, 16, 59, 59), 18, BERLIN, None, None) is None
    assert due_week(utc(2026, 11, 27, 17), 18, BERLIN, None, None) == "2026-W48"
    assert due_week(utc(2026, 11, 27, 22, 59, 59), 18, BERLIN, None, None) == "2026-W48"
    assert due_week(utc(2026, 11, 27, 23), 18, BERLIN, None, None) is None


def test_due_week_when_it_is_already_friday_locally_but_thursday_in_utc() -> None:
    now = utc(2026, 11, 26, 19, 30)  # Thursday in UTC, Friday 09:30 in Kiritimati
    assert now.weekday() == FRIDAY - 1
    assert due_week(now, 9, KIRITIMATI, None, None) == "2026-W48"
    assert due_week(now, 10, KIRITIMATI, None, None) is None


def test_due_week_when_it_is_still_friday_locally_but_saturday_in_utc() -> None:
    now = utc(2026, 11, 28, 10, 59)  # Saturday in UTC, Friday 23:59 in Pago Pago
    assert due_week(now, 20, PAGO_PAGO, None, None) == "2026-W48"
    assert due_week(now + timedelta(minutes=1), 20, PAGO_PAGO, None, None) is None


def test_due_week_at_a_slot_inside_a_spring_forward_gap() -> None:
    slot = utc(2026, 3, 27, 0)  # Jerusalem 2026-W13 at "02:00", which became 03:00
    assert due_week(slot - SECOND, 2, JERUSALEM, None, None) is None
    assert due_week(slot, 2, JERUSALEM, None, None) == "2026-W13"


def test_due_week_at_an_ambiguous_slot_fires_at_the_first_occurrence() -> None:
    first = utc(2021, 10, 28, 21)  # Amman's first 00:00 on Friday 2021-10-29
    assert due_week(first - SECOND, 0, AMMAN, HOUR, None) is None
    assert due_week(first, 0, AMMAN, HOUR, None) == "2021-W43"
    # The second 00:00 is an hour later: same post, so once sent it is not due again.
    assert due_week(first + HOUR - SECOND, 0, AMMAN, HOUR, "2021-W43") is None
    assert due_week(first + HOUR, 0, AMMAN, HOUR, None) is None


def test_due_week_carries_a_long_grace_into_the_next_iso_week() -> None:
    # Berlin 2026-W48 at 23:00 is 22:00 UTC Friday; a 3-day grace runs to Monday 23:00 local (W49).
    monday = utc(2026, 11, 30, 10)
    assert current_week(monday, BERLIN) == "2026-W49"
    assert due_week(monday, 23, BERLIN, timedelta(days=3), None) == "2026-W48"
    assert due_week(monday, 23, BERLIN, timedelta(days=3), "2026-W48") is None
    assert due_week(utc(2026, 11, 30, 22), 23, BERLIN, timedelta(days=3), None) is None
    assert due_week(monday, 23, BERLIN, timedelta(days=2), None) is None


def test_due_week_prefers_this_week_when_windows_overlap() -> None:
    # Across Berlin's spring-forward two Friday slots are 7 days minus an hour apart, so a 7-day grace
    # overlaps the next window by an hour.
    now = utc(2026, 4, 3, 16, 30)
    assert window_for("2026-W13", 18, BERLIN, MAX_GRACE)[1] > now
    assert due_week(now, 18, BERLIN, MAX_GRACE, None) == "2026-W14"
    assert due_week(now, 18, BERLIN, MAX_GRACE, "2026-W12") == "2026-W14"
    assert due_week(now, 18, BERLIN, MAX_GRACE, "2026-W14") is None


def test_due_week_on_the_week_of_a_dst_change() -> None:
    # New York's Friday before the spring-forward Sunday is still on EST.
    assert due_week(utc(2026, 3, 6, 22, 59), 18, NEW_YORK, HOUR, None) is None
    assert due_week(utc(2026, 3, 6, 23), 18, NEW_YORK, HOUR, None) == "2026-W10"
    # The Friday after it is on EDT, an hour earlier in UTC.
    assert due_week(utc(2026, 3, 13, 22), 18, NEW_YORK, HOUR, None) == "2026-W11"


def test_due_week_at_the_year_boundary() -> None:
    # Friday 2027-01-01 is the Friday of 2026-W53.
    assert due_week(utc(2027, 1, 1, 18), 18, UTC_ZONE, None, "2026-W52") == "2026-W53"
    assert due_week(utc(2027, 1, 1, 18), 18, UTC_ZONE, None, "2026-W53") is None
    # Kiritimati reaches it on Thursday 2026-12-31 in UTC.
    assert due_week(utc(2026, 12, 31, 10), 0, KIRITIMATI, None, None) == "2026-W53"


# --- next_slot ---------------------------------------------------------------------------------------


def test_next_slot_before_this_weeks_slot() -> None:
    assert next_slot(utc(2026, 11, 27, 12), 18, NEW_YORK, None, "2026-W47") == ("2026-W48", NY_SLOT_W48)


def test_next_slot_when_due_returns_the_past_slot() -> None:
    now = NY_SLOT_W48 + 3 * HOUR
    week, slot = next_slot(now, 18, NEW_YORK, None, "2026-W47")
    assert (week, slot) == ("2026-W48", NY_SLOT_W48)
    assert seconds_until(slot, now) == 0.0


def test_next_slot_after_delivery_jumps_to_next_week() -> None:
    now = NY_SLOT_W48 + 3 * HOUR
    assert next_slot(now, 18, NEW_YORK, None, "2026-W48") == ("2026-W49", utc(2026, 12, 4, 23))


def test_next_slot_after_a_missed_window_jumps_to_next_week() -> None:
    now = NY_SLOT_W48 + 3 * HOUR
    assert next_slot(now, 18, NEW_YORK, 2 * HOUR, "2026-W47") == ("2026-W49", utc(2026, 12, 4, 23))
    assert next_slot(now, 18, NEW_YORK, 2 * HOUR, None) == ("2026-W49", utc(2026, 12, 4, 23))


def test_next_slot_skips_weeks_up_to_a_later_last_delivered() -> None:
    assert next_slot(utc(2026, 11, 23, 12), 18, NEW_YORK, None, "2026-W50") == (
        "2026-W51",
        utc(2026, 12, 18, 23),
    )


def test_next_slot_before_the_slot_of_an_already_delivered_week() -> None:
    assert next_slot(utc(2026, 11, 24, 12), 18, NEW_YORK, None, "2026-W48") == (
        "2026-W49",
        utc(2026, 12, 4, 23),
    )


def test_next_slot_across_a_dst_change() -> None:
    now = utc(2026, 3, 27, 17, 5)  # Berlin 2026-W13 just sent; next Friday is on CEST
    assert next_slot(now, 18, BERLIN, None, "2026-W13") == ("2026-W14", utc(2026, 4, 3, 16))
    now = utc(2026, 10, 30, 1)  # New York's fall-back is between these two Fridays
    assert next_slot(now, 18, NEW_YORK, None, "2026-W44") == ("2026-W45", utc(2026, 11, 6, 23))


def test_next_slot_across_the_year_boundary() -> None:
    now = utc(2026, 12, 31, 12)
    assert next_slot(now, 18, UTC_ZONE, None, "2026-W52") == ("2026-W53", utc(2027, 1, 1, 18))
    assert next_slot(utc(2027, 1, 1, 19), 18, UTC_ZONE, None, "2026-W53") == (
        "2027-W01",
        utc(2027, 1, 8, 18),
    )


def test_next_slot_into_a_week_that_starts_in_december() -> None:
    # 2026-W01 runs from Monday 2025-12-29; its Friday is 2026-01-02.
    now = utc(2025, 12, 27, 12)
    assert next_slot(now, 18, UTC_ZONE, None, "2025-W52") == ("2026-W01", utc(2026, 1, 2, 18))


def test_next_slot_in_a_zone_a_day_ahead_of_utc() -> None:
    now = utc(2026, 11, 26, 12)  # Thursday noon UTC; Kiritimati's Friday 09:00 is at 19:00 UTC
    week, slot = next_slot(now, 9, KIRITIMATI, None, None)
    assert (week, slot) == ("2026-W48", utc(2026, 11, 26, 19))
    assert seconds_until(slot, now) == 7 * 3600


def test_next_slot_into_a_spring_forward_gap() -> None:
    now = utc(2026, 3, 25, 12)
    assert next_slot(now, 2, JERUSALEM, None, None) == ("2026-W13", utc(2026, 3, 27, 0))


def test_next_slot_skips_a_week_whose_friday_never_happened() -> None:
    now = utc(2011, 12, 26, 12)
    assert next_slot(now, 18, APIA, None, "2011-W51") == ("2012-W01", utc(2012, 1, 6, 4))
    assert next_slot(now, 18, APIA, HOUR, "2011-W51") == ("2011-W52", utc(2011, 12, 30, 10))


def test_next_slot_rejects_naive_now() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        next_slot(datetime(2026, 11, 27, 12), 18, NEW_YORK, None, None)


# --- seconds_until -----------------------------------------------------------------------------------


def test_seconds_until() -> None:
    now = utc(2026, 11, 27, 12)
    assert seconds_until(utc(2026, 11, 27, 13), now) == 3600.0
    assert seconds_until(now + timedelta(milliseconds=1500), now) == 1.5
    assert seconds_until(now, now) == 0.0
    assert seconds_until(now - HOUR, now) == 0.0
    assert seconds_until(datetime(2026, 11, 27, 14, tzinfo=BERLIN), now) == 3600.0
    assert isinstance(seconds_until(now - HOUR, now), float)


def test_seconds_until_rejects_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        seconds_until(datetime(2026, 11, 27, 13), utc(2026, 11, 27, 12))
    with pytest.raises(ValueError, match="timezone-aware"):
        seconds_until(utc(2026, 11, 27, 13), datetime(2026, 11, 27, 12))


# --- Zone names --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("America/New_York", "America/New_York"),
        ("Europe/Berlin", "Europe/Berlin"),
        ("Asia/Kathmandu", "Asia/Kathmandu"),
        ("UTC", "UTC"),
        ("utc", "UTC"),
        ("america/new_york", "America/New_York"),
        ("America/New York", "America/New_York"),
        ("  Europe/Berlin  ", "Europe/Berlin"),
        ("Etc/GMT+5", "Etc/GMT+5"),
    ],
)
def test_parse_zone_accepts_iana_names(text: str, expected: str) -> None:
    zone = parse_zone(text)
    assert isinstance(zone, ZoneInfo)
    assert zone.key == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "Mars/Olympus_Mons",
        "America",
        "America/",
        "/etc/passwd",
        "/usr/share/zoneinfo/UTC",
        "../../../etc/passwd",
        "America/../Europe/Berlin",
        "Europe\\Berlin",
        "Europe/Berlin\0",
        "Factory",
        "localtime",
        "posixrules",
        "a" * (MAX_ZONE_NAME_CHARS + 1),
        "Europe/" + "x" * 10_000,
    ],
)
def test_parse_zone_rejects_unknown_and_hostile_names(text: str) -> None:
    with pytest.raises(ValueError, match=r"^Unknown time zone '"):
        parse_zone(text)


def test_parse_zone_error_message() -> None:
    with pytest.raises(ValueError) as caught:
        parse_zone("Mars/Olympus_Mons")
    assert str(caught.value) == "Unknown time zone 'Mars/Olympus_Mons'"
    with pytest.raises(ValueError) as caught:
        parse_zone("x" * 5000)
    assert len(str(caught.value)) < 100  # absurd input is not echoed in full


def test_zone_names_are_sorted_iana_names() -> None:
    names = zone_names()
    assert names == sorted(names)
    assert len(names) == len(set(names)) > 300
    assert {"UTC", "America/New_York", "Europe/Berlin", "Pacific/Chatham", "Asia/Kathmandu"} <= set(names)
    assert not {"Factory", "localtime", "posixrules"} & set(names)
    assert all(len(name) <= MAX_CHOICE_CHARS for name in names)


def test_zone_names_returns_a_copy_of_the_cached_list() -> None:
    names = zone_names()
    names.clear()
    assert zone_names()
    assert zone_names() == zone_names()


def test_every_listed_zone_parses() -> None:
    for name in zone_names():
        assert parse_zone(name).key == name


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("new york", "America/New_York"),
        ("NEW_YORK", "America/New_York"),
        ("New  York", "America/New_York"),
        ("america/new_york", "America/New_York"),
        ("berlin", "Europe/Berlin"),
        ("kathmandu", "Asia/Kathmandu"),
        ("utc", "UTC"),
        ("buenos", "America/Argentina/Buenos_Aires"),
        ("argentina/bu", "America/Argentina/Buenos_Aires"),
        ("ork", "America/New_York"),
    ],
)
def test_suggest_zones_best_match_first(query: str, first: str) -> None:
    assert suggest_zones(query)[0] == first


def test_suggest_zones_ranks_exact_then_prefix_then_substring() -> None:
    assert suggest_zones("utc")[:2] == ["UTC", "Etc/UTC"]
    europe = suggest_zones("eu", 10)
    assert len(europe) == 10
    assert all(name.startswith("Europe/") for name in europe)
    results = suggest_zones("an", 200)
    tiers = [0 if name.casefold().startswith("an") else 1 if "/an" in name.casefold() else 2 for name in results]
    assert tiers == sorted(tiers)
    assert set(tiers) == {0, 1, 2}


def test_suggest_zones_limits() -> None:
    assert len(suggest_zones("a")) == DISCORD_MAX_CHOICES
    assert len(suggest_zones("a", 5)) == 5
    assert suggest_zones("a", 0) == []
    assert suggest_zones("a", -3) == []
    assert suggest_zones("", 3) == zone_names()[:3]
    assert suggest_zones("no such place") == []
    assert suggest_zones("x" * 10_000) == []
    assert all(len(name) <= MAX_CHOICE_CHARS for name in suggest_zones("/", 1000))


# --- Properties --------------------------------------------------------------------------------------

ZONE_NAMES = zone_names()

instants = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2040, 12, 31), timezones=st.just(UTC))
graces = st.none() | st.timedeltas(min_value=SECOND, max_value=MAX_GRACE)


def _swallowed_friday(week: str, hour: int, zone: ZoneInfo, local: datetime) -> bool:
    """True when a gap took the rest of the Friday, so the slot is Saturday 00:00 (see schedule.py)."""
    friday = friday_of(week)
    saturday_midnight = datetime.combine(friday + timedelta(days=1), time(0))
    just_before = wall(local - SECOND, zone)
    return local.replace(tzinfo=None) == saturday_midnight and just_before < datetime.combine(friday, time(hour))


@settings(max_examples=400, deadline=None)
@given(
    now=instants,
    zone_name=st.sampled_from(ZONE_NAMES),
    hour=st.integers(min_value=0, max_value=23),
    grace=graces,
    lag=st.none() | st.integers(min_value=-3, max_value=3),
)
def test_next_slot_properties(
    now: datetime, zone_name: str, hour: int, grace: timedelta | None, lag: int | None
) -> None:
    zone = ZoneInfo(zone_name)
    last_delivered = None if lag is None else shift_week(current_week(now, zone), lag)
    week, slot = next_slot(now, hour, zone, grace, last_delivered)

    assert slot.utcoffset() == timedelta(0)
    assert slot == slot_for(week, hour, zone)
    due = due_week(now, hour, zone, grace, last_delivered)
    if due is not None:
        assert week == due
        start, end = window_for(week, hour, zone, grace)
        assert start <= now < end
    else:
        assert slot > now
        # Waking at the returned slot finds exactly that post due.
        assert due_week(slot, hour, zone, grace, last_delivered) == week
    if last_delivered is not None:
        assert parse_week(week) > parse_week(last_delivered)

    local = slot.astimezone(zone)
    assert week == iso_week_of(local.date())
    assert local.weekday() == FRIDAY or _swallowed_friday(week, hour, zone, local)


@settings(max_examples=300, deadline=None)
@given(
    friday=st.dates(min_value=date(1990, 1, 1), max_value=date(2040, 12, 31)).map(
        lambda day: day + timedelta(days=(FRIDAY - day.weekday()) % 7)
    ),
    zone_name=st.sampled_from(ZONE_NAMES),
    hour=st.integers(min_value=0, max_value=23),
)
def test_slot_is_the_local_time_or_the_end_of_its_gap(friday: date, zone_name: str, hour: int) -> None:
    zone = ZoneInfo(zone_name)
    week = iso_week_of(friday)
    wanted = datetime.combine(friday, time(hour))
    slot = slot_for(week, hour, zone)
    shown = wall(slot, zone)
    if shown != wanted:
        # Only a gap moves the slot, and only to its end: one second earlier the clock read before it.
        assert shown > wanted
        assert wall(slot - SECOND, zone) < wanted
    _, end = window_for(week, hour, zone, None)
    midnight = datetime.combine(friday + timedelta(days=1), time(0))
    assert wall(end, zone) >= midnight
    assert wall(end - SECOND, zone) < midnight or end == slot


@pytest.mark.parametrize(
    ("now", "week"),
    [
        (datetime(2026, 11, 23, 0, 0, tzinfo=UTC), "2026-W48"),  # Monday
        (datetime(2026, 11, 27, 23, 59, tzinfo=UTC), "2026-W48"),  # Friday, still this week's
        (datetime(2026, 11, 28, 0, 0, tzinfo=UTC), "2026-W49"),  # Saturday: the next Friday's
        (datetime(2026, 12, 31, 12, 0, tzinfo=UTC), "2026-W53"),  # Friday 2027-01-01 belongs to 2026-W53
    ],
)
def test_coming_week_is_the_week_of_the_next_friday(now: datetime, week: str) -> None:
    assert coming_week(now) == week


def test_the_reminder_is_due_on_the_thursday_before_at_noon_utc() -> None:
    assert reminder_instant("2026-W48") == datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    assert reminder_instant("2026-W53") == datetime(2026, 12, 31, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "week"),
    [
        (datetime(2026, 11, 26, 11, 59, tzinfo=UTC), None),
        (datetime(2026, 11, 26, 12, 0, tzinfo=UTC), "2026-W48"),
        (datetime(2026, 11, 27, 23, 59, tzinfo=UTC), "2026-W48"),  # late, while Friday lasts in UTC
        (datetime(2026, 11, 28, 0, 0, tzinfo=UTC), None),
    ],
)
def test_the_reminder_window_runs_from_thursday_noon_to_the_end_of_friday(now: datetime, week: str | None) -> None:
    assert reminder_week(now) == week


def test_the_next_reminder_is_this_thursday_or_the_next() -> None:
    assert next_reminder_at(datetime(2026, 11, 23, 8, 0, tzinfo=UTC)) == datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    assert next_reminder_at(datetime(2026, 11, 26, 12, 0, tzinfo=UTC)) == datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
