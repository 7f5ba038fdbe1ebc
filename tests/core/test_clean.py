"""Bidi overrides and zero-width characters are stripped from names on the way in, whichever way they come."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.clean import INVISIBLE, clean_text
from bot.core.editing import EntryForm, build_entry, with_alias, with_related
from bot.core.entry import Entry, entry_problems
from bot.importers import read_glossary

SPOOFED = "\u202eLLM\u202c"  # right-to-left override: would display reversed
ZERO_WIDTH = "Fine\u200b-\u200dTuning\ufeff"


@pytest.mark.parametrize("char", sorted(INVISIBLE))
def test_every_invisible_character_goes(char: str) -> None:
    assert clean_text(f"Example{char}Term") == "ExampleTerm"


def test_visible_text_is_left_alone() -> None:
    for text in ("Large Language Model", "naïve café", "東京", "Ünïcödé – dash", "emoji 🤖"):
        assert clean_text(text) == text
    assert clean_text("\u200b Padded \u200b") == "Padded"


def test_an_entry_cleans_its_names_but_not_its_text() -> None:
    entry = Entry(
        term=SPOOFED, definition="Example \u200bdefinition.", aliases=(ZERO_WIDTH,), related=("\u2066RAG\u2069",)
    )
    assert (entry.term, entry.aliases, entry.related) == ("LLM", ("Fine-Tuning",), ("RAG",))
    assert entry.definition == "Example \u200bdefinition."
    assert Entry(term="\u200b\u200e", definition="x").term == ""
    assert "the term has no letters or digits" in entry_problems(Entry(term="\u200b\u200e", definition="x"))


def test_an_imported_file_is_cleaned(tmp_path: Path) -> None:
    path = tmp_path / "glossary.csv"
    path.write_text(f"term,definition,aliases\n{SPOOFED},Example.,{ZERO_WIDTH}\n", encoding="utf-8")
    (entry,) = read_glossary(path).entries
    assert (entry.term, entry.aliases) == ("LLM", ("Fine-Tuning",))


def test_the_editing_paths_are_cleaned() -> None:
    entry = build_entry(EntryForm(name=SPOOFED, definition="Example.", aliases=ZERO_WIDTH, related="\u200bRAG"))
    assert (entry.term, entry.aliases, entry.related) == ("LLM", ("Fine-Tuning",), ("RAG",))
    assert with_alias(entry, "\u202dLarge Language Model").aliases[-1] == "Large Language Model"
    assert with_related(entry, "Embedding\u200b").related[-1] == "Embedding"
