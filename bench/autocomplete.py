"""Autocomplete (`GlossaryIndex.complete`): one keystroke's query, against difflib and rapidfuzz.

For each glossary size:
- the index build, timed;
- `complete()` over the keystroke mix (prefixes, abbreviations, typos): the first pass on a fresh index
  (its caches cold) and then `rounds` warm passes, median and p99 per call;
- the same calls side by side with `difflib.get_close_matches` and rapidfuzz's `process.extract` (its
  default scorer, WRatio) over every name and alias, on a sample of the same queries: the names are
  case-folded once beforehand, so the baselines pay only for matching;
- top-5 recall on typo queries: is the term the person meant among the first five distinct terms
  offered? For us on the whole typo set, and for all three on the typos of the baseline sample, which
  is what the target compares.
"""

from __future__ import annotations

import difflib
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from rapidfuzz import process

from bench import config
from bench.config import Mode
from bench.data import SIZES, Glossary, Query
from bench.report import Report, Row
from bench.timing import format_ms, summarize, time_each, time_side_by_side
from bot.core.index import MAX_CHOICES, GlossaryIndex

TOP = 5
AUTOCOMPLETE_P99_TARGET_S = 0.002
DIFFLIB_RATIO_TARGET = 20
RAPIDFUZZ_RATIO_TARGET = 5

Ranker = Callable[[str], list[int]]


def distinct(term_ids: Sequence[int], limit: int = TOP) -> list[int]:
    return list(dict.fromkeys(term_ids))[:limit]


def baselines(glossary: Glossary) -> tuple[Ranker, Ranker]:
    """difflib and rapidfuzz over every name and alias, each answer mapped back to its terms."""
    owner: dict[str, int] = {}
    for text, term_id in glossary.names():
        owner.setdefault(text.casefold(), term_id)
    choices = list(owner)

    def with_difflib(text: str) -> list[int]:
        return [owner[match] for match in difflib.get_close_matches(text.casefold(), choices, n=MAX_CHOICES)]

    def with_rapidfuzz(text: str) -> list[int]:
        return [owner[match] for match, _, _ in process.extract(text.casefold(), choices, limit=MAX_CHOICES)]

    return with_difflib, with_rapidfuzz


def recall(rank: Ranker, queries: Sequence[Query]) -> float:
    return sum(query.term_id in distinct(rank(query.text)) for query in queries) / len(queries)


def percent(value: float) -> str:
    return f"{value * 100:.1f}%"


@dataclass
class Rows:
    build: Row
    cold: Row
    warm: Row
    kinds: Row
    vs_difflib: Row
    vs_rapidfuzz: Row
    recall: Row
    our_recall: Row
    growth: Row
    medians: dict[str, dict[int, float]] = field(default_factory=dict)
    """Median seconds per call by matcher ("ours", "difflib", "rapidfuzz") and size, for the growth row."""


def _rows(report: Report) -> Rows:
    add = report.add
    return Rows(
        build=add(Row("Autocomplete", "index build (GlossaryIndex.build), median")),
        cold=add(Row("Autocomplete", "complete(), first pass on a fresh index (cold caches)")),
        warm=add(
            Row(
                "Autocomplete",
                "complete(), one keystroke's query",
                target=f"p99 ≤ {format_ms(AUTOCOMPLETE_P99_TARGET_S)}",
            )
        ),
        kinds=add(Row("Autocomplete", "… median by kind: prefix / abbreviation / 1 typo / 2 typos")),
        vs_difflib=add(
            Row(
                "Autocomplete",
                "× faster than difflib.get_close_matches (median/median)",
                target=f"≥ {DIFFLIB_RATIO_TARGET}×",
            )
        ),
        vs_rapidfuzz=add(
            Row(
                "Autocomplete",
                "× faster than rapidfuzz.process.extract, WRatio (median/median)",
                target=f"≥ {RAPIDFUZZ_RATIO_TARGET}×",
            )
        ),
        recall=add(
            Row("Autocomplete", "top-5 recall on typos, sample: ours / difflib / rapidfuzz", target="ours ≥ the better")
        ),
        our_recall=add(Row("Autocomplete", "top-5 recall on typos, ours on the whole typo set")),
        growth=add(Row("Autocomplete", "growth of the median since 1,000 terms: ours / difflib / rapidfuzz")),
    )


def _build(mode: Mode, size: int, rows: Rows) -> GlossaryIndex:
    index_rows = config.glossary(size).index_rows()
    times = []
    for _ in range(mode.builds):
        started = time.perf_counter()
        index = GlossaryIndex.build(index_rows)
        times.append(time.perf_counter() - started)
    rows.build.by_size[size] = format_ms(statistics.median(times))
    return index


def _time_keystrokes(mode: Mode, size: int, index: GlossaryIndex, rows: Rows) -> bool:
    queries = config.keystrokes(size, mode.keystrokes)

    def complete(query: Query) -> object:
        return index.complete(query.text)

    rows.cold.by_size[size] = summarize(time_each(complete, queries, rounds=1, warmup=0)).ms()
    samples = time_each(complete, queries, rounds=mode.rounds, warmup=0)
    summary = summarize(samples)
    rows.warm.by_size[size] = summary.ms()
    rows.medians.setdefault("ours", {})[size] = summary.median
    by_kind: dict[str, list[float]] = {}
    for position, sample in enumerate(samples):
        by_kind.setdefault(queries[position % len(queries)].kind, []).append(sample)
    rows.kinds.by_size[size] = " / ".join(
        format_ms(statistics.median(by_kind[kind])) for kind in ("prefix", "abbreviation", "typo1", "typo2")
    )
    print(f"  autocomplete at {size:,} terms: {summary.ms()}", flush=True)
    return summary.p99 <= AUTOCOMPLETE_P99_TARGET_S


def _against_baselines(mode: Mode, size: int, index: GlossaryIndex, rows: Rows) -> tuple[bool, bool, bool]:
    typo_set = config.typos(size, mode.typos)

    def ours(text: str) -> list[int]:
        return [choice.term_id for choice in index.complete(text)]

    rows.our_recall.by_size[size] = f"{percent(recall(ours, typo_set))} of {len(typo_set)}"
    typo_count, prefix_count, abbreviation_count = mode.baseline_sample[size]
    queries = config.keystrokes(size, mode.keystrokes)
    sample = [
        *typo_set[:typo_count],
        *[query for query in queries if query.kind == "prefix"][:prefix_count],
        *[query for query in queries if query.kind == "abbreviation"][:abbreviation_count],
    ]
    with_difflib, with_rapidfuzz = baselines(config.glossary(size))
    answers: dict[str, dict[str, list[int]]] = {"ours": {}, "difflib": {}, "rapidfuzz": {}}

    def answering(name: str, rank: Ranker) -> Callable[[Query], object]:
        def call(query: Query) -> object:
            answers[name][query.text] = rank(query.text)
            return None

        return call

    ratios = []
    for name, rank, row in (
        ("difflib", with_difflib, rows.vs_difflib),
        ("rapidfuzz", with_rapidfuzz, rows.vs_rapidfuzz),
    ):
        mine, theirs = time_side_by_side(answering("ours", ours), answering(name, rank), sample)
        ratio = statistics.median(theirs) / statistics.median(mine)
        rows.medians.setdefault(name, {})[size] = statistics.median(theirs)
        row.by_size[size] = f"{ratio:,.0f}× ({format_ms(statistics.median(theirs))} each, n={len(sample)})"
        ratios.append(ratio)
    sampled = typo_set[:typo_count]
    scores = {
        name: sum(query.term_id in distinct(found[query.text]) for query in sampled) / len(sampled)
        for name, found in answers.items()
    }
    rows.recall.by_size[size] = (
        f"{percent(scores['ours'])} / {percent(scores['difflib'])} / {percent(scores['rapidfuzz'])} (n={len(sampled)})"
    )
    return (
        ratios[0] >= DIFFLIB_RATIO_TARGET,
        ratios[1] >= RAPIDFUZZ_RATIO_TARGET,
        scores["ours"] >= max(scores["difflib"], scores["rapidfuzz"]),
    )


def run(mode: Mode, report: Report) -> dict[int, GlossaryIndex]:
    """Every size in turn; the verdicts are those at the largest. Returns the indexes for /define."""
    rows = _rows(report)
    indexes: dict[int, GlossaryIndex] = {}
    for size in SIZES:
        index = indexes[size] = _build(mode, size, rows)
        rows.warm.met = _time_keystrokes(mode, size, index, rows)
        rows.vs_difflib.met, rows.vs_rapidfuzz.met, rows.recall.met = _against_baselines(mode, size, index, rows)
    smallest = SIZES[0]
    for size in SIZES[1:]:
        medians = rows.medians
        rows.growth.by_size[size] = " / ".join(
            f"×{medians[name][size] / medians[name][smallest]:.1f}" for name in ("ours", "difflib", "rapidfuzz")
        )
    report.notes.append(
        "Autocomplete: queries are what the text box holds after a keystroke: a prefix of a name (half), an "
        "alias as typed (a quarter), or a name with one or two typos (a quarter; two only with 8+ letters as "
        "typed, as `max_edits` allows). The baselines search every name and alias, case-folded beforehand: "
        "`difflib.get_close_matches(q, names, n=25)` (cutoff 0.6) and `rapidfuzz.process.extract(q, names, "
        "limit=25)` (WRatio); ours is `GlossaryIndex.complete(q)` (25 choices, tiered). Recall: the meant term "
        "among the first five distinct terms offered."
    )
    if not rows.warm.met:
        report.notes.append(
            "Autocomplete p99: the slowest keystrokes are texts of 8+ letters, where two typos are allowed and "
            "the typo walk branches at each letter into the letters that follow there (most of all one typo in "
            "the first four letters with another later, and a common first word followed by a letter or two, "
            "where every name going on with the first word is within two typos). The median by kind shows "
            "which kinds pay for it. On a shared machine the tail also holds other processes' time: compare the "
            "load averages. Growth: about ×2.5 per tenfold glossary (the typo walk meets more branches where "
            "keys are denser), against the baselines' ×10 or more (they compare every name)."
        )
    return indexes
