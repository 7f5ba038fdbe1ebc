"""Start to ready, and memory, per glossary size: each start a fresh process (see bench/startup.py).

In full mode a first, unmeasured start per database lets the bot do what only a first start does (record
the synced command set) and warms the OS file cache, as for a restart after a deploy.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import config
from bench.config import Mode
from bench.data import SEED, SIZES
from bench.glossary_db import REPO_ROOT, glossary_database
from bench.report import Report, Row
from bench.startup import LAUNCHED_AT_VARIABLE

READY_TARGET_S = 2.0
RSS_TARGET_MB = 200.0
START_TIMEOUT_S = 300


def _run_startup(database: Path, *options: str, what: str) -> dict[str, float]:
    """Run bench.startup in a fresh interpreter and read the JSON figures it prints last."""
    finished = subprocess.run(
        [sys.executable, "-m", "bench.startup", *options, str(database)],
        # CLOCK_MONOTONIC is one clock for every process on Linux: the child times its start from here.
        env={**os.environ, LAUNCHED_AT_VARIABLE: repr(time.monotonic())},
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT_S,
        check=False,
    )
    if finished.returncode != 0:
        raise RuntimeError(f"{what}:\n{finished.stderr[-3000:]}")
    result: dict[str, float] = json.loads(finished.stdout.strip().splitlines()[-1])
    return result


def start_once(database: Path) -> dict[str, float]:
    return _run_startup(database, what="the bot did not start")


def breakdown(database: Path) -> dict[str, float]:
    return _run_startup(database, "--breakdown", what="the breakdown failed")


def run(mode: Mode, report: Report) -> None:
    ready = report.add(
        Row(
            "Start",
            "process launch to on_ready (interpreter, imports, everything), median",
            target=f"≤ {READY_TARGET_S:g} s at 100k",
        )
    )
    parts_of_start = report.add(Row("Start", "… of which: imports / GlossaryBot() to on_ready"))
    steps = report.add(Row("Start", "… and in on_ready's share: index_rows() / GlossaryIndex.build"))
    memory = report.add(Row("Memory", "RSS after ready (peak)", target=f"≤ {RSS_TARGET_MB:g} MB at 100k"))
    parts = report.add(Row("Memory", "… RSS added by: imports / index_rows() / GlossaryIndex"))
    with tempfile.TemporaryDirectory(prefix="bench-start-") as folder:
        for size in SIZES:
            path = glossary_database(config.glossary(size), SEED, Path(folder) / f"glossary-{size}.db")
            if mode.prime_start:
                start_once(path)
            runs = [start_once(path) for _ in range(mode.starts)]
            ready_s = statistics.median(run["since_launch_s"] for run in runs)
            rss = statistics.median(run["rss_mb"] for run in runs)
            peak = max(run["peak_rss_mb"] for run in runs)
            ready.by_size[size] = f"{ready_s:.2f} s (n={len(runs)})"
            parts_of_start.by_size[size] = (
                f"{statistics.median(run['imports_s'] for run in runs):.2f} s / "
                f"{statistics.median(run['ready_s'] for run in runs):.2f} s"
            )
            memory.by_size[size] = f"{rss:.0f} MB ({peak:.0f} MB)"
            ready.met = ready_s <= READY_TARGET_S
            memory.met = rss <= RSS_TARGET_MB
            part = breakdown(path)
            steps.by_size[size] = f"{part['rows_s']:.2f} / {part['index_s']:.2f} s"
            parts.by_size[size] = (
                f"{part['rss_imports_mb']:.0f} / {part['rss_rows_mb']:.0f} / {part['rss_index_mb']:.0f} MB"
            )
            print(f"  start at {size:,} terms: ready in {ready_s:.2f} s, RSS {rss:.0f} MB", flush=True)
    if not ready.met or not memory.met:
        report.notes.append(
            f"Start and memory at {size:,} terms: the database read (`GlossaryStore.index_rows`), the matching "
            f"index (`GlossaryIndex.build`) take {part['rows_s']:.2f} s and {part['index_s']:.2f} s, and add "
            f"{part['rss_rows_mb']:.0f} MB and {part['rss_index_mb']:.0f} MB to the "
            f"{part['rss_imports_mb']:.0f} MB the imports take."
        )
