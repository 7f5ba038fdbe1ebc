"""The fake Discord itself, driven by a small real discord.py bot defined here (not the project's bot)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import discord
import pytest
from discord import app_commands
from discord.ext import commands

from tests.e2e.conftest import CHANNEL_ID, GUILD_ID, USER_ID
from tests.e2e.fake_discord import (
    FAST_CLIENT_OPTIONS,
    SEND_MESSAGES,
    VIEW_CHANNEL,
    FakeDiscord,
    custom_ids,
    running_client,
)

NO_PINGS = discord.AllowedMentions.none()
TERMS = [f"term-{i:02d}" for i in range(40)] + ["transformer", "token", "temperature"]


class MoreView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=60)

    @discord.ui.button(label="More", custom_id="ping:more", style=discord.ButtonStyle.primary)
    async def more(self, interaction: discord.Interaction, button: discord.ui.Button[MoreView]) -> None:
        button.disabled = True
        await interaction.response.edit_message(content="More pong", view=self, allowed_mentions=NO_PINGS)


class FeedbackModal(discord.ui.Modal, title="Feedback"):
    text: discord.ui.TextInput[FeedbackModal] = discord.ui.TextInput(
        label="Your feedback", custom_id="feedback:text", max_length=500
    )

    def __init__(self) -> None:
        super().__init__(custom_id="feedback:modal", timeout=60)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"Thanks: {self.text.value}", ephemeral=True)


class PingBot(commands.Bot):
    """A minimal bot: /ping with an embed and a button, /define with autocomplete, /slow, /feedback."""

    def __init__(self) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=discord.Intents.default(),
            allowed_mentions=NO_PINGS,
            **FAST_CLIENT_OPTIONS,
        )

    async def setup_hook(self) -> None:
        tree = self.tree

        @tree.command(name="ping", description="Check that the bot answers")
        async def ping(interaction: discord.Interaction) -> None:
            embed = discord.Embed(title="Pong", description="The bot is alive.")
            await interaction.response.send_message(embed=embed, view=MoreView(), allowed_mentions=NO_PINGS)

        @tree.command(name="define", description="Define a term")
        @app_commands.describe(term="The term to define")
        async def define(interaction: discord.Interaction, term: str) -> None:
            await interaction.response.send_message(f"**{term}**: a word.", allowed_mentions=NO_PINGS)

        @define.autocomplete("term")
        async def define_term(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
            return [app_commands.Choice(name=t, value=t) for t in TERMS if t.startswith(current)][:25]

        @tree.command(name="slow", description="Defers, then edits and follows up")
        async def slow(interaction: discord.Interaction) -> None:
            await interaction.response.defer(thinking=True)
            await interaction.edit_original_response(content="done", allowed_mentions=NO_PINGS)
            await interaction.followup.send("and one more thing", ephemeral=True, allowed_mentions=NO_PINGS)

        @tree.command(name="feedback", description="Open the feedback form")
        async def feedback(interaction: discord.Interaction) -> None:
            await interaction.response.send_modal(FeedbackModal())

        @tree.command(name="where", description="Where am I")
        async def where(interaction: discord.Interaction, channel: discord.TextChannel | None = None) -> None:
            target = channel or interaction.channel
            name = getattr(target, "name", None) or "a DM"
            await interaction.response.send_message(f"in {name}", allowed_mentions=NO_PINGS)

        @tree.command(name="nap", description="Answers too late")
        async def nap(interaction: discord.Interaction) -> None:
            await asyncio.sleep(0.3)
            with contextlib.suppress(discord.NotFound):
                await interaction.response.send_message("yawn", allowed_mentions=NO_PINGS)

        glossary = app_commands.Group(name="glossary", description="Glossary tools")

        @glossary.command(name="show", description="Show a term")
        async def show(interaction: discord.Interaction, term: str, count: int = 1) -> None:
            await interaction.response.send_message(f"{term} x{count}", allowed_mentions=NO_PINGS)

        @show.autocomplete("term")
        async def show_term(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
            return [app_commands.Choice(name=t, value=t) for t in TERMS if t.startswith(current)][:25]

        tree.add_command(glossary)

        @tree.context_menu(name="Wave")
        async def wave(interaction: discord.Interaction, member: discord.Member) -> None:
            await interaction.response.send_message(f"Hi {member.name}", ephemeral=True, allowed_mentions=NO_PINGS)

        @tree.context_menu(name="Quote")
        async def quote(interaction: discord.Interaction, message: discord.Message) -> None:
            await interaction.response.send_message(f"> {message.content}", ephemeral=True, allowed_mentions=NO_PINGS)


@pytest.fixture
async def bot(fake_discord: FakeDiscord) -> AsyncIterator[PingBot]:
    client = PingBot()
    async with running_client(fake_discord, client):
        await client.tree.sync()
        yield client


def text_channel(bot: PingBot) -> discord.TextChannel:
    channel = bot.get_channel(CHANNEL_ID)
    assert isinstance(channel, discord.TextChannel)
    return channel


# --- startup ---------------------------------------------------------------------------------------
async def test_login_ready_and_sync(fake_discord: FakeDiscord) -> None:
    client = PingBot()
    started = time.monotonic()
    async with running_client(fake_discord, client):
        assert time.monotonic() - started < 1.5
        assert [g.id for g in client.guilds] == [GUILD_ID]
        guild = client.guilds[0]
        assert guild.me is not None
        perms = text_channel(client).permissions_for(guild.me)
        assert perms.send_messages and perms.embed_links
        synced = await client.tree.sync()
        assert {c.name for c in synced} == {
            "ping",
            "define",
            "slow",
            "feedback",
            "where",
            "nap",
            "glossary",
            "Wave",
            "Quote",
        }
        assert all(c.id for c in synced)
        put = fake_discord.requests_to("PUT", rf"/applications/{fake_discord.application_id}/commands")
        assert len(put) == 1 and isinstance(put[0].json, list)
        assert fake_discord.identify_count == 1
        assert fake_discord.identify_payloads[0]["intents"] == discord.Intents.default().value


async def test_channel_permissions_follow_the_world_model(fake_discord: FakeDiscord, bot: PingBot) -> None:
    fake_discord.set_bot_channel_permissions(CHANNEL_ID, VIEW_CHANNEL)
    channel = text_channel(bot)
    guild = channel.guild
    await fake_discord.wait_until(lambda: not channel.permissions_for(guild.me).send_messages, timeout=2)
    with pytest.raises(discord.Forbidden) as info:
        await channel.send("hi")
    assert info.value.code == 50013
    fake_discord.set_bot_channel_permissions(CHANNEL_ID, VIEW_CHANNEL | SEND_MESSAGES)
    await fake_discord.wait_until(lambda: channel.permissions_for(guild.me).send_messages, timeout=2)
    await channel.send("hi")


# --- interactions ------------------------------------------------------------------------------------
async def test_slash_is_answered_with_an_embed(fake_discord: FakeDiscord, bot: PingBot) -> None:
    result = await fake_discord.slash("ping", user_id=USER_ID)
    assert result.type == 4
    assert result.latency is not None and result.latency < 3
    assert result.embeds[0]["title"] == "Pong"
    assert result.data is not None and result.data["allowed_mentions"] == {"parse": []}
    assert custom_ids(result.message or {}) == ["ping:more"]
    assert fake_discord.messages_in(CHANNEL_ID)[-1]["id"] == (result.message or {})["id"]


async def test_autocomplete_is_answered(fake_discord: FakeDiscord, bot: PingBot) -> None:
    result = await fake_discord.autocomplete("define", {"term": "t"})
    assert result.type == 8
    assert len(result.choices) == 25
    narrowed = await fake_discord.autocomplete("define", {"term": "tra"})
    assert [c["value"] for c in narrowed.choices] == ["transformer"]
    answer = await fake_discord.slash("define", {"term": "transformer"})
    assert answer.content.startswith("**transformer**")


async def test_click_updates_the_message(fake_discord: FakeDiscord, bot: PingBot) -> None:
    result = await fake_discord.slash("ping")
    clicked = await fake_discord.click(result, "ping:more")
    assert clicked.type == 7
    assert clicked.message is not None and clicked.message["id"] == (result.message or {})["id"]
    assert clicked.content == "More pong"
    assert clicked.components[0]["components"][0]["disabled"] is True
    with pytest.raises(AssertionError, match="disabled"):
        await fake_discord.click(clicked, "ping:more")


async def test_defer_edit_and_followup(fake_discord: FakeDiscord, bot: PingBot) -> None:
    result = await fake_discord.slash("slow")
    assert result.type == 5
    final = await result.final_message()
    assert final["content"] == "done"
    followups = await result.followups(1)
    assert followups[0]["content"] == "and one more thing" and followups[0]["flags"] & 64


async def test_modal_submit(fake_discord: FakeDiscord, bot: PingBot) -> None:
    opened = await fake_discord.slash("feedback")
    assert opened.type == 9 and opened.modal is not None and opened.modal["title"] == "Feedback"
    submitted = await fake_discord.submit_modal("feedback:modal", {"feedback:text": "great"})
    assert submitted.type == 4 and submitted.content == "Thanks: great" and submitted.ephemeral


async def test_resolved_channel_option_and_dm(fake_discord: FakeDiscord, bot: PingBot) -> None:
    result = await fake_discord.slash("where", {"channel": CHANNEL_ID})
    assert result.content == "in general"
    in_dm = await fake_discord.slash("where", dm=True, user_id=USER_ID)
    assert in_dm.content == "in a DM"


async def test_late_first_response_is_a_violation(fake_discord: FakeDiscord, bot: PingBot) -> None:
    fake_discord.interaction_deadline = 0.1  # Discord's is 3 s; the bot naps 0.3 s
    result = await fake_discord.slash("nap", wait=False)
    await fake_discord.wait_until(lambda: bool(fake_discord.requests_to("POST", r"/interactions/\d+/[^/]+/callback")))
    assert not result.answered
    assert [r.status for r in fake_discord.requests_to("POST", r"/interactions/\d+/[^/]+/callback")] == [404]
    assert any("first response after" in v.message for v in fake_discord.violations)
    fake_discord.violations.clear()


async def test_click_in_a_dm(fake_discord: FakeDiscord, bot: PingBot) -> None:
    result = await fake_discord.slash("ping", dm=True, user_id=USER_ID)
    assert "guild_id" not in result.payload and result.payload["user"]["id"] == str(USER_ID)
    clicked = await fake_discord.click(result, "ping:more")
    assert clicked.type == 7 and clicked.content == "More pong"


async def test_subcommand_and_its_autocomplete(fake_discord: FakeDiscord, bot: PingBot) -> None:
    choices = await fake_discord.autocomplete("glossary show", {"term": "tem"})
    assert [c["name"] for c in choices.choices] == ["temperature"]
    options = choices.payload["data"]["options"]
    assert options[0]["type"] == 1 and options[0]["options"][0]["focused"] is True
    result = await fake_discord.slash("glossary show", {"term": "temperature", "count": 2})
    assert result.content == "temperature x2"


async def test_user_command(fake_discord: FakeDiscord, bot: PingBot) -> None:
    result = await fake_discord.user_command("Wave", USER_ID)
    assert result.content == "Hi alice" and result.ephemeral


async def test_world_changes_reach_the_bot(fake_discord: FakeDiscord, bot: PingBot) -> None:
    fake_discord.add_channel(GUILD_ID, 1300, "late-channel")
    fake_discord.add_role(GUILD_ID, 1301, "late-role")
    await fake_discord.wait_until(lambda: bot.get_channel(1300) is not None, timeout=2)
    guild = bot.get_guild(GUILD_ID)
    assert guild is not None
    await fake_discord.wait_until(lambda: guild.get_role(1301) is not None, timeout=2)


async def test_message_command(fake_discord: FakeDiscord, bot: PingBot) -> None:
    posted = await fake_discord.user_message(CHANNEL_ID, "attention is all you need", user_id=USER_ID)
    result = await fake_discord.message_command("Quote", posted)
    assert result.type == 4 and result.content == "> attention is all you need"


# --- REST behaviour ----------------------------------------------------------------------------------
async def test_429_is_retried(fake_discord: FakeDiscord, bot: PingBot) -> None:
    fake_discord.fail_next("POST", rf"/channels/{CHANNEL_ID}/messages", 429, retry_after=0.05)
    message = await text_channel(bot).send("hello")
    assert message.content == "hello"
    posts = fake_discord.requests_to("POST", rf"/channels/{CHANNEL_ID}/messages")
    assert [r.status for r in posts] == [429, 200]
    assert len(fake_discord.messages_in(CHANNEL_ID)) == 1


async def test_route_buckets_are_respected(fake_discord: FakeDiscord, bot: PingBot) -> None:
    fake_discord.set_rate_limit("channel-messages", 2, 0.2)
    channel = text_channel(bot)
    await asyncio.gather(*(channel.send(f"m{i}") for i in range(5)))
    assert len(fake_discord.messages_in(CHANNEL_ID)) == 5
    assert fake_discord.repeated_429s() == {}
    assert sum(v for k, v in fake_discord.rate_limit_hits.items() if k != "global") <= 1


async def test_global_limit_429_is_retried(fake_discord: FakeDiscord, bot: PingBot) -> None:
    fake_discord.global_rate_limit = 3
    fake_discord.global_rate_period = 0.2
    results = await asyncio.gather(*(bot.fetch_channel(CHANNEL_ID) for _ in range(5)))
    assert all(c.id == CHANNEL_ID for c in results)
    assert fake_discord.rate_limit_hits["global"] >= 1


async def test_nonce_dedupe_returns_the_first_message(fake_discord: FakeDiscord, bot: PingBot) -> None:
    channel = text_channel(bot)
    first = await channel.send("weekly pulse", nonce="pulse-2024-w01")
    second = await channel.send("weekly pulse", nonce="pulse-2024-w01")
    third = await channel.send("weekly pulse", nonce="pulse-2024-w02")
    assert first.id == second.id != third.id
    assert len(fake_discord.messages_in(CHANNEL_ID)) == 2


async def test_without_history_posts_are_answered_but_not_kept(fake_discord: FakeDiscord, bot: PingBot) -> None:
    fake_discord.keep_history = False
    sent = await text_channel(bot).send("weekly pulse", nonce="pulse-2024-w01")
    assert sent.id and sent.content == "weekly pulse"
    assert fake_discord.messages_in(CHANNEL_ID) == []
    [record] = fake_discord.requests_to("POST", f"/channels/{CHANNEL_ID}/messages")
    assert record.status == 200 and record.json is None and record.headers == {}


async def test_channel_status_forbidden(fake_discord: FakeDiscord, bot: PingBot) -> None:
    fake_discord.set_channel_status(CHANNEL_ID, 403)
    with pytest.raises(discord.Forbidden) as info:
        await text_channel(bot).send("hi")
    assert info.value.code == 50001


# --- gateway -----------------------------------------------------------------------------------------
async def test_dropped_gateway_resumes(fake_discord: FakeDiscord, bot: PingBot) -> None:
    await fake_discord.drop_gateway(4000)
    await fake_discord.wait_for_resumes(1)
    result = await fake_discord.slash("ping")
    assert result.type == 4
    assert fake_discord.identify_count == 1 and fake_discord.resume_count == 1
    await fake_discord.drop_gateway(1000)
    await fake_discord.wait_for_resumes(2)
    assert (await fake_discord.slash("ping")).type == 4


async def test_events_missed_while_disconnected_are_replayed(fake_discord: FakeDiscord, bot: PingBot) -> None:
    await fake_discord.drop_gateway(4000)
    await fake_discord.delete_channel(CHANNEL_ID)  # dispatched while the client is away
    await fake_discord.wait_for_resumes(1)
    await fake_discord.wait_until(lambda: bot.get_channel(CHANNEL_ID) is None, timeout=2)


async def test_invalid_session_identifies_again(fake_discord: FakeDiscord, bot: PingBot) -> None:
    await fake_discord.invalidate_session()
    await fake_discord.wait_for_identifies(2)
    result = await fake_discord.slash("ping")
    assert result.type == 4
    assert fake_discord.resume_count == 0


async def test_guild_leave_and_channel_delete(fake_discord: FakeDiscord, bot: PingBot) -> None:
    await fake_discord.delete_channel(CHANNEL_ID)
    await fake_discord.wait_until(lambda: bot.get_channel(CHANNEL_ID) is None, timeout=2)
    await fake_discord.bot_leaves_guild(GUILD_ID)
    await fake_discord.wait_until(lambda: bot.get_guild(GUILD_ID) is None, timeout=2)
    await fake_discord.bot_joins_guild(GUILD_ID)
    await fake_discord.wait_until(lambda: bot.get_guild(GUILD_ID) is not None, timeout=2)


# --- validation --------------------------------------------------------------------------------------
async def test_violation_fails_assert_clean(fake_discord: FakeDiscord, bot: PingBot) -> None:
    view = discord.ui.View()
    view.add_item(discord.ui.Button(label="x" * 81, custom_id="too-long"))
    with pytest.raises(discord.HTTPException) as info:
        await text_channel(bot).send("look", view=view)
    assert info.value.status == 400 and info.value.code == 50035
    with pytest.raises(AssertionError, match="label is 81 characters"):
        fake_discord.assert_clean()
    fake_discord.violations.clear()


async def test_unhandled_route_fails_assert_clean(fake_discord: FakeDiscord, bot: PingBot) -> None:
    with pytest.raises(discord.NotFound):
        await bot.http.get_invite("abc")
    with pytest.raises(AssertionError, match="unhandled route: GET /invites/abc"):
        fake_discord.assert_clean()
    fake_discord.unhandled.clear()
