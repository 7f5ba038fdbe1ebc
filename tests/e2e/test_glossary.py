"""/glossary through the real discord.py client and the fake Discord: forms, refusals, history, revert."""

from __future__ import annotations

import sys
from typing import Any

import pytest

from bot import lookups
from bot.cogs.glossary import NOT_AN_EDITOR
from bot.cogs.glossary_ui import MODAL_TITLE_LIMIT
from bot.core.entry import Entry
from bot.core.schedule import iso_week_of
from tests.e2e.fake_discord import InteractionResult, find_component
from tests.e2e.rig import EDITOR_ID, GUILD_ID, MEMBER_ID, OWNER_ID, Rig, eventually

FORM_INPUTS = ("name", "definition", "explanation", "aliases", "related")
ADD_FORM = f"gl:form:add:{EDITOR_ID}"
NEW_TERM = {
    "name": "Quokka Sampling",
    "definition": "Drafting tokens with a small model and checking them with a large one.",
    "explanation": "It makes generation **faster** without changing the output.",
    "aliases": "QSamp, quokka drafting",
    "related": "Large Language Model; Inference",
}


async def glossary(rig: Rig, command: str, user_id: int = EDITOR_ID, **options: Any) -> InteractionResult:
    return await rig.fake.slash(f"glossary {command}", options or None, user_id=user_id, guild_id=GUILD_ID)


async def submit(rig: Rig, custom_id: str, values: dict[str, str], user_id: int = EDITOR_ID) -> InteractionResult:
    return await rig.fake.submit_modal(custom_id, values, user_id=user_id, guild_id=GUILD_ID)


def form_values(modal: dict[str, Any]) -> dict[str, str]:
    """What the form shows pre-filled, by text input custom id (the modal uses labels, type 18)."""
    values = {}
    for row in modal["components"]:
        component = row["component"]
        values[component["custom_id"]] = component.get("value") or ""
    return values


async def change_count(rig: Rig) -> int:
    return int(str(await rig.bot.database.fetch_value("SELECT count(*) FROM term_changes")))


async def test_editor_adds_a_term_with_the_form_and_define_finds_it(rig: Rig) -> None:
    opened = await glossary(rig, "add", category="Inference", url="https://example.org/quokka")
    assert opened.type == 9 and opened.latency is not None and opened.latency < 3
    modal = opened.modal
    assert modal is not None and modal["custom_id"] == ADD_FORM
    assert len(modal["title"]) <= MODAL_TITLE_LIMIT and len(modal["components"]) == 5
    assert list(form_values(modal)) == list(FORM_INPUTS)
    assert all(len(row["label"]) <= 45 for row in modal["components"])

    saved = await submit(rig, ADD_FORM, NEW_TERM)
    assert saved.type == 4 and saved.ephemeral
    assert saved.content.startswith("Added **Quokka Sampling** (change #1)")
    assert saved.embeds[0]["title"] == "Quokka Sampling"

    found = await rig.define("qsamp")
    [embed] = found.embeds
    assert embed["title"] == "Quokka Sampling"
    assert embed["description"].startswith("**Drafting tokens with a small model")
    fields = {field["name"]: field["value"] for field in embed["fields"]}
    assert fields["Category"] == "Inference" and fields["Also known as"] == "QSamp, quokka drafting"
    assert embed["url"] == "https://example.org/quokka"
    assert [c["label"] for row in found.components for c in row["components"]] == [
        "Large Language Model",
        "Inference",
    ]
    row = await rig.bot.database.fetch_one("SELECT origin, edited FROM terms WHERE name = 'Quokka Sampling'")
    assert row is not None and tuple(row) == ("editor", 1)


async def test_a_refused_form_keeps_what_was_typed(rig: Rig) -> None:
    await glossary(rig, "add")
    refused = await submit(rig, ADD_FORM, {**NEW_TERM, "aliases": "LLM", "related": "Nowhere"})
    assert refused.ephemeral and refused.content.startswith("Not saved: the alias 'LLM' is already an alias of")
    assert await change_count(rig) == 0 and rig.bot.index.term_for("qsamp") is None
    retry = find_component(refused.message or {}, label="Fix and try again")
    reopened = await rig.fake.click(refused, retry["custom_id"], user_id=EDITOR_ID)
    assert reopened.modal is not None
    assert form_values(reopened.modal) == {**NEW_TERM, "aliases": "LLM", "related": "Nowhere"}
    unknown = await submit(rig, ADD_FORM, {**NEW_TERM, "related": "Nowhere"})
    assert unknown.content.startswith("Not saved: no term is called 'Nowhere'")
    # A submitted form is closed, refused or not: fixing it goes through the button again.
    retry = find_component(unknown.message or {}, label="Fix and try again")
    await rig.fake.click(unknown, retry["custom_id"], user_id=EDITOR_ID)
    saved = await submit(rig, ADD_FORM, NEW_TERM)
    assert saved.content.startswith("Added **Quokka Sampling**")


async def test_two_editors_adding_at_once_each_keep_their_own_form(rig: Rig) -> None:
    first = await glossary(rig, "add")
    second = await glossary(rig, "add", user_id=OWNER_ID)
    assert first.modal is not None and second.modal is not None
    assert first.modal["custom_id"] != second.modal["custom_id"]
    theirs = await submit(
        rig, second.modal["custom_id"], {**NEW_TERM, "name": "Wombat Decoding", "aliases": ""}, OWNER_ID
    )
    mine = await submit(rig, first.modal["custom_id"], NEW_TERM)
    assert theirs.content.startswith("Added **Wombat Decoding**"), theirs.content
    assert mine.content.startswith("Added **Quokka Sampling**"), mine.content
    assert await change_count(rig) == 2


async def test_bad_options_are_refused_before_the_form_opens(rig: Rig) -> None:
    refused = await glossary(rig, "add", url="javascript:alert(1)")
    assert refused.type == 4 and refused.ephemeral
    assert refused.content.startswith("Not saved: the URL must be an http:// or https:// link")


async def test_a_member_who_is_not_an_editor_is_refused_and_nothing_changes(rig: Rig) -> None:
    before = await rig.define("LLM")
    for command, options in [
        ("add", {}),
        ("edit", {"term": "LLM"}),
        ("alias", {"term": "LLM", "alias": "Big Model"}),
        ("relate", {"term": "LLM", "other": "ChatGPT"}),
        ("remove", {"term": "LLM"}),
        ("history", {"term": "LLM"}),
        ("revert", {"change": 1}),
        ("stats", {}),
    ]:
        refused = await glossary(rig, command, user_id=MEMBER_ID, **options)
        assert refused.type == 4 and refused.ephemeral, command
        assert refused.content == NOT_AN_EDITOR, command
        assert not refused.components, command
    assert await change_count(rig) == 0
    after = await rig.define("LLM")
    assert after.embeds == before.embeds
    choices = await rig.fake.autocomplete("glossary revert", {"change": ""}, user_id=MEMBER_ID, guild_id=GUILD_ID)
    assert choices.choices == []


async def test_the_application_owner_is_an_editor_too(rig: Rig) -> None:
    opened = await glossary(rig, "add", user_id=OWNER_ID)
    assert opened.type == 9


async def test_edit_history_and_revert(rig: Rig) -> None:
    original = (await rig.define("ChatGPT")).embeds[0]
    opened = await glossary(rig, "edit", term="chatgpt")
    assert opened.modal is not None
    term_id = rig.bot.index.term_for("ChatGPT")
    assert opened.modal["custom_id"] == f"gl:form:edit:{term_id}:{EDITOR_ID}"
    assert opened.modal["title"] == "Edit ChatGPT"
    values = form_values(opened.modal)
    assert values["name"] == "ChatGPT" and values["definition"] == original["description"].split("**")[1]

    saved = await submit(
        rig, f"gl:form:edit:{term_id}:{EDITOR_ID}", {**values, "definition": "A chat assistant by OpenAI."}
    )
    assert saved.content.startswith("Saved **ChatGPT** (change #1)")
    assert (await rig.define("ChatGPT")).embeds[0]["description"].startswith("**A chat assistant by OpenAI.**")
    aliased = await glossary(rig, "alias", term="ChatGPT", alias="Chat GPT Assistant")
    assert aliased.content.startswith("Added the alias “Chat GPT Assistant” to **ChatGPT** (change #2)")
    assert (await rig.define("chat gpt assistant")).embeds[0]["title"] == "ChatGPT"

    history = await glossary(rig, "history", term="ChatGPT")
    assert history.ephemeral
    [embed] = history.embeds
    assert embed["title"] == "History of ChatGPT"
    assert embed["description"].index("**#2**") < embed["description"].index("**#1**")
    assert f"edited by <@{EDITOR_ID}>" in embed["description"] and "definition changed" in embed["description"]
    assert history.message is not None and history.message["mentions"] == []

    choices = await rig.fake.autocomplete("glossary revert", {"change": ""}, user_id=EDITOR_ID, guild_id=GUILD_ID)
    assert [choice["value"] for choice in choices.choices] == [2, 1]
    assert choices.choices[1]["name"].startswith("#1 edited ChatGPT · ")

    reverted = await glossary(rig, "revert", change=1)
    assert reverted.ephemeral and reverted.content.startswith("Reverted #1 on **ChatGPT** (change #3)")
    assert (await rig.define("ChatGPT")).embeds[0]["description"] == original["description"]
    assert rig.bot.index.term_for("chat gpt assistant") is None  # the later alias went with the revert
    again = await glossary(rig, "revert", change=1)
    assert again.content.startswith("Nothing to revert")


async def test_an_edit_started_before_someone_elses_change_is_refused(rig: Rig) -> None:
    opened = await glossary(rig, "edit", term="ChatGPT")
    assert opened.modal is not None
    await glossary(rig, "alias", term="ChatGPT", alias="GPT chat", user_id=OWNER_ID)
    values = form_values(opened.modal)
    refused = await submit(rig, opened.modal["custom_id"], {**values, "definition": "Mine."})
    assert "changed by someone else" in refused.content


async def test_category_and_url_options_change_on_edit(rig: Rig) -> None:
    categories = await rig.fake.autocomplete("glossary edit", {"term": "ChatGPT", "category": "mod"}, user_id=EDITOR_ID)
    assert categories.choices and all("mod" in choice["name"].lower() for choice in categories.choices)
    opened = await glossary(rig, "edit", term="ChatGPT", category="Products", url="-")
    assert opened.modal is not None
    saved = await submit(rig, opened.modal["custom_id"], form_values(opened.modal))
    assert saved.content.startswith("Saved **ChatGPT**")
    embed = (await rig.define("ChatGPT")).embeds[0]
    assert {field["name"]: field["value"] for field in embed["fields"]}["Category"] == "Products"
    assert "url" not in embed


async def test_remove_asks_first_and_revert_brings_the_term_back(rig: Rig) -> None:
    asked = await glossary(rig, "remove", term="ChatGPT")
    assert asked.ephemeral and asked.content.startswith("Remove **ChatGPT** from the glossary?")
    remove_button = find_component(asked.message or {}, label="Remove")["custom_id"]
    cancel_button = find_component(asked.message or {}, label="Cancel")["custom_id"]

    stranger = await rig.fake.click(asked, remove_button, user_id=OWNER_ID)
    assert stranger.ephemeral and stranger.content == "Only the editor who asked can answer this."
    assert rig.bot.index.term_for("ChatGPT") is not None

    kept = await rig.fake.click(asked, cancel_button, user_id=EDITOR_ID)
    assert kept.type == 7 and kept.content == "Kept **ChatGPT**." and not kept.components

    asked = await glossary(rig, "remove", term="ChatGPT")
    remove_button = find_component(asked.message or {}, label="Remove")["custom_id"]
    removed = await rig.fake.click(asked, remove_button, user_id=EDITOR_ID)
    assert removed.type == 7 and removed.content.startswith("Removed **ChatGPT** (change #1)")
    gone = await rig.define("ChatGPT")
    # Two letters from "Chatbot": /define offers that, with a note, but never the removed entry.
    assert not gone.embeds or gone.embeds[0]["title"] != "ChatGPT"

    history = await glossary(rig, "history", term="ChatGPT")
    assert history.embeds[0]["title"] == "History of ChatGPT (removed)"
    back = await glossary(rig, "revert", change=1)
    assert back.content.startswith("Reverted #1 on **ChatGPT** (change #2)")
    assert (await rig.define("ChatGPT")).embeds[0]["title"] == "ChatGPT"


async def test_relate_links_one_direction(rig: Rig) -> None:
    linked = await glossary(rig, "relate", term="ChatGPT", other="Self-Supervised Learning")
    assert "One direction only" in linked.content
    labels = [c["label"] for row in (await rig.define("ChatGPT")).components for c in row["components"]]
    assert labels[-1] == "Self-Supervised Learning"
    unknown = await glossary(rig, "relate", term="ChatGPT", other="No Such Thing")
    assert unknown.content.startswith("No term is called “No Such Thing”")


async def test_removal_not_confirmed_in_time_keeps_the_term(rig: Rig, monkeypatch: pytest.MonkeyPatch) -> None:
    # The question reads its timeout from the module of the cog's forms when it is asked.
    monkeypatch.setattr(sys.modules["bot.cogs.glossary_ui"], "CONFIRM_TIMEOUT_SECONDS", 0.2)
    asked = await glossary(rig, "remove", term="ChatGPT")
    message = await asked.edited(1)
    assert message["content"] == "No answer: **ChatGPT** was kept." and not message.get("components")
    assert rig.bot.index.term_for("ChatGPT") is not None and await change_count(rig) == 0


async def test_term_autocomplete_offers_names_and_aliases(rig: Rig) -> None:
    choices = await rig.fake.autocomplete("glossary remove", {"term": "llm"}, user_id=EDITOR_ID, guild_id=GUILD_ID)
    assert choices.choices[0]["value"] == "Large Language Model"


async def test_stats_show_lookups_and_misses(rig: Rig) -> None:
    for _ in range(2):
        await rig.define("ChatGPT")
    await rig.define("quantum banana")
    # Lookups and misses are written just after the answer: wait for them before reading the stats.
    await eventually(lambda: _counted(rig))
    stats = await glossary(rig, "stats")
    assert stats.ephemeral
    fields = {field["name"]: field["value"] for field in stats.embeds[0]["fields"]}
    assert fields[f"Most looked up this week ({iso_week_of(rig.clock.now)})"].startswith("1. ChatGPT — 2")
    assert fields["Most looked up overall"].startswith("1. ChatGPT — 2")
    assert fields["Asked for but not in the glossary"] == "1. quantum banana — 1"


async def test_stats_include_lookups_not_yet_written(rig: Rig, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lookups, "FLUSH_SECONDS", 3600)  # nothing is written by the timer during the test
    for _ in range(3):
        await rig.define("ChatGPT")
    assert await rig.bot.database.fetch_value("SELECT lookups FROM terms WHERE name = 'ChatGPT'") == 0
    stats = await glossary(rig, "stats")
    fields = {field["name"]: field["value"] for field in stats.embeds[0]["fields"]}
    assert fields[f"Most looked up this week ({iso_week_of(rig.clock.now)})"].startswith("1. ChatGPT — 3")
    assert fields["Most looked up overall"].startswith("1. ChatGPT — 3")


async def test_an_explanation_too_long_for_the_form_is_kept_when_left_empty(rig: Rig) -> None:
    long_text = "A paragraph about scaling laws that goes on. " * 120  # over the 4,000 a text input holds
    await rig.bot.glossary.apply_entries(
        [Entry("Scaling Law", "How loss falls with compute.", long_text)], mode="import"
    )
    await rig.bot.reload_index()
    opened = await glossary(rig, "edit", term="Scaling Law")
    assert opened.modal is not None
    explanation = next(row for row in opened.modal["components"] if row["component"]["custom_id"] == "explanation")
    assert "value" not in explanation["component"] and "leave empty to keep it" in explanation["description"]
    values = {**form_values(opened.modal), "definition": "How loss falls as compute grows."}
    saved = await submit(rig, opened.modal["custom_id"], values)
    assert saved.content.startswith("Saved **Scaling Law**")
    term_id = rig.bot.index.term_for("Scaling Law")
    assert term_id is not None
    view = await rig.bot.load_term(term_id)
    assert view is not None and view.description == long_text.strip()
    assert view.definition == "How loss falls as compute grows."


async def _counted(rig: Rig) -> bool:
    lookups = await rig.bot.database.fetch_value("SELECT lookups FROM terms WHERE name = 'ChatGPT'")
    misses = await rig.bot.database.fetch_value("SELECT count(*) FROM misses")
    return lookups == 2 and misses == 1
