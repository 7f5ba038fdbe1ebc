"""Posting the weekly pulse (and the editors' reminder) through discord.py: Discord's answers become the
broadcaster's outcomes, `ChannelGone` (403/404: stop posting there) or `TransientSendError` (try later)."""

from __future__ import annotations

import asyncio

import aiohttp
import discord

from bot.app import GlossaryBot
from bot.broadcast import ChannelGone, TransientSendError
from bot.core.pulse import footer_text
from bot.core.render import Reply

HISTORY_SCAN = 50
"""Recent messages searched for our own post when a crash left a delivery unconfirmed."""
SEND_TIMEOUT = 30.0
REASON_FORBIDDEN = "Discord refused the post (403 Missing Permissions/Access): check my channel permissions"
REASON_NOT_FOUND = "The channel no longer exists (404)"


class DiscordPostSender:
    """Posts through discord.py; maps Discord's answers to the broadcaster's outcomes."""

    def __init__(self, bot: GlossaryBot) -> None:
        self.bot = bot

    async def send(self, channel_id: int, reply: Reply, role_id: int | None, nonce: str) -> int:
        channel = self.bot.get_partial_messageable(channel_id)
        mentions = discord.AllowedMentions(
            everyone=False,
            users=False,
            replied_user=False,
            roles=[discord.Object(role_id)] if role_id else False,
        )
        embeds = [discord.Embed.from_dict(reply.embed)] if reply.embed else []
        try:
            async with asyncio.timeout(SEND_TIMEOUT):
                message = await channel.send(
                    content=reply.content, embeds=embeds, allowed_mentions=mentions, nonce=nonce
                )
        except discord.Forbidden as error:
            raise ChannelGone(REASON_FORBIDDEN) from error
        except discord.NotFound as error:
            raise ChannelGone(REASON_NOT_FOUND) from error
        except (discord.HTTPException, aiohttp.ClientError, TimeoutError) as error:
            raise TransientSendError(repr(error)) from error
        return message.id

    async def find_existing(self, channel_id: int, week: str) -> int | None:
        channel = self.bot.get_partial_messageable(channel_id)
        footer = footer_text(week)
        me = self.bot.user.id if self.bot.user else None
        try:
            async with asyncio.timeout(SEND_TIMEOUT):
                async for message in channel.history(limit=HISTORY_SCAN):
                    if message.author.id == me and any(embed.footer.text == footer for embed in message.embeds):
                        return message.id
        except discord.Forbidden as error:
            raise ChannelGone(REASON_FORBIDDEN) from error
        except discord.NotFound as error:
            raise ChannelGone(REASON_NOT_FOUND) from error
        except (discord.HTTPException, aiohttp.ClientError, TimeoutError) as error:
            raise TransientSendError(repr(error)) from error
        return None
