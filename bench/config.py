"""How much each benchmark does in full and in quick mode, and the inputs they share."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from bench.data import SEED, SIZES, Glossary, Query, generate_glossary, keystroke_queries, typo_queries


@dataclass(frozen=True)
class Mode:
    name: str
    keystrokes: int
    """Autocomplete queries per size (a mix of prefixes, abbreviations and typos)."""
    rounds: int
    """Timed passes over them, after one warm-up pass."""
    typos: int
    """Typo queries per size for our top-5 recall."""
    baseline_sample: dict[int, tuple[int, int, int]]
    """(typos, prefixes, abbreviations) compared with difflib and rapidfuzz, per size: difflib takes
    about a second per query at 100,000 terms."""
    builds: int
    """Index builds timed per size."""
    defines: int
    define_rounds: int
    starts: int
    """Fresh-process starts of the bot per size (start-to-ready and memory), after an unmeasured one if
    `prime_start` (a first start also records the synced commands, and warms the OS file cache)."""
    prime_start: bool
    e2e_autocompletes: int
    e2e_defines: int
    broadcast_channels: int
    broadcast_limit: int
    """The fake's global limit (requests a second) during the broadcast, and the bot's pace."""


FULL = Mode(
    name="full",
    keystrokes=3_000,
    rounds=5,
    typos=2_000,
    baseline_sample={1_000: (300, 60, 30), 10_000: (200, 40, 20), 100_000: (100, 30, 10)},
    builds=3,
    defines=1_000,
    define_rounds=5,
    starts=3,
    prime_start=True,
    e2e_autocompletes=3_000,
    e2e_defines=1_000,
    broadcast_channels=10_000,
    broadcast_limit=50,
)
QUICK = Mode(
    name="quick",
    keystrokes=600,
    rounds=3,
    typos=400,
    baseline_sample={1_000: (30, 6, 4), 10_000: (12, 4, 2), 100_000: (6, 1, 1)},
    builds=1,
    defines=300,
    define_rounds=3,
    starts=1,
    prime_start=False,
    e2e_autocompletes=600,
    e2e_defines=200,
    broadcast_channels=600,
    broadcast_limit=100,
)


@functools.cache
def glossary(size: int) -> Glossary:
    return generate_glossary(size, SEED)


@functools.cache
def keystrokes(size: int, count: int) -> tuple[Query, ...]:
    return tuple(keystroke_queries(glossary(size), count, SEED))


@functools.cache
def typos(size: int, count: int) -> tuple[Query, ...]:
    return tuple(typo_queries(glossary(size), count, SEED))


LARGEST = max(SIZES)
