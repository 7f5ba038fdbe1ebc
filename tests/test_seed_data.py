"""Checks on the hand-written seed data: data/glossary.yaml, and that no pulse data points ship."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.core.normalize import lookup_key

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
GLOSSARY_PATH = DATA_DIR / "glossary.yaml"

ENTRY_KEYS = {"term", "definition", "description", "aliases", "related", "category", "url"}
CATEGORIES = {
    "Foundations",
    "Models & Architectures",
    "Training",
    "Language Models",
    "Safety & Alignment",
    "Evaluation",
    "Data",
    "Infrastructure",
    "Applications",
    "Governance & Policy",
}
SEED_TERMS = [
    "Self-Supervised Learning",
    "Artificial General Intelligence",
    "AI Alignment",
    "ChatGPT",
    "Fine-Tuning",
    "Foundation Model",
    "Frontier Model",
]
SSL_RELATED = [
    "Artificial General Intelligence",
    "AI Alignment",
    "ChatGPT",
    "Fine-Tuning",
    "Foundation Model",
    "Frontier Model",
]
SEED_DEFINITIONS = {
    "Self-Supervised Learning": (
        "A training paradigm where AI models learn from unlabeled data by creating their own supervisory "
        "signals, such as predicting masked words or future frames in video."
    ),
    "Artificial General Intelligence": (
        "A hypothetical form of AI that can understand, learn, and apply knowledge across any intellectual "
        "task at or above human level, rather than being specialized for specific tasks."
    ),
}
ABBREVIATIONS = {
    "AGI": "Artificial General Intelligence",
    "SSL": "Self-Supervised Learning",
    "LLM": "Large Language Model",
    "RLHF": "Reinforcement Learning from Human Feedback",
    "RAG": "Retrieval-Augmented Generation",
    "GPT": "Generative Pre-trained Transformer",
    "SGD": "Stochastic Gradient Descent",
    "LoRA": "Low-Rank Adaptation",
    "MoE": "Mixture of Experts",
}


@pytest.fixture(scope="module")
def entries() -> list[dict[str, Any]]:
    loaded = yaml.safe_load(GLOSSARY_PATH.read_text(encoding="utf-8"))
    assert isinstance(loaded, list)
    return loaded


@pytest.fixture(scope="module")
def by_term(entries: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {entry["term"]: entry for entry in entries}


@pytest.fixture(scope="module")
def name_index(entries: list[dict[str, Any]]) -> dict[str, str]:
    """Lookup key of every term and alias -> the term it belongs to."""
    index: dict[str, str] = {}
    for entry in entries:
        for name in [entry["term"], *entry.get("aliases", [])]:
            index.setdefault(lookup_key(name), entry["term"])
    return index


# --- Glossary -------------------------------------------------------------------------------------


def test_glossary_has_enough_entries(entries: list[dict[str, Any]]) -> None:
    assert len(entries) >= 80


def test_entries_have_required_and_known_keys(entries: list[dict[str, Any]]) -> None:
    for entry in entries:
        assert isinstance(entry, dict)
        assert set(entry) <= ENTRY_KEYS, entry.get("term")
        assert isinstance(entry.get("term"), str) and entry["term"].strip()
        assert isinstance(entry.get("definition"), str) and entry["definition"].strip(), entry["term"]


def test_field_types_and_lengths(entries: list[dict[str, Any]]) -> None:
    for entry in entries:
        term = entry["term"]
        assert len(term) <= 100, term
        assert lookup_key(term), term
        assert not re.search(r"[*_`~|<>\[\]]", term), term
        assert len(entry["definition"]) <= 1000, term
        assert isinstance(entry.get("description", ""), str), term
        assert "<" not in entry.get("description", ""), term
        aliases = entry.get("aliases", [])
        assert isinstance(aliases, list) and all(isinstance(a, str) and lookup_key(a) for a in aliases), term
        assert all(len(alias) <= 100 for alias in aliases), term
        related = entry.get("related", [])
        assert isinstance(related, list) and all(isinstance(r, str) for r in related), term
        assert entry.get("category") in CATEGORIES, term


def test_every_entry_has_a_description_and_related_terms(entries: list[dict[str, Any]]) -> None:
    for entry in entries:
        assert entry.get("description", "").strip(), entry["term"]
        assert 2 <= len(entry.get("related", [])) <= 6, entry["term"]


def test_seed_page_terms_present(by_term: dict[str, dict[str, Any]]) -> None:
    missing = [term for term in SEED_TERMS if term not in by_term]
    assert not missing


def test_seed_definitions_match_the_page(by_term: dict[str, dict[str, Any]]) -> None:
    for term, definition in SEED_DEFINITIONS.items():
        assert by_term[term]["definition"] == definition


def test_self_supervised_learning_related_in_order(by_term: dict[str, dict[str, Any]]) -> None:
    assert by_term["Self-Supervised Learning"]["related"] == SSL_RELATED


def test_no_name_clashes(entries: list[dict[str, Any]]) -> None:
    owners: dict[str, str] = {}
    clashes = []
    for entry in entries:
        keys = {lookup_key(name) for name in [entry["term"], *entry.get("aliases", [])]}
        for key in keys:
            if key in owners:
                clashes.append((key, owners[key], entry["term"]))
            owners[key] = entry["term"]
    assert not clashes


def test_every_related_term_resolves(entries: list[dict[str, Any]], name_index: dict[str, str]) -> None:
    unresolved = [
        (entry["term"], name)
        for entry in entries
        for name in entry.get("related", [])
        if lookup_key(name) not in name_index
    ]
    assert not unresolved


def test_related_terms_are_not_self_references_or_duplicates(
    entries: list[dict[str, Any]], name_index: dict[str, str]
) -> None:
    for entry in entries:
        targets = [name_index[lookup_key(name)] for name in entry.get("related", [])]
        assert entry["term"] not in targets, entry["term"]
        assert len(set(targets)) == len(targets), entry["term"]


@pytest.mark.parametrize(("abbreviation", "term"), sorted(ABBREVIATIONS.items()))
def test_abbreviations_resolve(abbreviation: str, term: str, name_index: dict[str, str]) -> None:
    assert name_index.get(lookup_key(abbreviation)) == term


def test_core_terms_exist(name_index: dict[str, str]) -> None:
    for name in ["Gradient Descent", "Large Language Model", "Transformer", "Hallucination", "KV Cache"]:
        assert lookup_key(name) in name_index, name


def test_glossary_urls_are_https(entries: list[dict[str, Any]]) -> None:
    for entry in entries:
        if "url" in entry:
            assert isinstance(entry["url"], str) and entry["url"].startswith("https://"), entry["term"]
            assert len(entry["url"]) <= 512 and " " not in entry["url"], entry["term"]


def test_categories_are_a_small_fixed_set(entries: list[dict[str, Any]]) -> None:
    used = Counter(entry["category"] for entry in entries)
    assert set(used) <= CATEGORIES


# --- Pulse points ---------------------------------------------------------------------------------


def test_no_data_points_ship() -> None:
    """The bot must never post made-up figures: data points come from editors, never from the repository."""
    assert not [path.name for path in DATA_DIR.iterdir() if path.suffix.lower() in {".json", ".csv"}]
