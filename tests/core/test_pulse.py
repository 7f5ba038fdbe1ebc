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

GOOD = [
    {
        "week": "2026-W48",
        "figure": "$42B",
        "headline": "AI investment",
        "detail": "Q1.",
        "source_url": "https://a.b/c",
        "rank": 1,
    },
    {"week": "2026-W48", "figure": "1 GW", "headline": "Campus", "rank": "2"},
]


def test_json_and_csv_give_the_same_points() -> None:
    from_json = parse_points(json.dumps(GOOD), source="p.json", is_csv=False)
    csv_text = "week,figure,headline,detail,source_url,rank\n2026-W48,$42B,AI investment,Q1.,https://a.b/c,1\n"
    csv_text += "2026-W48,1 GW,Campus,,,2\n"
    assert from_json == parse_points(csv_text, source="p.csv", is_csv=True)
    assert from_json[1] == DataPoint("2026-W48", "1 GW", "Campus", rank=2)


@pytest.mark.parametrize(
    ("records", "message"),
    [
        ([{"week": "2026-W54", "figure": "1", "headline": "h"}], "entry 1:"),
        ([{"week": "2025-W53", "figure": "1", "headline": "h"}], "entry 1:"),
        ([{"figure": "1", "headline": "h"}], "entry 1: week is missing"),
        ([{"week": "2026-W48", "figure": "1", "headline": "h", "colour": "red"}], "unknown field 'colour'"),
        ([{"week": "2026-W48", "figure": "1", "headline": "h", "source_url": "javascript:x"}], "source_url"),
        ([{"week": "2026-W48", "figure": "1", "headline": "h", "rank": "x"}], "not a whole number"),
        ([{"week": "2026-W48", "figure": "1", "headline": "h"}] * 2, "entry 2: 2026-W48 already has a rank 1"),
        ([{"week": "2026-W48", "figure": "1", "headline": "h" * 201}], "headline is 201 characters"),
        (["just text"], "entry 1: must be an object"),
    ],
)
def test_bad_entries_fail_the_whole_file_naming_the_entry(records: list[object], message: str) -> None:
    with pytest.raises(PulseFileError) as failure:
        parse_points(json.dumps(records), source="p.json", is_csv=False)
    assert any(message in problem and problem.startswith("p.json, ") for problem in failure.value.problems)


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


def test_the_shipped_example_points_are_valid() -> None:
    points = read_points_file(Path(__file__).resolve().parents[2] / "data" / "pulse_points.json")
    assert len(points) >= 3


def test_post_shows_top_three_by_rank_with_sources_and_a_week_footer() -> None:
    points = [DataPoint("2026-W48", f"{n}", f"H{n}", f"D{n}", f"https://x.y/{n}", rank=n) for n in (4, 2, 1, 3)]
    reply = render_post("2026-W48", points, role_id=55)
    assert reply.content == "<@&55>"
    assert reply.embed is not None
    fields = reply.embed["fields"]
    assert [f["name"] for f in fields] == ["1. 1 — H1", "2. 2 — H2", "3. 3 — H3"]  # type: ignore[attr-defined]
    assert fields[0]["value"] == "D1\n[Source](https://x.y/1)"  # type: ignore[index]
    assert reply.embed["footer"] == {"text": "AI Economy Pulse · 2026-W48"}
    assert render_post("2026-W48", points).content is None


def test_post_stays_within_limits_with_maximal_points() -> None:
    points = [
        DataPoint("2026-W48", "f" * 32, "h" * 200, "d" * 600, "https://x.y/" + "p" * 490, rank=n) for n in (1, 2, 3)
    ]
    embed = render_post("2026-W48", points).embed
    assert embed is not None and embed_length(embed) <= EMBEDS_TOTAL_LIMIT
    assert all(len(str(f["value"])) <= 1024 and len(str(f["name"])) <= 256 for f in embed["fields"])  # type: ignore[attr-defined]


def test_nonce_is_stable_per_channel_and_week_and_fits_discord() -> None:
    assert delivery_nonce("10", "2026-W48") == delivery_nonce("10", "2026-W48")
    assert delivery_nonce("10", "2026-W48") != delivery_nonce("10", "2026-W49")
    assert delivery_nonce("10", "2026-W48") != delivery_nonce("11", "2026-W48")
    assert len(delivery_nonce("1" * 20, "2026-W48")) <= NONCE_CHARS
