"""The weekly "AI Economy Pulse": data points, their validation and files, and the post's payload.

Pure: no discord, no database. The post is identified by its footer ("… · 2026-W48") so that a
delivery interrupted by a crash can recognise its own earlier message in the channel.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from bot.core.csv_fields import whole_csv_fields
from bot.core.entry import is_valid_url
from bot.core.render import (
    CONTENT_LIMIT,
    EMBED_COLOUR,
    EMBED_FIELD_NAME_LIMIT,
    EMBED_FIELD_VALUE_LIMIT,
    Reply,
    shorten,
)
from bot.core.schedule import InvalidWeek, friday_of, parse_week

POINTS_PER_POST = 3
MAX_RANK = 10
"""Editors may keep a few extra points a week; only the best three by rank are posted."""
MAX_FIGURE_CHARS = 32
MAX_HEADLINE_CHARS = 200
MAX_DETAIL_CHARS = 600
MAX_FILE_BYTES = 5_000_000
MAX_FILE_POINTS = 10_000
NONCE_CHARS = 25
"""Discord's limit for a message nonce."""
NEWSLETTER_NAME = "AI Economy Pulse"
TAGLINE = "The 3 AI data points that actually matter this week."
MAX_STATUS_FIELDS = 20
"""Fields a status embed shows (Discord allows 25); each field stays far under 1,024 characters."""
FIELDS = ("week", "figure", "headline", "detail", "source_url", "rank")
LIST_HEADLINE_CHARS = 120
STATUS_DESCRIPTION_CHARS = 1_500
"""The status embed's notes: well under Discord's 4,096, so the fields keep room within 6,000 in all."""
REQUIRED_FIELDS = ("week", "figure", "headline")
Origin = Literal["hand", "sheet"]


@dataclass(frozen=True, slots=True)
class DataPoint:
    week: str
    figure: str
    headline: str
    detail: str = ""
    source_url: str | None = None
    rank: int = 1
    point_id: int | None = None
    origin: Origin = "hand"
    """'hand' (/pulse add, `pulse import`) or 'sheet' (PULSE_SOURCE_URL): a fetch of the sheet replaces
    only the sheet's points."""


@dataclass(frozen=True, slots=True)
class Subscription:
    channel_id: int
    guild_id: int
    role_id: int | None
    hour: int
    timezone: str
    enabled: bool
    disabled_reason: str | None
    next_week: str
    next_due_at: datetime
    last_week: str | None
    last_posted_at: str | None


class PulseFileError(Exception):
    """A data-point file failed validation; nothing was imported. Each problem names its entry."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def point_problems(point: DataPoint) -> list[str]:
    problems: list[str] = []
    try:
        parse_week(point.week)
    except InvalidWeek as error:
        problems.append(str(error))
    for label, value, limit in (
        ("figure", point.figure, MAX_FIGURE_CHARS),
        ("headline", point.headline, MAX_HEADLINE_CHARS),
        ("detail", point.detail, MAX_DETAIL_CHARS),
    ):
        if len(value) > limit:
            problems.append(f"{label} is too long: {len(value):,} characters, the limit is {limit:,}")
    if not point.figure.strip():
        problems.append("figure is empty")
    if not point.headline.strip():
        problems.append("headline is empty")
    if point.source_url and not is_valid_url(point.source_url):
        problems.append("source_url is not an http(s) link")
    if not 1 <= point.rank <= MAX_RANK:
        problems.append(f"rank must be between 1 and {MAX_RANK}")
    return problems


def _point_from_record(record: dict[str, Any]) -> tuple[DataPoint | None, bool, list[str]]:
    """The point, whether the record gave its rank, and what is wrong with it."""
    unknown = sorted(set(record) - set(FIELDS))
    missing = [name for name in REQUIRED_FIELDS if not str(record.get(name) or "").strip()]
    problems = [f"unknown field {name!r}" for name in unknown] + [f"{name} is missing" for name in missing]
    if any(not isinstance(value, str | int | type(None)) for value in record.values()):
        problems.append("every field must be text (rank may be a number)")
    if problems:
        return None, False, problems
    raw_rank = record.get("rank")
    ranked = raw_rank not in (None, "") and str(raw_rank).strip() != ""
    try:
        rank = int(str(raw_rank)) if ranked else 1
    except ValueError:
        return None, ranked, [f"rank {raw_rank!r} is not a whole number"]
    point = DataPoint(
        week=str(record["week"]).strip(),
        figure=str(record["figure"]).strip(),
        headline=str(record["headline"]).strip(),
        detail=str(record.get("detail") or "").strip(),
        source_url=str(record.get("source_url") or "").strip() or None,
        rank=rank,
    )
    return point, ranked, point_problems(point)


def parse_points(text: str, *, source: str, is_csv: bool) -> list[DataPoint]:
    """Parse a JSON array of objects or a CSV with a header row; all valid, or PulseFileError.

    `rank` is optional: unranked points take the ranks their week has left free, in file order, after
    the points that name their rank (two points naming the same rank of a week are an error).
    """
    if is_csv:
        with whole_csv_fields(MAX_FILE_BYTES):  # an over-long field is then "too long", not "not valid CSV"
            records, problems = _records_csv(text)
    else:
        records, problems = _records_json(text)
    if len(records) > MAX_FILE_POINTS:
        problems.append(f"{len(records)} entries, the limit is {MAX_FILE_POINTS}")
    points: list[tuple[str, DataPoint, bool]] = []
    for label, record in records:
        if not isinstance(record, dict):
            problems.append(f"{label}: must be an object with the fields {', '.join(FIELDS)}")
            continue
        point, has_rank, point_issues = _point_from_record(record)
        problems.extend(f"{label}: {issue}" for issue in point_issues)
        if point is not None and not point_issues:
            points.append((label, point, has_rank))
    ranked, rank_problems = _assign_free_ranks(points)
    problems += rank_problems
    if problems:
        raise PulseFileError([f"{source}, {problem}" for problem in problems])
    return ranked


def _assign_free_ranks(points: list[tuple[str, DataPoint, bool]]) -> tuple[list[DataPoint], list[str]]:
    """Points that name their rank keep it; the others take their week's lowest free ranks, in file order."""
    problems: list[str] = []
    taken: dict[tuple[str, int], str] = {}
    for label, point, has_rank in points:
        slot = (point.week, point.rank)
        if has_rank and slot in taken:
            problems.append(f"{label}: {point.week} already has a rank {point.rank} point ({taken[slot]})")
        elif has_rank:
            taken[slot] = label
    result: list[DataPoint] = []
    for label, point, has_rank in points:
        if has_rank:
            result.append(point)
            continue
        free = next((rank for rank in range(1, MAX_RANK + 1) if (point.week, rank) not in taken), None)
        if free is None:
            problems.append(f"{label}: {point.week} has no free rank left (at most {MAX_RANK} points a week)")
            continue
        taken[(point.week, free)] = label
        result.append(replace(point, rank=free))
    return result, problems


def _records_json(text: str) -> tuple[list[tuple[str, Any]], list[str]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        return [], [f"line {error.lineno}: not valid JSON ({error.msg})"]
    except RecursionError:
        return [], ["nests lists or objects too deeply to be a file of data points"]
    if not isinstance(data, list):
        return [], ["the file must hold a JSON array of objects"]
    return [(f"entry {number}", item) for number, item in enumerate(data, start=1)], []


def _records_csv(text: str) -> tuple[list[tuple[str, Any]], list[str]]:
    reader = csv.DictReader(io.StringIO(text))
    try:
        header = [name.strip().lower() for name in reader.fieldnames or []]
    except csv.Error as error:  # the header row itself is malformed
        return [], [f"line {reader.line_num}: {error}"]
    if not header:
        return [], ["the CSV has no header row"]
    missing = [name for name in REQUIRED_FIELDS if name not in header]
    if missing:
        # One clear problem instead of the same one on every line (a renamed or deleted column).
        columns = ", ".join(repr(name) for name in missing)
        return [], [f"the header row has no {columns} column (it needs {', '.join(REQUIRED_FIELDS)})"]
    reader.fieldnames = header
    records: list[tuple[str, Any]] = []
    try:
        for row in reader:
            extra = row.pop(None, None)
            if extra and any(str(value).strip() for value in extra):
                return records, [f"line {reader.line_num}: more values than header columns"]
            if not any(value and value.strip() for value in row.values()):
                continue  # a blank row: spreadsheets publish their empty rows as ",,,,,"
            records.append((f"line {reader.line_num}", {k: v for k, v in row.items() if v not in (None, "")}))
    except csv.Error as error:
        return records, [f"line {reader.line_num}: {error}"]
    return records, []


def read_points_file(path: Path) -> list[DataPoint]:
    if not path.is_file():
        raise PulseFileError([f"{path}: no such file"])
    if path.stat().st_size > MAX_FILE_BYTES:
        raise PulseFileError([f"{path}: larger than {MAX_FILE_BYTES // 1_000_000} MB"])
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise PulseFileError([f"{path}: not UTF-8 text"]) from None
    return parse_points(text, source=path.name, is_csv=path.suffix.lower() == ".csv")


def top_points(points: Iterable[DataPoint]) -> list[DataPoint]:
    return sorted(points, key=lambda point: point.rank)[:POINTS_PER_POST]


def footer_text(week: str) -> str:
    return f"{NEWSLETTER_NAME} · {week}"


def delivery_nonce(subscription_key: str, week: str) -> str:
    """The same subscription and week always give the same nonce, so Discord drops a resend."""
    return hashlib.sha256(f"{subscription_key}:{week}".encode()).hexdigest()[:NONCE_CHARS]


def render_post(week: str, points: Sequence[DataPoint], role_id: int | None = None) -> Reply:
    """The Friday post: up to three points by rank, each with figure, headline, detail and source."""
    year, number = parse_week(week)
    fields: list[dict[str, object]] = []
    for position, point in enumerate(top_points(points), start=1):
        link = f"\n[Source]({point.source_url})" if point.source_url else ""
        detail = shorten(point.detail, EMBED_FIELD_VALUE_LIMIT - len(link)) or "\u200b"  # a field needs a value
        fields.append(
            {
                "name": shorten(f"{position}. {point.figure} — {point.headline}", EMBED_FIELD_NAME_LIMIT),
                "value": detail + link,
                "inline": False,
            }
        )
    embed: dict[str, object] = {
        "title": f"{NEWSLETTER_NAME} — week {number}, {year}",
        "description": TAGLINE,
        "color": EMBED_COLOUR,
        "fields": fields,
        "footer": {"text": footer_text(week)},
    }
    return Reply(content=f"<@&{role_id}>" if role_id else None, embed=embed)


def render_post_plain(week: str, points: Sequence[DataPoint]) -> str:
    """The post as text, for the CLI's preview."""
    year, number = parse_week(week)
    lines = [f"{NEWSLETTER_NAME} — week {number}, {year}", TAGLINE, ""]
    for position, point in enumerate(top_points(points), start=1):
        lines.append(f"{position}. {point.figure} — {point.headline}")
        lines += [f"   {text}" for text in (point.detail, point.source_url or "") if text]
    return "\n".join(lines)


DISCORD_TIMESTAMP = "<t:{seconds}:{style}>"


def discord_time(moment: datetime, style: str = "F") -> str:
    """A Discord timestamp: each reader sees it in their own time zone."""
    return DISCORD_TIMESTAMP.format(seconds=int(moment.timestamp()), style=style)


def describe_subscription(subscription: Subscription) -> str:
    lines = [f"Fridays at {subscription.hour:02d}:00 ({subscription.timezone})"]
    if subscription.role_id:
        lines.append(f"Mentions <@&{subscription.role_id}>")
    if subscription.enabled:
        lines.append(
            f"Next post: {discord_time(subscription.next_due_at)} ({discord_time(subscription.next_due_at, 'R')})"
        )
    else:
        lines.append(f"**Disabled:** {subscription.disabled_reason or 'unknown reason'}. Subscribe again to re-enable.")
    last = f"{subscription.last_week} ({subscription.last_posted_at})" if subscription.last_week else "none yet"
    lines.append(f"Last post: {last}")
    return "\n".join(lines)


def outlook_note(week: str, count: int) -> str:
    """What the post of `week` will be, in a sentence: above all, say so when nothing will be posted."""
    friday = f"{week} (Friday {friday_of(week).isoformat()})"
    if count == 0:
        return f"No data points for {friday} yet: nothing will be posted that Friday until editors add some."
    if count < POINTS_PER_POST:
        return f"Only {count} of {POINTS_PER_POST} data points for {friday} so far: that post will show {count}."
    return f"The {POINTS_PER_POST} data points for {friday} are ready."


def reminder_text(week: str, count: int, *, sheet: bool) -> str:
    """The Thursday note in the editors' channel when the coming Friday has fewer than three points."""
    where = "`/pulse add`, `python -m bot pulse import`" + (" or the published sheet" if sheet else "")
    return f"**Reminder for editors:** {outlook_note(week, count)} Add data points with {where}."


def render_status(subscriptions: Sequence[Subscription], notes: Sequence[str]) -> Reply:
    """This server's subscriptions, then `notes`: what the coming Friday will post, the sheet's state."""
    note = "\n\n".join(notes)
    if not subscriptions:
        intro = "No channel here receives the weekly pulse yet. Use `/pulse subscribe` to add one."
        return Reply(content=shorten(f"{intro}\n\n{note}", CONTENT_LIMIT))
    fields: list[dict[str, object]] = [
        {"name": f"#{index}", "value": f"<#{s.channel_id}>\n{describe_subscription(s)}", "inline": False}
        for index, s in enumerate(subscriptions[:MAX_STATUS_FIELDS], start=1)
    ]
    if len(subscriptions) > MAX_STATUS_FIELDS:
        note += f"\n\nShowing {MAX_STATUS_FIELDS} of {len(subscriptions)} subscriptions."
    embed: dict[str, object] = {
        "title": f"{NEWSLETTER_NAME} subscriptions",
        "description": shorten(note, STATUS_DESCRIPTION_CHARS),
        "color": EMBED_COLOUR,
        "fields": fields,
    }
    return Reply(embed=embed)


def render_points_list(points: Sequence[DataPoint], week: str | None) -> Reply:
    if not points:
        return Reply(content=f"No data points{f' for {week}' if week else ''} yet.")
    lines = [
        f"`#{p.point_id}` **{p.week}** rank {p.rank}{' (sheet)' if p.origin == 'sheet' else ''}: "
        f"{p.figure} — {shorten(p.headline, LIST_HEADLINE_CHARS)}"
        for p in points
    ]
    text = "\n".join(lines)
    return Reply(embed={"title": "Pulse data points", "description": shorten(text, 4000), "color": EMBED_COLOUR})
