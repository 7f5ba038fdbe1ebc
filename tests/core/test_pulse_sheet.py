"""The sheet's pure rules: telling formats apart, all-or-nothing parsing, merging beside hand points, backoff."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.pulse import DataPoint, PulseFileError
from bot.core.pulse_sheet import decode_document, parse_sheet, plan_sheet, retry_delay

POLL = timedelta(minutes=15)


def sheet_point(week: str, rank: int, headline: str = "Example headline") -> DataPoint:
    return DataPoint(week, "Example", headline, rank=rank, origin="sheet")


def hand_point(week: str, rank: int) -> DataPoint:
    return DataPoint(week, "Example", "Example hand-added", rank=rank)


def test_backoff_doubles_from_five_minutes_up_to_eight_polls() -> None:
    waits = [retry_delay(failures, POLL) for failures in range(7)]
    assert waits == [timedelta(minutes=m) for m in (15, 5, 10, 20, 40, 80, 120)]
    assert retry_delay(10_000, POLL) == POLL * 8
    assert retry_delay(1, timedelta(minutes=1)) == timedelta(minutes=5)
    assert retry_delay(3, timedelta(minutes=1)) == timedelta(minutes=8)


@pytest.mark.parametrize(
    ("body", "is_csv"),
    [
        (b"week,figure,headline\n", True),
        (b'\xef\xbb\xbf[{"week": "2026-W48"}]', False),
        (b"  \n[]", False),
        (b'{"week": "2026-W48"}', False),
    ],
)
def test_the_format_is_told_apart_by_content(body: bytes, is_csv: bool) -> None:
    assert decode_document(body)[1] is is_csv


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff", "not UTF-8 text"),
        (b"week,figure\x00,headline\n", "not text"),
        (b"<!DOCTYPE html><html>Sign in</html>", "an HTML page, not CSV or JSON"),
    ],
)
def test_what_is_not_a_sheet_is_refused_with_a_reason(body: bytes, reason: str) -> None:
    with pytest.raises(PulseFileError, match=reason):
        parse_sheet(body)


def test_the_sheet_is_validated_like_pulse_import() -> None:
    with pytest.raises(PulseFileError) as failure:
        parse_sheet(b"week,figure,headline\n2026-W48,Example,Example\n2026-W99,Example,Example\n")
    assert failure.value.problems[0].startswith("the sheet, line 3: Invalid week '2026-W99'")
    points = parse_sheet(b"week,figure,headline\n2026-W48,Example,Example\n2026-W48,Example,Example two\n")
    assert [(p.rank, p.origin) for p in points] == [(1, "sheet"), (2, "sheet")]


def test_the_sheet_replaces_its_own_points_and_steps_around_hand_ranks() -> None:
    sheet = [sheet_point("2026-W48", 1, "Example new one"), sheet_point("2026-W48", 2, "Example new two")]
    stored = [sheet_point("2026-W48", 1, "Example old"), hand_point("2026-W48", 2)]
    plan = plan_sheet(sheet, stored, posted_weeks=set())
    assert [(p.rank, p.headline) for p in plan.writes["2026-W48"]] == [(1, "Example new one"), (3, "Example new two")]
    assert plan.changed == ["2026-W48"]
    assert plan.moved == ["2026-W48: rank 2 is held by a hand-added point, the sheet's is 3"]


def test_a_posted_week_is_left_alone_and_an_unchanged_week_is_said_so() -> None:
    sheet = [sheet_point("2026-W47", 1), sheet_point("2026-W48", 1)]
    plan = plan_sheet(sheet, [sheet_point("2026-W48", 1)], posted_weeks={"2026-W47"})
    assert plan.posted == ["2026-W47"] and plan.unchanged == ["2026-W48"] and "2026-W47" not in plan.writes
    assert plan.summary() == "1 week unchanged; left as posted: 2026-W47"


def test_a_week_without_room_beside_the_hand_points_fails_the_whole_sheet() -> None:
    stored = [hand_point("2026-W48", rank) for rank in range(1, 11)]
    with pytest.raises(PulseFileError, match="2026-W48 has no free rank left"):
        plan_sheet([sheet_point("2026-W48", 1), sheet_point("2026-W49", 1)], stored, posted_weeks=set())


def test_a_published_google_sheet_with_blank_rows_and_capitalised_headers_is_read() -> None:
    body = (
        b"Week,Figure,Headline,Detail,Source_URL,Rank,,\r\n"
        b"2026-W48,Example,Example headline,,https://example.org/a,1,,\r\n"
        b",,,,,,,\r\n"
        b"  , ,,,,,,\r\n"
    )
    [point] = parse_sheet(body)
    assert (point.week, point.headline, point.source_url, point.rank) == (
        "2026-W48",
        "Example headline",
        "https://example.org/a",
        1,
    )
