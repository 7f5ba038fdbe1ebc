"""Server glossaries at scale: 10,000 servers with 100 entries each beside 100,000 shared entries.

`python -m bench --only servers` builds (once, cached like the other databases) a database holding the
100,000-term shared glossary and 1,000,000 server entries, then starts the real bot on it in a fresh
process (`python -m bench.servers DB`) and measures there:
- start to ready and RSS: servers' entries must cost the start nothing (their indexes are built on use);
- autocomplete in a server: `service.matcher(guild)` then `complete(text)`, the keystroke's whole work
  in the bot (the server's index is read from SQLite and built on the first keystroke in a server not
  used since start: those keystrokes are timed too, and shown apart); baseline: the same queries against
  the shared index alone, interleaved;
- /define in a server: resolve, read the entry (with its shadowing check) and render;
- RSS after keystrokes in more servers than the cache keeps (it stays bounded).
Queries are half the shared glossary's (prefixes, abbreviations, typos), half the server's own entries'.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import config
from bench.config import Mode
from bench.data import SEED, Glossary, entries, generate_glossary, keystroke_queries
from bench.glossary_db import CACHE_DIR, REPO_ROOT, cached_path, glossary_database
from bench.report import Report, Row
from bench.startup import LAUNCHED_AT_VARIABLE, memory_mb
from bench.timing import Summary, format_ms, summarize
from bot.core.normalize import lookup_key
from bot.services.indexes import DEFAULT_CAPACITY

SHARED_SIZE = 100_000
SERVERS = 10_000
ENTRIES_PER_SERVER = 100
FIRST_GUILD_ID = 1_400_000_000_000_000_000
POOL_SIZE = 3_000
"""Server entries are drawn from a pool of generated terms, a different window for each server: servers'
jargon overlaps (and sometimes repeats a shared name, which then shadows it there)."""
READY_TARGET_S = 3.0
RSS_TARGET_MB = 350.0
AUTOCOMPLETE_TARGET_MS = 2.0
DEFINE_TARGET_MS = 5.0
RUN_TIMEOUT_S = 900
EXTRA_SERVERS = 2 * DEFAULT_CAPACITY
"""Servers looked into after the timed work: twice as many as the index cache keeps."""


def _pool() -> Glossary:
    return generate_glossary(POOL_SIZE, SEED + 1)


def guild_ids() -> list[int]:
    return [FIRST_GUILD_ID + number for number in range(SERVERS)]


def server_window(guild_number: int) -> range:
    start = (guild_number * 97) % (POOL_SIZE - ENTRIES_PER_SERVER)
    return range(start, start + ENTRIES_PER_SERVER)


def servers_database(target: Path) -> Path:
    """The 100,000-term bench database with 10,000 servers' entries added, cached beside it."""
    shared = config.glossary(SHARED_SIZE)
    cached = CACHE_DIR / f"servers-{SERVERS}x{ENTRIES_PER_SERVER}-{cached_path(shared, SEED).stem}.db"
    if not cached.exists():
        building = cached.with_suffix(".building")
        glossary_database(shared, SEED, building)
        _add_servers(building)
        building.rename(cached)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(cached, target)
    return target


def _add_servers(path: Path) -> None:
    pool = _pool()
    pool_entries = entries(pool, SEED + 1)
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA foreign_keys = ON")
        connection.execute("BEGIN")
        next_id = int(connection.execute("SELECT max(id) FROM terms").fetchone()[0]) + 1
        for number, guild_id in enumerate(guild_ids()):
            window = server_window(number)
            ids = {pool.terms[at].term_id: next_id + offset for offset, at in enumerate(window)}
            connection.executemany(
                "INSERT INTO terms (id, name, definition, category, origin, guild_id) VALUES (?, ?, ?, ?, 'import', ?)",
                (
                    (ids[pool.terms[at].term_id], pool.terms[at].name, pool_entries[at].definition, "House", guild_id)
                    for at in window
                ),
            )
            connection.executemany(
                "INSERT INTO term_names (scope_id, key, term_id, text, is_alias, position) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    (guild_id, lookup_key(text), ids[pool.terms[at].term_id], text, int(position > 0), position)
                    for at in window
                    for position, text in enumerate((pool.terms[at].name, *pool.terms[at].aliases))
                ),
            )
            next_id += ENTRIES_PER_SERVER
        connection.execute("COMMIT")
    finally:
        connection.close()


# ---- the measuring child process --------------------------------------------------------------------


SESSION_KEYSTROKES = (2, 8)
"""A lookup is typed a few keystrokes at a time: autocomplete is asked after each one."""


def workload(mode: Mode) -> dict[str, list[list[object]]]:
    """Lookups as people make them, written by the parent so the child's clock and memory see only the bot.

    Each lookup is in one server (a few busy ones, many quiet ones) and for one term (half the shared
    glossary's, half the server's own): autocomplete after each of a few keystrokes of its name (or of the
    typo'd or abbreviated form), then a /define of what was typed. The first keystroke of a lookup in a
    server not used yet finds no index: it is read and built then.
    """
    rng = random.Random(SEED + 31)
    pool = _pool()
    shared_queries = keystroke_queries(config.glossary(SHARED_SIZE), mode.keystrokes, SEED)
    busy = rng.sample(range(SERVERS), 50)
    keystrokes: list[list[object]] = []
    defines: list[list[object]] = []
    for position, shared_query in enumerate(shared_queries):
        if len(keystrokes) >= mode.keystrokes:
            break
        number = rng.choice(busy) if rng.random() < 0.5 else rng.randrange(SERVERS)
        query = shared_query
        if position % 2 == 0:
            own = Glossary([pool.terms[at] for at in server_window(number)])
            query = keystroke_queries(own, 4, SEED + position)[rng.randrange(4)]
        guild = FIRST_GUILD_ID + number
        typed = query.text
        count = min(len(typed), rng.randint(*SESSION_KEYSTROKES))
        cuts = sorted({len(typed), *rng.sample(range(1, len(typed)), count - 1)}) if count > 1 else [len(typed)]
        keystrokes.extend([guild, typed[:cut]] for cut in cuts)
        if query.kind != "prefix":
            defines.append([guild, typed])
    return {"keystrokes": keystrokes, "defines": defines[: mode.defines]}


class Samples:
    """Wall-clock and CPU seconds per call. CPU time (every thread of the process, so the database thread's
    part of a first keystroke counts) leaves out the turns other processes take on a shared machine."""

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []
        self._started = (0.0, 0.0)

    def start(self) -> None:
        self._started = (time.perf_counter(), time.process_time())

    def stop(self) -> None:
        wall, cpu = self._started
        self.wall.append(time.perf_counter() - wall)
        self.cpu.append(time.process_time() - cpu)

    def figures(self) -> dict[str, list[float]]:
        return {"wall": _summary(self.wall), "cpu": _summary(self.cpu)}


async def _measure(database: Path, work: dict[str, list[list[object]]]) -> dict[str, object]:
    from bot.app import GlossaryBot
    from bot.core.render import render_term
    from tests.e2e.fake_discord import FAST_CLIENT_OPTIONS, FakeDiscord, running_client
    from tests.e2e.rig import START_OF_TEST_TIME, ControllableClock, populate_world, rig_settings

    keystrokes = [(int(str(guild)), str(text)) for guild, text in work["keystrokes"]]
    defines = [(int(str(guild)), str(text)) for guild, text in work["defines"]]
    fake = FakeDiscord()
    populate_world(fake)
    await fake.start()
    try:
        settings = rig_settings(database, log_level="WARNING")
        bot = GlossaryBot(settings, clock=ControllableClock(START_OF_TEST_TIME), **FAST_CLIENT_OPTIONS)
        async with running_client(fake, bot, timeout=300):
            ready_monotonic = time.monotonic()
            gc.collect()
            rss_ready, _ = memory_mb()
            service = bot.service
            typed = await _type(service, keystrokes)
            looked_up, found = await _look_up(service, defines, render_term)
            # Then one lookup in each of more servers than the cache keeps: memory must stay bounded.
            for number in range(EXTRA_SERVERS):
                await service.matcher(FIRST_GUILD_ID + SERVERS - 1 - number)
            gc.collect()
            rss_after, peak = memory_mb()
            cached = len(service.server_indexes)
    finally:
        await fake.stop()
    return {
        "since_launch_s": ready_monotonic - float(os.environ.get(LAUNCHED_AT_VARIABLE, "nan")),
        "rss_ready_mb": rss_ready,
        "rss_after_mb": rss_after,
        "peak_rss_mb": peak,
        "servers_used": len(
            {guild for guild, _ in keystrokes} | {FIRST_GUILD_ID + SERVERS - 1 - n for n in range(EXTRA_SERVERS)}
        ),
        "indexes_cached": cached,
        **typed,
        "define": looked_up.figures(),
        "defines_found": found,
    }


async def _type(service: Any, keystrokes: list[tuple[int, str]]) -> dict[str, dict[str, list[float]]]:
    """Autocomplete for every keystroke, timed; and the shared index alone on the same text."""
    every, cold, warm, shared_only, between = Samples(), Samples(), Samples(), Samples(), Samples()
    seen: set[int] = set()
    for position, (guild, text) in enumerate(keystrokes):
        # Which goes first alternates: the first to ask the shared index fills its caches for both.
        if position % 2:
            shared_only.start()
            service.shared.complete(text)
            shared_only.stop()
        kind = warm if guild in seen else cold
        every.start()
        await service.complete(guild, text)
        every.stop()
        kind.wall.append(every.wall[-1])
        kind.cpu.append(every.cpu[-1])
        seen.add(guild)
        if not position % 2:
            shared_only.start()
            service.shared.complete(text)
            shared_only.stop()
        # Between two interactions the loop runs what is due: here, a server's index to build.
        between.start()
        await asyncio.sleep(0)
        between.stop()
    return {
        "all": every.figures(),
        "cold": cold.figures(),
        "warm": warm.figures(),
        "shared_only": shared_only.figures(),
        "between": between.figures(),
    }


async def _look_up(service: Any, defines: list[tuple[int, str]], render: Any) -> tuple[Samples, int]:
    """/define's work for each lookup, timed; and how many found an entry."""
    define = Samples()
    found = 0
    for guild, text in defines:
        define.start()
        matcher = await service.matcher(guild)
        resolution = matcher.resolve(text)
        if resolution.term_id is not None:
            view = await service.term_view(resolution.term_id, guild)
            if view is not None:
                render(view)
                found += 1
        define.stop()
        await asyncio.sleep(0)
    return define, found


def _summary(samples: list[float]) -> list[float]:
    summary = summarize(samples)
    return [summary.count, summary.median, summary.p99, summary.worst]


def _as_summary(values: list[float]) -> Summary:
    return Summary(int(values[0]), values[1], values[2], values[3])


def _timed(figures: dict[str, list[float]]) -> tuple[Summary, str]:
    """The wall-clock summary, and how it reads with the CPU figures beside it."""
    wall, cpu = _as_summary(figures["wall"]), _as_summary(figures["cpu"])
    return wall, f"{wall.ms()}; CPU {cpu.ms()} (n={wall.count})"


# ---- the parent: build, run, report ---------------------------------------------------------------


def run(mode: Mode, report: Report) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-servers-run-") as folder:
        print("  servers: preparing the database (cached after the first run)", flush=True)
        database = servers_database(Path(folder) / "servers.db")
        work = Path(folder) / "workload.json"
        work.write_text(json.dumps(workload(mode)))
        finished = subprocess.run(
            [sys.executable, "-m", "bench.servers", str(work), str(database)],
            env={**os.environ, LAUNCHED_AT_VARIABLE: repr(time.monotonic())},
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT_S,
            check=False,
        )
    if finished.returncode != 0:
        raise RuntimeError(f"the servers benchmark failed:\n{finished.stderr[-3000:]}")
    figures = json.loads(finished.stdout.strip().splitlines()[-1])
    size = SHARED_SIZE
    where = f"{SERVERS:,} servers × {ENTRIES_PER_SERVER} entries"
    ready = report.add(
        Row("Servers", f"start to ready, {where} beside the shared glossary", target=f"≤ {READY_TARGET_S:g} s")
    )
    ready.by_size[size] = f"{figures['since_launch_s']:.2f} s"
    ready.met = figures["since_launch_s"] <= READY_TARGET_S
    memory = report.add(
        Row("Servers", "RSS after ready / after keystrokes in many servers (peak)", target=f"≤ {RSS_TARGET_MB:g} MB")
    )
    memory.by_size[size] = (
        f"{figures['rss_ready_mb']:.0f} MB / {figures['rss_after_mb']:.0f} MB ({figures['peak_rss_mb']:.0f} MB); "
        f"{figures['servers_used']:,} servers used, {figures['indexes_cached']:,} indexes kept"
    )
    memory.met = max(figures["rss_ready_mb"], figures["rss_after_mb"]) <= RSS_TARGET_MB
    everything, shown = _timed(figures["all"])
    completion = report.add(
        Row(
            "Servers",
            "autocomplete in a server (GlossaryService.complete), every keystroke",
            target=f"p99 ≤ {AUTOCOMPLETE_TARGET_MS:g} ms",
        )
    )
    completion.by_size[size] = shown
    completion.met = everything.p99 * 1000 <= AUTOCOMPLETE_TARGET_MS
    cold, shown = _timed(figures["cold"])
    first = report.add(
        Row("Servers", "… the first keystroke in a server not used since start (its index is not built yet)")
    )
    first.by_size[size] = shown
    _, shown = _timed(figures["warm"])
    later = report.add(Row("Servers", "… the keystrokes in a server whose index is in memory"))
    later.by_size[size] = shown
    _, shown = _timed(figures["between"])
    between = report.add(Row("Servers", "… between keystrokes: the loop's other work (servers' indexes being built)"))
    between.by_size[size] = shown
    shared, shown = _timed(figures["shared_only"])
    ratio = report.add(Row("Servers", "… baseline: the same keystrokes, shared index alone; ratio of medians"))
    ratio.by_size[size] = f"{shown}; ×{everything.median / shared.median:.2f}"
    define_summary, shown = _timed(figures["define"])
    define_row = report.add(
        Row("Servers", "/define in a server: resolve + read + render", target=f"p99 ≤ {DEFINE_TARGET_MS:g} ms")
    )
    define_row.by_size[size] = f"{shown}, {figures['defines_found']} found"
    define_row.met = define_summary.p99 * 1000 <= DEFINE_TARGET_MS
    report.notes.append(
        "Servers: wall-clock times on a shared machine include other processes' turns; the CPU time beside them "
        "(all of the bot process's threads) is the bot's own work. The first keystroke in a server not used yet is "
        "answered from a range read of its names in SQLite; its index is built right after (a task of its own, "
        "timed wherever it runs: in the keystrokes and lookups that follow)."
    )
    print(
        f"  servers: ready {figures['since_launch_s']:.2f} s, RSS {figures['rss_after_mb']:.0f} MB, "
        f"autocomplete p99 {format_ms(everything.p99)} (cold p99 {format_ms(cold.p99)}), "
        f"/define p99 {format_ms(define_summary.p99)}",
        flush=True,
    )


def main() -> None:
    work = json.loads(Path(sys.argv[1]).read_text())
    print(json.dumps(asyncio.run(_measure(Path(sys.argv[2]), work))))


if __name__ == "__main__":
    main()
