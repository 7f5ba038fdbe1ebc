"""Format detection and the read_glossary entry point."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.importers import ImportFailed, detect_format, read_glossary

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (FIXTURES / "own" / "glossary.csv", "own-csv"),
        (FIXTURES / "own" / "glossary.json", "own-json"),
        (FIXTURES / "own" / "glossary.yaml", "own-yaml"),
        (FIXTURES / "yaml_folder", "yaml-folder"),
        (FIXTURES / "google" / "glossary.csv", "pipe-csv"),
    ],
)
def test_detects_every_fixture(path: Path, expected: str) -> None:
    assert detect_format(path) == expected


def test_yml_extension_and_csv_sniffing(tmp_path: Path) -> None:
    (tmp_path / "a.YML").write_text("[]")
    assert detect_format(tmp_path / "a.YML") == "own-yaml"
    # A pipe inside an own-format header row's text does not make it a pipe file.
    (tmp_path / "b.csv").write_text('"term","definition|meaning"\n')
    assert detect_format(tmp_path / "b.csv") == "own-csv"
    (tmp_path / "c.csv").write_text("")
    assert detect_format(tmp_path / "c.csv") == "own-csv"


def test_unknown_extension_and_missing_path_are_import_errors(tmp_path: Path) -> None:
    (tmp_path / "glossary.txt").write_text("term,definition\n")
    with pytest.raises(ImportFailed, match=r"glossary.txt: has an unknown extension"):
        detect_format(tmp_path / "glossary.txt")
    with pytest.raises(ImportFailed, match=r"nope.csv: no such file or folder"):
        read_glossary(tmp_path / "nope.csv")


def test_the_three_own_encodings_give_the_same_entries() -> None:
    csv_entries = read_glossary(FIXTURES / "own" / "glossary.csv").entries
    assert read_glossary(FIXTURES / "own" / "glossary.json").entries == csv_entries
    assert read_glossary(FIXTURES / "own" / "glossary.yaml").entries == csv_entries


def test_the_running_bot_does_not_load_the_html_converters_or_progress_bars() -> None:
    # They weigh ~13 MB and ~100 ms at every start; only `import` of a pipe CSV, or with progress, needs them.
    script = "import sys, bot.app; print(sorted({'bs4', 'markdownify', 'tqdm'} & set(sys.modules)))"
    loaded = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"
