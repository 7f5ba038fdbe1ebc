"""/pulse and the Friday delivery through the fake Discord, with a controllable clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import cast

from bot.broadcast import Pacer
from bot.cogs.pulse import Pulse
from tests.e2e.fake_discord import FakeDiscord
from tests.e2e.rig import (
    CHANNEL_ID,
    GUILD_ID,
    MANAGER_ID,
    MEMBER_ID,
    OTHER_CHANNEL_ID,
    ROLE_ID,
    SECOND_CHANNEL_ID,
    Rig,
    eventually,
)

FRIDAY_9_UTC = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
WEEK = "2026-W48"


def pulse_cog(rig: Rig) -> Pulse:
    return cast(Pulse, rig.bot.get_cog("Pulse"))


def pulse_posts(fake: FakeDiscord, channel_id: int) -> list[dict]:  # type: ignore[type-arg]
    return [m for m in fake.messages_in(channel_id) if m.get("embeds") and "Pulse" in m["embeds"][0].get("title", "")]


async def subscribe(rig: Rig, channel_id: int = CHANNEL_ID, **options: object):  # type: ignore[no-untyped-def]
    return await rig.fake.slash(
        "pulse subscribe", {"channel": channel_id, **options}, user_id=MANAGER_ID, guild_id=GUILD_ID
    )


async def delivered(rig: Rig, channel_id: int, state: str) -> bool:
    return await pulse_cog(rig).store.delivery_state(channel_id, WEEK) == state


async def all_recorded(rig: Rig, count: int) -> bool:
    return await pulse_cog(rig).store.sent_count(WEEK) == count


async def move_clock(rig: Rig, moment: datetime) -> None:
    rig.clock.now = moment
    pulse_cog(rig).wake()


async def test_subscribe_confirms_the_next_post_as_a_discord_timestamp(rig: Rig) -> None:
    result = await subscribe(rig, hour=9, timezone="Europe/Berlin")
    assert result.ephemeral, result.content
    slot = int(datetime(2026, 11, 27, 8, 0, tzinfo=UTC).timestamp())  # 09:00 in Berlin (UTC+1)
    assert f"<t:{slot}:F>" in result.content
    stored = await pulse_cog(rig).store.subscription(CHANNEL_ID)
    assert stored is not None and stored.timezone == "Europe/Berlin" and stored.hour == 9


async def test_timezone_autocomplete(rig: Rig) -> None:
    result = await rig.fake.autocomplete(
        "pulse subscribe", {"channel": CHANNEL_ID, "timezone": "new york"}, user_id=MANAGER_ID, guild_id=GUILD_ID
    )
    assert result.choices[0]["value"] == "America/New_York"


async def test_the_friday_post_lands_exactly_once(rig: Rig) -> None:
    await subscribe(rig, role=ROLE_ID)
    await move_clock(rig, FRIDAY_9_UTC - timedelta(minutes=1))
    await move_clock(rig, FRIDAY_9_UTC)
    await rig.fake.wait_until(lambda: len(pulse_posts(rig.fake, CHANNEL_ID)) == 1, what="the Friday post", timeout=15)
    for minutes in (1, 30, 120):
        await move_clock(rig, FRIDAY_9_UTC + timedelta(minutes=minutes))
    await rig.restart()
    pulse_cog(rig).wake()
    assert await eventually(lambda: delivered(rig, CHANNEL_ID, "sent"))
    [post] = pulse_posts(rig.fake, CHANNEL_ID)
    assert post["embeds"][0]["footer"]["text"] == "AI Economy Pulse · 2026-W48"
    assert len(post["embeds"][0]["fields"]) == 3


async def test_the_role_is_the_only_mention_allowed(rig: Rig) -> None:
    await subscribe(rig, role=ROLE_ID)
    await move_clock(rig, FRIDAY_9_UTC)
    await rig.fake.wait_until(lambda: len(pulse_posts(rig.fake, CHANNEL_ID)) == 1, what="the Friday post", timeout=15)
    [post] = pulse_posts(rig.fake, CHANNEL_ID)
    assert post["content"] == f"<@&{ROLE_ID}>"
    assert post["mention_roles"] == [str(ROLE_ID)] and post["mentions"] == [] and not post["mention_everyone"]
    [request] = rig.fake.requests_to("POST", rf"/channels/{CHANNEL_ID}/messages$")
    assert request.json["allowed_mentions"] == {"parse": [], "roles": [ROLE_ID]}
    assert request.json["enforce_nonce"] is True and len(request.json["nonce"]) <= 25


async def test_a_restart_mid_broadcast_to_200_channels_leaves_exactly_one_post_each(rig: Rig) -> None:
    channels = [1500000000000000000 + n for n in range(200)]
    for channel_id in channels:
        rig.fake.add_channel(GUILD_ID, channel_id, f"c{channel_id % 1000}")
    await rig.restart()  # the bot learns the new channels from GUILD_CREATE
    for channel_id in channels:
        assert (await subscribe(rig, channel_id)).ephemeral
    rig.fake.global_rate_limit = 1000
    pulse_cog(rig).broadcaster.pacer = Pacer(200)
    await move_clock(rig, FRIDAY_9_UTC)
    await rig.fake.wait_until(lambda: sum(len(pulse_posts(rig.fake, c)) for c in channels) >= 60, what="60 posts")
    await rig.stop()  # mid-broadcast: some deliveries are claimed, some sent but not yet recorded
    posted_before = sum(len(pulse_posts(rig.fake, c)) for c in channels)
    assert 60 <= posted_before < 200
    await rig.start()
    pulse_cog(rig).broadcaster.pacer = Pacer(200)
    pulse_cog(rig).wake()
    await rig.fake.wait_until(
        lambda: all(pulse_posts(rig.fake, c) for c in channels), timeout=30, what="every channel's post"
    )
    assert await eventually(lambda: all_recorded(rig, 200), within=10)
    assert [len(pulse_posts(rig.fake, c)) for c in channels] == [1] * 200
    # The restarted bot looked for its own earlier post wherever a delivery was left unconfirmed.
    assert rig.fake.requests_to("GET", r"/channels/\d+/messages$")


async def test_a_forbidden_channel_is_disabled_and_status_says_why(rig: Rig) -> None:
    await subscribe(rig, SECOND_CHANNEL_ID)
    rig.fake.set_channel_status(SECOND_CHANNEL_ID, 403)
    await move_clock(rig, FRIDAY_9_UTC)
    assert await eventually(lambda: delivered(rig, SECOND_CHANNEL_ID, "failed"))
    status = await rig.fake.slash("pulse status", user_id=MANAGER_ID, guild_id=GUILD_ID)
    assert status.ephemeral
    [field] = status.embeds[0]["fields"]
    assert "**Disabled:**" in field["value"] and "403" in field["value"]
    rig.fake.set_channel_status(SECOND_CHANNEL_ID, None)
    again = await subscribe(rig, SECOND_CHANNEL_ID)
    assert again.content.startswith("Updated")
    await rig.fake.wait_until(
        lambda: len(pulse_posts(rig.fake, SECOND_CHANNEL_ID)) == 1, what="the post after re-enabling"
    )


async def test_a_member_without_manage_server_is_refused_and_nothing_is_stored(rig: Rig) -> None:
    result = await rig.fake.slash("pulse subscribe", {"channel": CHANNEL_ID}, user_id=MEMBER_ID, guild_id=GUILD_ID)
    assert result.ephemeral and "Manage Server" in result.content
    assert await rig.bot.database.fetch_value("SELECT count(*) FROM subscriptions") == 0


async def test_a_channel_of_another_server_is_refused(rig: Rig) -> None:
    result = await subscribe(rig, OTHER_CHANNEL_ID)
    assert result.ephemeral and "channel" in result.content.lower()
    assert await rig.bot.database.fetch_value("SELECT count(*) FROM subscriptions") == 0


async def test_a_channel_the_bot_cannot_post_in_is_refused_naming_what_is_missing(rig: Rig) -> None:
    rig.fake.set_bot_channel_permissions(SECOND_CHANNEL_ID, 1 << 10)  # View Channel only
    await eventually(lambda: _bot_cannot_send(rig))
    result = await subscribe(rig, SECOND_CHANNEL_ID)
    assert "Send Messages" in result.content and "Embed Links" in result.content


async def _bot_cannot_send(rig: Rig) -> bool:
    channel = rig.bot.get_channel(SECOND_CHANNEL_ID)
    guild = rig.bot.get_guild(GUILD_ID)
    assert guild is not None and channel is not None
    return not channel.permissions_for(guild.me).send_messages  # type: ignore[union-attr]


async def test_preview_shows_this_weeks_post_privately(rig: Rig) -> None:
    result = await rig.fake.slash("pulse preview", user_id=MANAGER_ID, guild_id=GUILD_ID)
    assert result.ephemeral and result.embeds[0]["footer"]["text"] == "AI Economy Pulse · 2026-W48"


async def test_unsubscribe_stops_the_post(rig: Rig) -> None:
    await subscribe(rig)
    result = await rig.fake.slash("pulse unsubscribe", {"channel": CHANNEL_ID}, user_id=MANAGER_ID, guild_id=GUILD_ID)
    assert result.ephemeral
    await move_clock(rig, FRIDAY_9_UTC)
    await move_clock(rig, FRIDAY_9_UTC + timedelta(minutes=5))
    assert pulse_posts(rig.fake, CHANNEL_ID) == []


async def test_editors_curate_data_points_and_others_are_refused(rig: Rig) -> None:
    from tests.e2e.rig import EDITOR_ID

    refused = await rig.fake.slash(
        "pulse add",
        {"figure": "1", "headline": "h", "week": "2026-W50", "rank": 3},
        user_id=MANAGER_ID,
        guild_id=GUILD_ID,
    )
    assert refused.ephemeral and "editors" in refused.content
    before = await rig.bot.database.fetch_value("SELECT count(*) FROM data_points")
    added = await rig.fake.slash(
        "pulse add",
        {"figure": "Example", "headline": "Example new point", "week": "2027-W20", "rank": 2},
        user_id=EDITOR_ID,
        guild_id=GUILD_ID,
    )
    assert added.content.startswith("Added to 2027-W20")
    assert await rig.bot.database.fetch_value("SELECT count(*) FROM data_points") == before + 1
    listed = await rig.fake.slash("pulse list", {"week": "2027-W20"}, user_id=EDITOR_ID, guild_id=GUILD_ID)
    assert "Example new point" in listed.embeds[0]["description"]
    point_id = await rig.bot.database.fetch_value("SELECT id FROM data_points WHERE week = '2027-W20'")
    removed = await rig.fake.slash("pulse remove", {"point": point_id}, user_id=EDITOR_ID, guild_id=GUILD_ID)
    assert removed.content.startswith(f"Removed #{point_id}")


async def test_leaving_a_server_disables_its_subscriptions(rig: Rig) -> None:
    await subscribe(rig)
    await rig.fake.dispatch("GUILD_DELETE", {"id": str(GUILD_ID)})
    subscription = await eventually(lambda: _disabled(rig))
    assert subscription


async def _disabled(rig: Rig) -> bool:
    subscription = await pulse_cog(rig).store.subscription(CHANNEL_ID)
    return subscription is not None and not subscription.enabled


async def test_everyone_is_not_accepted_as_the_role(rig: Rig) -> None:
    result = await subscribe(rig, role=GUILD_ID)  # the @everyone role's id is the guild's id
    assert result.ephemeral and "@everyone" in result.content
    assert await rig.bot.database.fetch_value("SELECT count(*) FROM subscriptions") == 0
