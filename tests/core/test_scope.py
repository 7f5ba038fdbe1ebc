"""Who may curate what: pure rules, every combination of actor and glossary."""

from __future__ import annotations

import pytest

from bot.core.scope import (
    GLOBAL_REFUSED,
    NOT_AN_EDITOR,
    SERVER_ONLY,
    Actor,
    CurationRefused,
    check_curate,
    chosen_scope,
    require_server_editor,
)

GUILD = 7
OTHER = 8
MEMBER = Actor(1, GUILD, bot_editor=False, server_editor=False)
SERVER_EDITOR = Actor(2, GUILD, bot_editor=False, server_editor=True)
BOT_EDITOR = Actor(3, GUILD, bot_editor=True, server_editor=False)
BOT_EDITOR_IN_DM = Actor(3, None, bot_editor=True, server_editor=False)


def refusal(call: object, *args: object) -> str:
    with pytest.raises(CurationRefused) as raised:
        call(*args)  # type: ignore[operator]
    return str(raised.value)


def test_a_new_entry_goes_where_the_rules_say() -> None:
    assert chosen_scope(SERVER_EDITOR, None) == GUILD
    assert chosen_scope(SERVER_EDITOR, "server") == GUILD
    assert refusal(chosen_scope, SERVER_EDITOR, "global") == GLOBAL_REFUSED
    assert chosen_scope(BOT_EDITOR, None) is None
    assert chosen_scope(BOT_EDITOR, "global") is None
    assert chosen_scope(BOT_EDITOR, "server") == GUILD
    assert refusal(chosen_scope, BOT_EDITOR_IN_DM, "server") == SERVER_ONLY
    assert refusal(chosen_scope, MEMBER, None) == NOT_AN_EDITOR


def test_who_may_change_an_entry() -> None:
    check_curate(SERVER_EDITOR, GUILD, "x")
    check_curate(BOT_EDITOR, GUILD, "x")
    check_curate(BOT_EDITOR, None, "x")
    assert "shared glossary" in refusal(check_curate, SERVER_EDITOR, None, "ChatGPT")
    assert refusal(check_curate, MEMBER, GUILD, "x") == NOT_AN_EDITOR
    assert "another server" in refusal(check_curate, SERVER_EDITOR, OTHER, "x")
    assert "another server" in refusal(check_curate, BOT_EDITOR_IN_DM, GUILD, "x")


def test_a_servers_files_are_its_editors_business() -> None:
    assert require_server_editor(SERVER_EDITOR) == GUILD
    assert require_server_editor(BOT_EDITOR) == GUILD
    assert refusal(require_server_editor, BOT_EDITOR_IN_DM) == SERVER_ONLY
    assert refusal(require_server_editor, MEMBER) == NOT_AN_EDITOR
