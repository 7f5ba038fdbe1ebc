"""`/define` from interaction to payload, without Discord: match, database read, render.

Per call: `GlossaryIndex.resolve(text)`, then for a hit `GlossaryStore.term_view` on a real SQLite file
(the bot's own schema and connection setup, through aiosqlite) and `render_term`, for a miss
`render_miss` with its suggestions. Queries: exact names, aliases, and names with one or two typos, in
equal parts. Each call is timed as one awaited coroutine inside a running event loop.

The PostgreSQL variant runs the same calls on the same glossary, copied (`copy_database`) into a scratch
database on the server at BENCH_POSTGRES_URL (default: the local PostgreSQL's `test` database, whose server
the scratch database is made on and dropped from); with no server answering it says so and is skipped.
"""

from __future__ import annotations

import asyncio
import os
import random
import secrets
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg

from bench import config
from bench.config import Mode
from bench.data import SEED, SIZES, Query
from bench.glossary_db import glossary_database
from bench.report import Report, Row
from bench.timing import format_ms, summarize
from bot.core.index import GlossaryIndex
from bot.core.render import Reply, render_miss, render_term
from bot.store.copy import copy_database
from bot.store.db import Database, redact
from bot.store.glossary import GlossaryStore

DEFINE_P99_TARGET_S = 0.005
POSTGRES_SERVER_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


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


async def _measure(index: GlossaryIndex, database_at: Path | str, queries: list[Query], rounds: int) -> list[float]:
    database = await Database.open(database_at)
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
        for query in queries:  # warm-up: the database's page cache, the index's cached rankings
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
    postgres = report.add(
        Row(
            "/define",
            "… on PostgreSQL (same calls, same glossary); × SQLite's p99",
            target=f"p99 ≤ {format_ms(DEFINE_P99_TARGET_S)}",
        )
    )
    with tempfile.TemporaryDirectory(prefix="bench-define-") as folder, _scratch_postgres() as postgres_url:
        if postgres_url is None:
            postgres.by_size[SIZES[-1]] = f"skipped: no PostgreSQL answers at {redact(POSTGRES_SERVER_URL)}"
        for size in SIZES:
            path = glossary_database(config.glossary(size), SEED, Path(folder) / f"glossary-{size}.db")
            queries = define_queries(size, mode.defines)
            summary = summarize(asyncio.run(_measure(indexes[size], path, queries, mode.define_rounds)))
            row.by_size[size] = summary.ms()
            row.met = summary.p99 <= DEFINE_P99_TARGET_S
            print(f"  /define at {size:,} terms: {summary.ms()}", flush=True)
            if postgres_url is None:
                continue
            asyncio.run(_copy(path, postgres_url))
            on_postgres = summarize(asyncio.run(_measure(indexes[size], postgres_url, queries, mode.define_rounds)))
            postgres.by_size[size] = f"{on_postgres.ms()} (×{on_postgres.p99 / summary.p99:.1f})"
            postgres.met = on_postgres.p99 <= DEFINE_P99_TARGET_S
            print(f"  /define on PostgreSQL at {size:,} terms: {on_postgres.ms()}", flush=True)
    if postgres_url is None:
        print(f"  /define on PostgreSQL: skipped, no PostgreSQL answers at {redact(POSTGRES_SERVER_URL)}", flush=True)


async def _copy(path: Path, url: str) -> None:
    source, target = await Database.open(path), await Database.open(url)
    try:
        await copy_database(source, target, force=True)
        async with target.transaction() as transaction:
            await transaction.execute("ANALYZE")  # the planner's statistics, as autovacuum would gather them
    finally:
        await source.close()
        await target.close()


@contextmanager
def _scratch_postgres() -> Iterator[str | None]:
    """A new database on the PostgreSQL server for the run, dropped after it; None when no server answers."""
    name = f"glossary_bench_{os.getpid()}_{secrets.token_hex(4)}"
    try:
        asyncio.run(_on_server(f'CREATE DATABASE "{name}"'))
    except (OSError, TimeoutError, asyncpg.PostgresError):
        yield None
        return
    try:
        yield urlsplit(POSTGRES_SERVER_URL)._replace(path=f"/{name}").geturl()
    finally:
        asyncio.run(_on_server(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _on_server(statement: str) -> None:
    connection = await asyncpg.connect(POSTGRES_SERVER_URL, timeout=5)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()
