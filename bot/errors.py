"""How failures reach users: a short ephemeral message, and the detail (with the interaction id) in the log."""

from __future__ import annotations

import logging

import discord
from discord import app_commands

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()
GENERIC_FAILURE = "Something went wrong on our side. It has been logged; please try again in a moment."


class UserFacingError(app_commands.AppCommandError):
    """An error whose message is meant for the user as it is (a refusal, a bad value)."""


def message_for(error: Exception) -> str:
    original = getattr(error, "original", None)
    if isinstance(original, UserFacingError):
        error = original
    if isinstance(error, UserFacingError):
        return str(error)
    if isinstance(error, app_commands.TransformerError) and error.type is discord.AppCommandOptionType.channel:
        return "Pick a text channel of this server that I can see."
    if isinstance(error, app_commands.TransformerError):
        return "That value isn't valid here. Pick from the list or check its length."
    if isinstance(error, app_commands.MissingPermissions):
        return f"You need the {', '.join(p.replace('_', ' ').title() for p in error.missing_permissions)} permission."
    if isinstance(error, app_commands.NoPrivateMessage):
        return "This command only works in a server."
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down a little: try again in {error.retry_after:.0f} s."
    if isinstance(error, app_commands.CheckFailure):
        return "You aren't allowed to use this."
    return GENERIC_FAILURE


async def answer_error(interaction: discord.Interaction[discord.Client], error: Exception) -> None:
    """Tell the user, ephemerally, whichever way the interaction can still be answered."""
    text = message_for(error)
    if text == GENERIC_FAILURE:
        log.error(
            "interaction %s (%s) by user %s failed",
            interaction.id,
            interaction.command.qualified_name if interaction.command else interaction.data,
            interaction.user.id,
            exc_info=error,
        )
    else:
        log.info("interaction %s refused for user %s: %s", interaction.id, interaction.user.id, text)
    if interaction.type is discord.InteractionType.autocomplete:
        return  # autocomplete cannot show a message; an empty list is answered by discord.py's timeout
    try:
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
        else:
            await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
    except discord.HTTPException:
        log.warning("could not tell user %s about the failure of interaction %s", interaction.user.id, interaction.id)
