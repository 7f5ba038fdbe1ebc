"""Server glossaries through the real discord.py client and the fake Discord, with two servers.

GUILD_ID's manager (Manage Server) curates that server's own entries; OTHER_GUILD_ID and DMs must never
see them. The shared glossary is the seed file, curated by the bot's editors.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from bot.cogs.glossary import NEEDS_MANAGE_SERVER, NOT_AN_EDITOR
from bot.core.scope import GLOBAL_REFUSED
from bot.services.glossary import SHARED_BUTTON_PREFIX
from tests.e2e.fake_discord import FakeDiscord, InteractionResult, find_component
from tests.e2e.rig import (
    CHANNEL_ID,
    EDITOR_ID,
    GUILD_ID,
    MANAGE_GUILD,
    MANAGER_ID,
    MEMBER_ID,
    OTHER_CHANNEL_ID,
    OTHER_GUILD_ID,
    OTHER_MEMBER_ID,
    ROLE_ID,
    START_OF_TEST_TIME,
    ControllableClock,
    Rig,
    populate_world,
    rig_settings,
)

OTHER_MANAGER_ID = 1300000000000000010
ROLE_MEMBER_ID = 1200000000000000020
VIEW_AND_SEND = (1 << 10) | (1 << 11)
HOUSE_TERM = {
    "name": "Quokka Protocol",
    "definition": "Example house rule: every model card names its evaluation set.",
    "aliases": "QP",
    "related": "Large Language Model",
}
SHADOW_TERM = {"name": "LLM", "definition": "Example server meaning: our Local Lab Machine."}
SHARED_LLM = "Large Language Model"


def here(user_id: int = MEMBER_ID) -> dict[str, Any]:
    return {"user_id": user_id, "guild_id": GUILD_ID}


def elsewhere(user_id: int = OTHER_MEMBER_ID) -> dict[str, Any]:
    return {"user_id": user_id, "guild_id": OTHER_GUILD_ID}


def in_dm(user_id: int = MEMBER_ID) -> dict[str, Any]:
    return {"user_id": user_id, "dm": True}


async def add_entry(
    rig: Rig, values: dict[str, str], *, user_id: int = MANAGER_ID, **options: Any
) -> InteractionResult:
    opened = await rig.fake.slash("glossary add", options or None, **here(user_id))
    assert opened.modal is not None, opened.content
    return await rig.fake.submit_modal(opened.modal["custom_id"], values, **here(user_id))


async def define(rig: Rig, term: str, where: dict[str, Any]) -> InteractionResult:
    return await rig.fake.slash("define", {"term": term}, **where)


def title(result: InteractionResult) -> str | None:
    return result.embeds[0]["title"] if result.embeds else None


def labels(result: InteractionResult) -> list[str]:
    return [component["label"] for row in result.components for component in row["components"]]


def choice_names(result: InteractionResult) -> list[str]:
    return [choice["value"] for choice in result.choices]


@pytest.fixture
async def two_servers(rig: Rig) -> Rig:
    """GUILD_ID has its own "Quokka Protocol" and an "LLM" of its own over the shared one."""
    rig.fake.add_member(OTHER_GUILD_ID, OTHER_MANAGER_ID, "olga", permissions=MANAGE_GUILD | VIEW_AND_SEND)
    added = await add_entry(rig, {**HOUSE_TERM}, category="House Rules")
    assert added.content.startswith("Added **Quokka Protocol**") and "this server's glossary" in added.content
    shadow = await add_entry(rig, SHADOW_TERM)
    assert shadow.content.startswith("Added **LLM**"), shadow.content
    return rig


async def test_a_servers_entries_are_seen_there_and_nowhere_else(two_servers: Rig) -> None:
    rig = two_servers
    assert title(await define(rig, "Quokka Protocol", here())) == "Quokka Protocol"
    assert title(await define(rig, "qp", here())) == "Quokka Protocol"
    for where in (elsewhere(), in_dm()):
        missed = await define(rig, "Quokka Protocol", where)
        assert missed.embeds == [] and missed.content.startswith("No entry for"), missed.content
        assert "Quokka" not in str(missed.components)

    offered = await rig.fake.autocomplete("define", {"term": "quokka"}, **here())
    assert "Quokka Protocol" in choice_names(offered)
    for where in (elsewhere(), in_dm()):
        assert "Quokka Protocol" not in choice_names(await rig.fake.autocomplete("define", {"term": "quokka"}, **where))

    found = await rig.fake.slash("search", {"query": "evaluation set"}, **here())
    assert "Quokka Protocol" in str(found.embeds)
    for where in (elsewhere(), in_dm()):
        assert "Quokka Protocol" not in str(
            (await rig.fake.slash("search", {"query": "evaluation set"}, **where)).embeds
        )

    assert title(await rig.fake.slash("random", {"category": "House Rules"}, **here())) == "Quokka Protocol"
    other_random = await rig.fake.slash("random", {"category": "House Rules"}, **elsewhere())
    assert other_random.content.startswith("There is no category")
    categories = await rig.fake.autocomplete("random", {"category": "house"}, **elsewhere())
    assert not any("House" in name for name in choice_names(categories))

    text = "Per the Quokka Protocol, every Large Language Model card lists its data."
    message = await rig.fake.user_message(CHANNEL_ID, text, user_id=MEMBER_ID)
    explained = await rig.fake.message_command("Explain terms", message, user_id=MEMBER_ID, guild_id=GUILD_ID)
    assert "Quokka Protocol" in str(explained.embeds) and SHARED_LLM in str(explained.embeds)
    other_message = await rig.fake.user_message(OTHER_CHANNEL_ID, text, user_id=OTHER_MEMBER_ID)
    other = await rig.fake.message_command(
        "Explain terms", other_message, user_id=OTHER_MEMBER_ID, guild_id=OTHER_GUILD_ID
    )
    assert "Quokka Protocol" not in str(other.embeds) and SHARED_LLM in str(other.embeds)


async def test_a_button_to_a_servers_entry_opens_nothing_in_another_server(two_servers: Rig) -> None:
    rig = two_servers
    # "Large Language Model" (shared) is related from Quokka Protocol; a button to Quokka Protocol comes
    # from a miss's suggestions. Forge the other way round: the entry's own id on a message elsewhere.
    answer = await define(rig, "Quokka Protocol", here())
    term_id = rig.bot.service.server_indexes.cached(GUILD_ID).term_for("Quokka Protocol")  # type: ignore[union-attr]
    assert term_id is not None
    button = find_component(answer.message or {}, label=SHARED_LLM)
    forged = copy.deepcopy(answer.message or {})
    forged["channel_id"] = str(OTHER_CHANNEL_ID)
    forged_id = f"gl:t:{term_id}:{OTHER_MEMBER_ID}"
    forged["components"][0]["components"][0]["custom_id"] = forged_id
    opened = await rig.fake.click(forged, forged_id, user_id=OTHER_MEMBER_ID)
    assert opened.embeds == [] and "no longer exists" in opened.content
    # The related button to the shared entry works where the entry is seen.
    followed = await rig.fake.click(answer, button["custom_id"], user_id=MEMBER_ID)
    assert followed.embeds[0]["title"] == SHARED_LLM


async def test_a_server_entry_shadows_the_shared_one_with_a_button_to_it(two_servers: Rig) -> None:
    rig = two_servers
    ours = await define(rig, "LLM", here())
    assert title(ours) == "LLM" and ours.embeds[0]["description"].startswith("**Example server meaning")
    assert labels(ours)[0] == SHARED_BUTTON_PREFIX + "LLM"
    offered = await rig.fake.autocomplete("define", {"term": "LLM"}, **here())
    assert choice_names(offered)[0] == "LLM"
    # The shared entry is still there, one click away, and is what everyone else gets.
    first = copy.deepcopy(ours.message or {})  # clicking follows the trail in place: keep the message as it was
    button = find_component(first, label=SHARED_BUTTON_PREFIX + "LLM")
    shared = await rig.fake.click(first, button["custom_id"], user_id=MEMBER_ID)
    assert shared.embeds[0]["title"] == SHARED_LLM
    assert title(await define(rig, "LLM", elsewhere())) == SHARED_LLM
    assert title(await define(rig, "LLM", in_dm())) == SHARED_LLM
    assert title(await define(rig, SHARED_LLM, here())) == SHARED_LLM

    # After a restart the buttons still work: they carry what they need.
    await rig.restart()
    again = await rig.fake.click(first, button["custom_id"], user_id=MEMBER_ID)
    assert again.embeds[0]["title"] == SHARED_LLM
    # The first keystroke after the restart, before this server's index is built, finds its entries too.
    first_keystroke = await rig.fake.autocomplete("define", {"term": "LL"}, **here())
    assert choice_names(first_keystroke)[0] == "LLM" and SHARED_LLM in choice_names(first_keystroke)
    assert title(await define(rig, "LLM", here())) == "LLM"
    assert title(await define(rig, "Quokka Protocol", elsewhere())) is None


async def test_refusals_for_members_server_editors_and_other_servers(two_servers: Rig) -> None:
    rig = two_servers
    member = await rig.fake.slash("glossary add", None, **here(MEMBER_ID))
    assert NOT_AN_EDITOR in member.content and member.ephemeral
    member_edit = await rig.fake.slash("glossary edit", {"term": "Quokka Protocol"}, **here(MEMBER_ID))
    assert NOT_AN_EDITOR in member_edit.content

    shared_edit = await rig.fake.slash("glossary edit", {"term": "ChatGPT"}, **here(MANAGER_ID))
    assert "is in the shared glossary" in shared_edit.content and "/glossary add" in shared_edit.content
    shared_alias = await rig.fake.slash("glossary alias", {"term": "ChatGPT", "alias": "Chatty"}, **here(MANAGER_ID))
    assert "is in the shared glossary" in shared_alias.content
    assert GLOBAL_REFUSED in (await rig.fake.slash("glossary add", {"scope": "global"}, **here(MANAGER_ID))).content

    # Another server's manager does not even find this server's entry.
    other = await rig.fake.slash("glossary remove", {"term": "Quokka Protocol"}, **elsewhere(OTHER_MANAGER_ID))
    assert other.content.startswith("No term is called")
    # A bot editor may curate this server's entries here, and the shared one of the same name elsewhere.
    aliased = await rig.fake.slash("glossary alias", {"term": "Quokka Protocol", "alias": "QProt"}, **here(EDITOR_ID))
    assert aliased.content.startswith("Added the alias"), aliased.content
    assert title(await define(rig, "QProt", here())) == "Quokka Protocol"
    assert title(await define(rig, "QProt", elsewhere())) is None

    # A bot editor adds to the shared glossary unless they ask for this server's.
    ours = await add_entry(rig, {"name": "Editor Rule", "definition": "Example."}, user_id=EDITOR_ID, scope="server")
    assert "this server's glossary" in ours.content, ours.content
    shared = await add_entry(rig, {"name": "Editor Term", "definition": "Example."}, user_id=EDITOR_ID)
    assert shared.content.startswith("Added **Editor Term**") and "server" not in shared.content
    assert title(await define(rig, "Editor Rule", elsewhere())) is None
    assert title(await define(rig, "Editor Term", elsewhere())) == "Editor Term"

    # A shared entry may not link to a server's own.
    linked = await rig.fake.slash("glossary relate", {"term": "ChatGPT", "other": "Quokka Protocol"}, **here(EDITOR_ID))
    assert "can only link to shared entries" in linked.content


async def test_server_editors_edit_remove_and_revert_their_entries(two_servers: Rig) -> None:
    rig = two_servers
    opened = await rig.fake.slash("glossary edit", {"term": "Quokka Protocol"}, **here(MANAGER_ID))
    assert opened.modal is not None
    values = {**HOUSE_TERM, "definition": "Example house rule, revised."}
    saved = await rig.fake.submit_modal(opened.modal["custom_id"], values, **here(MANAGER_ID))
    assert saved.content.startswith("Saved **Quokka Protocol**"), saved.content

    history = await rig.fake.slash("glossary history", {"term": "Quokka Protocol"}, **here(MANAGER_ID))
    assert "Quokka Protocol" in str(history.embeds)
    changes = await rig.fake.autocomplete("glossary revert", {"change": ""}, **here(MANAGER_ID))
    assert changes.choices and all("Quokka" in c["name"] or "LLM" in c["name"] for c in changes.choices)
    assert (await rig.fake.autocomplete("glossary revert", {"change": ""}, **elsewhere(OTHER_MANAGER_ID))).choices == []

    asked = await rig.fake.slash("glossary remove", {"term": "Quokka Protocol"}, **here(MANAGER_ID))
    removed = await rig.fake.click(
        asked, find_component(asked.message or {}, label="Remove")["custom_id"], user_id=MANAGER_ID
    )
    assert removed.content.startswith("Removed **Quokka Protocol**")
    assert title(await define(rig, "Quokka Protocol", here())) is None
    change = int(removed.content.split("change #")[1].split(")")[0])
    refused = await rig.fake.slash("glossary revert", {"change": change}, **elsewhere(OTHER_MANAGER_ID))
    assert refused.content == f"There is no change #{change}."
    reverted = await rig.fake.slash("glossary revert", {"change": change}, **here(MANAGER_ID))
    assert reverted.content.startswith(f"Reverted #{change}"), reverted.content
    assert title(await define(rig, "Quokka Protocol", here())) == "Quokka Protocol"
    assert title(await define(rig, "Quokka Protocol", elsewhere())) is None


async def test_the_editor_role_makes_server_editors(two_servers: Rig) -> None:
    rig = two_servers
    rig.fake.add_member(GUILD_ID, ROLE_MEMBER_ID, "rolf", roles=[ROLE_ID])
    before = await add_entry_refusal(rig, ROLE_MEMBER_ID)
    assert NOT_AN_EDITOR in before
    not_manager = await rig.fake.slash("glossary editor-role", {"role": ROLE_ID}, **here(MEMBER_ID))
    assert NEEDS_MANAGE_SERVER in not_manager.content
    set_role = await rig.fake.slash("glossary editor-role", {"role": ROLE_ID}, **here(MANAGER_ID))
    assert set_role.ephemeral and f"<@&{ROLE_ID}>" in set_role.content
    added = await add_entry(
        rig, {"name": "Role Term", "definition": "Example entry from a role member."}, user_id=ROLE_MEMBER_ID
    )
    assert added.content.startswith("Added **Role Term**"), added.content
    cleared = await rig.fake.slash("glossary editor-role", None, **here(MANAGER_ID))
    assert "cleared" in cleared.content
    assert NOT_AN_EDITOR in await add_entry_refusal(rig, ROLE_MEMBER_ID)


async def add_entry_refusal(rig: Rig, user_id: int) -> str:
    result = await rig.fake.slash("glossary add", None, **here(user_id))
    assert result.modal is None
    return result.content


async def test_wipe_asks_first_and_removes_only_this_servers_entries(two_servers: Rig) -> None:
    rig = two_servers
    other = await rig.fake.slash("glossary add", None, **elsewhere(OTHER_MANAGER_ID))
    assert other.modal is not None
    await rig.fake.submit_modal(
        other.modal["custom_id"],
        {"name": "Otter Rule", "definition": "Example rule of the other server."},
        **elsewhere(OTHER_MANAGER_ID),
    )
    assert NEEDS_MANAGE_SERVER in (await rig.fake.slash("glossary wipe", None, **here(MEMBER_ID))).content
    asked = await rig.fake.slash("glossary wipe", None, **here(MANAGER_ID))
    assert "**2**" in asked.content
    cancel = find_component(asked.message or {}, label="Cancel")["custom_id"]
    assert (await rig.fake.click(asked, cancel, user_id=MANAGER_ID)).content == "Nothing was wiped."
    assert title(await define(rig, "Quokka Protocol", here())) == "Quokka Protocol"

    asked = await rig.fake.slash("glossary wipe", None, **here(MANAGER_ID))
    wipe = find_component(asked.message or {}, label="Wipe")["custom_id"]
    done = await rig.fake.click(asked, wipe, user_id=MANAGER_ID)
    assert done.content.startswith("Wiped this server's glossary: 2 entries removed")
    assert title(await define(rig, "Quokka Protocol", here())) is None
    assert title(await define(rig, "LLM", here())) == SHARED_LLM
    assert title(await define(rig, "Otter Rule", elsewhere())) == "Otter Rule"
    await rig.restart()
    assert title(await define(rig, "Quokka Protocol", here())) is None
    assert title(await define(rig, "Otter Rule", elsewhere())) == "Otter Rule"


async def test_stats_show_a_server_editor_their_servers_lookups_and_misses(two_servers: Rig) -> None:
    rig = two_servers
    await define(rig, "Quokka Protocol", here())
    await define(rig, "Wombat Widget", here())
    await define(rig, "Kangaroo Court", elsewhere())
    await rig.bot.lookups.flush()
    stats = await rig.fake.slash("glossary stats", None, **here(MANAGER_ID))
    text = str(stats.embeds)
    assert "this server's own" in stats.embeds[0]["title"]
    assert "Quokka Protocol" in text and "Wombat Widget" in text and "Kangaroo" not in text
    shared = await rig.fake.slash("glossary stats", None, **here(EDITOR_ID))
    assert shared.embeds[0]["title"] == "Glossary stats" and "Quokka Protocol" not in str(shared.embeds)


async def test_the_server_terms_limit_holds(tmp_path: Path) -> None:
    fake = FakeDiscord()
    populate_world(fake)
    await fake.start()
    rig = Rig(fake, rig_settings(tmp_path / "bot.db", server_terms_limit=1), ControllableClock(START_OF_TEST_TIME))
    try:
        await rig.start()
        assert (await add_entry(rig, {"name": "One", "definition": "Example one."})).content.startswith("Added")
        full = await rig.fake.slash("glossary add", None, **here(MANAGER_ID))
        assert full.modal is None and "1 is the most a server may have" in full.content
    finally:
        await rig.stop()
        await fake.stop()
    fake.assert_clean()


# ---- files in and out --------------------------------------------------------------------------------

HOUSE_FILE = b"""- term: Wombat Review
  definition: Example house step where two people read a prompt before it ships.
  aliases: [WR]
  related: [Quokka Protocol, Large Language Model]
- term: Otter Hour
  definition: Example weekly hour for reading papers together.
  category: House Rules
"""


async def import_file(rig: Rig, filename: str, content: bytes, where: dict[str, Any]) -> InteractionResult:
    attachment = rig.fake.add_attachment(filename, content)
    return await rig.fake.slash("glossary import", {"file": attachment}, **where)


async def test_an_attached_file_is_previewed_then_imported_whole(two_servers: Rig) -> None:
    rig = two_servers
    asked = await import_file(rig, "house.yaml", HOUSE_FILE, here(MANAGER_ID))
    [preview] = await asked.followups()
    assert "2 entries" in preview["content"] and "2 added" in preview["content"], preview["content"]
    assert title(await define(rig, "Wombat Review", here())) is None  # nothing yet: a preview
    cancel = find_component(preview, label="Cancel")["custom_id"]
    assert (await rig.fake.click(preview, cancel, user_id=MANAGER_ID)).content == "Nothing was imported."
    assert title(await define(rig, "Wombat Review", here())) is None

    asked = await import_file(rig, "house.yaml", HOUSE_FILE, here(MANAGER_ID))
    [preview] = await asked.followups()
    confirm = find_component(preview, label="Import")["custom_id"]
    done = await rig.fake.click(preview, confirm, user_id=MANAGER_ID)
    assert done.content.startswith("Imported house.yaml into this server's glossary: 2 added"), done.content
    found = await define(rig, "WR", here())
    assert title(found) == "Wombat Review" and labels(found) == ["Quokka Protocol", SHARED_LLM]
    assert title(await define(rig, "Wombat Review", elsewhere())) is None
    assert title(await define(rig, "Wombat Review", in_dm())) is None
    await rig.restart()
    assert title(await define(rig, "Otter Hour", here())) == "Otter Hour"


async def test_bad_files_are_refused_and_change_nothing(two_servers: Rig) -> None:
    rig = two_servers
    broken = await import_file(rig, "broken.yaml", b"- term: Lonely\n  definition: ''\n- [oops\n", here(MANAGER_ID))
    [refusal] = await broken.followups()
    assert refusal["content"].startswith("Nothing was imported: the file has"), refusal["content"]
    not_a_glossary = await import_file(rig, "notes.txt", b"hello", here(MANAGER_ID))
    assert "is not a glossary file" in not_a_glossary.content and not_a_glossary.ephemeral
    too_big = await import_file(rig, "big.yaml", b"#" * 1_000_001, here(MANAGER_ID))
    assert "at most 1,000,000 (1 MB)" in too_big.content
    assert NOT_AN_EDITOR in (await import_file(rig, "house.yaml", HOUSE_FILE, here(MEMBER_ID))).content
    assert "only works in a server" in (await import_file(rig, "house.yaml", HOUSE_FILE, in_dm(EDITOR_ID))).content
    assert title(await define(rig, "Wombat Review", here())) is None


@pytest.mark.parametrize("file_format", ["csv", "json", "yaml"])
async def test_an_export_imports_back_unchanged(two_servers: Rig, file_format: str) -> None:
    rig = two_servers
    await import_file(rig, "house.yaml", HOUSE_FILE, here(MANAGER_ID))
    exported = await rig.fake.slash("glossary export", {"format": file_format}, **here(MANAGER_ID))
    [message] = await exported.followups()
    assert exported.ephemeral and message["content"] == "This server's glossary: 2 entries.", message
    [attachment] = message["attachments"]
    filename, content, _ = rig.fake.files[int(attachment["id"])]
    assert filename == f"glossary-{GUILD_ID}.{file_format}"
    assert b"Quokka Protocol" in content and b"Otter" not in content  # the preview above was not confirmed

    again = await import_file(rig, filename, content, here(MANAGER_ID))
    [preview] = await again.followups()
    assert "0 added, 0 updated" in preview["content"], preview["content"]  # editors made them: kept as they are
    # Into the other server: the same entries, its own now (the link to a shared entry resolves there too).
    elsewhere_import = await import_file(rig, filename, content, elsewhere(OTHER_MANAGER_ID))
    [preview] = await elsewhere_import.followups()
    confirm = find_component(preview, label="Import")["custom_id"]
    assert "2 added" in (await rig.fake.click(preview, confirm, user_id=OTHER_MANAGER_ID)).content
    theirs = await define(rig, "Quokka Protocol", elsewhere())
    assert title(theirs) == "Quokka Protocol" and labels(theirs) == [SHARED_LLM]
    back = await rig.fake.slash("glossary export", {"format": file_format}, **elsewhere(OTHER_MANAGER_ID))
    [attachment] = (await back.followups())[0]["attachments"]
    assert rig.fake.files[int(attachment["id"])][1] == content
