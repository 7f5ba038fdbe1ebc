import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.core.editing import EditRefused
from bot.core.entry import Entry
from bot.store.db import Database, available_migrations
from bot.store.glossary import GlossaryStore
from bot.store.history import CurationStore

EDITOR = 111
OTHER_EDITOR = 222

SEED = [
    Entry("Large Language Model", "A big model of text.", aliases=("LLM",), category="Models"),
    Entry("Vector Database", "Stores embeddings.", category="Infrastructure"),
    Entry("Embedding", "A vector for a thing.", related=("Vector Database",), category="Models"),
]
RAG = Entry(
    "Retrieval-Augmented Generation",
    "Answering with retrieved documents.",
    aliases=("RAG",),
    related=("LLM", "Vector Database"),
    category="Techniques",
)


@pytest.fixture
async def curation(glossary: GlossaryStore) -> CurationStore:
    await glossary.apply_entries(SEED, mode="seed")
    return CurationStore(glossary.database)


async def _id(database: Database, name: str) -> int:
    value = await database.fetch_value("SELECT id FROM terms WHERE name = ?", (name,))
    assert value is not None
    return int(str(value))


def test_history_migration_is_numbered_after_the_pulse_tables() -> None:
    names = [name for _, name, _ in available_migrations()]
    assert "0003_history.sql" in names and names.index("0003_history.sql") == 2


async def test_add_stores_an_editor_term_and_records_it(curation: CurationStore) -> None:
    result = await curation.add(RAG, EDITOR)
    assert result.entry == Entry(
        "Retrieval-Augmented Generation",
        "Answering with retrieved documents.",
        aliases=("RAG",),
        related=("Large Language Model", "Vector Database"),  # stored as the related terms' names
        category="Techniques",
    )
    row = await curation.database.fetch_one("SELECT origin, edited FROM terms WHERE id = ?", (result.term_id,))
    assert row is not None and tuple(row) == ("editor", 1)
    change = await curation.change(result.change_id)
    assert change is not None
    assert (change.action, change.user_id, change.before, change.after) == ("add", EDITOR, None, result.entry)
    assert datetime.strptime(change.at, "%Y-%m-%dT%H:%M:%SZ").year >= 2025
    stored = await curation.database.fetch_value("SELECT after FROM term_changes WHERE id = ?", (result.change_id,))
    assert json.loads(str(stored))["aliases"] == ["RAG"]


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        (Entry("LLM", "x"), "The name 'LLM' is already an alias of 'Large Language Model'"),
        (Entry("vector databases", "x"), "already the name of 'Vector Database'"),
        (Entry("New", "x", aliases=("llm",)), "the alias 'llm' is already an alias of 'Large Language Model'"),
        (Entry("New", "x", related=("Nowhere", "Nor Here")), "no term is called 'Nowhere', 'Nor Here'"),
    ],
)
async def test_add_refuses_clashes_and_unknown_related_terms(
    curation: CurationStore, entry: Entry, reason: str
) -> None:
    with pytest.raises(EditRefused, match=r"^Not saved: |^The name") as refusal:
        await curation.add(entry, EDITOR)
    assert reason in str(refusal.value)
    assert await curation.database.fetch_value("SELECT count(*) FROM terms") == len(SEED)
    assert await curation.database.fetch_value("SELECT count(*) FROM term_changes") == 0


async def test_edit_marks_the_term_edited_so_seeding_keeps_it(curation: CurationStore, glossary: GlossaryStore) -> None:
    term_id = await _id(curation.database, "Vector Database")
    before = await curation.entry_of(term_id)
    assert before is not None
    edited = Entry("Vector Database", "Stores and searches embeddings.", aliases=("Vector Store",))
    result = await curation.edit(term_id, edited, EDITOR, base=before)
    assert result.entry == edited
    report = await glossary.apply_entries(SEED, mode="seed")
    assert report.kept == ["Vector Database"]
    report = await glossary.apply_entries(SEED, mode="import")
    assert "Vector Database" in report.kept
    assert await curation.entry_of(term_id) == edited


async def test_edit_refuses_when_someone_else_changed_the_term_meanwhile(curation: CurationStore) -> None:
    term_id = await _id(curation.database, "Vector Database")
    base = await curation.entry_of(term_id)
    assert base is not None
    await curation.add_alias(term_id, "VDB", OTHER_EDITOR)
    with pytest.raises(EditRefused, match="changed by someone else"):
        await curation.edit(term_id, Entry("Vector Database", "Mine."), EDITOR, base=base)
    with pytest.raises(EditRefused, match="Nothing to save"):
        await curation.edit(term_id, replace(base, aliases=("VDB",)), EDITOR)


async def test_rename_frees_the_old_name_and_keeps_incoming_links(curation: CurationStore) -> None:
    term_id = await _id(curation.database, "Vector Database")
    await curation.edit(term_id, Entry("Vector Store", "Stores embeddings."), EDITOR)
    embedding = await curation.entry_of(await _id(curation.database, "Embedding"))
    assert embedding is not None and embedding.related == ("Vector Store",)
    await curation.add(Entry("Vector Database", "A database product."), EDITOR)


async def test_alias_and_relate(curation: CurationStore) -> None:
    llm = await _id(curation.database, "Large Language Model")
    embedding = await _id(curation.database, "Embedding")
    result = await curation.add_alias(llm, "Foundation LM", EDITOR)
    assert result.entry is not None and result.entry.aliases == ("LLM", "Foundation LM")
    with pytest.raises(EditRefused, match="already an alias of 'Large Language Model'"):
        await curation.add_alias(embedding, "llm", EDITOR)
    linked = await curation.relate(embedding, llm, EDITOR)
    assert linked.entry is not None and linked.entry.related == ("Vector Database", "Large Language Model")
    unchanged = await curation.entry_of(llm)
    assert unchanged is not None and unchanged.related == ()  # one direction only
    with pytest.raises(EditRefused, match="already lists"):
        await curation.relate(embedding, llm, EDITOR)
    with pytest.raises(EditRefused, match="itself"):
        await curation.relate(llm, llm, EDITOR)


async def test_history_newest_first(curation: CurationStore) -> None:
    added = await curation.add(RAG, EDITOR)
    await curation.add_alias(added.term_id, "RAG pipeline", OTHER_EDITOR)
    history = await curation.history(added.term_id)
    assert [(c.action, c.user_id) for c in history] == [("alias", OTHER_EDITOR), ("add", EDITOR)]
    assert await curation.history(await _id(curation.database, "Embedding")) == []


async def test_revert_an_edit_restores_the_before_snapshot(curation: CurationStore) -> None:
    term_id = await _id(curation.database, "Vector Database")
    original = await curation.entry_of(term_id)
    edit = await curation.edit(term_id, Entry("Vector Database", "Changed.", aliases=("VDB",)), EDITOR)
    revert = await curation.revert(edit.change_id, OTHER_EDITOR)
    assert revert.entry == original and await curation.entry_of(term_id) == original
    change = await curation.change(revert.change_id)
    assert change is not None and (change.action, change.reverts, change.user_id) == ("revert", 1, OTHER_EDITOR)
    with pytest.raises(EditRefused, match="Nothing to revert"):
        await curation.revert(edit.change_id, EDITOR)
    again = await curation.revert(revert.change_id, EDITOR)  # a revert can itself be reverted
    assert again.entry is not None and again.entry.definition == "Changed."


async def test_revert_an_add_removes_the_term(curation: CurationStore) -> None:
    added = await curation.add(RAG, EDITOR)
    result = await curation.revert(added.change_id, EDITOR)
    assert result.entry is None
    assert await curation.entry_of(added.term_id) is None
    with pytest.raises(EditRefused, match="already been removed"):
        await curation.revert(added.change_id, EDITOR)


async def test_revert_a_removal_recreates_the_term_with_its_links(curation: CurationStore) -> None:
    rag = await curation.add(RAG, EDITOR)
    vector_id = await _id(curation.database, "Vector Database")
    embedding_id = await _id(curation.database, "Embedding")
    await curation.relate(embedding_id, rag.term_id, EDITOR)  # Embedding → RAG, after Vector Database
    removal = await curation.remove(vector_id, EDITOR)
    assert await curation.entry_of(vector_id) is None
    embedding = await curation.entry_of(embedding_id)
    assert embedding is not None and embedding.related == ("Retrieval-Augmented Generation",)

    restored = await curation.revert(removal.change_id, OTHER_EDITOR)
    assert restored.term_id == vector_id  # the id was free: old buttons work again
    assert restored.entry is not None and restored.entry.term == "Vector Database"
    embedding = await curation.entry_of(embedding_id)
    assert embedding is not None and embedding.related == ("Vector Database", "Retrieval-Augmented Generation")
    rag_now = await curation.entry_of(rag.term_id)
    assert rag_now is not None and rag_now.related == ("Large Language Model", "Vector Database")
    history = await curation.history(vector_id)
    assert [c.action for c in history] == ["revert", "remove"]


async def test_revert_a_removal_leaves_out_what_no_longer_exists(curation: CurationStore) -> None:
    rag = await curation.add(RAG, EDITOR)
    removal = await curation.remove(rag.term_id, EDITOR)
    await curation.remove(await _id(curation.database, "Vector Database"), EDITOR)
    await curation.add(Entry("RAG Toolkit", "Something else.", aliases=("RAG",)), EDITOR)
    restored = await curation.revert(removal.change_id, EDITOR)
    assert restored.entry is not None
    assert restored.entry.aliases == () and restored.entry.related == ("Large Language Model",)
    assert set(restored.notes) == {
        "alias 'RAG' left out",
        "related 'Vector Database' left out (no longer in the glossary)",
    }


async def test_revert_refuses_when_the_name_is_taken(curation: CurationStore) -> None:
    removal = await curation.remove(await _id(curation.database, "Embedding"), EDITOR)
    await curation.add(Entry("Embeddings", "Someone else's."), EDITOR)
    with pytest.raises(EditRefused, match="already the name of 'Embeddings'"):
        await curation.revert(removal.change_id, EDITOR)
    with pytest.raises(EditRefused, match="no change #999"):
        await curation.revert(999, EDITOR)


async def test_a_reused_id_gets_its_own_history(curation: CurationStore, glossary: GlossaryStore) -> None:
    rag = await curation.add(RAG, EDITOR)  # the highest id: SQLite reuses it after a removal
    removal = await curation.remove(rag.term_id, EDITOR)
    await glossary.apply_entries([Entry("Imported Term", "x")], mode="import")
    reused = await _id(curation.database, "Imported Term")
    assert reused == rag.term_id
    assert await curation.history(reused) == []
    assert [c.action for c in await curation.removed_term_history("rag")] == []
    removed = await curation.removed_term_history("Retrieval-Augmented Generation")
    assert [c.action for c in removed] == ["remove", "add"]
    restored = await curation.revert(removal.change_id, EDITOR)  # comes back under a new id
    assert restored.term_id != reused and restored.entry is not None
    assert restored.entry.term == "Retrieval-Augmented Generation"
    assert await curation.entry_of(reused) == Entry("Imported Term", "x")


async def test_recent_changes_for_autocomplete(curation: CurationStore) -> None:
    rag = await curation.add(RAG, EDITOR)
    await curation.add_alias(await _id(curation.database, "Embedding"), "Vector Embedding", EDITOR)
    assert [c.change_id for c in await curation.recent_changes()] == [2, 1]
    assert [c.change_id for c in await curation.recent_changes("#1")] == [1]
    assert [c.term_id for c in await curation.recent_changes("augmented")] == [rag.term_id]


async def test_categories_by_use(curation: CurationStore) -> None:
    assert await curation.categories() == ["Models", "Infrastructure"]
    assert await curation.categories("INFRA") == ["Infrastructure"]


async def test_stats(curation: CurationStore, glossary: GlossaryStore) -> None:
    llm = await _id(curation.database, "Large Language Model")
    embedding = await _id(curation.database, "Embedding")
    now = datetime(2025, 11, 26, 12, tzinfo=UTC)
    for _ in range(3):
        await glossary.record_lookup(llm, now)
    await glossary.record_lookup(embedding, now)
    await glossary.record_lookup(embedding, datetime(2025, 11, 10, tzinfo=UTC))
    await glossary.record_lookup(embedding, datetime(2025, 11, 11, tzinfo=UTC))
    for query in ("quantization", "Quantisation", "quantization", "LoRA"):
        await glossary.record_miss(query)
    await glossary.record_miss("vector database")  # answered by the glossary now: not a to-do
    stats = await curation.stats(now)
    assert stats.week == "2025-W48"
    assert [(r.label, r.count) for r in stats.this_week] == [("Large Language Model", 3), ("Embedding", 1)]
    assert [(r.label, r.count) for r in stats.overall] == [("Embedding", 3), ("Large Language Model", 3)]
    assert [(r.label, r.count) for r in stats.misses] == [("quantization", 2), ("LoRA", 1), ("Quantisation", 1)]
