"""/define: look a term up, with autocomplete, "did you mean" and related-term buttons."""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import GlossaryBot
from bot.core.index import Resolution
from bot.core.normalize import MAX_QUERY_CHARS
from bot.core.render import render_miss, render_senses, render_term
from bot.services.glossary import Matcher
from bot.ui import send_reply

log = logging.getLogger(__name__)


class Define(commands.Cog):
    def __init__(self, bot: GlossaryBot) -> None:
        self.bot = bot

    @app_commands.command(name="define", description="Look up an AI term in the glossary")
    @app_commands.describe(
        term="A term, alias or abbreviation (pick from the list or type freely)",
        private="Only you see the answer",
    )
    async def define(
        self,
        interaction: discord.Interaction[discord.Client],
        term: app_commands.Range[str, 1, MAX_QUERY_CHARS],
        private: bool = False,
    ) -> None:
        guild_id = interaction.guild_id
        matcher = await self.bot.service.matcher(guild_id)
        resolution = matcher.resolve(term)
        if resolution.kind == "senses":
            await self._answer_senses(interaction, term, resolution, matcher, private=private)
            return
        if resolution.term_id is None:
            await self._answer_miss(interaction, term, resolution, matcher)
            return
        view = await self.bot.load_term(resolution.term_id, guild_id)
        if view is None:  # deleted between the index lookup and the read
            await self._answer_miss(interaction, term, resolution, matcher)
            return
        resolved_from = term if resolution.kind == "fuzzy" else None
        await send_reply(
            interaction,
            render_term(view, resolved_from=resolved_from),
            owner_id=interaction.user.id,
            ephemeral=private,
        )
        await self.bot.count_lookup(view.term_id, guild_id)

    async def _answer_senses(
        self,
        interaction: discord.Interaction[discord.Client],
        term: str,
        resolution: Resolution,
        matcher: Matcher,
        *,
        private: bool,
    ) -> None:
        # The buttons are the persistent term buttons: whoever asked picks a sense in place, after a restart too.
        senses = [(term_id, name) for term_id in resolution.senses if (name := matcher.name_of(term_id))]
        await send_reply(interaction, render_senses(term, senses), owner_id=interaction.user.id, ephemeral=private)
        log.info("define senses user=%s query=%r senses=%d", interaction.user.id, term[:100], len(senses))

    async def _answer_miss(
        self, interaction: discord.Interaction[discord.Client], term: str, resolution: Resolution, matcher: Matcher
    ) -> None:
        suggestions = [(term_id, name) for term_id in resolution.suggestions if (name := matcher.name_of(term_id))]
        await send_reply(interaction, render_miss(term, suggestions), owner_id=interaction.user.id, ephemeral=True)
        await self.bot.record_miss(term, interaction.guild_id)
        log.info("define miss user=%s query=%r suggestions=%d", interaction.user.id, term[:100], len(suggestions))

    @define.autocomplete("term")
    async def define_term_autocomplete(
        self, interaction: discord.Interaction[discord.Client], current: str
    ) -> list[app_commands.Choice[str]]:
        choices = await self.bot.service.complete(interaction.guild_id, current)
        return [app_commands.Choice(name=choice.label, value=choice.name) for choice in choices]


async def setup(bot: GlossaryBot) -> None:
    await bot.add_cog(Define(bot))
