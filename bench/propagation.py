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
from bot.services.glossary import GlossaryService
from bot.store.db import Database, redact
from bot.store.glossary import GlossaryStore

SIZES = (1_000, 10_000, 100_000)
SAMPLES = 15
TARGET_S = 2.0


async def _measure(database_at: Path | str, samples: int) -> list[float]:
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
            name = f"Example Propagated Term {number} {time.monotonic_ns()}"
            await writes.apply_entries([Entry(name, "A fictional entry for the benchmark.")], mode="import")
            committed = time.perf_counter()
            while service.shared.term_for(name) is None:
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
    sqlite_row = report.add(Row("Processes", "change propagation to another process's index, SQLite: median, p99"))
    postgres_row = report.add(
        Row("Processes", "change propagation to another process's index, PostgreSQL: median, p99")
    )
    for row in (sqlite_row, postgres_row):
        row.target = f"p99 ≤ {TARGET_S:g} s"
    with tempfile.TemporaryDirectory(prefix="bench-propagation-") as folder, _scratch_postgres() as postgres_url:
        for size in SIZES:
            path = glossary_database(config.glossary(size), SEED, Path(folder) / f"glossary-{size}.db")
            summary = summarize(asyncio.run(_measure(path, SAMPLES)))
            sqlite_row.by_size[size] = summary.ms()
            sqlite_row.met = summary.p99 <= TARGET_S and sqlite_row.met is not False
            print(f"  propagation on SQLite at {size:,} terms: {summary.ms()}", flush=True)
            if postgres_url is None:
                postgres_row.by_size[size] = f"skipped: no PostgreSQL answers at {redact(POSTGRES_SERVER_URL)}"
                continue
            asyncio.run(_copy(path, postgres_url))
            summary = summarize(asyncio.run(_measure(postgres_url, SAMPLES)))
            postgres_row.by_size[size] = summary.ms()
            postgres_row.met = summary.p99 <= TARGET_S and postgres_row.met is not False
            print(f"  propagation on PostgreSQL at {size:,} terms: {summary.ms()}", flush=True)
