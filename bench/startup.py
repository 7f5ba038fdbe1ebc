"""One start of the real bot on a prepared database, in a fresh process: `python -m bench.startup DB`
(or `python -m bench.startup --breakdown DB`: the steps of the index's part, timed one by one).

A fresh process per start, so neither the time nor the memory carries anything over from other
benchmarks (or from an earlier start: CPython keeps freed memory for reuse rather than return it).
Prints one JSON object:
- `imports_s`: interpreter start to the bot's modules imported (`time.perf_counter` starts at zero
  close to process start on Linux, but this is measured from the first line of this module);
- `since_launch_s`: from the parent starting this process (see LAUNCHED_AT_VARIABLE) to `on_ready`;
- `ready_s`: `GlossaryBot(...)` to `on_ready`, against the fake Discord on 127.0.0.1 (the world of
  `tests.e2e.rig`): open and migrate the database, seed check, load the index, cogs, command check;
- `rss_mb` after ready and a full collection, `peak_rss_mb` the process's high-water mark (the fake
  Discord lives in the same process and is included: a few MB).
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()

import asyncio  # noqa: E402 -- after the clock starts: import time is part of what is measured
import gc  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

from bot.app import GlossaryBot  # noqa: E402
from tests.e2e.fake_discord import FAST_CLIENT_OPTIONS, FakeDiscord, running_client  # noqa: E402
from tests.e2e.rig import START_OF_TEST_TIME, ControllableClock, populate_world, rig_settings  # noqa: E402

READY_TIMEOUT_S = 120.0
LAUNCHED_AT_VARIABLE = "BENCH_LAUNCHED_AT"
"""`time.monotonic()` in the parent just before it started this process (see bench/start.py)."""


def memory_mb() -> tuple[float, float]:
    """(current, peak) resident set size of this process, from /proc (Linux)."""
    values: dict[str, float] = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0]) / 1024
    return values.get("VmRSS", 0.0), values.get("VmHWM", 0.0)


async def start_once(database: Path) -> dict[str, float]:
    imported = time.perf_counter()
    fake = FakeDiscord()
    populate_world(fake)
    await fake.start()
    try:
        settings = rig_settings(database, log_level="WARNING")
        began = time.perf_counter()
        bot = GlossaryBot(settings, clock=ControllableClock(START_OF_TEST_TIME), **FAST_CLIENT_OPTIONS)
        async with running_client(fake, bot, timeout=READY_TIMEOUT_S):
            ready = time.perf_counter()
            ready_monotonic = time.monotonic()
            gc.collect()
            rss, peak = memory_mb()
            terms = len(bot.index)
    finally:
        await fake.stop()
    return {
        "imports_s": imported - STARTED,
        "ready_s": ready - began,
        "since_launch_s": ready_monotonic - float(os.environ.get(LAUNCHED_AT_VARIABLE, "nan")),
        "rss_mb": rss,
        "peak_rss_mb": peak,
        "terms": terms,
    }


async def breakdown(database: Path) -> dict[str, float]:
    """What the index part of the start is made of, step by step, with the RSS each step adds."""
    from bot.core.index import GlossaryIndex
    from bot.store.db import Database
    from bot.store.glossary import GlossaryStore

    gc.collect()
    steps: dict[str, float] = {"rss_imports_mb": memory_mb()[0]}
    store_database = await Database.open(database)
    try:
        started = time.perf_counter()
        rows = await GlossaryStore(store_database).index_rows()
        steps["rows_s"] = time.perf_counter() - started
        gc.collect()
        steps["rss_rows_mb"] = memory_mb()[0] - steps["rss_imports_mb"]
        before = memory_mb()[0]
        started = time.perf_counter()
        index = GlossaryIndex.build(rows)
        steps["index_s"] = time.perf_counter() - started
        gc.collect()
        steps["rss_index_mb"] = memory_mb()[0] - before
        steps["terms"] = len(index)
    finally:
        await store_database.close()
    return steps


def main() -> None:
    if sys.argv[1] == "--breakdown":
        print(json.dumps(asyncio.run(breakdown(Path(sys.argv[2])))))
        return
    print(json.dumps(asyncio.run(start_once(Path(sys.argv[1])))))


if __name__ == "__main__":
    main()
