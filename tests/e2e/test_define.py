"""/define through the real discord.py client and the fake Discord, as users would use it."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.e2e.fake_discord import FakeDiscord, custom_ids, find_component
from tests.e2e.rig import (
    EDITOR_ID,
    GUILD_ID,
    MEMBER_ID,
    START_OF_TEST_TIME,
    ControllableClock,
    Rig,
    eventually,
    populate_world,
    rig_settings,
)

UNESCAPED_MENTION = re.compile(r"(?<!\\)@(everyone|here)|(?<!\\)<(?!\\)@")


def labels(message: dict) -> list[str]:  # type: ignore[type-arg]
    return [component["label"] for row in message.get("components") or [] for component in row["components"]]


async def test_login_syncs_valid_commands(rig: Rig) -> None:
    names = {command["name"] for command in rig.fake.global_commands}
    assert {"define", "pulse"} <= names


async def test_commands_are_not_synced_again_when_unchanged(rig: Rig) -> None:
    puts = len(rig.fake.requests_to("PUT", r"/applications/\d+/commands$"))
    await rig.restart()
    assert len(rig.fake.requests_to("PUT", r"/applications/\d+/commands$")) == puts


async def test_a_hit_answers_with_the_entry_and_related_buttons(rig: Rig) -> None:
    result = await rig.define("self supervised learning")
    assert result.type == 4 and not result.ephemeral
    assert result.latency is not None and result.latency < 3
    [embed] = result.embeds
    assert embed["title"] == "Self-Supervised Learning"
    assert embed["description"].startswith("**A training paradigm where AI models learn from unlabeled data")
    assert labels(result.message or {}) == [
        "Artificial General Intelligence",
        "AI Alignment",
        "ChatGPT",
        "Fine-Tuning",
        "Foundation Model",
        "Frontier Model",
    ]
    assert result.message is not None
    assert result.message["mentions"] == [] and result.message["mention_roles"] == []


async def test_private_answers_ephemerally(rig: Rig) -> None:
    result = await rig.define("ChatGPT", private=True)
    assert result.ephemeral and result.embeds[0]["title"] == "ChatGPT"


async def test_an_abbreviation_resolves_to_its_term(rig: Rig) -> None:
    result = await rig.define("LLM")
    assert result.embeds[0]["title"] == "Large Language Model"
    assert not result.content


async def test_a_typo_resolves_with_a_note(rig: Rig) -> None:
    result = await rig.define("frontir model")
    assert result.embeds[0]["title"] == "Frontier Model"
    assert result.content.startswith("Showing results for **Frontier Model**")


async def test_a_miss_is_ephemeral_with_did_you_mean_buttons_and_is_recorded(rig: Rig) -> None:
    result = await rig.define("learning")
    assert result.ephemeral and result.content.startswith("No entry for “learning”")
    assert 1 <= len(labels(result.message or {})) <= 5
    recorded = await eventually(lambda: rig.bot.database.fetch_value("SELECT count FROM misses WHERE key = 'learning'"))
    assert recorded == 1
    suggestion = custom_ids(result.message or {})[0]
    opened = await rig.fake.click(result, suggestion, user_id=MEMBER_ID)
    assert opened.type == 7 and opened.embeds  # the asker's own miss message turns into the entry


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("self-sup", "Self-Supervised Learning"),
        ("RLHF", "Reinforcement Learning from Human Feedback"),
        ("slef-supervised", "Self-Supervised Learning"),
    ],
)
async def test_autocomplete(rig: Rig, typed: str, expected: str) -> None:
    result = await rig.fake.autocomplete("define", {"term": typed}, user_id=MEMBER_ID, guild_id=GUILD_ID)
    assert result.type == 8
    assert result.choices[0]["value"] == expected
    assert len(result.choices) <= 25


async def test_autocomplete_on_empty_input_offers_popular_terms(rig: Rig) -> None:
    for _ in range(3):
        await rig.define("ChatGPT")
    await eventually(lambda: rig.bot.database.fetch_value("SELECT lookups FROM terms WHERE name = 'ChatGPT'"))
    result = await rig.fake.autocomplete("define", {"term": ""}, user_id=MEMBER_ID, guild_id=GUILD_ID)
    assert result.choices[0]["value"] == "ChatGPT" and len(result.choices) == 25


async def test_related_button_updates_in_place_for_the_asker(rig: Rig) -> None:
    result = await rig.define("self supervised learning", user_id=MEMBER_ID)
    button = find_component(result.message or {}, label="Fine-Tuning")
    clicked = await rig.fake.click(result, button["custom_id"], user_id=MEMBER_ID)
    assert clicked.type == 7
    assert result.embeds[0]["title"] == "Fine-Tuning"  # the same message now shows the clicked term
    assert "Self-Supervised Learning" in labels(result.message or {}) or labels(result.message or {})


async def test_related_button_is_private_for_anyone_else(rig: Rig) -> None:
    result = await rig.define("self supervised learning", user_id=MEMBER_ID)
    button = find_component(result.message or {}, label="ChatGPT")
    clicked = await rig.fake.click(result, button["custom_id"], user_id=EDITOR_ID)
    assert clicked.type == 4 and clicked.ephemeral
    assert clicked.embeds[0]["title"] == "ChatGPT"
    assert result.embeds[0]["title"] == "Self-Supervised Learning"  # the asker's message is untouched


async def test_old_buttons_work_after_a_restart(rig: Rig) -> None:
    result = await rig.define("self supervised learning", user_id=MEMBER_ID)
    old_message = dict(result.message or {})
    await rig.restart()
    clicked = await rig.fake.click(
        old_message, find_component(old_message, label="AI Alignment")["custom_id"], user_id=MEMBER_ID
    )
    assert clicked.type == 7 and clicked.embeds[0]["title"] == "AI Alignment"


async def test_a_button_for_a_deleted_term_says_so(rig: Rig) -> None:
    result = await rig.define("self supervised learning", user_id=MEMBER_ID)
    custom_id = find_component(result.message or {}, label="ChatGPT")["custom_id"]
    term_id = int(custom_id.split(":")[2])
    async with rig.bot.database.transaction() as connection:
        await connection.execute("DELETE FROM terms WHERE id = ?", (term_id,))
    rig.bot.index.remove(term_id)
    clicked = await rig.fake.click(result, custom_id, user_id=MEMBER_ID)
    assert clicked.ephemeral and "no longer exists" in clicked.content
    assert result.embeds[0]["title"] == "Self-Supervised Learning"


@pytest.mark.parametrize(
    "hostile",
    [
        "x" * 10_000,
        "@everyone @here <@123456789012345678> <@&1200000000000000006>",
        "self\u200bsupervised\u200d learning",
        "\u202egninrael desivrepus\u202c",
        "**bold** `code` [link](https://evil.example) ||spoiler||",
        "'; DROP TABLE terms; -- \" OR 1=1",
    ],
)
async def test_hostile_input_gets_a_clean_reply_that_pings_nobody(rig: Rig, hostile: str) -> None:
    result = await rig.define(hostile)
    assert result.answered and result.latency is not None and result.latency < 3
    message = result.message or {}
    assert message.get("mentions") == [] and message.get("mention_roles") == [] and not message.get("mention_everyone")
    assert len(message.get("content") or "") < 300
    assert not UNESCAPED_MENTION.search(message.get("content") or "")  # user text is echoed escaped, never as a mention
    assert await rig.bot.database.fetch_value("PRAGMA integrity_check") == "ok"
    assert await rig.bot.glossary.count_terms() > 80


async def test_the_bot_survives_a_dropped_gateway_and_keeps_answering(rig: Rig) -> None:
    await rig.fake.drop_gateway()
    await rig.fake.wait_for_resumes(1)
    result = await rig.define("AGI")
    assert result.embeds[0]["title"] == "Artificial General Intelligence"


async def test_each_interaction_leaves_one_log_line(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO", logger="bot.errors")
    await rig.define("LLM")
    await eventually(lambda: _logged(caplog, "/define"))
    [line] = [r.getMessage() for r in caplog.records if "/define" in r.getMessage()]
    assert f"user={MEMBER_ID}" in line and "outcome=ok" in line and "latency_ms=" in line


async def _logged(caplog: pytest.LogCaptureFixture, what: str) -> bool:
    return any(what in record.getMessage() for record in caplog.records)


# ---- matching a real glossary's names: senses, typos, suggestions (a small fixture of our own) --------

MATCHING_GLOSSARY = Path(__file__).resolve().parents[1] / "fixtures" / "matching_glossary.yaml"


@pytest.fixture
async def matching_rig(tmp_path: Path) -> AsyncIterator[Rig]:
    fake = FakeDiscord()
    populate_world(fake)
    await fake.start()
    settings = rig_settings(tmp_path / "bot.db", seed_path=MATCHING_GLOSSARY)
    rig = Rig(fake=fake, settings=settings, clock=ControllableClock(START_OF_TEST_TIME))
    try:
        await rig.start()
        yield rig
    finally:
        await rig.stop()
        await fake.stop()
    fake.assert_clean()


async def test_a_base_name_with_several_senses_offers_each_as_a_button_that_works_after_a_restart(
    matching_rig: Rig,
) -> None:
    rig = matching_rig
    result = await rig.define("bias")
    assert not result.ephemeral and not result.embeds
    assert result.content.startswith("“bias” has 2 senses")
    assert sorted(labels(result.message or {})) == ["bias (ethics/fairness)", "bias (math)"]
    await rig.restart()
    [math] = [
        custom_id
        for custom_id in custom_ids(result.message or {})
        if find_component(result.message or {}, custom_id=custom_id)["label"] == "bias (math)"
    ]
    opened = await rig.fake.click(result, math, user_id=MEMBER_ID)
    assert opened.type == 7 and opened.embeds[0]["title"] == "bias (math)"


@pytest.mark.parametrize(
    ("typed", "title"),
    [
        ("false alarm rate", "false alarm rate (FAR)"),  # the base name
        ("FAR", "false alarm rate (FAR)"),  # the abbreviation
        ("flase positive", "false positive (FP)"),  # a typo of the base name
        ("lsos", "loss"),  # four letters, two swapped
        ("grdint", "gradient"),  # two typos among the first letters
    ],
)
async def test_names_with_a_parenthetical_and_typos_resolve(matching_rig: Rig, typed: str, title: str) -> None:
    result = await matching_rig.define(typed)
    assert result.embeds and result.embeds[0]["title"] == title


async def test_a_miss_suggests_entries_sharing_a_word(matching_rig: Rig) -> None:
    result = await matching_rig.define("gradient blending")
    assert result.ephemeral and result.content.startswith("No entry for “gradient blending”")
    offered = labels(result.message or {})
    assert {"gradient descent", "gradient boosting", "gradient clipping"} <= set(offered) and len(offered) <= 5
    nothing = await matching_rig.define("zzqxv wqkkz")
    assert "nothing close" in nothing.content and not labels(nothing.message or {})
