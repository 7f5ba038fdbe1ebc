"""Discord adapters for the core's payloads: persistent term buttons and message keyword arguments.

Shared by every cog that shows terms (/define, /random, /search, Explain terms), so a button looks
and behaves the same wherever it appears.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any, cast

import discord

from bot.core.render import ButtonSpec, ButtonStyle, Reply, render_gone, render_term
from bot.errors import NO_MENTIONS, run_guarded

if TYPE_CHECKING:
    from bot.app import GlossaryBot

log = logging.getLogger(__name__)

TERM_BUTTON_PREFIX = "gl:t:"
MAX_SNOWFLAKE_DIGITS = 20
MAX_TERM_ID = 2**63 - 1
"""SQLite's largest integer: a forged id beyond it must read as unknown, not overflow."""

_DISCORD_STYLES = {
    ButtonStyle.PRIMARY: discord.ButtonStyle.primary,
    ButtonStyle.SECONDARY: discord.ButtonStyle.secondary,
}


class TermButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=TERM_BUTTON_PREFIX + r"(?P<term_id>[0-9]{1,19}):(?P<owner_id>[0-9]{1,20})",
):
    """Opens a term. The custom id carries the term and the user the message belongs to, so the
    button needs no stored state and keeps working after a restart, on messages of any age."""

    def __init__(
        self,
        term_id: int,
        owner_id: int,
        *,
        label: str | None = None,
        style: discord.ButtonStyle = discord.ButtonStyle.secondary,
        row: int | None = None,
    ) -> None:
        super().__init__(
            discord.ui.Button(label=label, style=style, row=row, custom_id=f"{TERM_BUTTON_PREFIX}{term_id}:{owner_id}")
        )
        self.term_id = term_id
        self.owner_id = owner_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[discord.Client],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> TermButton:
        return cls(int(match["term_id"]), int(match["owner_id"]))

    async def callback(self, interaction: discord.Interaction[discord.Client]) -> None:
        await run_guarded(interaction, lambda: self._open(interaction))

    async def _open(self, interaction: discord.Interaction[discord.Client]) -> None:
        bot = cast("GlossaryBot", interaction.client)
        # Looked up where the button is pressed: a forged or forwarded id of another server's entry is "gone".
        guild_id = interaction.guild_id
        view = await bot.load_term(self.term_id, guild_id) if self.term_id <= MAX_TERM_ID else None
        if view is None:
            await send_reply(interaction, render_gone(), owner_id=interaction.user.id, ephemeral=True)
            return
        reply = render_term(view)
        if interaction.user.id == self.owner_id:
            # The person who asked follows the trail in place; nobody else's view changes under them.
            await interaction.response.edit_message(**reply_kwargs(reply, owner_id=self.owner_id))
        else:
            await send_reply(interaction, reply, owner_id=interaction.user.id, ephemeral=True)
        await bot.count_lookup(self.term_id, guild_id)


def build_view(buttons: tuple[ButtonSpec, ...], owner_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for spec in buttons:
        view.add_item(
            TermButton(spec.term_id, owner_id, label=spec.label, style=_DISCORD_STYLES[spec.style], row=spec.row)
        )
    return view


def reply_kwargs(reply: Reply, *, owner_id: int) -> dict[str, Any]:
    """Keyword arguments for send_message / edit_message; an edit must clear what the reply lacks."""
    return {
        "content": reply.content,
        "embed": discord.Embed.from_dict(reply.embed) if reply.embed else None,
        "view": build_view(reply.buttons, owner_id),
        "allowed_mentions": NO_MENTIONS,
    }


async def send_reply(
    interaction: discord.Interaction[discord.Client], reply: Reply, *, owner_id: int, ephemeral: bool
) -> None:
    """Answer the interaction with `reply`, or follow up if it was already answered (deferred)."""
    kwargs = reply_kwargs(reply, owner_id=owner_id)
    if not kwargs["embed"]:
        del kwargs["embed"]
    if interaction.response.is_done():
        await interaction.followup.send(ephemeral=ephemeral, wait=True, **kwargs)
    else:
        await interaction.response.send_message(ephemeral=ephemeral, **kwargs)
