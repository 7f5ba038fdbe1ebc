"""Nobody let in: every editor and manager command, tried by someone without the right, from another server
at this server's channel or role, and in a DM, is refused with a short private message and changes nothing.

"Changes nothing" is checked on a dump of every table of the database, before and after each attempt.
Editors are the bot's EDITOR_USER_IDS (and the application's owner), in any server; managers are members
with Manage Server, in their own server only. /pulse is declared server-only, so it is refused in DMs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any, cast

import pytest

from bot.cogs.glossary import NOT_AN_EDITOR
from bot.cogs.pulse import Pulse
from bot.core.scope import GLOBAL_REFUSED
from bot.errors import GENERIC_FAILURE
from tests.e2e.fake_discord import InteractionResult, find_component
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
    SECOND_CHANNEL_ID,
    Rig,
    eventually,
)
from tests.e2e.test_fuzz_interactions import ErrorLog, capture_errors, database_problems, ping_problems

OTHER_MANAGER_ID = 1300000000000000010
OTHER_ROLE_ID = 1300000000000000011
VIEW_AND_SEND = (1 << 10) | (1 << 11)
NOT_A_PULSE_EDITOR = "Only the bot's editors can change the weekly data points."
NEEDS_MANAGE_SERVER = "**Manage Server**"
SERVER_ONLY = "This command only works in a server."
NOT_A_CHANNEL_HERE = "Pick a text channel of this server that I can see."
NOT_A_ROLE_HERE = "That role isn't in this server."
SHORT = 300
SHARED_ENTRY = "is in the shared glossary, which only the bot's editors change."
SERVER_EDITOR_MAY = ("glossary add", "glossary stats")
"""What a server editor may do here (add to the server's glossary, read its numbers): no refusal to test."""

Attempt = tuple[str, dict[str, Any] | None]

EDITOR_COMMANDS: list[Attempt] = [
    ("glossary add", None),
    ("glossary add", {"category": "Inference", "url": "https://example.org/x"}),
    ("glossary edit", {"term": "LLM"}),
    ("glossary edit", {"term": "LLM", "category": "-", "url": "-"}),
    ("glossary remove", {"term": "LLM"}),
    ("glossary alias", {"term": "LLM", "alias": "Big Model"}),
    ("glossary relate", {"term": "LLM", "other": "ChatGPT"}),
    ("glossary history", {"term": "LLM"}),
    ("glossary revert", {"change": 1}),
    ("glossary stats", None),
    ("pulse add", {"figure": "Example", "headline": "Example sneaked in", "week": "2027-W01", "rank": 5}),
    ("pulse list", None),
    ("pulse list", {"week": "2026-W48"}),
    ("pulse remove", {"point": 1}),
]
MANAGER_COMMANDS: list[Attempt] = [
    ("pulse subscribe", {"channel": SECOND_CHANNEL_ID}),
    ("pulse subscribe", {"channel": CHANNEL_ID, "role": ROLE_ID, "hour": 3, "timezone": "Asia/Tokyo"}),
    ("pulse unsubscribe", {"channel": CHANNEL_ID}),
    ("pulse status", None),
]


@pytest.fixture
def error_log() -> Iterator[ErrorLog]:
    with capture_errors() as errors:
        yield errors


@pytest.fixture
async def world(error_log: ErrorLog, rig: Rig) -> Rig:
    """Something to protect: a subscription with a role, a glossary change, data points; a manager and a
    role in the other server."""
    rig.fake.add_member(OTHER_GUILD_ID, OTHER_MANAGER_ID, "olga", permissions=MANAGE_GUILD | VIEW_AND_SEND)
    rig.fake.add_role(OTHER_GUILD_ID, OTHER_ROLE_ID, "elsewhere")
    subscribed = await rig.fake.slash(
        "pulse subscribe", {"channel": CHANNEL_ID, "role": ROLE_ID}, user_id=MANAGER_ID, guild_id=GUILD_ID
    )
    assert subscribed.content.startswith("Subscribed"), subscribed.content
    aliased = await rig.fake.slash(
        "glossary alias", {"term": "ChatGPT", "alias": "Quokka Helper"}, user_id=EDITOR_ID, guild_id=GUILD_ID
    )
    assert aliased.content.startswith("Added the alias"), aliased.content
    assert await rig.bot.database.fetch_value("SELECT count(*) FROM data_points")
    await settled(rig)
    return rig


async def settled(rig: Rig) -> None:
    """The pulse loop is waiting for its next round (a subscription wakes it; it may still be writing)."""
    cog = cast(Pulse, rig.bot.get_cog("Pulse"))
    await asyncio.sleep(0)
    assert await eventually(lambda: _sleeping(cog))


async def _sleeping(cog: Pulse) -> bool:
    return cog.delivery.is_waiting()


async def dump(rig: Rig) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table."""
    tables = await rig.bot.database.fetch_all(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
    )
    contents = {}
    for (table,) in tables:
        rows = await rig.bot.database.fetch_all(f'SELECT * FROM "{table}" ORDER BY 1, 2')
        contents[str(table)] = [tuple(row) for row in rows]
    return contents


def refusal_problems(result: InteractionResult, expected: str) -> list[str]:
    """What is wrong with `result` as a refusal: it must be a short private text containing `expected`."""
    problems = []
    content = result.content
    if not result.answered or result.latency is None or result.latency >= 3:
        problems.append(f"not answered in time ({result.latency})")
    if result.type != 4 or not result.ephemeral:
        problems.append(f"not a private message (callback {result.type}, ephemeral={result.ephemeral})")
    if expected not in content:
        problems.append(f"says {content[:120]!r}, not {expected!r}")
    if len(content) > SHORT or result.embeds or result.components:
        problems.append("not a short text")
    if GENERIC_FAILURE in content:
        problems.append("an unhandled exception")
    if result.message is not None:
        problems += ping_problems(result.message)
    return problems


async def attempt_all(rig: Rig, attempts: list[tuple[Attempt, dict[str, Any], str]]) -> None:
    """Make every attempt; each must be refused as expected and leave every table as it was."""
    failures: list[str] = []
    for (command, options), who, expected in attempts:
        before = await dump(rig)
        result = await rig.fake.slash(command, options, **who)
        await settled(rig)
        changed = [table for table, rows in (await dump(rig)).items() if rows != before.get(table)]
        problems = refusal_problems(result, expected) + [f"changed {table}" for table in changed]
        if problems:
            failures.append(f"/{command} {options} by {who}: " + "; ".join(problems))
    assert not failures, "\n".join(failures)
    assert await database_problems(rig.bot.database) == []


# ==================================================================================================
# a member without the right
# ==================================================================================================
async def test_editor_commands_refuse_members_and_managers_who_are_not_editors(world: Rig, error_log: ErrorLog) -> None:
    attempts = []
    for user in (MEMBER_ID, MANAGER_ID):
        who = {"user_id": user, "guild_id": GUILD_ID}
        for command, options in EDITOR_COMMANDS:
            if user == MANAGER_ID and command in SERVER_EDITOR_MAY:
                continue
            expected = NOT_AN_EDITOR if command.startswith("glossary") else NOT_A_PULSE_EDITOR
            if user == MANAGER_ID and command.startswith("glossary"):
                expected = SHARED_ENTRY  # a manager is a server editor: the shared glossary is not theirs
            attempts.append(((command, options), who, expected))
    manager = {"user_id": MANAGER_ID, "guild_id": GUILD_ID}
    attempts.append((("glossary add", {"scope": "global"}), manager, GLOBAL_REFUSED))
    await attempt_all(world, attempts)
    assert error_log.take() == []


async def test_manager_commands_refuse_members_and_editors_without_manage_server(
    world: Rig, error_log: ErrorLog
) -> None:
    attempts = [
        (attempt, {"user_id": user, "guild_id": GUILD_ID}, NEEDS_MANAGE_SERVER)
        for user in (MEMBER_ID, EDITOR_ID)
        for attempt in MANAGER_COMMANDS
    ]
    await attempt_all(world, attempts)
    assert error_log.take() == []


async def test_editor_only_autocomplete_offers_non_editors_nothing(world: Rig) -> None:
    offered = await world.fake.autocomplete("glossary revert", {"change": ""}, user_id=MEMBER_ID, guild_id=GUILD_ID)
    assert offered.type == 8 and offered.choices == []
    mine = await world.fake.autocomplete("glossary revert", {"change": ""}, user_id=EDITOR_ID, guild_id=GUILD_ID)
    assert mine.choices  # the editor's own change


# ==================================================================================================
# another server
# ==================================================================================================
async def test_a_manager_of_another_server_cannot_touch_this_servers_channels_or_roles(
    world: Rig, error_log: ErrorLog
) -> None:
    elsewhere = {"user_id": OTHER_MANAGER_ID, "guild_id": OTHER_GUILD_ID}
    await attempt_all(
        world,
        [
            (("pulse subscribe", {"channel": CHANNEL_ID}), elsewhere, NOT_A_CHANNEL_HERE),
            (("pulse subscribe", {"channel": SECOND_CHANNEL_ID, "role": ROLE_ID}), elsewhere, NOT_A_CHANNEL_HERE),
            (("pulse subscribe", {"channel": OTHER_CHANNEL_ID, "role": ROLE_ID}), elsewhere, NOT_A_ROLE_HERE),
            (("pulse unsubscribe", {"channel": CHANNEL_ID}), elsewhere, NOT_A_CHANNEL_HERE),
        ],
    )
    # Their status lists their own server's subscriptions: none, and nothing of ours.
    status = await world.fake.slash("pulse status", **elsewhere)
    assert status.ephemeral and str(CHANNEL_ID) not in str(status.message)
    assert error_log.take() == []


async def test_a_manager_cannot_aim_at_another_servers_channel_or_role(world: Rig, error_log: ErrorLog) -> None:
    here = {"user_id": MANAGER_ID, "guild_id": GUILD_ID}
    await attempt_all(
        world,
        [
            (("pulse subscribe", {"channel": OTHER_CHANNEL_ID}), here, NOT_A_CHANNEL_HERE),
            (("pulse subscribe", {"channel": SECOND_CHANNEL_ID, "role": OTHER_ROLE_ID}), here, NOT_A_ROLE_HERE),
            (("pulse subscribe", {"channel": SECOND_CHANNEL_ID, "role": OTHER_GUILD_ID}), here, NOT_A_ROLE_HERE),
            (("pulse unsubscribe", {"channel": OTHER_CHANNEL_ID}), here, NOT_A_CHANNEL_HERE),
        ],
    )
    assert error_log.take() == []


async def test_members_of_another_server_are_refused_every_editor_and_manager_command(
    world: Rig, error_log: ErrorLog
) -> None:
    attempts = []
    for command, options in EDITOR_COMMANDS:
        expected = NOT_AN_EDITOR if command.startswith("glossary") else NOT_A_PULSE_EDITOR
        attempts.append(((command, options), {"user_id": OTHER_MEMBER_ID, "guild_id": OTHER_GUILD_ID}, expected))
    for command, options in MANAGER_COMMANDS:
        # The channel options name this server's channels: refused before the permission is even checked.
        expected = NEEDS_MANAGE_SERVER if command == "pulse status" else NOT_A_CHANNEL_HERE
        attempts.append(((command, options), {"user_id": OTHER_MEMBER_ID, "guild_id": OTHER_GUILD_ID}, expected))
    await attempt_all(world, attempts)
    assert error_log.take() == []


# ==================================================================================================
# DMs
# ==================================================================================================
async def test_every_editor_and_manager_command_is_refused_in_a_dm(world: Rig, error_log: ErrorLog) -> None:
    attempts = []
    for command, options in EDITOR_COMMANDS:
        # /glossary works in a DM, for editors only; /pulse is server-only, for everyone.
        expected = NOT_AN_EDITOR if command.startswith("glossary") else SERVER_ONLY
        attempts.append(((command, options), {"user_id": MEMBER_ID, "dm": True}, expected))
    for user in (MEMBER_ID, MANAGER_ID, EDITOR_ID):
        for attempt in [*MANAGER_COMMANDS, ("pulse preview", None)]:
            attempts.append((attempt, {"user_id": user, "dm": True}, SERVER_ONLY))
    for command, options in EDITOR_COMMANDS:
        if command.startswith("pulse"):
            attempts.append(((command, options), {"user_id": EDITOR_ID, "dm": True}, SERVER_ONLY))
    await attempt_all(world, attempts)
    assert error_log.take() == []


# ==================================================================================================
# the editors' buttons and forms
# ==================================================================================================
async def test_an_editors_prompt_form_and_retry_button_refuse_everyone_else(world: Rig, error_log: ErrorLog) -> None:
    rig = world
    before = await dump(rig)
    prompt = await rig.fake.slash("glossary remove", {"term": "LLM"}, user_id=EDITOR_ID, guild_id=GUILD_ID)
    remove = find_component(prompt.message or {}, label="Remove")["custom_id"]
    forged = await rig.fake.click(prompt, remove, user_id=MEMBER_ID)
    assert refusal_problems(forged, "Only the editor who asked can answer this.") == []

    opened = await rig.fake.slash("glossary add", None, user_id=EDITOR_ID, guild_id=GUILD_ID)
    assert opened.modal is not None
    values = {"name": "Sneaky Term", "definition": "Not from an editor."}
    sneaked = await rig.fake.submit_modal(opened.modal["custom_id"], values, user_id=MEMBER_ID, guild_id=GUILD_ID)
    assert refusal_problems(sneaked, NOT_AN_EDITOR) == []

    refused = await rig.fake.submit_modal(
        opened.modal["custom_id"], {"name": "LLM", "definition": "taken"}, user_id=EDITOR_ID, guild_id=GUILD_ID
    )
    retry = find_component(refused.message or {}, label="Fix and try again")["custom_id"]
    reopened = await rig.fake.click(refused, retry, user_id=MEMBER_ID)
    assert refusal_problems(reopened, NOT_AN_EDITOR) == []
    await settled(rig)
    assert await dump(rig) == before
    assert rig.bot.index.term_for("Sneaky Term") is None and rig.bot.index.term_for("LLM") is not None

    # The editor's own prompt still works: the refusals took nothing away from them.
    cancel = find_component(prompt.message or {}, label="Cancel")["custom_id"]
    kept = await rig.fake.click(prompt, cancel, user_id=EDITOR_ID)
    assert kept.type == 7 and kept.content.startswith("Kept")
    assert error_log.take() == []
