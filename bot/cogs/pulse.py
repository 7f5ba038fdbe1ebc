"""/pulse: channel subscriptions to the weekly Friday post and its data points, as a thin adapter.

The rules live in bot/services (pulse.py: points, outlook, subscriptions; pulse_sheet.py: the published
sheet; pulse_reminder.py: the editors' reminder; pulse_delivery.py: the loop); posting through Discord
in bot/cogs/pulse_sender.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import GlossaryBot
from bot.broadcast import Broadcaster
from bot.cogs.pulse_sender import DiscordPostSender
from bot.core.pulse import (
    MAX_DETAIL_CHARS,
    MAX_FIGURE_CHARS,
    MAX_HEADLINE_CHARS,
    MAX_RANK,
    POINTS_PER_POST,
    discord_time,
)
from bot.core.schedule import MAX_HOUR, MIN_HOUR, parse_zone, suggest_zones
from bot.core.sharding import ShardSet
from bot.errors import NO_MENTIONS, UserFacingError
from bot.services.pulse import PulseService
from bot.services.pulse_delivery import DeliveryLoop
from bot.services.pulse_reminder import EditorsReminder
from bot.services.shard_leases import ShardLeases
from bot.sheet_fetch import FETCH_TIMEOUT_S
from bot.store.pulse import PulseStore
from bot.store.shards import ShardStore
from bot.ui import send_reply

log = logging.getLogger(__name__)

UNLOAD_WAIT_SECONDS = 5.0
FIRST_FETCH_WAIT_SECONDS = FETCH_TIMEOUT_S + 5
"""How long the first delivery round waits for the sheet's fetch at start (the fetch gives up after 10 s)."""
"""How long unloading waits for the delivery loop and the sheet's to unwind after cancelling them."""
REQUIRED_CHANNEL_PERMISSIONS = {
    "view_channel": "View Channel",
    "send_messages": "Send Messages",
    "embed_links": "Embed Links",
}
MAX_SAFE_INTEGER = 2**53 - 1
"""Discord's largest integer option value (JavaScript's safe integer)."""
REASON_REMOVED = "The bot was removed from this server"
REASON_CHANNEL_DELETED = "The channel was deleted"


def require_manager(interaction: discord.Interaction[discord.Client]) -> discord.Guild:
    """Checked at run time too: server admins can override the command permissions Discord applies."""
    if interaction.guild is None:
        raise UserFacingError("This command only works in a server.")
    if not interaction.permissions.manage_guild:
        raise UserFacingError("You need the **Manage Server** permission to change this server's pulse subscriptions.")
    return interaction.guild


@app_commands.default_permissions(manage_guild=True)
@app_commands.guild_only()
class Pulse(commands.GroupCog, group_name="pulse", group_description="The weekly Friday AI Economy Pulse"):
    """Discord shows /pulse to members with Manage Server (admins may change that); every command
    checks again at run time: managers for subscriptions, the bot's editors for data points."""

    def __init__(self, bot: GlossaryBot) -> None:
        self.bot = bot
        self.store = PulseStore(bot.database)
        grace = timedelta(hours=bot.settings.pulse_grace_hours) if bot.settings.pulse_grace_hours else None
        plan = bot.settings.shard_plan()
        self.broadcaster = Broadcaster(
            self.store,
            DiscordPostSender(bot),
            grace=grace,
            # Discord's limit is the bot's, not the process's: each process paces at its shards' share.
            requests_per_second=plan.share_of(bot.settings.pulse_requests_per_second),
            clock=self._now,
            holder=plan.label(),
            shards=plan.own_shards(),
        )
        self.leases = (
            None
            if plan.runs_every_shard
            else ShardLeases(ShardStore(bot.database), plan, self._now, self._on_shards_changed)
        )
        self.service = PulseService(self.store, bot.settings, self._now)
        editors = bot.settings.pulse_editors_channel_id
        self.reminder = (
            EditorsReminder(
                self.store, editors, DiscordPostSender(bot), self._now, sheet=self.service.sheet is not None
            )
            if editors
            else None
        )
        self.delivery = DeliveryLoop(self.broadcaster, self.reminder, self._now)
        self._loop_task: asyncio.Task[None] | None = None
        self._sheet_task: asyncio.Task[None] | None = None
        self._lease_task: asyncio.Task[None] | None = None

    async def interaction_check(self, interaction: discord.Interaction[discord.Client], /) -> bool:
        # guild_only() tells Discord where to offer /pulse; discord.py does not check where a command came from.
        if interaction.guild_id is None:
            raise app_commands.NoPrivateMessage()
        return True

    def _now(self) -> datetime:
        return self.bot.clock()  # looked up each time: tests replace the bot's clock

    def _on_shards_changed(self, shards: ShardSet) -> None:
        self.broadcaster.shards = shards
        self.wake()  # a shard taken over may have posts due now

    async def cog_load(self) -> None:
        await self.service.prepare()
        if self.leases is not None:
            await self.leases.renew()  # before any delivery: this process's shards are its own again
            self._lease_task = asyncio.create_task(self.leases.run(), name="shard-leases")
        self._loop_task = asyncio.create_task(self._delivery_loop(), name="pulse-delivery")
        if self.service.sheet is not None:  # fetched at once: the sheet needs no gateway
            self._sheet_task = asyncio.create_task(self.service.sheet.run(), name="pulse-sheet")

    async def cog_unload(self) -> None:
        tasks = {task for task in (self._loop_task, self._sheet_task, self._lease_task) if task is not None}
        for task in tasks:
            task.cancel()
        if tasks:
            # Wait for them to unwind, so a transaction rolls back before the bot closes the database;
            # bounded, so a loop that somehow missed the cancellation cannot hold up the stop.
            _, pending = await asyncio.wait(tasks, timeout=UNLOAD_WAIT_SECONDS)
            for task in pending:
                log.warning("%s did not stop within %.0f s of its cancellation", task.get_name(), UNLOAD_WAIT_SECONDS)
        if self.leases is not None:
            try:
                await self.leases.release()
            except Exception:
                log.exception(
                    "releasing the shard leases failed: other processes take the shards over when they expire"
                )

    # ---- the delivery loop ------------------------------------------------------------------------

    async def _delivery_loop(self) -> None:
        await self.bot.wait_until_ready()
        if self.service.sheet is not None:
            # A post due right at start goes out with the sheet as it is now, not as it was at the last stop.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(FIRST_FETCH_WAIT_SECONDS):
                    await self.service.sheet.first_attempt.wait()
        await self.delivery.run(self.bot.is_closed)

    def wake(self) -> None:
        """Run a delivery round now (a subscription changed, or a test moved the clock)."""
        self.delivery.wake()

    @commands.Cog.listener()
    async def on_guild_remove(self, guild: discord.Guild) -> None:
        count = await self.store.disable_guild(guild.id, REASON_REMOVED)
        log.info("left guild %s: %d pulse subscriptions disabled", guild.id, count)

    @commands.Cog.listener()
    async def on_guild_channel_delete(self, channel: discord.abc.GuildChannel) -> None:
        if await self.store.subscription(channel.id):
            await self.store.disable(channel.id, REASON_CHANNEL_DELETED)

    # ---- subscriptions ----------------------------------------------------------------------------

    @app_commands.command(name="subscribe", description="Post the weekly AI data points in a channel every Friday")
    @app_commands.describe(
        channel="Where to post",
        role="A role to mention with each post (optional)",
        hour="The hour of the post, 0-23, in the time zone below (default 9)",
        timezone="An IANA time zone such as Europe/Berlin (default UTC)",
    )
    async def subscribe(
        self,
        interaction: discord.Interaction[discord.Client],
        channel: discord.TextChannel,
        role: discord.Role | None = None,
        hour: app_commands.Range[int, 0, 23] = 9,
        timezone: app_commands.Range[str, 1, 64] = "UTC",
    ) -> None:
        guild = require_manager(interaction)
        text_channel = self._postable_channel(guild, channel.id)
        # Discord resolves a role option to a role of this server; an id it could not resolve arrives bare.
        if role is not None and (not isinstance(role, discord.Role) or role.guild.id != guild.id):
            raise UserFacingError("That role isn't in this server.")
        if role is not None and role.is_default():  # pinging the whole server weekly is never what was meant
            raise UserFacingError("Pick a specific role to mention, not @everyone, or leave the role out.")
        if not MIN_HOUR <= hour <= MAX_HOUR:  # Discord enforces the range; the check keeps a bad value out
            raise UserFacingError(f"The hour must be between {MIN_HOUR} and {MAX_HOUR}.")
        try:
            zone = parse_zone(timezone)
        except ValueError:
            raise UserFacingError("Unknown time zone. Pick one from the list, e.g. `Europe/Berlin` or `UTC`.") from None
        existing, due, outlook = await self.service.subscribe(
            channel_id=text_channel.id,
            guild_id=guild.id,
            role_id=role.id if role else None,
            hour=hour,
            zone=zone,
            grace=self.broadcaster.grace,
            created_by=interaction.user.id,
        )
        self.wake()
        verb = "Updated" if existing else "Subscribed"
        mention = f", mentioning {role.mention}" if role else ""
        # Said at once: a subscription to a week without data points would otherwise stay silent on Friday.
        note = f"\n{outlook.note}" if len(outlook.points) < POINTS_PER_POST else ""
        await interaction.response.send_message(
            f"{verb}: {text_channel.mention} gets the AI Economy Pulse every Friday at {hour:02d}:00 "
            f"{zone.key}{mention}. Next post: {discord_time(due)} ({discord_time(due, 'R')}).{note}",
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )
        log.info(
            "pulse subscribe guild=%s channel=%s by=%s hour=%s tz=%s",
            guild.id,
            text_channel.id,
            interaction.user.id,
            hour,
            zone.key,
        )

    def _postable_channel(self, guild: discord.Guild, channel_id: int) -> discord.TextChannel:
        channel = guild.get_channel(channel_id)
        if not isinstance(channel, discord.TextChannel):
            raise UserFacingError("Pick a text channel of this server.")
        permissions = channel.permissions_for(guild.me)
        missing = [label for flag, label in REQUIRED_CHANNEL_PERMISSIONS.items() if not getattr(permissions, flag)]
        if missing:
            raise UserFacingError(f"I can't post in {channel.mention}: I'm missing {', '.join(missing)} there.")
        return channel

    @subscribe.autocomplete("timezone")
    async def timezone_autocomplete(
        self, interaction: discord.Interaction[discord.Client], current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=name, value=name) for name in suggest_zones(current)]

    @app_commands.command(name="unsubscribe", description="Stop the weekly post in a channel")
    async def unsubscribe(self, interaction: discord.Interaction[discord.Client], channel: discord.TextChannel) -> None:
        guild = require_manager(interaction)
        if not await self.store.unsubscribe(channel.id, guild.id):
            raise UserFacingError("That channel isn't subscribed.")
        await interaction.response.send_message(
            f"<#{channel.id}> will no longer get the weekly pulse.",
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

    @app_commands.command(name="status", description="This server's pulse subscriptions")
    async def status(self, interaction: discord.Interaction[discord.Client]) -> None:
        guild = require_manager(interaction)
        reply = await self.service.status(guild.id)
        await send_reply(interaction, reply, owner_id=interaction.user.id, ephemeral=True)

    @app_commands.command(name="preview", description="See the coming Friday's post")
    async def preview(self, interaction: discord.Interaction[discord.Client]) -> None:
        reply = await self.service.preview()
        await send_reply(interaction, reply, owner_id=interaction.user.id, ephemeral=True)

    # ---- data points (editors) --------------------------------------------------------------------

    async def _require_editor(self, interaction: discord.Interaction[discord.Client]) -> None:
        if not await self.bot.is_editor(interaction.user):
            raise UserFacingError("Only the bot's editors can change the weekly data points.")

    @app_commands.command(name="add", description="Add a data point to a week's post (editors)")
    @app_commands.describe(
        week="ISO week like 2026-W48 (default: the coming Friday's)",
        rank="1 is shown first (default: the week's lowest free rank)",
    )
    async def add(  # noqa: PLR0917 -- slash command options arrive as parameters
        self,
        interaction: discord.Interaction[discord.Client],
        figure: app_commands.Range[str, 1, MAX_FIGURE_CHARS],
        headline: app_commands.Range[str, 1, MAX_HEADLINE_CHARS],
        detail: app_commands.Range[str, 0, MAX_DETAIL_CHARS] = "",
        source_url: app_commands.Range[str, 0, 512] = "",
        week: app_commands.Range[str, 0, 8] = "",
        rank: app_commands.Range[int, 1, MAX_RANK] | None = None,
    ) -> None:
        await self._require_editor(interaction)
        point = await self.service.add_point(
            week=week, figure=figure, headline=headline, detail=detail, source_url=source_url, rank=rank
        )
        await interaction.response.send_message(
            f"Added to {point.week} at rank {point.rank}.", ephemeral=True, allowed_mentions=NO_MENTIONS
        )

    @app_commands.command(name="list", description="List data points (editors)")
    async def list_points(
        self, interaction: discord.Interaction[discord.Client], week: app_commands.Range[str, 0, 8] = ""
    ) -> None:
        await self._require_editor(interaction)
        reply = await self.service.list_points(week)
        await send_reply(interaction, reply, owner_id=interaction.user.id, ephemeral=True)

    @app_commands.command(name="remove", description="Remove a data point (editors)")
    @app_commands.describe(point="The point's number, as shown by /pulse list")
    async def remove(
        self, interaction: discord.Interaction[discord.Client], point: app_commands.Range[int, 1, MAX_SAFE_INTEGER]
    ) -> None:
        await self._require_editor(interaction)
        removed = await self.service.remove_point(point)
        await interaction.response.send_message(
            f"Removed #{point} ({removed.week}, rank {removed.rank}).",
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )


async def setup(bot: GlossaryBot) -> None:
    await bot.add_cog(Pulse(bot))
