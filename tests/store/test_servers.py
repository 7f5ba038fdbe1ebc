"""Servers' own entries in the store: names unique per server (the database is the guard), relations
within reach, visibility in every read, a wipe that touches one server only."""

from __future__ import annotations

import pytest

from bot.core.editing import EditRefused
from bot.core.entry import Entry
from bot.core.search import parse_query
from bot.store.glossary import GlossaryStore
from bot.store.history import CurationStore
from bot.store.search import SearchStore
from bot.store.servers import ServerStore
from tests.postgres import INTEGRITY_ERRORS

EDITOR = 111
GUILD = 7001
OTHER = 7002
SHARED = [Entry("Large Language Model", "Example shared definition.", aliases=("LLM",), category="Models")]


@pytest.fixture
async def curation(glossary: GlossaryStore) -> CurationStore:
    await glossary.apply_entries(SHARED, mode="seed")
    return CurationStore(glossary.database)


async def test_a_name_is_unique_per_server_and_may_repeat_a_shared_one(curation: CurationStore) -> None:
    ours = await curation.add(Entry("LLM", "Example: our lab machine."), EDITOR, guild_id=GUILD)
    theirs = await curation.add(Entry("LLM", "Example: their meaning."), EDITOR, guild_id=OTHER)
    assert ours.term_id != theirs.term_id
    with pytest.raises(EditRefused, match="already"):
        await curation.add(Entry("llm", "Again."), EDITOR, guild_id=GUILD)
    with pytest.raises(INTEGRITY_ERRORS):  # the unique index is the guard, whoever writes
        async with curation.database.transaction() as connection:
            await connection.execute(
                "INSERT INTO term_names (scope_id, key, term_id, text, is_alias) VALUES (?, 'llm', ?, 'LLM', 1)",
                (GUILD, ours.term_id),
            )


async def test_names_and_relations_stay_in_their_scope(curation: CurationStore) -> None:
    ours = await curation.add(Entry("Quokka", "Example.", related=("LLM",)), EDITOR, guild_id=GUILD)
    assert ours.entry is not None and ours.entry.related == ("Large Language Model",)
    theirs = await curation.add(Entry("Otter", "Example."), EDITOR, guild_id=OTHER)
    with pytest.raises(EditRefused, match="no term is called 'Otter'"):
        await curation.add(Entry("Wombat", "Example.", related=("Otter",)), EDITOR, guild_id=GUILD)
    shared_id = int(str(await curation.database.fetch_value("SELECT id FROM terms WHERE name = ?", (SHARED[0].term,))))
    for term_id, related_id in ((shared_id, ours.term_id), (ours.term_id, theirs.term_id)):
        with pytest.raises(INTEGRITY_ERRORS, match="relate"):
            async with curation.database.transaction() as connection:
                await connection.execute(
                    "INSERT INTO relations (term_id, related_id, position) VALUES (?, ?, 9)", (term_id, related_id)
                )
    with pytest.raises(INTEGRITY_ERRORS, match="scope"):
        async with curation.database.transaction() as connection:
            await connection.execute(
                "INSERT INTO term_names (scope_id, key, term_id, text, is_alias) VALUES (0, 'qk', ?, 'QK', 1)",
                (ours.term_id,),
            )


async def test_reads_see_the_shared_glossary_and_their_own_server_only(
    curation: CurationStore, glossary: GlossaryStore
) -> None:
    ours = await curation.add(Entry("Quokka Rule", "Example house rule.", category="House"), EDITOR, guild_id=GUILD)
    assert await glossary.term_view(ours.term_id, GUILD) is not None
    assert await glossary.term_view(ours.term_id, OTHER) is None and await glossary.term_view(ours.term_id) is None
    assert [row[1] for row in await glossary.index_rows()] == ["Large Language Model"]
    assert [row[1] for row in await ServerStore(glossary.database).index_rows(GUILD)] == ["Quokka Rule"]
    search = SearchStore(glossary.database)
    assert (await search.search(parse_query("quokka"), guild_id=GUILD)).total == 1
    assert (await search.search(parse_query("quokka"), guild_id=OTHER)).total == 0
    assert (await search.search(parse_query("quokka"))).total == 0
    assert await search.random_term_id("house", guild_id=GUILD) == ours.term_id
    assert await search.random_term_id("house", guild_id=OTHER) is None
    assert ("House", 1) in await search.categories(guild_id=GUILD)
    assert ("House", 1) not in await search.categories(guild_id=OTHER)
    assert await search.definitions([ours.term_id], guild_id=OTHER) == {}
    assert [entry.term for entry in await glossary.export_entries(GUILD)] == ["Quokka Rule"]
    assert [entry.term for entry in await glossary.export_entries()] == ["Large Language Model"]


async def test_misses_count_for_the_server_and_the_shared_glossary(
    curation: CurationStore, glossary: GlossaryStore
) -> None:
    await glossary.record_miss("Wombat Widget", GUILD)
    await glossary.record_miss("Kangaroo Court", OTHER)
    ours = await curation.stats(guild_id=GUILD)
    assert [item.label for item in ours.misses] == ["Wombat Widget"]
    shared = await curation.stats()
    assert {item.label for item in shared.misses} == {"Wombat Widget", "Kangaroo Court"}
    await curation.add(Entry("Wombat Widget", "Example."), EDITOR, guild_id=GUILD)
    assert (await curation.stats(guild_id=GUILD)).misses == []


async def test_wipe_removes_one_servers_entries_and_the_history_can_bring_one_back(
    curation: CurationStore, glossary: GlossaryStore
) -> None:
    servers = ServerStore(glossary.database)
    added = await curation.add(Entry("Quokka", "Example."), EDITOR, guild_id=GUILD)
    await curation.add(Entry("Otter", "Example."), EDITOR, guild_id=OTHER)
    assert await servers.wipe(GUILD) == 1
    assert await servers.count_terms(GUILD) == 0 and await servers.count_terms(OTHER) == 1
    assert await glossary.count_terms() == 1
    with pytest.raises(EditRefused, match="already been removed"):  # the add of a wiped entry: nothing to undo
        await curation.revert(added.change_id, EDITOR)


async def test_a_servers_names_are_found_by_the_start_of_their_key(curation: CurationStore) -> None:
    await curation.add(Entry("Quokka Rule", "Example.", aliases=("QR",)), EDITOR, guild_id=GUILD)
    await curation.add(Entry("Quokka Hour", "Example."), EDITOR, guild_id=OTHER)
    servers = ServerStore(curation.database)
    assert [hit.text for hit in await servers.names_starting_with(GUILD, "q", 25)] == ["QR", "Quokka Rule"]
    assert [hit.name for hit in await servers.names_starting_with(GUILD, "quokkar", 25)] == ["Quokka Rule"]
    assert await servers.names_starting_with(GUILD, "llm", 25) == []
    [row] = await servers.index_rows(GUILD)
    assert row[1:3] == ("Quokka Rule", ("QR",))
