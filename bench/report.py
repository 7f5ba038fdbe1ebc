"""The one results table: rows of measurements, printed and written to RESULTS.md with the machine."""

from __future__ import annotations

import os
import platform
import sys
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from bench.data import SIZES

PACKAGES = ("discord.py", "aiosqlite", "aiohttp", "rapidfuzz", "pydantic")


def load_average() -> str:
    try:
        return ", ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "unknown"


@dataclass
class Row:
    area: str
    measure: str
    by_size: dict[int, str] = field(default_factory=dict)
    """Values per glossary size (a measure that does not depend on it fills the largest)."""
    target: str = ""
    met: bool | None = None
    """None: reported, no target."""
    note: str = ""


@dataclass
class Report:
    mode: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    load_at_start: str = field(default_factory=load_average)

    def add(self, row: Row) -> Row:
        self.rows.append(row)
        return row

    def table(self) -> str:
        header = ["Area", "Measure", *(f"{size:,} terms" for size in SIZES), "Target", "Met"]
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for row in self.rows:
            met = "—" if row.met is None else ("yes" if row.met else "**no**")
            cells = [row.area, row.measure, *(row.by_size.get(size, "") for size in SIZES), row.target, met]
            lines.append("| " + " | ".join(cell.replace("|", "/") for cell in cells) + " |")
        return "\n".join(lines)

    def markdown(self) -> str:
        parts = [
            "# Benchmark results",
            "",
            f"Written by `make bench{' QUICK=1' if self.mode == 'quick' else ''}` ({self.mode} mode). "
            "Times are medians and 99th percentiles (nearest rank) of `time.perf_counter` over many calls "
            "after a warm-up; each baseline ran in the same run, on the same inputs, interleaved call by call. "
            "See bench/__init__.py for what each figure measures.",
            "",
            "## Machine",
            "",
            *(f"- {line}" for line in machine_description(self.load_at_start)),
            "",
            "## Results",
            "",
            self.table(),
        ]
        if self.notes:
            parts += ["", "## Notes", "", *(f"- {note}" for note in self.notes)]
        return "\n".join(parts) + "\n"

    def write(self, path: Path) -> None:
        path.write_text(self.markdown(), encoding="utf-8")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_description(load_at_start: str) -> list[str]:
    versions = []
    for package in PACKAGES:
        try:
            versions.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{package} (not installed)")
    memory = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f", {int(line.split()[1]) / 1024 / 1024:.1f} GiB RAM"
    except OSError:
        pass
    return [
        f"CPU: {cpu_model()}, {os.cpu_count()} logical cores{memory}",
        f"Load average (1, 5, 15 min) at the start: {load_at_start}; at the end: "
        f"{load_average()} — the machine is shared",
        f"OS: {platform.platform()}",
        f"Python: {sys.version.split()[0]} ({platform.python_implementation()})",
        f"Packages: {', '.join(versions)}",
    ]
