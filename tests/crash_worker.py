"""Test support: work for tests/test_crash.py to kill at random points.

`python -m tests.crash_worker edit DATABASE TERM_ID RELATED...` edits the term over and over, each edit
an editor's change through bot/store/history.py (one transaction with its history row), until killed.
Edit number n always writes `edit_version(base, n, related)`, so after a crash the test can tell
exactly which state each edit count must have left behind.
"""

from __future__ import annotations

import asyncio
import dataclasses
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.core.entry import Entry
from bot.store.db import Database
from bot.store.history import CurationStore

EDITOR_ID = 4242
READY = "ready"


def edit_version(base: Entry, number: int, related: Sequence[str]) -> Entry:
    """The term after edit `number` (0: as it was). Every edit rewrites the row, the names and the
    relations, and the explanation's length varies, so a transaction spans many pages."""
    if number == 0:
        return base
    return dataclasses.replace(
        base,
        definition=f"Revision {number}: {base.definition}",
        description=" ".join(["A longer explanation of this revision."] * (60 * (number % 3))),
        aliases=tuple(f"{base.term} variant {number}-{k}" for k in range(number % 5 + 1)),
        related=tuple(related[(number + k) % len(related)] for k in range(number % len(related) + 1)),
    )


async def edit_count(database: Database, term_id: int) -> int:
    count = await database.fetch_value(
        "SELECT count(*) FROM term_changes WHERE term_id = ? AND user_id = ?", (term_id, EDITOR_ID)
    )
    return int(str(count))


async def base_entry(store: CurationStore, term_id: int, edits: int) -> Entry:
    """The term before the worker's first edit: as it is now, or as the first edit's history has it."""
    if edits == 0:
        entry = await store.entry_of(term_id)
    else:
        first = await store.database.fetch_value(
            "SELECT min(id) FROM term_changes WHERE term_id = ? AND user_id = ?", (term_id, EDITOR_ID)
        )
        change = await store.change(int(str(first)))
        entry = change.before if change else None
    assert entry is not None
    return entry


async def edit_forever(path: Path, term_id: int, related: Sequence[str]) -> None:
    database = await Database.open(path)
    store = CurationStore(database)
    edits = await edit_count(database, term_id)
    base = await base_entry(store, term_id, edits)
    print(READY, flush=True)
    while True:
        edits += 1
        await store.edit(term_id, edit_version(base, edits, related), EDITOR_ID)


if __name__ == "__main__":
    verb, database_path, term, *related_names = sys.argv[1:]
    if verb != "edit":
        raise SystemExit(f"unknown verb {verb!r}")
    asyncio.run(edit_forever(Path(database_path), int(term), related_names))
