"""The CLI's glossary chores (`import`, `export`, `define`), run in-process on a temporary database."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.cli import EXIT_NOT_FOUND, EXIT_OK, EXIT_USAGE, main

FIXTURES = Path(__file__).resolve().parent / "fixtures"
OWN_FIXTURE = FIXTURES / "cli_glossary.yaml"
SEED = Path(__file__).resolve().parents[1] / "data" / "glossary.yaml"
INVALID_FIXTURE = FIXTURES / "cli_invalid.csv"
LOSSLESS = FIXTURES / "lossless"
SHARED = Path(__file__).resolve().parents[2] / "shared"
DATASETS = SHARED / "datasets"

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def database_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """DATABASE_PATH in a temporary folder, no seed file, and no developer's .env in the way."""
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "bot.db"
    monkeypatch.setenv("DATABASE_PATH", str(path))
    monkeypatch.setenv("SEED_PATH", str(tmp_path / "no-seed.yaml"))
    return path


@pytest.fixture
def run(database_path: Path, capsys: pytest.CaptureFixture[str]) -> Run:
    def run(*arguments: str | Path) -> tuple[int, str, str]:
        code = main([str(argument) for argument in arguments])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def count_terms(path: Path) -> int:
    if not path.exists():
        return 0
    with sqlite3.connect(path) as connection:
        return int(connection.execute("SELECT count(*) FROM terms").fetchone()[0])


def test_import_of_an_own_format_file(run: Run) -> None:
    code, out, err = run("import", OWN_FIXTURE)
    assert code == EXIT_OK, err
    # No warning for the alias that only repeats the term's own name ("retrieval augmented generation").
    assert out.splitlines() == [
        "Imported: 4 added, 0 updated, 0 unchanged, 0 kept (edited by an editor), 0 warnings",
        "  added: Retrieval-Augmented Generation",
        "  added: Embedding",
        "  added: Vector Database",
        "  added: Café Latency",
    ]
    code, out, _ = run("define", "rag")
    assert code == EXIT_OK
    lines = out.splitlines()
    assert lines[0] == "Retrieval-Augmented Generation"
    assert "Related: Embedding, Vector Database" in lines
    assert "Category: Techniques" in lines
    code, out, _ = run("define", "vector stores")
    assert code == EXIT_OK and out.splitlines()[0] == "Vector Database"
    code, out, _ = run("import", OWN_FIXTURE)
    assert out.strip().startswith("Imported: 0 added, 0 updated, 4 unchanged")


def test_dry_run_changes_nothing(run: Run, database_path: Path) -> None:
    code, out, _ = run("import", "--dry-run", OWN_FIXTURE)
    assert code == EXIT_OK
    assert out.startswith("Dry run, nothing changed. Would apply: 4 added")
    assert count_terms(database_path) == 0
    code, _, err = run("define", "rag")
    assert code == EXIT_NOT_FOUND and err.startswith("No entry for 'rag'.")


def test_a_dry_run_prints_the_same_report_naming_entries_added_updated_and_moved(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEED_PATH", str(LOSSLESS / "start.yaml"))
    dry = run("import", "--dry-run", LOSSLESS / "yaml_folder")
    real = run("import", LOSSLESS / "yaml_folder")
    assert dry[0] == real[0] == EXIT_OK
    assert dry[1].replace("Dry run, nothing changed. Would apply: ", "Imported: ") == real[1]
    assert dry[2] == real[2]  # the same warnings
    lines = real[1].splitlines()
    assert lines[0].startswith("Imported: 4 added, 0 updated, 0 unchanged, 0 kept (edited by an editor), 1 moved")
    assert "  added: recall" in lines
    assert "  moved: 'recall' was an alias of 'Precision and Recall': now an entry of its own" in real[1]
    assert "warning: 'cross-validation': alias 'cv' dropped: it is already an alias of 'Computer Vision'" in real[2]
    code, out, _ = run("define", "sensitivity")
    assert code == EXIT_OK and out.splitlines()[0] == "recall" and "Related: Precision and Recall" in out
    code, out, _ = run("import", LOSSLESS / "terms.csv")
    assert out.splitlines() == [
        "Imported: 0 added, 1 updated, 0 unchanged, 0 kept (edited by an editor), 0 warnings",
        "  updated: regularization",
    ]
    code, out, _ = run("define", "weight decay")
    assert out.splitlines()[0] == "regularization" and "Category: Training" in out and "Related: overfitting" in out


def test_seeding_never_overwrites_what_an_import_changed(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed = tmp_path / "glossary.yaml"
    seed.write_bytes(SEED.read_bytes())
    monkeypatch.setenv("SEED_PATH", str(seed))
    ours = tmp_path / "moe.csv"
    ours.write_text("term,definition\nMixture of Experts,Example text: experts chosen per token.\n", encoding="utf-8")
    assert run("import", ours)[0] == EXIT_OK
    seed.write_text(seed.read_text(encoding="utf-8").replace("a router sends", "a gate sends"), encoding="utf-8")
    code, out, _ = run("define", "MoE")  # opens the database as the bot would: the changed seed is applied
    assert code == EXIT_OK
    assert out.splitlines()[:3] == ["Mixture of Experts", "", "Example text: experts chosen per token."]


def test_an_invalid_file_changes_nothing_and_names_file_and_line(run: Run, tmp_path: Path) -> None:
    assert run("import", OWN_FIXTURE)[0] == EXIT_OK
    assert run("export", tmp_path / "before.yaml")[0] == EXIT_OK
    code, out, err = run("import", INVALID_FIXTURE)
    assert code == EXIT_USAGE and out == ""
    assert err.startswith("Import failed, nothing was changed (2 problems):")
    assert "cli_invalid.csv, line 3: the definition is empty" in err
    assert "cli_invalid.csv, line 4: the URL 'ftp://example.org/file' is not an http(s) link" in err
    assert run("export", tmp_path / "after.yaml")[0] == EXIT_OK
    assert (tmp_path / "after.yaml").read_text(encoding="utf-8") == (tmp_path / "before.yaml").read_text(
        encoding="utf-8"
    )


@pytest.mark.parametrize("suffix", [".csv", ".json", ".yaml"])
def test_export_then_import_round_trips(run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str) -> None:
    assert run("import", OWN_FIXTURE)[0] == EXIT_OK
    first = tmp_path / f"first{suffix}"
    code, out, _ = run("export", first)
    assert code == EXIT_OK and out.strip() == f"Exported 4 terms to {first}"
    original = run("define", "rag")[1]

    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "copy.db"))
    code, out, err = run("import", first)
    assert code == EXIT_OK and "4 added" in out and "0 warnings" in out, err
    second = tmp_path / f"second{suffix}"
    assert run("export", second)[0] == EXIT_OK
    assert second.read_text(encoding="utf-8") == first.read_text(encoding="utf-8")
    assert run("define", "rag")[1] == original
    assert "Café Latency" in second.read_text(encoding="utf-8")


def test_export_refuses_an_unknown_extension(run: Run, tmp_path: Path) -> None:
    code, _, err = run("export", tmp_path / "glossary.txt")
    assert code == EXIT_USAGE and "must end in .csv, .json, .yaml or .yml" in err
    assert not (tmp_path / "glossary.txt").exists()


@pytest.mark.needs_shared
def test_the_real_datasets_import_and_answer(run: Run) -> None:
    if not SHARED.is_dir():
        pytest.skip("../shared is not here")
    yaml_folder = DATASETS / "ai-glossary-yaml" / "terms"
    pipe_csv = DATASETS / "google-ml-glossary" / "Google Machine Learning Glossary.csv"
    for source in (yaml_folder, pipe_csv):
        code, out, err = run("import", source)
        assert code == EXIT_OK, err
        assert out.startswith("Imported: ") and "Import failed" not in err
    for query, name in [
        ("RAG", "retrieval-augmented generation"),
        ("retrieval augmented generation", "retrieval-augmented generation"),
        ("gradient descent", "gradient descent"),
        ("bias (math)", "bias (math)"),
        ("false positive", "false positive (FP)"),  # a base name, from the pipe CSV
        ("MSE", "Mean Squared Error (MSE)"),  # an abbreviation in brackets
        ("flase positive", "false positive (FP)"),
    ]:
        code, out, err = run("define", query)
        assert code == EXIT_OK, err
        assert out.splitlines()[0] == name, query
        assert len(out.splitlines()) > 2, query  # the entry itself follows the name
    code, out, err = run("define", "bias")
    assert code == EXIT_NOT_FOUND and "several senses" in err
    assert "bias (math)" in err and "bias (ethics/fairness)" in err


def test_pulse_import_gives_unranked_points_the_next_free_ranks(run: Run, tmp_path: Path) -> None:
    points = tmp_path / "points.csv"
    points.write_text(
        "week,figure,headline,rank\n"
        "2026-W50,Example A,Example unranked A,\n"
        "2026-W50,Example B,Example ranked 1,1\n"
        "2026-W50,Example C,Example unranked C,\n",
        encoding="utf-8",
    )
    code, out, err = run("pulse", "import", points)
    assert code == EXIT_OK, err
    assert out.strip() == f"Imported 3 data points from {points}"
    code, out, _ = run("pulse", "preview", "2026-W50")
    assert code == EXIT_OK
    assert "1. Example B — Example ranked 1" in out
    assert "2. Example A — Example unranked A" in out
    assert "3. Example C — Example unranked C" in out


def test_pulse_preview_of_an_empty_week_says_nothing_will_be_posted(run: Run) -> None:
    code, out, err = run("pulse", "preview", "2026-W50")
    assert code == EXIT_NOT_FOUND and out == ""
    assert err.strip() == (
        "No data points for 2026-W50 (Friday 2026-12-11) yet: "
        "nothing will be posted that Friday until editors add some."
    )


SERVER = "1400000000000000001"


def test_a_servers_glossary_goes_in_and_out_with_server(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = run("import", OWN_FIXTURE, "--server", SERVER)
    assert code == EXIT_OK, err
    assert out.startswith("Imported: 4 added")
    code, _, _ = run("define", "rag")
    assert code == EXIT_NOT_FOUND  # the CLI's define reads the shared glossary: the server's entries stay theirs
    exported = tmp_path / "server.yaml"
    code, out, err = run("export", exported, "--server", SERVER)
    assert code == EXIT_OK and out.strip() == f"Exported 4 terms to {exported}", err
    shared = tmp_path / "shared.yaml"
    assert run("export", shared)[1].strip() == f"Exported 0 terms to {shared}"
    code, out, _ = run("import", exported, "--server", SERVER)
    assert code == EXIT_OK and "0 added, 0 updated, 4 unchanged" in out
    again = tmp_path / "again.yaml"
    run("export", again, "--server", SERVER)
    assert again.read_bytes() == exported.read_bytes()

    monkeypatch.setenv("SERVER_TERMS_LIMIT", "5")
    code, _, err = run("import", OWN_FIXTURE, "--server", "1400000000000000002", "--dry-run")
    assert code == EXIT_OK, err
    monkeypatch.setenv("SERVER_TERMS_LIMIT", "3")
    code, _, err = run("import", OWN_FIXTURE, "--server", "1400000000000000002")
    assert code == EXIT_USAGE and "nothing was changed" in err and "limit is 3" in err
    with pytest.raises(SystemExit):
        run("import", OWN_FIXTURE, "--server", "0")


def test_export_writes_an_ordinary_file_and_replaces_one_only_with_force(run: Run, tmp_path: Path) -> None:
    assert run("import", OWN_FIXTURE)[0] == EXIT_OK
    target = tmp_path / "glossary.yaml"
    previous = os.umask(0o022)
    try:
        code, out, err = run("export", target)
    finally:
        os.umask(previous)
    assert code == EXIT_OK, err
    assert stat.S_IMODE(target.stat().st_mode) == 0o644  # what any program makes under umask 022
    target.write_text("an older export", encoding="utf-8")
    code, out, err = run("export", target)
    assert code == EXIT_USAGE and out == ""
    assert (
        err.strip() == f"No export made: {target} already exists: choose another name, or pass --force to replace it."
    )
    assert target.read_text(encoding="utf-8") == "an older export"
    assert run("export", target, "--force")[0] == EXIT_OK
    assert target.read_text(encoding="utf-8").startswith("- term: ")
    assert sorted(path.name for path in tmp_path.iterdir() if path.name.startswith(".")) == []


def test_counts_are_spelled_right(run: Run, tmp_path: Path) -> None:
    one_problem = tmp_path / "one.csv"
    one_problem.write_text("term,definition\nExample,\n", encoding="utf-8")
    code, _, err = run("import", one_problem)
    assert code == EXIT_USAGE and err.startswith("Import failed, nothing was changed (1 problem):\n")
    single = tmp_path / "single.csv"
    single.write_text("term,definition\nExample Term,An example.\n", encoding="utf-8")
    assert run("import", single)[0] == EXIT_OK
    code, out, _ = run("export", tmp_path / "out.csv")
    assert out.strip() == f"Exported 1 term to {tmp_path / 'out.csv'}"


def test_a_missing_pulse_verb_is_named_as_the_user_sees_it(run: Run, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["pulse"])
    err = capsys.readouterr().err
    assert exited.value.code == EXIT_USAGE
    assert "the following arguments are required: {import,fetch,preview}" in err and "pulse_verb" not in err
