"""Imports lose nothing a file brought (issue 12), and seeding fills in only what nobody touched (issue 14).

The scenarios use small files of our own in the real formats (tests/fixtures/lossless): a starting
glossary where "recall" and "CV" are aliases, an ai-glossary YAML folder, a Google-style pipe CSV and a
`term,definition` CSV.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bot.core.entry import Entry
from bot.core.normalize import lookup_key
from bot.core.render import TermView
from bot.importers import read_glossary
from bot.store.db import Database
from bot.store.glossary import ApplyReport, GlossaryStore
from tests.postgres import INTEGRITY_ERRORS, check_consistency, write

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "lossless"
START = FIXTURES / "start.yaml"
YAML_FOLDER = FIXTURES / "yaml_folder"
GOOGLE = FIXTURES / "google.csv"
TERMS_CSV = FIXTURES / "terms.csv"
GOOGLE_DATASET_FILE = "Google Machine Learning Glossary.csv"
DATASETS = Path(__file__).resolve().parents[3] / "shared" / "datasets"
SHIPPED_SEED = Path(__file__).resolve().parents[2] / "data" / "glossary.yaml"
NAMES_SQL = "SELECT key, term_id, is_alias FROM term_names"


async def imported(glossary: GlossaryStore, *paths: Path, replace: bool = False) -> list[ApplyReport]:
    return [await glossary.apply_entries(read_glossary(path).entries, mode="import", replace=replace) for path in paths]


async def view(glossary: GlossaryStore, name: str) -> TermView:
    ids = {term_name: term_id for term_id, term_name, _, _ in await glossary.index_rows()}
    found = await glossary.term_view(ids[name])
    assert found is not None
    return found


async def fts_is_consistent(database: Database) -> None:
    await check_consistency(database)


@pytest.fixture
async def started(glossary: GlossaryStore) -> GlossaryStore:
    await glossary.seed(START, read_glossary(START).entries)
    return glossary


async def test_a_later_file_keeps_the_aliases_an_earlier_one_brought(started: GlossaryStore) -> None:
    await imported(started, YAML_FOLDER, GOOGLE)
    regularization = await view(started, "regularization")
    assert regularization.aliases == ("weight decay",)
    assert regularization.definition.startswith("A way to keep a model")  # the later file's definition
    assert regularization.category == "Training"  # the Google deck has no categories: the YAML's stays
    assert [name for _, name in regularization.related] == ["overfitting"]
    await fts_is_consistent(started.database)


async def test_a_name_that_is_an_alias_becomes_an_entry_and_the_two_are_related(started: GlossaryStore) -> None:
    [report] = await imported(started, YAML_FOLDER)
    assert "recall" in report.inserted
    assert report.moved == ["'recall' was an alias of 'Precision and Recall': now an entry of its own, related to it"]
    recall = await view(started, "recall")
    assert recall.aliases == ("sensitivity",)
    assert [name for _, name in recall.related] == ["Precision and Recall"]
    pair = await view(started, "Precision and Recall")
    assert pair.aliases == ()
    assert [name for _, name in pair.related] == ["recall"]
    assert pair.description.startswith("Precision counts")  # nothing else of it changed
    await fts_is_consistent(started.database)


async def test_a_clashing_alias_is_dropped_with_a_note_never_the_term(started: GlossaryStore) -> None:
    [report] = await imported(started, YAML_FOLDER)
    assert "cross-validation" in report.inserted
    assert "'cross-validation': alias 'cv' dropped: it is already an alias of 'Computer Vision'" in report.warnings
    assert (await view(started, "cross-validation")).aliases == ("k-fold validation",)
    assert (await view(started, "Computer Vision")).aliases == ("CV",)


async def test_a_term_definition_csv_keeps_everything_else(started: GlossaryStore) -> None:
    await imported(started, YAML_FOLDER)
    before = await view(started, "regularization")
    [report] = await imported(started, TERMS_CSV)
    assert report.updated == ["regularization"]
    after = await view(started, "regularization")
    assert after.definition == "Keeping a model from learning its training data by heart."
    assert replace(after, definition=before.definition) == before


async def test_a_second_import_of_the_same_files_changes_nothing(started: GlossaryStore) -> None:
    await imported(started, YAML_FOLDER, GOOGLE)
    first = await started.export_entries()
    again = await imported(started, GOOGLE)
    assert again[0].changed == 0 and again[0].moved == []
    await imported(started, YAML_FOLDER, GOOGLE)
    assert await started.export_entries() == first
    await imported(started, GOOGLE, replace=True)  # starts over: the YAML's aliases and links go
    [report] = await imported(started, GOOGLE, replace=True)
    assert report.changed == 0 and len(report.unchanged) == 3  # unchanged counts under --replace too


async def test_a_dry_run_reports_what_the_import_does(started: GlossaryStore) -> None:
    entries = read_glossary(YAML_FOLDER).entries
    dry = await started.apply_entries(entries, mode="import", dry_run=True)
    assert await started.count_terms() == 2
    real = await started.apply_entries(entries, mode="import")
    assert dry == real and dry.details() == real.details()
    assert "  moved: 'recall' was an alias of 'Precision and Recall'" in "\n".join(real.details())


async def test_replace_keeps_what_the_file_has_no_column_for(started: GlossaryStore) -> None:
    await imported(started, YAML_FOLDER, GOOGLE)
    before = await view(started, "regularization")
    # `term,definition`: no description, aliases, related, category or url column, so --replace keeps them.
    [report] = await imported(started, TERMS_CSV, replace=True)
    assert report.updated == ["regularization"]
    after = await view(started, "regularization")
    assert replace(after, definition=before.definition) == before


async def test_replace_takes_an_empty_field_but_not_an_absent_one(glossary: GlossaryStore) -> None:
    full = Entry("Example Term", "First.", "A description.", ("Example Alias",), (), "Examples", "https://example.org/")
    await glossary.apply_entries([full], mode="import")
    absent = Entry("Example Term", "Second.", left_out=frozenset({"description", "aliases", "category", "url"}))
    await glossary.apply_entries([absent], mode="import", replace=True)
    kept = await view(glossary, "Example Term")
    assert (kept.definition, kept.description, kept.aliases, kept.category, kept.url) == (
        "Second.",
        "A description.",
        ("Example Alias",),
        "Examples",
        "https://example.org/",
    )
    emptied = Entry("Example Term", "Third.")  # every field given, and empty
    await glossary.apply_entries([emptied], mode="import")
    assert (await view(glossary, "Example Term")).description == "A description."  # empty keeps...
    await glossary.apply_entries([emptied], mode="import", replace=True)
    cleared = await view(glossary, "Example Term")  # ...except with --replace
    assert (cleared.description, cleared.aliases, cleared.category, cleared.url) == ("", (), None, None)


async def test_an_import_over_a_seed_entry_is_never_overwritten_by_seeding(
    glossary: GlossaryStore, tmp_path: Path
) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text("v1")
    original = Entry("Example Experts", "The seed's text.", aliases=("EE",))
    await glossary.seed(seed, [original])
    await glossary.apply_entries([Entry("Example Experts", "The imported text.")], mode="import")
    seed.write_text("v2")
    report = await glossary.seed(seed, [replace(original, definition="The seed's newer text.")])
    assert report is not None and report.kept == ["Example Experts"]
    assert (await view(glossary, "Example Experts")).definition == "The imported text."


async def test_seeding_again_updates_its_own_untouched_entries(glossary: GlossaryStore, tmp_path: Path) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text("v1")
    await glossary.seed(seed, [Entry("Example Seeded", "Old.", aliases=("ES", "Example S"))])
    seed.write_text("v2")
    report = await glossary.seed(seed, [Entry("Example Seeded", "New.", aliases=("ES",))])
    assert report is not None and report.updated == ["Example Seeded"]
    seeded = await view(glossary, "Example Seeded")
    assert (seeded.definition, seeded.aliases) == ("New.", ("ES",))  # exactly what the seed says


async def test_an_editors_entry_still_gives_up_an_alias_that_an_import_brings_as_a_name(
    glossary: GlossaryStore,
) -> None:
    await glossary.apply_entries([Entry("Example Pair", "Two things.", aliases=("Example One",))], mode="import")
    await write(glossary.database, "UPDATE terms SET edited = 1")
    report = await glossary.apply_entries([Entry("Example One", "One thing.")], mode="import")
    assert report.inserted == ["Example One"] and len(report.moved) == 1
    assert (await view(glossary, "Example Pair")).aliases == ()


async def test_many_entries_in_one_go_keep_the_index_consistent(glossary: GlossaryStore) -> None:
    entries = [
        Entry(f"Example {number}", f"Number {number}.", aliases=(f"EX{number}",), related=(f"Example {number + 1}",))
        for number in range(300)
    ]
    report = await glossary.apply_entries(entries, mode="import")
    assert len(report.inserted) == 300 and len(report.warnings) == 1  # the last one's link goes nowhere
    assert (await view(glossary, "Example 7")).related[0][1] == "Example 8"
    await fts_is_consistent(glossary.database)


@pytest.mark.needs_shared
async def test_the_real_datasets_lose_no_term_and_no_alias(glossary: GlossaryStore) -> None:
    """The two public glossaries over the shipped seed: every term and alias they bring is still there."""
    sources = [DATASETS / "ai-glossary-yaml" / "terms", DATASETS / "google-ml-glossary" / GOOGLE_DATASET_FILE]
    if not all(source.exists() for source in sources):
        pytest.skip(f"{DATASETS} is not available")
    await glossary.seed(SHIPPED_SEED, read_glossary(SHIPPED_SEED).entries)
    parsed = [read_glossary(source) for source in sources]
    for glossary_file in parsed:
        await glossary.apply_entries(glossary_file.entries, mode="import")
    owners = {row[0]: (row[1], bool(row[2])) for row in await glossary.database.fetch_all(NAMES_SQL)}
    lost_terms, lost_aliases = [], []
    for entry in (entry for glossary_file in parsed for entry in glossary_file.entries):
        owner = owners.get(lookup_key(entry.term))
        if owner is None or owner[1]:
            lost_terms.append(entry.term)
        lost_aliases += [alias for alias in entry.aliases if lookup_key(alias) not in owners]
    assert lost_terms == [] and lost_aliases == []
    again = await glossary.apply_entries(parsed[-1].entries, mode="import")
    assert again.changed == 0 and again.moved == []
    await fts_is_consistent(glossary.database)


def test_the_summary_counts_warnings_in_words() -> None:
    one = ApplyReport(inserted=["Widgetron"], warnings=["'Widgetron': alias 'wt' dropped"])
    assert one.summary().endswith(", 1 warning")
    assert ApplyReport(warnings=["a", "b"]).summary().endswith(", 2 warnings")
    assert ApplyReport().summary().endswith(", 0 warnings")


async def test_an_import_leaves_the_scope_guards_standing(started: GlossaryStore) -> None:
    """The writer lifts the scope triggers for its own transaction only (on SQLite): after an import and after a
    dry run, a name or relation out of scope is still refused by the database."""
    guild = 7001
    server_entries = [Entry("Quokka", "Example server entry.", aliases=("QK",))]
    await started.apply_entries(server_entries, mode="import", guild_id=guild, dry_run=True)
    await started.apply_entries(server_entries, mode="import", guild_id=guild)
    quokka = int(str(await started.database.fetch_value("SELECT id FROM terms WHERE name = 'Quokka'")))
    shared = int(str(await started.database.fetch_value("SELECT min(id) FROM terms WHERE guild_id IS NULL")))
    with pytest.raises(INTEGRITY_ERRORS, match="scope"):
        async with started.database.transaction() as transaction:
            await transaction.execute(
                "INSERT INTO term_names (scope_id, key, term_id, text, is_alias) VALUES (0, 'qkk', ?, 'QKK', 1)",
                (quokka,),
            )
    with pytest.raises(INTEGRITY_ERRORS, match="relate"):
        async with started.database.transaction() as transaction:
            await transaction.execute(
                "INSERT INTO relations (term_id, related_id, position) VALUES (?, ?, 9)", (shared, quokka)
            )
