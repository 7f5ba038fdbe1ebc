"""Change propagation: from a change committed elsewhere (the CLI, another bot process) to the index of a
bot process holding it, on SQLite and on PostgreSQL.

The watcher does what a bot process does (bot/app.py): on SQLite it asks `data_version` every
EXTERNAL_CHANGE_POLL_SECONDS, on PostgreSQL it LISTENs (`watch_changes`) and waits CHANGE_SETTLE_SECONDS
for the rest of a burst; then it reads the index's rows and changes the terms that differ in place
(`GlossaryService.follow_shared`), or builds the index again when many do. A sample is the time from the
writer's commit returning to the watcher's index holding the new name.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from bench import config
from bench.data import SEED
from bench.define import POSTGRES_SERVER_URL, _copy, _scratch_postgres
from bench.glossary_db import glossary_database
from bench.report import Report, Row
from bench.timing import summarize
from bot.app import CHANGE_SETTLE_SECONDS, EXTERNAL_CHANGE_POLL_SECONDS
from bot.core.entry import Entry
from bot.core.index import GlossaryIndex
from bot.core.index_changes import MAX_CHANGES_IN_PLACE
from bot.services.glossary import GlossaryService
from bot.store.db import Database, redact
from bot.store.glossary import GlossaryStore

SIZES = (1_000, 10_000, 100_000)
BIG_IMPORT = MAX_CHANGES_IN_PLACE + 1_000
CHANGES = {"one entry": (1, 15), f"{BIG_IMPORT:,} entries": (BIG_IMPORT, 5)}
"""What each sample imports: (entries, samples). One entry is changed in place in the watcher's index; an
import past MAX_CHANGES_IN_PLACE has it build the index again."""
TARGET_S = 2.0


async def _measure(database_at: Path | str, entries: int, samples: int) -> list[float]:
    watcher, writer = await Database.open(database_at), await Database.open(database_at)
    service, writes = GlossaryService(watcher), GlossaryStore(writer)
    changed = asyncio.Event()
    listening = await watcher.watch_changes(changed.set)
    seen = await watcher.data_version()
    service.replace_shared(GlossaryIndex.build(await service.glossary.index_rows()))

    async def follow() -> None:
        nonlocal seen
        while True:
            if listening:
                await changed.wait()
                await asyncio.sleep(CHANGE_SETTLE_SECONDS)
                changed.clear()
            else:
                await asyncio.sleep(EXTERNAL_CHANGE_POLL_SECONDS)
                version = await watcher.data_version()
                if version == seen:
                    continue
                seen = version
            rows = await service.glossary.index_rows()
            if not await service.follow_shared(rows):
                service.replace_shared(await asyncio.to_thread(GlossaryIndex.build, rows))
            reloaded.set()

    reloaded = asyncio.Event()
    follower = asyncio.create_task(follow())
    results = []
    try:
        for number in range(samples):
            names = [f"Example Propagated Term {number} {part} {time.monotonic_ns()}" for part in range(entries)]
            batch = [Entry(name, "A fictional entry for the benchmark.") for name in names]
            await writes.apply_entries(batch, mode="import")
            committed = time.perf_counter()
            while service.shared.term_for(names[-1]) is None:
                reloaded.clear()
                await reloaded.wait()
            results.append(time.perf_counter() - committed)
            await asyncio.sleep(0.3)  # changes a little apart, as edits are
    finally:
        follower.cancel()
        await watcher.close()
        await writer.close()
    return results


def run(report: Report) -> None:
    rows = {
        (backend, change): report.add(
            Row("Processes", f"change propagation to another process's index, {backend}, {change}: median, p99")
        )
        for change in CHANGES
        for backend in ("SQLite", "PostgreSQL")
    }
    for row in rows.values():
        row.target = f"p99 ≤ {TARGET_S:g} s"
    with tempfile.TemporaryDirectory(prefix="bench-propagation-") as folder, _scratch_postgres() as postgres_url:
        for size in SIZES:
            path = glossary_database(config.glossary(size), SEED, Path(folder) / f"glossary-{size}.db")
            if postgres_url is not None:
                asyncio.run(_copy(path, postgres_url))
            for change, (entries, samples) in CHANGES.items():
                for backend, database_at in (("SQLite", path), ("PostgreSQL", postgres_url)):
                    row = rows[backend, change]
                    if database_at is None:
                        row.by_size[size] = f"skipped: no PostgreSQL answers at {redact(POSTGRES_SERVER_URL)}"
                        continue
                    summary = summarize(asyncio.run(_measure(database_at, entries, samples)))
                    row.by_size[size] = summary.ms()
                    row.met = summary.p99 <= TARGET_S and row.met is not False
                    print(f"  propagation on {backend} at {size:,} terms, {change}: {summary.ms()}", flush=True)
    report.notes.append(
        "Processes, propagation: from an import committed through another connection (as the CLI or another "
        "process makes it) to a watcher that does what a bot process does (SQLite: `data_version` every "
        f"{EXTERNAL_CHANGE_POLL_SECONDS:g} s; PostgreSQL: LISTEN/NOTIFY), holding the new name: it reads the "
        "index's rows and changes the terms that differ in place, or builds the index again past "
        f"{MAX_CHANGES_IN_PLACE:,} changed terms (the {BIG_IMPORT:,}-entry rows)."
    )
