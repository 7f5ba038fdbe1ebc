import csv
import json
from pathlib import Path

import pytest

from bot.core.pulse import (
    NONCE_CHARS,
    DataPoint,
    PulseFileError,
    delivery_nonce,
    parse_points,
    read_points_file,
    render_post,
)
from bot.core.render import EMBEDS_TOTAL_LIMIT, embed_length

DEFAULT_CSV_FIELD_LIMIT = 131_072
GOOD = [
    {
        "week": "2026-W48",
        "figure": "Example 1",
        "headline": "Example headline one",
        "detail": "Example detail.",
        "source_url": "https://example.org/one",
        "rank": 1,
    },
    {"week": "2026-W48", "figure": "Example 2", "headline": "Example headline two", "rank": "2"},
]


def test_json_and_csv_give_the_same_points() -> None:
    from_json = parse_points(json.dumps(GOOD), source="p.json", is_csv=False)
    csv_text = "week,figure,headline,detail,source_url,rank\n"
    csv_text += "2026-W48,Example 1,Example headline one,Example detail.,https://example.org/one,1\n"
    csv_text += "2026-W48,Example 2,Example headline two,,,2\n"
    assert from_json == parse_points(csv_text, source="p.csv", is_csv=True)
    assert from_json[1] == DataPoint("2026-W48", "Example 2", "Example headline two", rank=2)


def test_unranked_points_take_the_weeks_free_ranks_in_file_order() -> None:
    csv_text = "week,figure,headline,rank\n"
    csv_text += "2026-W48,Example A,Example unranked A,\n"
    csv_text += "2026-W48,Example B,Example ranked first,1\n"
    csv_text += "2026-W49,Example C,Example other week,\n"
    csv_text += "2026-W48,Example D,Example unranked D,\n"
    points = parse_points(csv_text, source="p.csv", is_csv=True)
    assert [(p.week, p.figure, p.rank) for p in points] == [
        ("2026-W48", "Example A", 2),
        ("2026-W48", "Example B", 1),
        ("2026-W49", "Example C", 1),
        ("2026-W48", "Example D", 3),
    ]
    unranked = [{"week": "2026-W48", "figure": "Example", "headline": "Example headline"}] * 2
    assert [p.rank for p in parse_points(json.dumps(unranked), source="p.json", is_csv=False)] == [1, 2]


def test_a_week_with_more_points_than_ranks_fails() -> None:
    records = [{"week": "2026-W48", "figure": "Example", "headline": "Example headline"}] * 11
    with pytest.raises(PulseFileError, match="entry 11: 2026-W48 has no free rank left"):
        parse_points(json.dumps(records), source="p.json", is_csv=False)


def test_a_missing_csv_column_is_one_clear_problem() -> None:
    with pytest.raises(PulseFileError) as failure:
        parse_points("week,figure,detail\n2026-W48,Example,Example detail\n", source="sheet", is_csv=True)
    assert failure.value.problems == [
        "sheet, the header row has no 'headline' column (it needs week, figure, headline)"
    ]


@pytest.mark.parametrize(
    ("records", "message"),
    [
        ([{"week": "2026-W54", "figure": "1", "headline": "h"}], "entry 1:"),
        ([{"week": "2025-W53", "figure": "1", "headline": "h"}], "entry 1:"),
        ([{"figure": "1", "headline": "h"}], "entry 1: week is missing"),
        ([{"week": "2026-W48", "figure": "1", "headline": "h", "colour": "red"}], "unknown field 'colour'"),
        ([{"week": "2026-W48", "figure": "1", "headline": "h", "source_url": "javascript:x"}], "source_url"),
        ([{"week": "2026-W48", "figure": "1", "headline": "h", "rank": "x"}], "not a whole number"),
        (
            [{"week": "2026-W48", "figure": "1", "headline": "h", "rank": 1}] * 2,
            "entry 2: 2026-W48 already has a rank 1",
        ),
        ([{"week": "2026-W48", "figure": "1", "headline": "h" * 201}], "headline is too long: 201 characters"),
        (["just text"], "entry 1: must be an object"),
    ],
)
def test_bad_entries_fail_the_whole_file_naming_the_entry(records: list[object], message: str) -> None:
    with pytest.raises(PulseFileError) as failure:
        parse_points(json.dumps(records), source="p.json", is_csv=False)
    assert any(message in problem and problem.startswith("p.json, ") for problem in failure.value.problems)


def test_a_csv_field_over_the_csv_modules_default_limit_is_too_long_not_broken() -> None:
    huge = "x" * 160_000  # characters: past the csv module's default 131,072
    with pytest.raises(PulseFileError) as failure:
        parse_points(f"week,figure,headline\n2026-W48,Example,{huge}\n", source="p.csv", is_csv=True)
    assert failure.value.problems == ["p.csv, line 2: headline is too long: 160,000 characters, the limit is 200"]
    assert csv.field_size_limit() == DEFAULT_CSV_FIELD_LIMIT  # the process-wide limit is restored


def test_broken_files_are_reported_with_a_line(tmp_path: Path) -> None:
    broken = tmp_path / "p.json"
    broken.write_text('[{"week": "2026-W48",\n oops]')
    with pytest.raises(PulseFileError, match="line 2"):
        read_points_file(broken)
    not_utf8 = tmp_path / "p.csv"
    not_utf8.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(PulseFileError, match="not UTF-8"):
        read_points_file(not_utf8)
    ragged = tmp_path / "r.csv"
    ragged.write_text("week,figure,headline\n2026-W48,1,h,extra\n")
    with pytest.raises(PulseFileError, match="line 2: more values"):
        read_points_file(ragged)


def test_post_shows_top_three_by_rank_with_sources_and_a_week_footer() -> None:
    points = [DataPoint("2026-W48", f"{n}", f"H{n}", f"D{n}", f"https://example.org/{n}", rank=n) for n in (4, 2, 1, 3)]
    reply = render_post("2026-W48", points, role_id=55)
    assert reply.content == "<@&55>"
    assert reply.embed is not None
    fields = reply.embed["fields"]
    assert [f["name"] for f in fields] == ["1. 1 — H1", "2. 2 — H2", "3. 3 — H3"]  # type: ignore[attr-defined]
    assert fields[0]["value"] == "D1\n[Source](https://example.org/1)"  # type: ignore[index]
    assert reply.embed["footer"] == {"text": "AI Economy Pulse · 2026-W48"}
    assert render_post("2026-W48", points).content is None


def test_post_stays_within_limits_with_maximal_points() -> None:
    points = [
        DataPoint("2026-W48", "f" * 32, "h" * 200, "d" * 600, "https://example.org/" + "p" * 482, rank=n)
        for n in (1, 2, 3)
    ]
    embed = render_post("2026-W48", points).embed
    assert embed is not None and embed_length(embed) <= EMBEDS_TOTAL_LIMIT
    assert all(len(str(f["value"])) <= 1024 and len(str(f["name"])) <= 256 for f in embed["fields"])  # type: ignore[attr-defined]


def test_nonce_is_stable_per_channel_and_week_and_fits_discord() -> None:
    assert delivery_nonce("10", "2026-W48") == delivery_nonce("10", "2026-W48")
    assert delivery_nonce("10", "2026-W48") != delivery_nonce("10", "2026-W49")
    assert delivery_nonce("10", "2026-W48") != delivery_nonce("11", "2026-W48")
    assert len(delivery_nonce("1" * 20, "2026-W48")) <= NONCE_CHARS
