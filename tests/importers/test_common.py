"""Issue formatting, whole-file validation, limits and link checking shared by every importer."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.entry import Entry
from bot.importers import ImportFailed, ImportIssue, common, read_glossary, unresolved_links
from bot.importers.common import SourcedEntry, drop_conflicting_aliases, duplicate_issues, finish, read_text


def sourced(term: str, *aliases: str, location: str = "") -> SourcedEntry:
    return SourcedEntry(Entry(term, f"About {term}.", aliases=aliases), location or f"entry {term!r}")


def test_issue_reads_as_file_location_reason() -> None:
    issue = ImportIssue("/data/in/glossary.csv", "line 12", "the definition is empty")
    assert str(issue) == "glossary.csv, line 12: the definition is empty"
    assert str(ImportIssue("glossary.csv", "", "is empty")) == "glossary.csv: is empty"


def test_import_failed_lists_every_issue_and_caps_the_message() -> None:
    issues = [ImportIssue("g.csv", f"line {n}", "bad") for n in range(common.MAX_REPORTED_ISSUES + 5)]
    error = ImportFailed(issues)
    assert error.issues == issues
    assert str(error).splitlines()[0] == "g.csv, line 0: bad"
    assert str(error).splitlines()[-1] == "... and 5 more problems"


def test_finish_reports_each_entry_problem_with_its_location() -> None:
    items = [
        SourcedEntry(Entry("good", "Fine."), "line 2"),
        SourcedEntry(Entry("   ", ""), "line 3"),
        SourcedEntry(Entry("link", "Has a bad url.", url="ftp://example.org"), "line 4"),
    ]
    with pytest.raises(ImportFailed) as caught:
        finish("g.csv", items)
    assert [(issue.location, issue.reason) for issue in caught.value.issues] == [
        ("line 3", "the term has no letters or digits"),
        ("line 3", "the definition is empty"),
        ("line 4", "the URL 'ftp://example.org' is not an http(s) link of at most 512 characters"),
    ]


def test_duplicates_name_both_entries_but_repeats_within_one_entry_are_fine() -> None:
    items = [
        sourced("Fine-tuning", "fine tuning", location="line 2"),  # same key as its own term: harmless
        sourced("LoRA", "low-rank adaptation", location="line 3"),
        sourced("finetuning", location="line 4"),
        sourced("adapter", "LORA", location="line 5"),
        sourced("Low Rank Adaptations", location="line 6"),
    ]
    reasons = [(issue.location, issue.reason) for issue in duplicate_issues("g.csv", items)]
    assert reasons == [
        ("line 4", "the term 'finetuning' has the same lookup key as the term 'Fine-tuning' (line 2)"),
        ("line 5", "the alias 'LORA' has the same lookup key as the term 'LoRA' (line 3)"),
        (
            "line 6",
            "the term 'Low Rank Adaptations' has the same lookup key as the alias 'low-rank adaptation' "
            "of 'LoRA' (line 3)",
        ),
    ]


def test_converted_formats_drop_clashing_aliases_with_notes_but_keep_term_clashes() -> None:
    items = [
        sourced("tool use", "function calling", "tools", location="a.yml"),
        sourced("function calling", location="b.yml"),
        sourced("fine-tuning", "SFT", "fine tuning", location="c.yml"),
        sourced("instruction tuning", "sft", location="d.yml"),
    ]
    kept, notes = drop_conflicting_aliases("folder", items)
    assert [item.entry.aliases for item in kept] == [("tools",), (), (), ()]
    assert [str(note) for note in notes] == [
        "folder, a.yml: alias 'function calling' of 'tool use' dropped: it is the term 'function calling' (b.yml)",
        "folder, c.yml: alias 'SFT' of 'fine-tuning' dropped: it is also an alias of 'instruction tuning'",
        "folder, d.yml: alias 'sft' of 'instruction tuning' dropped: it is also an alias of 'fine-tuning'",
    ]
    assert not duplicate_issues("folder", kept)


def test_unresolved_links_ignore_known_keys_and_names_in_the_batch() -> None:
    entries = [
        Entry("attention", "A.", related=("Transformers", "softmax", "self attention")),
        Entry("transformer", "T.", aliases=("Self-Attention",), related=("RNN",)),
    ]
    assert unresolved_links(entries, {"softmax"}) == [("transformer", "RNN")]


def test_bad_encoding_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("term,definition\ncafé,A place.\n".encode("latin-1"))
    with pytest.raises(ImportFailed) as caught:
        read_glossary(path)
    assert str(caught.value) == "latin1.csv, line 2: is not UTF-8 text (save it as UTF-8 and retry)"


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufeffterm,definition\nbias,An offset.\n".encode())
    assert [entry.term for entry in read_glossary(path).entries] == ["bias"]


def test_files_over_the_size_cap_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(common, "MAX_FILE_BYTES", 64)
    path = tmp_path / "big.json"
    path.write_text("[" + ", ".join(['{"term": "x", "definition": "y"}'] * 10) + "]")
    with pytest.raises(ImportFailed, match="is larger than the 64 bytes import limit"):
        read_text(path)


@pytest.mark.parametrize("suffix", [".csv", ".json", ".yaml"])
def test_entry_cap_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str) -> None:
    monkeypatch.setattr(common, "MAX_ENTRIES", 2)
    rows = [("a", "A."), ("b", "B."), ("c", "C.")]
    path = tmp_path / f"many{suffix}"
    if suffix == ".csv":
        path.write_text("term,definition\n" + "".join(f"{t},{d}\n" for t, d in rows))
    else:
        path.write_text("[" + ", ".join(f'{{"term": "{t}", "definition": "{d}"}}' for t, d in rows) + "]")
    with pytest.raises(ImportFailed, match="has more than 2 entries, the import limit"):
        read_glossary(path)


def test_progress_bar_goes_to_stderr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(common, "PROGRESS_MIN_ITEMS", 1)
    path = tmp_path / "g.csv"
    path.write_text("term,definition\na,A.\nb,B.\n")
    read_glossary(path, progress=True)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "g.csv" in captured.err
    read_glossary(path)
    assert capsys.readouterr().err == ""
