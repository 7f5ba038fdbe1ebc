"""Timing that holds up on a shared, noisy machine.

- `time.perf_counter` around each call, over many calls, after a warm-up pass that is not recorded;
- the median (typical) and the 99th percentile (what the slowest keystrokes feel like), never the mean,
  which one descheduled call can move;
- a baseline is timed in the same run, on the same inputs, interleaved call by call with what it is
  compared to: noise then hits both alike and their ratio holds even when absolute times wander.
"""

from __future__ import annotations

import gc
import math
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Summary:
    count: int
    median: float
    p99: float
    worst: float

    def ms(self) -> str:
        return f"median {format_ms(self.median)}, p99 {format_ms(self.p99)}"


def percentile(samples: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile: a value that was measured, never an interpolation between two."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def summarize(samples: Sequence[float]) -> Summary:
    return Summary(len(samples), statistics.median(samples), percentile(samples, 0.99), max(samples))


def format_ms(seconds: float) -> str:
    milliseconds = seconds * 1000
    if milliseconds >= 100:
        return f"{milliseconds:.0f} ms"
    if milliseconds >= 10:
        return f"{milliseconds:.1f} ms"
    return f"{milliseconds:.2f} ms"


def time_each(call: Callable[[T], object], inputs: Sequence[T], *, rounds: int, warmup: int = 1) -> list[float]:
    """Seconds per call, `rounds` passes over `inputs` after `warmup` unrecorded passes."""
    for _ in range(warmup):
        for item in inputs:
            call(item)
    gc.collect()  # start from a clean heap rather than inherit a collection the warm-up made due
    samples: list[float] = []
    clock = time.perf_counter
    for _ in range(rounds):
        for item in inputs:
            started = clock()
            call(item)
            samples.append(clock() - started)
    return samples


def time_side_by_side(
    ours: Callable[[T], object], baseline: Callable[[T], object], inputs: Sequence[T], *, rounds: int = 1
) -> tuple[list[float], list[float]]:
    """Both callables on each input in turn (after one warm-up call each), so they share the noise."""
    ours(inputs[0])
    baseline(inputs[0])
    gc.collect()
    clock = time.perf_counter
    mine: list[float] = []
    theirs: list[float] = []
    for _ in range(rounds):
        for item in inputs:
            started = clock()
            ours(item)
            middle = clock()
            baseline(item)
            mine.append(middle - started)
            theirs.append(clock() - middle)
    return mine, theirs
