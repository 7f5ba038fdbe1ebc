"""Installs the central error handler for every application command, and logs each one's outcome.

It also answers the interactions discord.py would drop without a word: a click on a button, or a
submission of a form, that nothing handles any more (the view timed out, the bot restarted since the
form opened, or the custom id was never ours). Discord would show the user "This interaction failed";
they get a short ephemeral note instead.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands
from discord.ui.view import ViewStore

from bot.app import GlossaryBot
from bot.errors import NO_MENTIONS, answer_error, log_outcome

log = logging.getLogger(__name__)

EXPIRED_BUTTON = "This button no longer works (it expired, or the bot restarted). Run the command again."
EXPIRED_FORM = "This form expired (it was open too long, or the bot restarted). Please open it again."


class Errors(commands.Cog):
    def __init__(self, bot: GlossaryBot) -> None:
        self.bot = bot
        self._previous_handler = bot.tree.on_error
        bot.tree.on_error = self.on_app_command_error  # type: ignore[method-assign]
        self._store: ViewStore = bot._connection._view_store
        self._tasks: set[asyncio.Task[None]] = set()

    async def cog_load(self) -> None:
        store = self._store
        if not all(hasattr(store, name) for name in ("_views", "_modals", "_dynamic_items")):
            log.warning("this discord.py keeps its views differently: expired buttons and forms stay unanswered")
            return
        dispatch_view, dispatch_modal = store.dispatch_view, store.dispatch_modal

        def dispatch_view_or_expire(component_type: int, custom_id: str, interaction: discord.Interaction[Any]) -> None:
            message_id = interaction.message.id if interaction.message is not None else None
            handled = has_component_handler(store, component_type, custom_id, message_id)
            dispatch_view(component_type, custom_id, interaction)
            if not handled:
                self._answer_expired(interaction, EXPIRED_BUTTON)

        def dispatch_modal_or_expire(
            custom_id: str, interaction: discord.Interaction[Any], components: Any, resolved: Any
        ) -> None:
            handled = custom_id in store._modals
            dispatch_modal(custom_id, interaction, components, resolved)
            if not handled:
                self._answer_expired(interaction, EXPIRED_FORM)

        store.dispatch_view = dispatch_view_or_expire  # type: ignore[method-assign]
        store.dispatch_modal = dispatch_modal_or_expire  # type: ignore[method-assign]

    async def cog_unload(self) -> None:
        self.bot.tree.on_error = self._previous_handler  # type: ignore[method-assign]
        for name in ("dispatch_view", "dispatch_modal"):
            self._store.__dict__.pop(name, None)  # back to the class's methods

    def _answer_expired(self, interaction: discord.Interaction[Any], text: str) -> None:
        task = asyncio.create_task(self._send_expired(interaction, text), name=f"expired-{interaction.id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send_expired(self, interaction: discord.Interaction[Any], text: str) -> None:
        log_outcome(interaction, "expired")
        try:
            await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException:
            log.warning("could not tell user %s that interaction %s expired", interaction.user.id, interaction.id)

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


def has_component_handler(store: ViewStore, component_type: int, custom_id: str, message_id: int | None) -> bool:
    """Whether discord.py's ViewStore.dispatch_view finds something to call (it drops the rest silently).

    The same lookups in the same order: a dynamic item's template, then the message's view, then a
    persistent view; an item whose view has stopped is dropped too.
    """
    if any(pattern.fullmatch(custom_id) for pattern in store._dynamic_items):
        return True
    key = (component_type, custom_id)
    item = store._views.get(message_id, {}).get(key) if message_id is not None else None
    if item is None:
        item = store._views.get(None, {}).get(key)
    return item is not None and item.view is not None and not item.view.is_finished()


async def setup(bot: GlossaryBot) -> None:
    await bot.add_cog(Errors(bot))
