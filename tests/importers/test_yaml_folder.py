"""One-term-per-file YAML folders (the ai-glossary layout)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.core.entry import Entry
from bot.importers import ImportFailed, read_glossary

FIXTURES = Path(__file__).parent / "fixtures"
GOOD = FIXTURES / "yaml_folder"
BROKEN = FIXTURES / "yaml_folder_broken"


def copy_folder(target: Path, *files: Path) -> Path:
    target.mkdir()
    for file in files:
        shutil.copy(file, target / file.name)
    return target


def test_fields_are_mapped() -> None:
    entries = {entry.term: entry for entry in read_glossary(GOOD).entries}
    assert list(entries) == ["embedding", "retrieval-augmented generation", "vector store"]  # file order
    assert entries["retrieval-augmented generation"] == Entry(
        term="retrieval-augmented generation",
        definition="Answering with a model after fetching relevant documents into its prompt.",
        description="A retriever finds passages for the question and the generator answers from them, "
        "which keeps answers grounded in sources.",
        # "retrieval augmented generation" is the term's own key: dropped, not an error.
        aliases=("RAG",),
        # related, then broader, then narrower; repeats and the term itself left out.
        related=("vector store", "generative ai", "agentic RAG"),
        category="Retrieval",
        url="https://example.org/rag",
    )


def test_optional_keys_may_be_missing() -> None:
    embedding = read_glossary(GOOD).entries[0]
    assert (embedding.description, embedding.related, embedding.category, embedding.url) == ("", (), None, None)
    assert embedding.extra["location"] == "embedding.yml"
    # Missing keys are left out, so importing the folder keeps what an entry already had there.
    assert embedding.left_out == {"description", "related", "category", "url"}


def test_clashing_aliases_are_dropped_with_notes() -> None:
    glossary = read_glossary(GOOD)
    entries = {entry.term: entry for entry in glossary.entries}
    assert entries["embedding"].aliases == ()
    assert entries["vector store"].aliases == ("vector database",)
    assert [str(note) for note in glossary.notes] == [
        "yaml_folder, embedding.yml: alias 'similarity index' of 'embedding' dropped: "
        "it is also an alias of 'vector store'",
        "yaml_folder, embedding.yml: alias 'Vector Store' of 'embedding' dropped: "
        "it is the term 'vector store' (vector-store.yml)",
        "yaml_folder, vector-store.yml: alias 'similarity index' of 'vector store' dropped: "
        "it is also an alias of 'embedding'",
    ]


def test_broken_files_are_named_and_fail_the_whole_folder(tmp_path: Path) -> None:
    folder = copy_folder(tmp_path / "terms", *GOOD.iterdir(), *BROKEN.iterdir())
    (folder / "bad-syntax.yaml").write_text('term: "unclosed\nshort_def: x\n')
    (folder / "latin1.yml").write_bytes("term: café\nshort_def: x\n".encode("latin-1"))
    (folder / "typed.yml").write_text("term: yes\nshort_def: x\naliases: just one\n")
    (folder / "dup.yml").write_text("term: Vector-Stores\nshort_def: x\n")
    (folder / ".hidden.yml").write_text("not: [valid")
    (folder / "notes.txt").write_text("ignored")
    with pytest.raises(ImportFailed) as caught:
        read_glossary(folder)
    assert [str(issue) for issue in caught.value.issues] == [
        "terms, bad-syntax.yaml: is not valid YAML at line 3, column 1: "
        "found unexpected end of stream (while scanning a quoted scalar at line 1)",
        "terms, latin1.yml: is not UTF-8 text (save it as UTF-8 and retry) (line 1)",
        "terms, no-definition.yml: the short_def is missing",
        "terms, not-a-term.yml: must be a mapping of fields, not a list",
        "terms, typed.yml: the term must be text, not true/false (put it in quotes)",
        "terms, vector-store.yml: the term 'vector store' has the same lookup key as the term "
        "'Vector-Stores' (dup.yml)",
    ]


def test_repository_root_is_accepted(tmp_path: Path) -> None:
    copy_folder(tmp_path / "terms", *GOOD.iterdir())
    (tmp_path / "term.schema.json").write_text("{}")
    assert len(read_glossary(tmp_path).entries) == 3


def test_empty_folder_and_shape_errors(tmp_path: Path) -> None:
    with pytest.raises(ImportFailed, match=r"holds no \.yml or \.yaml files"):
        read_glossary(tmp_path)
    (tmp_path / "a.yml").write_text(
        "term: a\nshort_def: x\nrelationships: [related]\ncitations: {url: 'https://x.org'}\n"
    )
    (tmp_path / "b.yml").write_text("term: b\nshort_def: x\ncitations: [just text]\ncategories: [7]\n")
    with pytest.raises(ImportFailed) as caught:
        read_glossary(tmp_path)
    assert [str(issue) for issue in caught.value.issues] == [
        # The first shape problem of a file is reported; fixing it reveals the next.
        f"{tmp_path.name}, a.yml: relationships must be a mapping, not a list",
        f"{tmp_path.name}, b.yml: every item of the categories must be text, found a number",
    ]
