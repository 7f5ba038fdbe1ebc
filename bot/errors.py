"""How outcomes reach users and operators.

A failure gives the user a short ephemeral message and the log the detail with the interaction id;
every interaction leaves one log line: what, who, outcome, latency.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import discord
from discord import app_commands

from bot.core.refusal import Refusal
from bot.store.db import unavailable_reason

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()
GENERIC_FAILURE = "Something went wrong on our side. It has been logged; please try again in a moment."


class UserFacingError(app_commands.AppCommandError, Refusal):
    """An error whose message is meant for the user as it is (a refusal, a bad value)."""


def message_for(error: Exception) -> str:
    original = getattr(error, "original", None)
    if isinstance(original, Refusal):
        error = original
    if isinstance(error, Refusal):
        return str(error)
    reason = database_trouble(error)
    if reason is not None:
        return f"That didn't go through: {reason}. Nothing was changed; please try again in a moment."
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


def database_trouble(error: Exception) -> str | None:
    """Why the database refused, when the cause is outside the bot (a lock, a full disk): not a bug."""
    original = getattr(error, "original", None)
    return unavailable_reason(original if isinstance(original, Exception) else error)


def describe(interaction: discord.Interaction[discord.Client]) -> str:
    """What the interaction was, in a few words: "/pulse subscribe", "button gl:t:12:34", "autocomplete /define"."""
    data: dict[str, Any] = dict(interaction.data or {})
    if interaction.type is discord.InteractionType.component:
        return f"button {str(data.get('custom_id', '?'))[:100]}"
    if interaction.type is discord.InteractionType.modal_submit:
        return f"modal {str(data.get('custom_id', '?'))[:100]}"
    name = interaction.command.qualified_name if interaction.command else str(data.get("name", "?"))
    prefix = "autocomplete /" if interaction.type is discord.InteractionType.autocomplete else "/"
    return prefix + name


def log_outcome(interaction: discord.Interaction[discord.Client], outcome: str, *, level: int = logging.INFO) -> None:
    """One line per interaction, so an operator can follow what happened without a debugger."""
    latency_ms = (discord.utils.utcnow() - interaction.created_at).total_seconds() * 1000
    log.log(
        level,
        "interaction=%s %s user=%s guild=%s outcome=%s latency_ms=%.0f",
        interaction.id,
        describe(interaction),
        interaction.user.id,
        interaction.guild_id,
        outcome,
        latency_ms,
    )


async def answer_error(interaction: discord.Interaction[discord.Client], error: Exception) -> None:
    """Tell the user, ephemerally, whichever way the interaction can still be answered."""
    text = message_for(error)
    if text == GENERIC_FAILURE:
        log_outcome(interaction, f"error {type(error).__name__}", level=logging.ERROR)
        log.error("interaction %s failed", interaction.id, exc_info=error)
    elif database_trouble(error) is not None:
        log_outcome(interaction, f"database unavailable: {database_trouble(error)}", level=logging.WARNING)
    else:
        log_outcome(interaction, f"refused: {text}")
    try:
        if interaction.type is discord.InteractionType.autocomplete:
            if not interaction.response.is_done():
                await interaction.response.autocomplete([])  # an empty list beats a "loading failed"
            return
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
        else:
            await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
    except discord.HTTPException:
        log.warning("could not tell user %s about the failure of interaction %s", interaction.user.id, interaction.id)


async def run_guarded(interaction: discord.Interaction[discord.Client], action: Callable[[], Awaitable[None]]) -> None:
    """Run a persistent button's work. discord.py only logs errors of dynamic items, so here a failure
    still reaches the user as a short ephemeral message, and every outcome gets its log line."""
    try:
        await action()
    except Exception as error:
        await answer_error(interaction, error)
    else:
        log_outcome(interaction, "ok")
