"""Pure rendering for editors: change confirmations, a term's history, revert choices and the stats.

Like bot/core/render.py, this returns embed dicts within Discord's limits and imports nothing of discord.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from bot.core.editing import ACTION_VERBS, Change, describe_change
from bot.core.index import MAX_CHOICE_CHARS
from bot.core.render import (
    CONTENT_LIMIT,
    EMBED_COLOUR,
    EMBED_DESCRIPTION_LIMIT,
    EMBED_FIELD_VALUE_LIMIT,
    EMBED_FOOTER_LIMIT,
    EMBED_TITLE_LIMIT,
    Reply,
    TermView,
    escape_markdown,
    render_term,
    shorten,
)

CHANGE_SUMMARY_CHARS = 300
"""One change's "what changed" line in the history: the gist, not the whole diff."""
HISTORY_FOOTER = "Undo a change with /glossary revert: it restores the entry as it was before that change."
NO_HISTORY = "No changes by editors recorded yet: text from the seed file or an import has no history here."
NOTHING_YET = "Nothing yet."


@dataclass(frozen=True, slots=True)
class Ranked:
    label: str
    count: int


@dataclass(frozen=True, slots=True)
class Stats:
    """What /glossary stats shows; the store fills it."""

    week: str
    """The ISO week ("YYYY-Www") the weekly ranking is for."""
    this_week: list[Ranked]
    overall: list[Ranked]
    misses: list[Ranked]


def _unix(at: str) -> int:
    return int(datetime.strptime(at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp())


def change_headline(change: Change) -> str:
    """ "#12 edited Foo", plain text (for autocomplete and confirmations)."""
    verb = ACTION_VERBS[change.action]
    if change.reverts is not None:
        verb = f"reverted #{change.reverts} on"
    return f"#{change.change_id} {verb} {change.name}"


def change_choice_label(change: Change) -> str:
    """An autocomplete choice for /glossary revert: what, to which term, and when (UTC, no markdown there)."""
    when = change.at[:16].replace("T", " ")
    suffix = f" · {when} UTC"
    return shorten(change_headline(change), MAX_CHOICE_CHARS - len(suffix)) + suffix


def render_saved(summary: str, term: TermView | None, notes: Sequence[str] = ()) -> Reply:
    """An editor's confirmation: what was done, what could not be, and the entry as /define now shows it."""
    lines = [summary, *(f"Note: {note}." for note in notes)]
    content = shorten("\n".join(lines), CONTENT_LIMIT)
    if term is None:
        return Reply(content=content)
    return replace(render_term(term), content=content)


def render_history(name: str, changes: Sequence[Change]) -> Reply:
    """A term's recent changes, newest first, each with who, when (Discord timestamps) and what."""
    blocks: list[str] = []
    used = 0
    for change in changes:
        verb = ACTION_VERBS[change.action] if change.reverts is None else f"reverted #{change.reverts}"
        what = "; ".join(describe_change(change.before, change.after))
        block = (
            f"**#{change.change_id}** · {verb} by <@{change.user_id}> · <t:{_unix(change.at)}:R>\n"
            f"{escape_markdown(shorten(what, CHANGE_SUMMARY_CHARS))}"
        )
        if used + len(block) + 2 > EMBED_DESCRIPTION_LIMIT - 40:
            blocks.append(f"… and {len(changes) - len(blocks)} older changes")
            break
        blocks.append(block)
        used += len(block) + 2
    embed: dict[str, object] = {
        "title": shorten(f"History of {name}", EMBED_TITLE_LIMIT),
        "description": "\n\n".join(blocks) if blocks else NO_HISTORY,
        "color": EMBED_COLOUR,
        "footer": {"text": shorten(HISTORY_FOOTER, EMBED_FOOTER_LIMIT)},
    }
    return Reply(embed=embed)


def _ranking(items: Sequence[Ranked]) -> str:
    if not items:
        return NOTHING_YET
    lines: list[str] = []
    used = 0
    for position, item in enumerate(items, start=1):
        line = f"{position}. {escape_markdown(shorten(' '.join(item.label.split()), 80))} — {item.count}"
        if used + len(line) + 1 > EMBED_FIELD_VALUE_LIMIT:
            break
        lines.append(line)
        used += len(line) + 1
    return "\n".join(lines)


def render_stats(stats: Stats, title: str = "Glossary stats") -> Reply:
    """Which terms people read, and what they asked for that the glossary lacks: what to add next."""
    fields = [
        {"name": f"Most looked up this week ({stats.week})", "value": _ranking(stats.this_week), "inline": False},
        {"name": "Most looked up overall", "value": _ranking(stats.overall), "inline": False},
        {"name": "Asked for but not in the glossary", "value": _ranking(stats.misses), "inline": False},
    ]
    embed: dict[str, object] = {"title": title, "color": EMBED_COLOUR, "fields": fields}
    return Reply(embed=embed)


IMPORT_WARNINGS_SHOWN = 5


def render_import_preview(filename: str, count: int, summary: str, warnings: Sequence[str]) -> str:
    """What importing a file would do, before anything is: the dry run's counts and its first warnings."""
    lines = [
        f"**{escape_markdown(shorten(filename, 100))}**: {count:,} entries. Importing it into this server's "
        f"glossary would give: {summary}.",
        *(f"- {escape_markdown(shorten(warning, 200))}" for warning in warnings[:IMPORT_WARNINGS_SHOWN]),
    ]
    if len(warnings) > IMPORT_WARNINGS_SHOWN:
        lines.append(f"… and {len(warnings) - IMPORT_WARNINGS_SHOWN:,} more warnings.")
    lines.append("Import all of it, or cancel: nothing changes until you confirm.")
    return shorten("\n".join(lines), CONTENT_LIMIT)
