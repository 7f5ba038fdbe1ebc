"""`/define` from interaction to payload, without Discord: match, database read, render.

Per call: `GlossaryIndex.resolve(text)`, then for a hit `GlossaryStore.term_view` on a real SQLite file
(the bot's own schema and connection setup, through aiosqlite) and `render_term`, for a miss
`render_miss` with its suggestions. Queries: exact names, aliases, and names with one or two typos, in
equal parts. Each call is timed as one awaited coroutine inside a running event loop.
"""

from __future__ import annotations

import asyncio
import random
import tempfile
import time
from pathlib import Path

from bench import config
from bench.config import Mode
from bench.data import SEED, SIZES, Query
from bench.glossary_db import glossary_database
from bench.report import Report, Row
from bench.timing import format_ms, summarize
from bot.core.index import GlossaryIndex
from bot.core.render import Reply, render_miss, render_term
from bot.store.db import Database
from bot.store.glossary import GlossaryStore

DEFINE_P99_TARGET_S = 0.005


def define_queries(size: int, count: int) -> list[Query]:
    glossary = config.glossary(size)
    rng = random.Random(SEED + 23)
    named = [Query(term.name, "name", term.term_id) for term in rng.sample(glossary.terms, count // 4)]
    aliased = [
        Query(alias, "alias", term.term_id)
        for term in rng.sample(glossary.terms, min(len(glossary.terms), count))
        for alias in term.aliases
    ][: count // 4]
    typos = list(config.typos(size, count - len(named) - len(aliased)))
    mixed = named + aliased + typos
    rng.shuffle(mixed)
    return mixed


async def _measure(index: GlossaryIndex, database_path: Path, queries: list[Query], rounds: int) -> list[float]:
    database = await Database.open(database_path)
    store = GlossaryStore(database)

    async def define(text: str) -> Reply:
        resolution = index.resolve(text)
        if resolution.term_id is not None:
            view = await store.term_view(resolution.term_id)
            if view is not None:
                return render_term(view, resolved_from=text if resolution.kind == "fuzzy" else None)
        suggestions = [(term_id, index.name_of(term_id) or "") for term_id in resolution.suggestions]
        return render_miss(text, suggestions)

    try:
        for query in queries:  # warm-up: SQLite's page cache, the index's cached rankings
            await define(query.text)
        samples: list[float] = []
        for _ in range(rounds):
            for query in queries:
                started = time.perf_counter()
                await define(query.text)
                samples.append(time.perf_counter() - started)
        return samples
    finally:
        await database.close()


def run(mode: Mode, report: Report, indexes: dict[int, GlossaryIndex]) -> None:
    row = report.add(
        Row(
            "/define",
            "resolve + term_view (SQLite) + render, per call",
            target=f"p99 ≤ {format_ms(DEFINE_P99_TARGET_S)}",
        )
    )
    with tempfile.TemporaryDirectory(prefix="bench-define-") as folder:
        for size in SIZES:
            path = glossary_database(config.glossary(size), SEED, Path(folder) / f"glossary-{size}.db")
            samples = asyncio.run(_measure(indexes[size], path, define_queries(size, mode.defines), mode.define_rounds))
            summary = summarize(samples)
            row.by_size[size] = summary.ms()
            row.met = summary.p99 <= DEFINE_P99_TARGET_S
            print(f"  /define at {size:,} terms: {summary.ms()}", flush=True)
