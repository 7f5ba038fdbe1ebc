"""Installs the central error handler for every application command, and logs each one's outcome."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import GlossaryBot
from bot.errors import answer_error, log_outcome


class Errors(commands.Cog):
    def __init__(self, bot: GlossaryBot) -> None:
        self.bot = bot
        self._previous_handler = bot.tree.on_error
        bot.tree.on_error = self.on_app_command_error  # type: ignore[method-assign]

    async def cog_unload(self) -> None:
        self.bot.tree.on_error = self._previous_handler  # type: ignore[method-assign]

    async def on_app_command_error(
        self, interaction: discord.Interaction[discord.Client], error: app_commands.AppCommandError
    ) -> None:
        await answer_error(interaction, error)

    @commands.Cog.listener()
    async def on_app_command_completion(
        self,
        interaction: discord.Interaction[discord.Client],
        command: app_commands.Command[Any, ..., Any] | app_commands.ContextMenu,
    ) -> None:
        log_outcome(interaction, "ok")


async def setup(bot: GlossaryBot) -> None:
    await bot.add_cog(Errors(bot))
