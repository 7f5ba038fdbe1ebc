"""Reading CSV fields of any length, for files whose size is capped already."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def whole_csv_fields(max_chars: int) -> Iterator[None]:
    """Let the csv module read fields up to `max_chars` (the file's own size cap), so that an over-long
    field is reported by the caller's checks as too long, naming its line and column, instead of failing
    the parse as "field larger than field limit", which reads like a broken file. The process-wide limit
    is restored afterwards."""
    previous = csv.field_size_limit(max_chars)
    try:
        yield
    finally:
        csv.field_size_limit(previous)
