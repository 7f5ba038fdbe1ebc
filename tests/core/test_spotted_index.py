"""The spotter rides along with the matching index: every change to names reaches "Explain terms"."""

from __future__ import annotations

from bot.core.spotted_index import SpottedIndex


def _spotted(index: SpottedIndex, text: str) -> list[tuple[int, str]]:
    return [(mention.term_id, mention.name) for mention in index.spotter.find(text)]


def test_build_registers_names_and_aliases() -> None:
    index = SpottedIndex.build(iter([(1, "Large Language Model", iter(["LLM"]), 3), (2, "Fine-Tuning", [], 0)]))
    assert len(index) == 2 and index.term_for("llm") == 1
    assert _spotted(index, "An LLM after fine tuning") == [(1, "LLM"), (2, "Fine-Tuning")]


def test_upsert_and_remove_follow_through() -> None:
    index = SpottedIndex.build([(1, "Large Language Model", ["LLM"], 0)])
    index.upsert(1, "Large Language Model", (alias for alias in ["Foundation LM"]))
    assert _spotted(index, "an LLM") == []
    assert _spotted(index, "a foundation LM") == [(1, "Foundation LM")]
    index.upsert(2, "Quokka", [])
    assert _spotted(index, "quokkas everywhere") == [(2, "Quokka")]
    index.remove(2)
    assert _spotted(index, "quokkas everywhere") == []
    assert index.term_for("quokka") is None
