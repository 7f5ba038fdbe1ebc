"""/search, /random and "Explain terms" through the real discord.py client and the fake Discord."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot.core.render_discovery import NO_TERMS, NO_WORDS
from bot.core.search import PAGE_SIZE
from bot.errors import GENERIC_FAILURE
from tests.e2e.fake_discord import InteractionResult, custom_ids, find_component
from tests.e2e.rig import CHANNEL_ID, EDITOR_ID, GUILD_ID, MEMBER_ID, Rig

UNESCAPED_MENTION = re.compile(r"(?<!\\)@(everyone|here)|(?<!\\)<(?!\\)@")
HOSTILE = [
    "x" * 10_000,
    "@everyone @here <@1200000000000000011> <@&1200000000000000006>",
    "mo\u200bdel \u202etraining\u202c \u2066rlhf\u2069",
    "**model** __training__ `code` ||spoiler|| > quote # heading [link](https://example.com)",
    "'; DROP TABLE terms; -- \" * NEAR(a b) -x name:llm ^y {a b}: ( ) OR AND NOT %",
]


def labels(message: dict[str, Any]) -> list[str]:
    return [component["label"] for row in message.get("components") or [] for component in row["components"]]


def page_ids(message: dict[str, Any]) -> list[str]:
    return [custom_id for custom_id in custom_ids(message) if custom_id.startswith("gl:s:")]


def assert_pings_nobody(result: InteractionResult) -> None:
    message = result.message or {}
    assert message.get("mentions") == [] and message.get("mention_roles") == []
    assert not message.get("mention_everyone")
    texts = [message.get("content") or ""]
    for embed in message.get("embeds") or []:
        texts += [embed.get("title") or "", embed.get("description") or ""]
        texts += [field["value"] for field in embed.get("fields") or []]
    assert not any(UNESCAPED_MENTION.search(text) for text in texts), texts


async def search(rig: Rig, query: str, user_id: int = MEMBER_ID) -> InteractionResult:
    return await rig.fake.slash("search", {"query": query}, user_id=user_id, guild_id=GUILD_ID)


async def random(rig: Rig, category: str | None = None) -> InteractionResult:
    options = {"category": category} if category is not None else None
    return await rig.fake.slash("random", options, user_id=MEMBER_ID, guild_id=GUILD_ID)


async def explain(rig: Rig, content: str, user_id: int = MEMBER_ID) -> InteractionResult:
    message = await rig.fake.user_message(CHANNEL_ID, content, user_id=EDITOR_ID)
    return await rig.fake.message_command("Explain terms", message, user_id=user_id, guild_id=GUILD_ID)


# ---- commands ---------------------------------------------------------------------------------------


async def test_discovery_commands_are_synced(rig: Rig) -> None:
    by_type = {(command.get("type", 1), command["name"]) for command in rig.fake.global_commands}
    assert {(1, "search"), (1, "random"), (3, "Explain terms")} <= by_type


# ---- /search ----------------------------------------------------------------------------------------


async def test_search_lists_hits_pages_through_them_and_opens_one(rig: Rig) -> None:
    first = await search(rig, "model")
    assert first.type == 4 and first.ephemeral
    assert first.latency is not None and first.latency < 3
    [embed] = first.embeds
    assert embed["title"] == "Search: model"
    lines = embed["description"].splitlines()
    assert len(lines) == PAGE_SIZE and lines[0].startswith("**1. ")
    total = int(re.fullmatch(r"Page 1 of (\d+) · (\d+) results", embed["footer"]["text"])[2])  # type: ignore[index]
    assert total > PAGE_SIZE
    first_labels = labels(first.message or {})
    assert first_labels[:2] == [line.split("**")[1].replace("\\", "") for line in lines[:2]]
    previous, following = page_ids(first.message or {})
    assert find_component(first.message or {}, custom_id=previous).get("disabled") is True
    assert all(len(custom_id) <= 100 for custom_id in custom_ids(first.message or {}))

    second = await rig.fake.click(first, following, user_id=MEMBER_ID)
    assert second.type == 7  # the asker's own result list turns the page in place
    [embed] = second.embeds
    assert embed["footer"]["text"].startswith("Page 2 of ")
    assert embed["description"].splitlines()[0].startswith(f"**{PAGE_SIZE + 1}. ")
    assert labels(second.message or {})[0].startswith(f"{PAGE_SIZE + 1}. ")

    back = await rig.fake.click(second, page_ids(second.message or {})[0], user_id=MEMBER_ID)
    assert back.embeds[0]["description"] == first.embeds[0]["description"]

    hit = next(c for c in custom_ids(back.message or {}) if c.startswith("gl:t:"))
    opened = await rig.fake.click(back, hit, user_id=MEMBER_ID)
    assert opened.type == 7
    assert opened.embeds[0]["title"] == first_labels[0].split(". ", 1)[1]


async def test_search_says_why_each_hit_matched(rig: Rig) -> None:
    by_alias = await search(rig, "llm")
    lines = by_alias.embeds[0]["description"].splitlines()
    assert lines[0] == "**1. Large Language Model** · alias: **LLM**"
    by_name = await search(rig, "transformer")
    assert by_name.embeds[0]["description"].splitlines()[0] == "**1. Transformer** · name"
    by_text = await search(rig, "catalyzed")
    line = by_text.embeds[0]["description"].splitlines()[0]
    assert re.search(r" · (definition|explanation): .*\*\*catalyzed\*\*", line), line


async def test_page_buttons_keep_working_after_a_restart(rig: Rig) -> None:
    first = await search(rig, "learning")
    following = page_ids(first.message or {})[1]
    await rig.restart()
    second = await rig.fake.click(first, following, user_id=MEMBER_ID)
    assert second.type == 7 and second.embeds[0]["footer"]["text"].startswith("Page 2 of ")


async def test_a_forged_page_button_is_only_a_search(rig: Rig) -> None:
    first = await search(rig, "learning")
    message = dict(first.message or {})
    forged_id = 'gl:s:9999:1200000000000000011:"*" NEAR(x) \'; DROP TABLE terms; --'
    row = message["components"][-1]
    message["components"] = [
        *message["components"][:-1],
        {**row, "components": [{**row["components"][1], "custom_id": forged_id}]},
    ]
    clicked = await rig.fake.click(message, forged_id, user_id=MEMBER_ID)
    assert clicked.type == 7 and clicked.content.startswith("Nothing in the glossary matches")
    assert await rig.bot.database.fetch_value("SELECT count(*) FROM terms") == 146


async def test_a_search_without_words_or_hits_is_a_friendly_ephemeral_note(rig: Rig) -> None:
    nothing = await search(rig, "!!! *** ---")
    assert nothing.ephemeral and nothing.content == NO_WORDS and not nothing.components
    missing = await search(rig, "quuxbaz")
    assert (
        missing.ephemeral
        and missing.content == "Nothing in the glossary matches “quuxbaz”. Try fewer or shorter words."
    )


@pytest.mark.parametrize("text", HOSTILE, ids=["long", "mentions", "invisible", "markdown", "syntax"])
async def test_hostile_search_text_gets_a_clean_reply(rig: Rig, text: str) -> None:
    result = await search(rig, text)
    assert result.type == 4 and result.ephemeral
    assert result.content != GENERIC_FAILURE
    assert_pings_nobody(result)
    assert await rig.bot.database.fetch_value("SELECT count(*) FROM terms") == 146


async def test_an_editors_new_term_is_found_at_once(rig: Rig) -> None:
    await rig.fake.slash("glossary add", {"category": "Inference"}, user_id=EDITOR_ID, guild_id=GUILD_ID)
    values = {
        "name": "Quokka Sampling",
        "definition": "Drafting tokens with a small model.",
        "explanation": "",
        "aliases": "QSamp",
        "related": "",
    }
    saved = await rig.fake.submit_modal(f"gl:form:add:{EDITOR_ID}", values, user_id=EDITOR_ID, guild_id=GUILD_ID)
    assert saved.content.startswith("Added **Quokka Sampling**")
    found = await search(rig, "qsamp")
    assert found.embeds[0]["description"] == "**1. Quokka Sampling** · alias: **QSamp**"
    explained = await explain(rig, "we tried qsamp yesterday")
    assert explained.embeds[0]["description"].startswith("**Quokka Sampling** (“qsamp”) — Drafting tokens")


# ---- /random ----------------------------------------------------------------------------------------


async def test_random_shows_an_entry_like_define(rig: Rig) -> None:
    result = await random(rig)
    assert result.type == 4 and not result.ephemeral
    [embed] = result.embeds
    defined = await rig.define(embed["title"])
    assert embed == defined.embeds[0]
    assert labels(result.message or {}) == labels(defined.message or {})
    assert_pings_nobody(result)


async def test_random_in_a_category(rig: Rig) -> None:
    choices = await rig.fake.autocomplete("random", {"category": "safe"}, user_id=MEMBER_ID, guild_id=GUILD_ID)
    assert choices.choices == [{"name": "Safety & Alignment (11 terms)", "value": "Safety & Alignment"}]
    for _ in range(5):
        result = await random(rig, "safety & alignment")
        fields = {field["name"]: field["value"] for field in result.embeds[0]["fields"]}
        assert fields["Category"] == "Safety & Alignment"


@pytest.mark.parametrize("category", ["Nowhere", "@everyone **x**", "\u202e\u200b", "x" * 100])
async def test_an_unknown_category_is_a_friendly_error(rig: Rig, category: str) -> None:
    result = await random(rig, category)
    assert result.ephemeral and not result.embeds
    assert "category" in result.content and "Pick one from the list" in result.content
    assert_pings_nobody(result)


# ---- Explain terms ------------------------------------------------------------------------------------


async def test_explain_terms_lists_each_term_with_a_button(rig: Rig) -> None:
    result = await explain(rig, "Fine-tuning an LLM with RLHF, then we checked it for hallucinations.")
    assert result.type == 4 and result.ephemeral
    [embed] = result.embeds
    assert embed["title"] == "Terms in this message"
    lines = embed["description"].splitlines()
    assert lines[0].startswith("**Fine\\-Tuning** — The process of further training")
    assert lines[1].startswith("**Large Language Model** (“LLM”) — ")
    names = labels(result.message or {})
    assert names[:2] == ["Fine-Tuning", "Large Language Model"] and "Hallucination" in names
    opened = await rig.fake.click(result, custom_ids(result.message or {})[1], user_id=MEMBER_ID)
    assert opened.type == 7 and opened.embeds[0]["title"] == "Large Language Model"


async def test_explain_terms_on_a_message_without_terms(rig: Rig) -> None:
    result = await explain(rig, "See you at lunch tomorrow!")
    assert result.ephemeral and result.content == NO_TERMS and not result.components


async def test_explain_terms_reads_the_bots_own_answers(rig: Rig) -> None:
    answer = await rig.define("ChatGPT")
    assert answer.message is not None
    result = await rig.fake.message_command("Explain terms", answer.message, user_id=MEMBER_ID, guild_id=GUILD_ID)
    assert "ChatGPT" in labels(result.message or {})


@pytest.mark.parametrize("text", HOSTILE, ids=["long", "mentions", "invisible", "markdown", "syntax"])
async def test_hostile_messages_get_a_clean_explanation(rig: Rig, text: str) -> None:
    result = await explain(rig, text + " and RAG")
    assert result.type == 4 and result.ephemeral
    assert result.content != GENERIC_FAILURE
    assert_pings_nobody(result)
