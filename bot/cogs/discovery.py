"""/search, /random and the "Explain terms" message command: ways to come across terms."""

from __future__ import annotations

import re
from typing import Any, cast

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import GlossaryBot
from bot.core.render import render_term
from bot.core.render_discovery import (
    EXPLAIN_MAX_TERMS,
    NO_WORDS,
    Explained,
    PagerSpec,
    SearchReply,
    category_choices,
    clean_echo,
    render_explain,
    render_search,
)
from bot.core.search import MAX_CARRIED_QUERY_CHARS, MAX_SEARCH_INPUT_CHARS, parse_query
from bot.core.spotting import find_mentions
from bot.errors import NO_MENTIONS, UserFacingError, run_guarded
from bot.services.glossary import GlossaryService
from bot.ui import MAX_SNOWFLAKE_DIGITS, build_view, send_reply

PAGE_BUTTON_PREFIX = "gl:s:"
MAX_PAGE_DIGITS = 5
"""100,000 terms make 10,000 pages of ten."""
MAX_CUSTOM_ID_CHARS = 100
# The query goes last, so it may hold anything; it is parsed again, so a forged one is only a search.
assert len(PAGE_BUTTON_PREFIX) + MAX_PAGE_DIGITS + 1 + MAX_SNOWFLAKE_DIGITS + 1 + MAX_CARRIED_QUERY_CHARS <= (
    MAX_CUSTOM_ID_CHARS
)
MAX_CATEGORY_CHARS = 100
"""A category comes from autocomplete, whose values Discord caps at 100 characters."""
ECHO_LIMIT = 60
"""How much of a mistyped category the error message repeats."""


class SearchPageButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=PAGE_BUTTON_PREFIX
    + rf"(?P<page>[0-9]{{1,{MAX_PAGE_DIGITS}}}):(?P<owner_id>[0-9]{{1,{MAX_SNOWFLAKE_DIGITS}}}):(?P<query>.*)",
):
    """Previous/Next of a /search answer. The custom id carries the page, the user the answer
    belongs to and the query's short form, so it keeps working after a restart with no stored state."""

    def __init__(
        self, page: int, owner_id: int, query: str, *, label: str = "", disabled: bool = False, row: int | None = None
    ) -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.primary,
                disabled=disabled,
                row=row,
                custom_id=f"{PAGE_BUTTON_PREFIX}{page}:{owner_id}:{query}",
            )
        )
        self.page = page
        self.owner_id = owner_id
        self.query = query

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[discord.Client],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> SearchPageButton:
        return cls(int(match["page"]), int(match["owner_id"]), match["query"])

    async def callback(self, interaction: discord.Interaction[discord.Client]) -> None:
        await run_guarded(interaction, lambda: self._turn(interaction))

    async def _turn(self, interaction: discord.Interaction[discord.Client]) -> None:
        bot = cast("GlossaryBot", interaction.client)
        answer = await run_search(bot.service, self.query, interaction.guild_id, self.page)
        if interaction.user.id == self.owner_id:
            await interaction.response.edit_message(**search_kwargs(answer, owner_id=self.owner_id))
        else:
            # Someone else's results: they get their own copy; the owner's message stays as it is.
            await interaction.response.send_message(ephemeral=True, **search_kwargs(answer, interaction.user.id))


async def run_search(service: GlossaryService, text: str, guild_id: int | None, page: int = 1) -> SearchReply:
    """A page of what `text` finds among the entries visible where it was asked."""
    query = parse_query(text)
    if not query:
        raise UserFacingError(NO_WORDS)
    return render_search(await service.search(query, page, guild_id))


def search_kwargs(answer: SearchReply, owner_id: int) -> dict[str, Any]:
    """Keyword arguments for send_message / edit_message: the hits' buttons plus Previous/Next."""
    reply = answer.reply
    view = build_view(reply.buttons, owner_id)
    if answer.pager is not None:
        for item in _pager_buttons(answer.pager, owner_id):
            view.add_item(item)
    return {
        "content": reply.content,
        "embed": discord.Embed.from_dict(reply.embed) if reply.embed else None,
        "view": view,
        "allowed_mentions": NO_MENTIONS,
    }


def _pager_buttons(pager: PagerSpec, owner_id: int) -> list[SearchPageButton]:
    # Both always shown (disabled at the ends) so the row does not jump; their pages differ, so
    # their custom ids stay unique as Discord requires.
    return [
        SearchPageButton(
            pager.page - 1, owner_id, pager.query, label="◀ Previous", disabled=not pager.has_previous, row=pager.row
        ),
        SearchPageButton(
            pager.page + 1, owner_id, pager.query, label="Next ▶", disabled=not pager.has_next, row=pager.row
        ),
    ]


class Discovery(commands.Cog):
    def __init__(self, bot: GlossaryBot) -> None:
        self.bot = bot
        self.explain_menu = app_commands.ContextMenu(name="Explain terms", callback=self.explain_terms)

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.explain_menu)
        self.bot.add_dynamic_items(SearchPageButton)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.explain_menu.name, type=self.explain_menu.type)
        self.bot.remove_dynamic_items(SearchPageButton)

    @app_commands.command(name="search", description="Search the glossary's names, aliases and explanations")
    @app_commands.describe(query="Words to look for (every word must appear)")
    async def search(
        self,
        interaction: discord.Interaction[discord.Client],
        query: app_commands.Range[str, 1, MAX_SEARCH_INPUT_CHARS],
    ) -> None:
        # Ephemeral: a result list is a step on the way to a term, not something to post in a channel.
        answer = await run_search(self.bot.service, query, interaction.guild_id)
        await interaction.response.send_message(ephemeral=True, **search_kwargs(answer, interaction.user.id))

    @app_commands.command(name="random", description="Show a random entry of the glossary")
    @app_commands.describe(category="Only entries of this category")
    async def random(
        self,
        interaction: discord.Interaction[discord.Client],
        category: app_commands.Range[str, 1, MAX_CATEGORY_CHARS] | None = None,
    ) -> None:
        wanted = " ".join(category.split()) if category is not None else None
        guild_id = interaction.guild_id
        term_id = await self.bot.service.random_term_id(wanted, guild_id)
        view = await self.bot.load_term(term_id, guild_id) if term_id is not None else None
        if view is None:
            if wanted is None:
                raise UserFacingError("The glossary has no entries yet.")
            shown = clean_echo(wanted, ECHO_LIMIT)
            raise UserFacingError(
                f"There is no category called “{shown}”. Pick one from the list."
                if shown
                else "That isn't a category. Pick one from the list."
            )
        # Not counted as a lookup: nobody asked for this term, and popularity feeds autocomplete.
        await send_reply(interaction, render_term(view), owner_id=interaction.user.id, ephemeral=False)

    @random.autocomplete("category")
    async def random_category_autocomplete(
        self, interaction: discord.Interaction[discord.Client], current: str
    ) -> list[app_commands.Choice[str]]:
        categories = await self.bot.service.categories(interaction.guild_id)
        return [app_commands.Choice(name=label, value=value) for label, value in category_choices(categories, current)]

    async def explain_terms(self, interaction: discord.Interaction[discord.Client], message: discord.Message) -> None:
        text = message_text(message)
        guild_id = interaction.guild_id
        mentions = find_mentions(await self.bot.service.matcher(guild_id), text, limit=EXPLAIN_MAX_TERMS)
        found = await self.bot.service.definitions([mention.term_id for mention in mentions], guild_id)
        items = [
            Explained(m.term_id, *found[m.term_id], said=text[m.start : m.end])
            for m in mentions
            if m.term_id in found  # deleted while the definitions were read
        ]
        await send_reply(interaction, render_explain(items), owner_id=interaction.user.id, ephemeral=True)


def message_text(message: discord.Message) -> str:
    """What a message says: its text, then its embeds' (so the bot's own answers can be explained)."""
    parts = [message.content]
    for embed in message.embeds:
        parts += [embed.title or "", embed.description or ""]
        parts += [f"{field.name}\n{field.value}" for field in embed.fields]
    return "\n\n".join(part for part in parts if part)


async def setup(bot: GlossaryBot) -> None:
    await bot.add_cog(Discovery(bot))
