"""Pure rules for editors' changes: the add/edit form becomes a checked `Entry`, entries become JSON
snapshots for the change history, and a history is cut to the term it belongs to.

Clashes with other terms (a name already taken, an unknown related term) need the database and are
the store's job (bot/store/history.py); everything that can be decided from the text alone is here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from bot.core.entry import (
    MAX_ALIASES,
    MAX_CATEGORY_CHARS,
    MAX_RELATED,
    MAX_URL_CHARS,
    Entry,
    entry_problems,
    is_valid_url,
)
from bot.core.normalize import lookup_key
from bot.core.refusal import Refusal

ALIAS_SEPARATORS = ",;"
"""Aliases are typed as a list: either separator works (abbreviations never contain them)."""
RELATED_SEPARATORS = ";"
"""Related terms only split on ";": a term's name may contain a comma ("Bias (ethics, fairness)")."""
CLEAR_OPTION = "-"
"""Given as a category or URL option, removes the current value (an omitted option keeps it)."""
MAX_PROBLEMS_SHOWN = 5
"""A refusal names this many problems at most, so the message stays short."""
MAX_PROBLEM_MESSAGE_CHARS = 1500
"""Under Discord's 2,000-character message limit, with room for the surrounding sentence."""

Action = Literal["add", "edit", "remove", "alias", "relate", "revert"]
ACTION_VERBS: dict[str, str] = {
    "add": "added",
    "edit": "edited",
    "remove": "removed",
    "alias": "added an alias to",
    "relate": "linked",
    "revert": "reverted",
}
SNAPSHOT_FIELDS = ("term", "definition", "description", "aliases", "related", "category", "url")

_SPACES = re.compile(r"\s+")


class EditRefused(Refusal):
    """A change that cannot be made as asked; the message says why, in words meant for the editor."""


# ---- the add/edit form ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EntryForm:
    """What an editor typed: the modal's five text inputs and the command's category and URL options."""

    name: str
    definition: str
    explanation: str = ""
    aliases: str = ""
    related: str = ""
    category: str | None = None
    url: str | None = None


def one_line(text: str) -> str:
    """Whitespace (newlines included) collapsed to single spaces: names and definitions are one line."""
    return _SPACES.sub(" ", text).strip()


def split_names(text: str, separators: str) -> tuple[str, ...]:
    """Names in typed order, trimmed, without empties and without repeats (ignoring case, spacing, plurals)."""
    parts = re.split("[" + re.escape(separators) + "]", text) if separators else [text]
    names: list[str] = []
    seen: set[str] = set()
    for part in parts:
        name = one_line(part)
        key = lookup_key(name)
        if not name or key in seen:
            continue
        # A part with no letters or digits keeps its own slot so entry_problems reports it.
        if key:
            seen.add(key)
        names.append(name)
    return tuple(names)


def join_names(names: Iterable[str], separators: str) -> str:
    """The inverse of `split_names`, for pre-filling the edit form."""
    return f"{separators[0]} ".join(names)


def form_from_entry(entry: Entry) -> EntryForm:
    return EntryForm(
        name=entry.term,
        definition=entry.definition,
        explanation=entry.description,
        aliases=join_names(entry.aliases, ALIAS_SEPARATORS),
        related=join_names(entry.related, RELATED_SEPARATORS),
        category=entry.category,
        url=entry.url,
    )


def build_entry(form: EntryForm) -> Entry:
    """The entry the form describes; raises `EditRefused` listing everything wrong with it."""
    name = one_line(form.name)
    name_key = lookup_key(name)
    aliases = tuple(alias for alias in split_names(form.aliases, ALIAS_SEPARATORS) if lookup_key(alias) != name_key)
    related = split_names(form.related, RELATED_SEPARATORS)
    entry = Entry(
        term=name,
        definition=one_line(form.definition),
        description=form.explanation.strip(),
        aliases=aliases,
        related=related,
        category=one_line(form.category or "") or None,
        url=(form.url or "").strip() or None,
    )
    problems = entry_problems(entry)
    own_keys = {name_key, *(lookup_key(alias) for alias in aliases)}
    problems.extend(
        f"{other!r} is this term itself and cannot be related to it"
        for other in related
        if lookup_key(other) in own_keys
    )
    if problems:
        raise EditRefused(describe_problems(problems))
    return entry


def describe_problems(problems: Sequence[str]) -> str:
    shown = "; ".join(problems[:MAX_PROBLEMS_SHOWN])
    if len(problems) > MAX_PROBLEMS_SHOWN:
        shown += f"; and {len(problems) - MAX_PROBLEMS_SHOWN} more"
    if len(shown) > MAX_PROBLEM_MESSAGE_CHARS:
        shown = shown[: MAX_PROBLEM_MESSAGE_CHARS - 1] + "…"
    return f"Not saved: {shown}."


def option_problems(category: str | None, url: str | None) -> list[str]:
    """Problems with the command's category and URL options, checked before the form opens."""
    problems: list[str] = []
    if category is not None and category.strip() != CLEAR_OPTION and len(one_line(category)) > MAX_CATEGORY_CHARS:
        problems.append(f"the category is longer than {MAX_CATEGORY_CHARS} characters")
    if url is not None and url.strip() != CLEAR_OPTION and not is_valid_url(url.strip()):
        problems.append(f"the URL must be an http:// or https:// link of at most {MAX_URL_CHARS} characters")
    return problems


def apply_option(given: str | None, current: str | None) -> str | None:
    """An omitted option keeps the current value, `CLEAR_OPTION` removes it, anything else replaces it."""
    if given is None:
        return current
    value = given.strip()
    return None if value in ("", CLEAR_OPTION) else value


# ---- quick links ------------------------------------------------------------------------------------


def with_alias(entry: Entry, alias: str) -> Entry:
    """`entry` with `alias` appended; raises `EditRefused` if it is already one of its names or too many."""
    alias = one_line(alias)
    key = lookup_key(alias)
    if not key:
        raise EditRefused("An alias needs at least one letter or digit.")
    if key == lookup_key(entry.term) or key in {lookup_key(existing) for existing in entry.aliases}:
        raise EditRefused(f"{alias!r} is already a name of {entry.term!r}.")
    if len(entry.aliases) >= MAX_ALIASES:
        raise EditRefused(f"{entry.term!r} already has {MAX_ALIASES} aliases, the most a term may have.")
    updated = replace(entry, aliases=(*entry.aliases, alias))
    problems = entry_problems(updated)
    if problems:
        raise EditRefused(describe_problems(problems))
    return updated


def with_related(entry: Entry, other: str) -> Entry:
    """`entry` with `other` appended to its related terms (one direction only)."""
    if lookup_key(other) in {lookup_key(existing) for existing in entry.related}:
        raise EditRefused(f"{entry.term!r} already lists {other!r} as related.")
    if len(entry.related) >= MAX_RELATED:
        raise EditRefused(f"{entry.term!r} already has {MAX_RELATED} related terms, the most a term may have.")
    return replace(entry, related=(*entry.related, other))


# ---- snapshots --------------------------------------------------------------------------------------


def snapshot(entry: Entry | None) -> str | None:
    """The entry as the JSON the history stores (None stays None: "the term did not exist")."""
    if entry is None:
        return None
    data = {
        "term": entry.term,
        "definition": entry.definition,
        "description": entry.description,
        "aliases": list(entry.aliases),
        "related": list(entry.related),
        "category": entry.category,
        "url": entry.url,
    }
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def entry_from_snapshot(text: str | None) -> Entry | None:
    """The inverse of `snapshot`; a damaged snapshot raises ValueError rather than restoring garbage."""
    if text is None:
        return None
    data = json.loads(text)
    if not isinstance(data, dict) or not {"term", "definition"} <= data.keys():
        raise ValueError("a change snapshot must be an object with at least a term and a definition")

    def names(key: str) -> tuple[str, ...]:
        value = data.get(key) or []
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise ValueError(f"snapshot field {key!r} must be a list of strings")
        return tuple(value)

    def optional(key: str) -> str | None:
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            raise ValueError(f"snapshot field {key!r} must be text")
        return value

    return Entry(
        term=str(data["term"]),
        definition=str(data["definition"]),
        description=optional("description") or "",
        aliases=names("aliases"),
        related=names("related"),
        category=optional("category"),
        url=optional("url"),
    )


# ---- the change history -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Change:
    """One recorded change, as the store reads it back."""

    change_id: int
    term_id: int
    term_name: str
    action: Action
    user_id: int
    at: str
    """UTC, "YYYY-MM-DDTHH:MM:SSZ"."""
    before: Entry | None
    after: Entry | None
    reverts: int | None = None
    reverted_term_id: int | None = None
    """The term id of the change this one reverts (a revert may re-create a term under a new id)."""
    guild_id: int | None = None
    """The server whose entry changed; None for the shared glossary."""

    @property
    def starts_term(self) -> bool:
        """Whether this change created a new term, rather than bringing back the one its id had."""
        if self.before is not None:
            return False
        return not (self.action == "revert" and self.reverted_term_id == self.term_id)

    @property
    def name(self) -> str:
        """The term's name after the change, or before it when the change removed the term."""
        shown = self.after or self.before
        return shown.term if shown else self.term_name


def current_lineage(changes_newest_first: Iterable[Change], *, exists: bool) -> list[Change]:
    """The changes that led to the term as it is now, newest first.

    SQLite reuses the highest term id after that term is removed, so one id's history may hold
    earlier, different terms. Walking back from the present, the lineage ends at the change that
    created the term (an add, or a revert that re-created it under a new id), or at a change that
    did not leave the term as the next one found it (an import created a term under a reused id).
    """
    lineage: list[Change] = []
    for change in changes_newest_first:
        if (change.after is not None) != exists:
            break
        lineage.append(change)
        if change.starts_term:
            break
        exists = change.before is not None
    return lineage


def describe_change(before: Entry | None, after: Entry | None) -> list[str]:
    """Short lines saying what differs between two snapshots, for the history embed."""
    if before is None and after is None:
        return []
    if before is None:
        return ["created"]
    if after is None:
        return ["removed"]
    lines: list[str] = []
    if before.term != after.term:
        lines.append(f"renamed from {before.term!r}")
    for label, old, new in (
        ("definition", before.definition, after.definition),
        ("explanation", before.description, after.description),
        ("category", before.category or "", after.category or ""),
        ("source URL", before.url or "", after.url or ""),
    ):
        if old != new:
            lines.append(f"{label} {'set' if not old else 'cleared' if not new else 'changed'}")
    for label, old_names, new_names in (
        ("aliases", before.aliases, after.aliases),
        ("related", before.related, after.related),
    ):
        added = [name for name in new_names if name not in old_names]
        removed = [name for name in old_names if name not in new_names]
        if added:
            lines.append(f"{label} + {', '.join(added)}")
        if removed:
            lines.append(f"{label} − {', '.join(removed)}")
        if not added and not removed and old_names != new_names:
            lines.append(f"{label} reordered")
    return lines or ["no visible difference"]
