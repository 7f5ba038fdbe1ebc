"""Unit tests of the payload validator in ``tests/e2e/limits.py`` (no network)."""

from __future__ import annotations

import copy
from typing import Any

import discord
import pytest
from discord import app_commands
from discord.http import handle_message_parameters
from discord.webhook.async_ import interaction_message_response_params, interaction_response_params

from tests.e2e.limits import check_payload, check_schema, spec_available

needs_spec = pytest.mark.skipif(not spec_available(), reason="../shared/discord/openapi.json is absent")

NONE: dict[str, Any] = {"parse": []}


def button(i: int, **extra: Any) -> dict[str, Any]:
    return {"type": 2, "style": 1, "label": f"b{i}", "custom_id": f"c{i}", **extra}


def good_message() -> dict[str, Any]:
    return {
        "content": "**LLM**: a large language model.",
        "embeds": [
            {
                "title": "LLM",
                "description": "A large language model.",
                "fields": [{"name": "See also", "value": "transformer", "inline": False}],
                "footer": {"text": "Glossary"},
                "author": {"name": "Glossary bot"},
                "type": "rich",
            }
        ],
        "components": [
            {
                "type": 1,
                "components": [button(1), {"type": 2, "style": 5, "label": "Source", "url": "https://example.com"}],
            }
        ],
        "allowed_mentions": NONE,
    }


def callback(data: dict[str, Any], type: int = 4) -> dict[str, Any]:
    return {"type": type, "data": data}


def choices(n: int, *, name_len: int = 5, value_len: int = 5) -> dict[str, Any]:
    return {"type": 8, "data": {"choices": [{"name": "n" * name_len, "value": "v" * value_len} for _ in range(n)]}}


def with_embed(**embed: Any) -> dict[str, Any]:
    return {"embeds": [embed], "allowed_mentions": NONE}


def command(**overrides: Any) -> dict[str, Any]:
    cmd: dict[str, Any] = {
        "name": "define",
        "description": "Define a term",
        "type": 1,
        "options": [{"type": 3, "name": "term", "description": "The term", "required": True, "autocomplete": True}],
    }
    cmd.update(overrides)
    return cmd


def modal(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "custom_id": "suggest",
        "title": "Suggest a term",
        "components": [
            {
                "type": 1,
                "components": [{"type": 4, "style": 1, "label": "Term", "custom_id": "term", "max_length": 100}],
            }
        ],
    }
    data.update(overrides)
    return {"type": 9, "data": data}


def text_input(**overrides: Any) -> dict[str, Any]:
    comp = {"type": 4, "style": 1, "label": "Term", "custom_id": "term"}
    comp.update(overrides)
    return modal(components=[{"type": 1, "components": [comp]}])


def six_buttons() -> dict[str, Any]:
    return {
        "content": "x",
        "allowed_mentions": NONE,
        "components": [{"type": 1, "components": [button(i) for i in range(6)]}],
    }


BAD: list[tuple[str, str, Any, str]] = [
    ("6 buttons in a row", "message_create", six_buttons(), "6 buttons"),
    (
        "81-char label",
        "message_create",
        {
            "content": "x",
            "allowed_mentions": NONE,
            "components": [{"type": 1, "components": [button(1, label="l" * 81)]}],
        },
        "label is 81 characters",
    ),
    ("26 autocomplete choices", "interaction_callback", choices(26), "26 choices"),
    ("101-char choice name", "interaction_callback", choices(1, name_len=101), "name is 101 characters"),
    ("101-char choice value", "interaction_callback", choices(1, value_len=101), "value is 101 characters"),
    ("4097-char description", "message_create", with_embed(description="d" * 4097), "description is 4097"),
    (
        "6001 chars over embeds",
        "message_create",
        {"embeds": [{"description": "d" * 4000}, {"description": "d" * 2001}], "allowed_mentions": NONE},
        "total 6001",
    ),
    (
        "26 embed fields",
        "message_create",
        with_embed(fields=[{"name": "n", "value": "v"} for _ in range(26)]),
        "26 fields",
    ),
    (
        "1025-char field value",
        "message_create",
        with_embed(fields=[{"name": "n", "value": "v" * 1025}]),
        "value is 1025",
    ),
    ("257-char title", "message_create", with_embed(title="t" * 257), "title is 257"),
    ("2049-char footer", "message_create", with_embed(footer={"text": "f" * 2049}), "footer text is 2049"),
    ("257-char author", "message_create", with_embed(author={"name": "a" * 257}), "author name is 257"),
    ("11 embeds", "message_create", {"embeds": [{"title": "t"}] * 11, "allowed_mentions": NONE}, "11 embeds"),
    ("2001-char content", "message_create", {"content": "c" * 2001, "allowed_mentions": NONE}, "content is 2001"),
    (
        "101-char custom_id",
        "message_create",
        {
            "content": "x",
            "allowed_mentions": NONE,
            "components": [{"type": 1, "components": [button(1, custom_id="c" * 101)]}],
        },
        "custom_id is 101",
    ),
    (
        "6 action rows",
        "message_create",
        {
            "content": "x",
            "allowed_mentions": NONE,
            "components": [{"type": 1, "components": [button(i)]} for i in range(6)],
        },
        "6 action rows",
    ),
    (
        "link button with custom_id",
        "message_create",
        {
            "content": "x",
            "allowed_mentions": NONE,
            "components": [
                {
                    "type": 1,
                    "components": [{"type": 2, "style": 5, "label": "l", "url": "https://e.x", "custom_id": "c"}],
                }
            ],
        },
        "must not have a custom_id",
    ),
    (
        "513-char link url",
        "message_create",
        {
            "content": "x",
            "allowed_mentions": NONE,
            "components": [
                {"type": 1, "components": [{"type": 2, "style": 5, "label": "l", "url": "https://e.x/" + "u" * 501}]}
            ],
        },
        "url is 513",
    ),
    (
        "26 select options",
        "message_create",
        {
            "content": "x",
            "allowed_mentions": NONE,
            "components": [
                {
                    "type": 1,
                    "components": [
                        {
                            "type": 3,
                            "custom_id": "s",
                            "options": [{"label": str(i), "value": str(i)} for i in range(26)],
                        }
                    ],
                }
            ],
        },
        "26 select options",
    ),
    (
        "duplicate custom_id",
        "message_create",
        {"content": "x", "allowed_mentions": NONE, "components": [{"type": 1, "components": [button(1), button(1)]}]},
        "duplicate custom_id",
    ),
    ("parse everyone", "message_create", {"content": "hi", "allowed_mentions": {"parse": ["everyone"]}}, "'everyone'"),
    ("parse users", "webhook", {"content": "hi", "allowed_mentions": {"parse": ["users"]}}, "'users'"),
    ("parse roles", "message_edit", {"content": "hi", "allowed_mentions": {"parse": ["roles"]}}, "'roles'"),
    (
        "explicit users",
        "message_create",
        {"content": "hi", "allowed_mentions": {"parse": [], "users": ["1"]}},
        "never pings users",
    ),
    (
        "two roles",
        "message_create",
        {"content": "hi", "allowed_mentions": {"parse": [], "roles": ["1", "2"]}},
        "at most one",
    ),
    ("missing allowed_mentions", "message_create", {"content": "hi"}, "must carry allowed_mentions"),
    (
        "reply that pings its author",
        "message_create",
        {
            "content": "hi",
            "message_reference": {"message_id": "1"},
            "allowed_mentions": {"parse": [], "replied_user": True},
        },
        "replied_user",
    ),
    (
        "missing allowed_mentions on embeds",
        "interaction_callback",
        callback({"embeds": [{"title": "t"}]}),
        "must carry allowed_mentions",
    ),
    (
        "missing allowed_mentions on an update",
        "interaction_callback",
        callback({"content": "x"}, type=7),
        "must carry allowed_mentions",
    ),
    ("26-char nonce", "message_create", {"content": "x", "allowed_mentions": NONE, "nonce": "n" * 26}, "nonce is 26"),
    ("empty message", "message_create", {"allowed_mentions": NONE}, "empty message"),
    ("unknown callback type", "interaction_callback", {"type": "x"}, "unknown callback type"),
    ("46-char modal title", "interaction_callback", modal(title="t" * 46), "title is 46"),
    (
        "6 modal rows",
        "interaction_callback",
        modal(
            components=[
                {"type": 1, "components": [{"type": 4, "style": 1, "label": "L", "custom_id": f"t{i}"}]}
                for i in range(6)
            ]
        ),
        "6 rows",
    ),
    ("46-char text input label", "interaction_callback", text_input(label="l" * 46), "label is 46"),
    ("text input max_length 4001", "interaction_callback", text_input(max_length=4001), "max_length"),
    ("101-char modal custom_id", "interaction_callback", modal(custom_id="m" * 101), "custom_id is 101"),
    ("upper-case command name", "commands", [command(name="Define")], "lower case"),
    ("33-char command name", "commands", [command(name="d" * 33)], "1-32 characters"),
    ("command name with a space", "commands", [command(name="define term")], "1-32 characters"),
    ("101-char command description", "commands", [command(description="d" * 101)], "description is 101"),
    ("empty command description", "commands", [command(description="")], "description is 0"),
    (
        "26 options",
        "commands",
        [command(options=[{"type": 3, "name": f"o{i}", "description": "d"} for i in range(26)])],
        "26 options",
    ),
    (
        "26 option choices",
        "commands",
        [
            command(
                options=[
                    {
                        "type": 3,
                        "name": "o",
                        "description": "d",
                        "choices": [{"name": str(i), "value": str(i)} for i in range(26)],
                    }
                ]
            )
        ],
        "26 choices",
    ),
    (
        "required after optional",
        "commands",
        [
            command(
                options=[
                    {"type": 3, "name": "a", "description": "d"},
                    {"type": 3, "name": "b", "description": "d", "required": True},
                ]
            )
        ],
        "required options must come before",
    ),
    (
        "context menu with a description",
        "commands",
        [{"name": "Define", "type": 3, "description": "x"}],
        "empty description",
    ),
    ("duplicate command", "commands", [command(), command()], "duplicate command name"),
]


@pytest.mark.parametrize(("kind", "body", "expected"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_violation_is_reported(kind: str, body: Any, expected: str) -> None:
    problems = check_payload(kind, copy.deepcopy(body))
    assert any(expected in p for p in problems), problems


GOOD: list[tuple[str, str, Any]] = [
    ("message", "message_create", good_message()),
    ("callback message", "interaction_callback", callback(good_message())),
    ("update", "interaction_callback", callback({"components": []}, type=7)),
    ("follow-up", "webhook", good_message()),
    ("edit", "webhook_edit", {"content": "done", "allowed_mentions": NONE}),
    ("25 choices at the limits", "interaction_callback", choices(25, name_len=100, value_len=100)),
    ("deferred", "interaction_callback", {"type": 5, "data": {"flags": 64}}),
    ("deferred update", "interaction_callback", {"type": 6}),
    ("modal", "interaction_callback", modal()),
    (
        "one explicit role",
        "message_create",
        {"content": "<@&5> pulse", "allowed_mentions": {"parse": [], "roles": [5]}},
    ),
    ("components only", "message_edit", {"components": []}),
    (
        "6000 chars over embeds",
        "message_create",
        {"embeds": [{"description": "d" * 4000}, {"description": "d" * 2000}], "allowed_mentions": NONE},
    ),
    (
        "commands",
        "commands",
        [
            command(),
            {"name": "Define in Glossary", "type": 3},
            command(
                name="glossary",
                options=[
                    {
                        "type": 2,
                        "name": "terms",
                        "description": "Terms",
                        "options": [
                            {
                                "type": 1,
                                "name": "add",
                                "description": "Add",
                                "options": [{"type": 3, "name": "term", "description": "Term", "required": True}],
                            }
                        ],
                    }
                ],
            ),
        ],
    ),
]


@pytest.mark.parametrize(("kind", "body"), [g[1:] for g in GOOD], ids=[g[0] for g in GOOD])
def test_good_payload_is_clean(kind: str, body: Any) -> None:
    assert check_payload(kind, body) == []
    assert check_schema("commands" if kind == "commands" else kind, body) == []


def test_unknown_kind_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown payload kind"):
        check_payload("carrier_pigeon", {})


# --- schema ------------------------------------------------------------------------------------------
@needs_spec
def test_schema_catches_a_bad_callback_type() -> None:
    problems = check_schema("interaction_callback", {"type": "x"})
    assert problems and ".type" in problems[0] and "'x' is not one of" in problems[0]


@needs_spec
def test_schema_names_the_deepest_cause() -> None:
    body = callback({"content": "x", "allowed_mentions": {"parse": ["everybody"]}})
    problems = check_schema("interaction_callback", body)
    assert problems == [
        "schema interaction_callback: .data.allowed_mentions.parse[0]: "
        "'everybody' is not one of ['everyone', 'roles', 'users']"
    ]


@needs_spec
def test_schema_accepts_integer_snowflakes() -> None:
    # documented relaxation: discord.py sends allowed_mentions.roles as integers, which Discord accepts
    body = {"content": "<@&5>", "allowed_mentions": {"parse": [], "roles": [5]}}
    assert check_schema("message_create", body) == []
    assert check_schema("message_create", {"content": "x", "allowed_mentions": {"roles": ["abc"]}}) != []


@needs_spec
def test_schema_catches_a_bad_command_option_type() -> None:
    problems = check_schema("commands", [command(options=[{"type": 99, "name": "o", "description": "d"}])])
    assert problems and "[0].options[0]" in problems[0]


def test_schema_is_skipped_without_the_spec(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.e2e import limits

    monkeypatch.setattr(limits, "_spec", lambda: None)
    assert check_schema("interaction_callback", {"type": "x"}) == []


# --- what discord.py itself sends passes both checks ------------------------------------------------------
class SuggestModal(discord.ui.Modal, title="Suggest a term"):
    term: discord.ui.Label[SuggestModal] = discord.ui.Label(
        text="Term", component=discord.ui.TextInput(custom_id="t", max_length=100)
    )
    definition: discord.ui.TextInput[SuggestModal] = discord.ui.TextInput(
        label="Definition", style=discord.TextStyle.paragraph, custom_id="d", max_length=4000
    )
    category: discord.ui.Label[SuggestModal] = discord.ui.Label(
        text="Category",
        component=discord.ui.Select(custom_id="cat", options=[discord.SelectOption(label="a", value="a")]),
    )


async def test_discord_py_payloads_pass() -> None:
    none = discord.AllowedMentions.none()
    view = discord.ui.View()
    view.add_item(
        discord.ui.Select(custom_id="s", options=[discord.SelectOption(label=str(i), value=str(i)) for i in range(25)])
    )
    view.add_item(discord.ui.UserSelect(custom_id="u"))
    view.add_item(discord.ui.Button(label="Open", url="https://example.com/x", emoji="📖"))
    view.add_item(discord.ui.Button(label="More", custom_id="more"))
    embed = discord.Embed(title="LLM", description="A model.").add_field(name="a", value="b").set_footer(text="f")
    ping_role = discord.AllowedMentions(everyone=False, users=False, roles=[discord.Object(5)], replied_user=False)
    reply = discord.MessageReference(message_id=1, channel_id=2, guild_id=3).to_message_reference_dict()
    create = handle_message_parameters(
        content="x", embed=embed, view=view, allowed_mentions=ping_role, nonce="pulse-2024-w01", message_reference=reply
    )
    assert create.payload is not None
    message = interaction_message_response_params(
        type=4, content="x", embed=embed, view=view, allowed_mentions=none, flags=discord.MessageFlags(ephemeral=True)
    )
    modal = interaction_response_params(9, SuggestModal(custom_id="suggest").to_dict())

    tree = app_commands.CommandTree(discord.Client(intents=discord.Intents.none()))
    group = app_commands.Group(name="glossary", description="Glossary admin")
    terms = app_commands.Group(name="terms", description="Terms", parent=group)

    @terms.command(name="add", description="Add a term")
    @app_commands.choices(kind=[app_commands.Choice(name="Acronym", value="acronym")])
    async def add(
        interaction: discord.Interaction,
        term: str,
        kind: app_commands.Choice[str],
        count: app_commands.Range[int, 1, 5] = 1,
        role: discord.Role | None = None,
    ) -> None: ...

    @tree.context_menu(name="Define in Glossary")
    async def define(interaction: discord.Interaction, message: discord.Message) -> None: ...

    tree.add_command(group)
    commands = [c.to_dict(tree) for c in tree.get_commands()]

    for kind, body in [
        ("message_create", create.payload),
        ("interaction_callback", message.payload),
        ("interaction_callback", modal.payload),
        ("commands", commands),
    ]:
        assert check_payload(kind, body) == [], (kind, body)
        assert check_schema(kind, body) == [], (kind, body)
    assert check_schema("guild_commands", commands) == []
