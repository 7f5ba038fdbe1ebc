"""The two real datasets next to the project, when they are there (../shared/datasets)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.entry import Entry
from bot.core.normalize import lookup_key
from bot.importers import ParsedGlossary, detect_format, read_glossary, unresolved_links

pytestmark = pytest.mark.needs_shared

DATASETS = Path(__file__).resolve().parents[3] / "shared" / "datasets"
GOOGLE = DATASETS / "google-ml-glossary" / "Google Machine Learning Glossary.csv"
AI_GLOSSARY = DATASETS / "ai-glossary-yaml" / "terms"


def load(path: Path) -> ParsedGlossary:
    if not path.exists():
        pytest.skip(f"{path} is not available")
    return read_glossary(path)


def by_key(entries: list[Entry]) -> dict[str, Entry]:
    return {lookup_key(name): entry for entry in entries for name in (entry.term, *entry.aliases)}


def test_google_glossary() -> None:
    glossary = load(GOOGLE)
    assert detect_format(GOOGLE) == "pipe-csv"
    # 413 rows: the deck's notes skipped, 10 abbreviations folded into their terms as aliases.
    assert len(glossary.entries) == 402
    assert sum(len(entry.aliases) for entry in glossary.entries) == 10
    keys = by_key(glossary.entries)
    assert keys[lookup_key("gradient descent")].term == "gradient descent"
    assert keys[lookup_key("bias (math)")].term == "bias (math)"
    assert keys[lookup_key("bias (ethics/fairness)")].term == "bias (ethics/fairness)"
    assert keys[lookup_key("GAN")].term == "generative adversarial network (GAN)"
    assert keys[lookup_key("LSTM")].term == "Long Short-Term Memory (LSTM)"
    assert unresolved_links(glossary.entries, set()) == []
    assert [note.reason.split(":")[0] for note in glossary.notes] == [
        "skipped 'Introduction'",
        "the last quoted cell is never closed (is the file cut short?)",
    ]


def test_ai_glossary_yaml_folder() -> None:
    glossary = load(AI_GLOSSARY)
    assert detect_format(AI_GLOSSARY) == "yaml-folder"
    assert len(glossary.entries) == 109
    keys = by_key(glossary.entries)
    rag = keys[lookup_key("RAG")]
    assert rag.term == "retrieval-augmented generation"
    assert keys[lookup_key("retrieval augmented generation")] is rag
    assert keys[lookup_key("gradient descent")].term == "gradient descent"
    # The dataset's known clashes: one alias shared by two terms, one alias that is another term.
    assert sorted(note.location for note in glossary.notes) == [
        "fine-tuning.yml",
        "instruction-tuning.yml",
        "tool-use.yml",
    ]
    # Some link targets do not exist in the dataset; the store decides what to do with them.
    assert len(unresolved_links(glossary.entries, set())) == 55
