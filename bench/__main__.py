"""`python -m bench [--quick] [--only AREA ...]`: run the benchmarks, print the table, write RESULTS.md."""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

from bench import autocomplete, define, e2e, imports, propagation, quality, servers, shards, start
from bench.config import FULL, QUICK
from bench.report import Report

RESULTS = Path(__file__).with_name("RESULTS.md")
AREAS = ("autocomplete", "define", "quality", "start", "import", "servers", "e2e", "processes")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller samples and a faster broadcast (~1 min)")
    parser.add_argument("--only", nargs="+", choices=AREAS, help="run only these areas (RESULTS.md is not written)")
    arguments = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    mode = QUICK if arguments.quick else FULL
    areas = arguments.only or AREAS
    report = Report(mode.name)
    began = time.perf_counter()
    print(f"benchmarks, {mode.name} mode: {', '.join(areas)}", flush=True)
    indexes = autocomplete.run(mode, report) if "autocomplete" in areas or "define" in areas else {}
    if "define" in areas:
        define.run(mode, report, indexes)
    if "quality" in areas:
        quality.run(report, verbose=arguments.only is not None)
    if "start" in areas:
        start.run(mode, report)
    if "import" in areas:
        imports.run(mode, report)
    if "servers" in areas:
        servers.run(mode, report)
    if "e2e" in areas:
        e2e.run(mode, report)
    if "processes" in areas:
        propagation.run(report)
        shards.run(mode, report)
    report.notes.append(f"The whole run took {time.perf_counter() - began:.0f} s.")
    print()
    print(report.table())
    if arguments.only is None:
        report.write(RESULTS)
        print(f"\nwritten to {RESULTS}")


if __name__ == "__main__":
    main()
