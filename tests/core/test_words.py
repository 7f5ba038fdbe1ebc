"""Counts in words: "1 problem", "2 problems"."""

from bot.core.words import plural
from bot.importers import ImportFailed, ImportIssue
from bot.importers.common import MAX_REPORTED_ISSUES


def test_plural() -> None:
    counted = [plural(n, "problem") for n in (0, 1, 2, 1200)]
    assert counted == ["0 problems", "1 problem", "2 problems", "1,200 problems"]
    assert plural(1, "entry", "entries") == "1 entry" and plural(3, "entry", "entries") == "3 entries"


def test_a_long_failure_counts_what_it_hides_in_words() -> None:
    issues = [ImportIssue("g.csv", f"line {n}", "bad") for n in range(MAX_REPORTED_ISSUES + 1)]
    assert str(ImportFailed(issues)).splitlines()[-1] == "... and 1 more problem"
