"""Full-text search: ranking, aliases, snippets, and an index that follows every write (migration 0004)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.core.entry import Entry
from bot.core.search import HIGHLIGHT_CLOSE, HIGHLIGHT_OPEN, PAGE_SIZE, MatchKind, match_reason, parse_query
from bot.store.db import Database, available_migrations, split_statements
from bot.store.glossary import GlossaryStore
from bot.store.search import SearchStore
from tests.postgres import check_consistency, write

OPEN, CLOSE = HIGHLIGHT_OPEN, HIGHLIGHT_CLOSE

ENTRIES = [
    Entry(
        "Large Language Model",
        "A neural network trained on vast amounts of text to predict the next token.",
        "Large language models power chat assistants.",
        aliases=("LLM", "Foundation LM"),
        category="Models",
    ),
    Entry(
        "Transformer",
        "A neural network architecture built on attention.",
        "Most large language models are transformers; the attention mechanism weighs every token.",
        category="Architecture",
    ),
    Entry("Attention", "A mechanism that lets a model weigh parts of its input.", category="Architecture"),
    Entry("Tokenizer", "Splits text into tokens.", "Byte-pair encoding is common.", category="Models"),
]


async def _ids(glossary: GlossaryStore) -> dict[str, int]:
    return {name: term_id for term_id, name, _, _ in await glossary.index_rows()}


async def _names(search: SearchStore, text: str) -> list[str]:
    return [row.name for row in (await search.search(parse_query(text))).rows]


async def _integrity(database: Database) -> None:
    await check_consistency(database)


@pytest.fixture
async def search(glossary: GlossaryStore) -> SearchStore:
    await glossary.apply_entries(ENTRIES, mode="import")
    return SearchStore(glossary.database)


async def test_a_name_hit_ranks_above_a_definition_only_hit(search: SearchStore) -> None:
    assert await _names(search, "attention") == ["Attention", "Transformer"]
    assert (await _names(search, "transformer"))[0] == "Transformer"


async def test_words_are_prefixes_and_all_must_match(search: SearchStore) -> None:
    assert await _names(search, "lang mod") == ["Large Language Model", "Transformer"]
    assert await _names(search, "attention zebra") == []


async def test_an_alias_hit_says_which_alias(search: SearchStore) -> None:
    result = await search.search(parse_query("llm"))
    assert [row.name for row in result.rows] == ["Large Language Model"]
    reason = match_reason(result.rows[0])
    assert (reason.kind, reason.marked) == (MatchKind.ALIAS, f"{OPEN}LLM{CLOSE}")


async def test_a_text_hit_comes_with_a_highlighted_snippet(search: SearchStore) -> None:
    (row,) = (await search.search(parse_query("byte pair"))).rows
    reason = match_reason(row)
    assert reason.kind is MatchKind.DESCRIPTION
    assert f"{OPEN}Byte{CLOSE}-{OPEN}pair{CLOSE}" in reason.marked
    (row,) = (await search.search(parse_query("vast"))).rows
    assert match_reason(row).kind is MatchKind.DEFINITION


async def test_stems_and_diacritics_do_not_matter(search: SearchStore) -> None:
    assert "Large Language Model" in await _names(search, "predicting")
    assert (await _names(search, "tökenizer"))[0] == "Tokenizer"
    assert await _names(search, "bytё") == []  # a Cyrillic letter is not a Latin one
    assert await _names(search, "encodíng") == ["Tokenizer"]


async def test_hostile_queries_search_as_plain_words(search: SearchStore) -> None:
    for text in ['"', "NEAR(a b)", "name:llm", "-attention", "'; DROP TABLE terms; --", "a OR b", "*", "^x"]:
        await search.search(parse_query(text))  # must not raise
    assert await _names(search, "-attention") == ["Attention", "Transformer"]
    assert await _names(search, "name:llm") == []  # both words must match: "name" is nowhere
    assert await search.database.fetch_value("SELECT count(*) FROM terms") == len(ENTRIES)


async def test_pages_and_a_page_past_the_end(glossary: GlossaryStore) -> None:
    await glossary.apply_entries([Entry(f"Widget {i:02}", "A widget.") for i in range(PAGE_SIZE + 3)], mode="import")
    search = SearchStore(glossary.database)
    first = await search.search(parse_query("widget"))
    assert (first.total, first.pages, len(first.rows)) == (PAGE_SIZE + 3, 2, PAGE_SIZE)
    second = await search.search(parse_query("widget"), 2)
    assert len(second.rows) == 3
    assert {row.term_id for row in first.rows}.isdisjoint(row.term_id for row in second.rows)
    beyond = await search.search(parse_query("widget"), 99)
    assert beyond.page == 2 and beyond.rows == second.rows


async def test_the_index_follows_apply_entries(search: SearchStore, glossary: GlossaryStore) -> None:
    changed = Entry("Transformer", "Renamed guts.", "Nothing about the old topic.", aliases=("TF",))
    await glossary.apply_entries([changed, Entry("Zebra Net", "Stripes.")], mode="import", replace=True)
    assert await _names(search, "zebra") == ["Zebra Net"]
    assert await _names(search, "tf") == ["Transformer"]
    assert "Transformer" not in await _names(search, "architecture")
    renamed = Entry("Large Language Model", ENTRIES[0].definition, aliases=("GPT-style model",))
    await glossary.apply_entries([renamed], mode="import")  # aliases add up
    assert await _names(search, "llm") == await _names(search, "gpt style") == ["Large Language Model"]
    await glossary.apply_entries([renamed], mode="import", replace=True)  # and start over with --replace
    assert await _names(search, "llm") == []
    assert await _names(search, "gpt style") == ["Large Language Model"]
    await _integrity(glossary.database)


async def test_the_index_follows_direct_updates_and_deletes(search: SearchStore, glossary: GlossaryStore) -> None:
    ids = await _ids(glossary)
    database = glossary.database
    await write(database, "UPDATE terms SET name = 'Quokka' WHERE id = ?", (ids["Tokenizer"],))
    assert await _names(search, "quokka") == ["Quokka"]
    hits = (await search.search(parse_query("tokenizer"))).rows
    assert all(match_reason(row).kind is not MatchKind.NAME for row in hits)  # "tokens" in texts still match
    await write(database, "UPDATE terms SET definition = 'Marsupial.' WHERE id = ?", (ids["Tokenizer"],))
    assert await _names(search, "marsupial") == ["Quokka"]
    await write(
        database,
        "INSERT INTO term_names (key, term_id, text, is_alias, position) VALUES ('qk', ?, 'QK', 1, 9)",
        (ids["Tokenizer"],),
    )
    assert await _names(search, "qk") == ["Quokka"]
    await write(database, "UPDATE term_names SET term_id = ? WHERE key = 'qk'", (ids["Attention"],))
    assert await _names(search, "qk") == ["Attention"]
    await write(database, "DELETE FROM term_names WHERE key = 'llm'")
    assert await _names(search, "llm") == []
    await write(database, "DELETE FROM terms WHERE id = ?", (ids["Large Language Model"],))  # cascades names
    assert "Large Language Model" not in await _names(search, "language")
    assert await _names(search, "foundation") == []
    await write(database, "UPDATE terms SET lookups = lookups + 1")  # not a text change: index untouched
    await _integrity(glossary.database)


async def test_migration_indexes_terms_that_were_already_there(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA foreign_keys = ON")
    for version, _, script in available_migrations():
        if version == 4:
            break
        for statement in split_statements(script):
            connection.execute(statement)
        connection.execute(f"PRAGMA user_version = {version}")
    connection.execute("INSERT INTO terms (id, name, definition, origin) VALUES (7, 'Perceptron', 'Old.', 'seed')")
    connection.execute("INSERT INTO term_names VALUES ('perceptron', 7, 'Perceptron', 0, 0)")
    connection.execute("INSERT INTO term_names VALUES ('mlp', 7, 'MLP', 1, 1)")
    connection.close()
    database = await Database.open(path)
    try:
        search = SearchStore(database)
        assert await _names(search, "perceptron") == ["Perceptron"]
        assert await _names(search, "mlp") == ["Perceptron"]
        await _integrity(database)
    finally:
        await database.close()


async def test_random_terms_and_categories(search: SearchStore) -> None:
    ids = set((await _ids(GlossaryStore(search.database))).values())
    assert {await search.random_term_id() for _ in range(40)} <= ids
    models = {await search.random_term_id("mODELS") for _ in range(40)}
    assert {await search.database.fetch_value("SELECT category FROM terms WHERE id = ?", (i,)) for i in models} == {
        "Models"
    }
    assert await search.random_term_id("Nowhere") is None
    assert await search.categories() == [("Architecture", 2), ("Models", 2)]


async def test_random_on_an_empty_glossary(database: Database) -> None:
    assert await SearchStore(database).random_term_id() is None


async def test_definitions_skip_missing_terms(search: SearchStore) -> None:
    ids = await _ids(GlossaryStore(search.database))
    found = await search.definitions([ids["Attention"], 999_999])
    assert found == {ids["Attention"]: ("Attention", ENTRIES[2].definition)}
    assert await search.definitions([]) == {}
