"""Which importer a path needs, and the one entry point that runs it."""

from __future__ import annotations

from pathlib import Path
from typing import Literal, get_args

from bot.importers.common import PIPE_CSV_DELIMITER, ParsedGlossary, fail
from bot.importers.own import read_own_csv, read_own_json, read_own_yaml
from bot.importers.yaml_folder import read_yaml_folder

Format = Literal["own-csv", "own-json", "own-yaml", "yaml-folder", "pipe-csv"]
FORMATS: tuple[Format, ...] = get_args(Format)
SNIFF_BYTES = 64 * 1024
"""Enough for any header row; the first line is all detection looks at."""


def _first_line(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except OSError as error:
        raise fail(path, f"cannot be read ({error.strerror or error})") from error
    lines = head.decode("utf-8-sig", errors="replace").splitlines()  # none at all for a lone byte-order mark
    return lines[0] if lines else ""


def detect_format(path: Path) -> Format:
    """A folder is a YAML folder; otherwise the extension decides, and for .csv the first line.

    A .csv whose first line has a "|" and no "term" column is the pipe-separated flashcard format.
    """
    if path.is_dir():
        return "yaml-folder"
    if not path.exists():
        raise fail(path, "no such file or folder")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        line = _first_line(path)
        columns = {cell.strip().strip('"').strip().lower() for cell in line.split(",")}
        return "pipe-csv" if PIPE_CSV_DELIMITER in line and "term" not in columns else "own-csv"
    if suffix == ".json":
        return "own-json"
    if suffix in {".yaml", ".yml"}:
        return "own-yaml"
    raise fail(path, "has an unknown extension: use .csv, .json, .yaml or .yml, or give a folder of .yml files")


def read_glossary(path: Path, *, progress: bool = False) -> ParsedGlossary:
    """Every entry of `path`, validated; raises ImportFailed listing every problem if any entry is bad.

    Related links to terms outside the file are not checked here: see `unresolved_links`.
    """
    readers = {
        "own-csv": read_own_csv,
        "own-json": read_own_json,
        "own-yaml": read_own_yaml,
        "yaml-folder": read_yaml_folder,
        "pipe-csv": _read_pipe_csv,
    }
    return readers[detect_format(path)](path, progress_bar=progress)


def _read_pipe_csv(path: Path, *, progress_bar: bool) -> ParsedGlossary:
    # Its HTML converters (bs4, markdownify) cost ~100 ms and ~6 MB to import, and the running bot, which
    # only ever reads the seed file, never needs them.
    from bot.importers.google_csv import read_pipe_csv

    return read_pipe_csv(path, progress_bar=progress_bar)
