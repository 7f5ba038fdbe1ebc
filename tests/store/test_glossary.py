from pathlib import Path

from bot.core.entry import Entry
from bot.store.glossary import GlossaryStore
from tests.postgres import write

ENTRIES = [
    Entry(
        "Self-Supervised Learning", "Learn from unlabeled data.", "Long text.", ("SSL",), ("Fine-Tuning",), "Training"
    ),
    Entry("Fine-Tuning", "Further training.", related=("Self-Supervised Learning", "Nowhere Term")),
]


async def test_insert_then_read_back(glossary: GlossaryStore) -> None:
    report = await glossary.apply_entries(ENTRIES, mode="import")
    assert report.inserted == ["Self-Supervised Learning", "Fine-Tuning"]
    assert report.warnings == ["'Fine-Tuning': related term 'Nowhere Term' is not in the glossary"]
    rows = {name: (term_id, aliases) for term_id, name, aliases, _ in await glossary.index_rows()}
    view = await glossary.term_view(rows["Self-Supervised Learning"][0])
    assert view is not None
    assert view.aliases == ("SSL",)
    assert view.related == ((rows["Fine-Tuning"][0], "Fine-Tuning"),)
    assert view.category == "Training"


async def test_applying_twice_changes_nothing(glossary: GlossaryStore) -> None:
    await glossary.apply_entries(ENTRIES, mode="import")
    again = await glossary.apply_entries(ENTRIES, mode="import")
    assert again.inserted == [] and again.updated == []
    assert sorted(again.unchanged) == ["Fine-Tuning", "Self-Supervised Learning"]
    assert await glossary.count_terms() == 2


async def test_dry_run_reports_and_rolls_back(glossary: GlossaryStore) -> None:
    report = await glossary.apply_entries(ENTRIES, mode="import", dry_run=True)
    assert len(report.inserted) == 2
    assert await glossary.count_terms() == 0


async def test_an_alias_clash_drops_the_alias_with_a_warning_never_the_term(glossary: GlossaryStore) -> None:
    await glossary.apply_entries(ENTRIES, mode="import")
    report = await glossary.apply_entries([Entry("Semi-Supervised Learning", "x", aliases=("ssl",))], mode="import")
    assert report.inserted == ["Semi-Supervised Learning"]
    assert report.warnings == [
        "'Semi-Supervised Learning': alias 'ssl' dropped: it is already an alias of 'Self-Supervised Learning'"
    ]


async def test_seed_never_overwrites_an_editors_change(glossary: GlossaryStore, tmp_path: Path) -> None:
    seed_file = tmp_path / "seed.yaml"
    seed_file.write_text("v1")
    await glossary.seed(seed_file, ENTRIES)
    await write(glossary.database, "UPDATE terms SET definition = 'edited', edited = 1 WHERE name = 'Fine-Tuning'")
    seed_file.write_text("v2")
    changed = [Entry(e.term, e.definition + " (v2)", e.description, e.aliases, e.related, e.category) for e in ENTRIES]
    report = await glossary.seed(seed_file, changed)
    assert report is not None
    assert report.updated == ["Self-Supervised Learning"] and report.kept == ["Fine-Tuning"]
    assert await glossary.seed(seed_file, changed) is None  # same file: nothing to do


async def test_import_keeps_edits_unless_replace(glossary: GlossaryStore) -> None:
    await glossary.apply_entries(ENTRIES, mode="import")
    await write(glossary.database, "UPDATE terms SET edited = 1 WHERE name = 'Fine-Tuning'")
    newer = [Entry("Fine-Tuning", "Newer definition.")]
    assert (await glossary.apply_entries(newer, mode="import")).kept == ["Fine-Tuning"]
    assert (await glossary.apply_entries(newer, mode="import", replace=True)).updated == ["Fine-Tuning"]


async def test_lookups_and_misses_are_counted(glossary: GlossaryStore) -> None:
    await glossary.apply_entries(ENTRIES, mode="import")
    term_id = (await glossary.index_rows())[0][0]
    await glossary.record_lookup(term_id)
    await glossary.record_lookup(term_id)
    assert (await glossary.index_rows())[0][3] == 2
    assert await glossary.database.fetch_value("SELECT sum(count) FROM weekly_lookups") == 2
    await glossary.record_miss("Quantum  Banana")
    await glossary.record_miss("quantum-banana")
    await glossary.record_miss("!!!")
    rows = await glossary.database.fetch_all("SELECT key, query, count FROM misses")
    assert [tuple(row) for row in rows] == [("quantumbanana", "quantum-banana", 2)]


async def test_export_round_trips_entries(glossary: GlossaryStore) -> None:
    await glossary.apply_entries(ENTRIES, mode="import")
    exported = await glossary.export_entries()
    assert [e.term for e in exported] == ["Fine-Tuning", "Self-Supervised Learning"]
    assert exported[1].aliases == ("SSL",) and exported[1].related == ("Fine-Tuning",)


async def test_lookups_counted_in_a_batch_add_up_per_term_and_week(glossary: GlossaryStore) -> None:
    await glossary.apply_entries(ENTRIES, mode="import")
    ids = dict(await glossary.database.fetch_all("SELECT name, id FROM terms"))
    ssl, fine_tuning = ids["Self-Supervised Learning"], ids["Fine-Tuning"]
    await glossary.record_lookup(ssl)  # one earlier lookup this week, which the batch adds to
    week = (await glossary.database.fetch_all("SELECT week FROM weekly_lookups"))[0][0]
    deleted = 10_000  # a term deleted after it was looked up: skipped, nothing else lost
    await glossary.record_lookups({(ssl, week): 3, (ssl, "2025-W01"): 2, (fine_tuning, week): 1, (deleted, week): 5})
    rows = await glossary.database.fetch_all("SELECT name, lookups FROM terms ORDER BY name")
    assert [tuple(row) for row in rows] == [("Fine-Tuning", 1), ("Self-Supervised Learning", 6)]
    weekly = await glossary.database.fetch_all("SELECT term_id, week, count FROM weekly_lookups ORDER BY term_id, week")
    assert sorted(tuple(row) for row in weekly) == sorted(
        [(ssl, week, 4), (ssl, "2025-W01", 2), (fine_tuning, week, 1)]
    )


async def test_index_rows_hold_every_term_with_its_aliases_in_order(glossary: GlossaryStore) -> None:
    entries = [
        Entry("Large Language Model", "x", aliases=("LLM", "Foundation Model", "LM")),
        Entry("Fine-Tuning", "y"),
        Entry("Transformer", "z", aliases=("TF",)),
    ]
    await glossary.apply_entries(entries, mode="import")
    rows = await glossary.index_rows()
    assert [(name, aliases, lookups) for _, name, aliases, lookups in rows] == [
        ("Large Language Model", ("LLM", "Foundation Model", "LM"), 0),
        ("Fine-Tuning", (), 0),
        ("Transformer", ("TF",), 0),
    ]
    assert [term_id for term_id, _, _, _ in rows] == sorted(term_id for term_id, _, _, _ in rows)


async def test_a_term_view_keeps_the_order_of_aliases_and_related_terms(glossary: GlossaryStore) -> None:
    entries = [
        Entry('Cé "quoted" term', "C."),
        Entry("A term", "A."),
        Entry("B term", "B."),
        Entry("Main", "M.", aliases=("Zeta", 'Al"pha', "Mü"), related=("B term", 'Cé "quoted" term', "A term")),
    ]
    await glossary.apply_entries(entries, mode="import")
    ids = dict(await glossary.database.fetch_all("SELECT name, id FROM terms"))
    view = await glossary.term_view(ids["Main"])
    assert view is not None
    assert view.aliases == ("Zeta", 'Al"pha', "Mü")
    assert view.related == (
        (ids["B term"], "B term"),
        (ids['Cé "quoted" term'], 'Cé "quoted" term'),
        (ids["A term"], "A term"),
    )
    lonely = await glossary.term_view(ids["A term"])
    assert lonely is not None and lonely.aliases == () and lonely.related == ()
    assert await glossary.term_view(10_000) is None
