"""/glossary: editors add, edit, link, remove and revert terms, read a term's history and the stats.

Editors are a list of user ids (EDITOR_USER_IDS, plus the application's owners), not a Discord
permission, so the commands stay visible to everyone and every command checks `bot.is_editor` when
it runs; nobody else can change anything, and they are told so.

Discord allows five text inputs in a modal, and the add/edit form needs them for the name, the
definition, the explanation, the aliases and the related terms. The category and the source URL are
therefore options of `/glossary add` and `/glossary edit` (category with autocomplete of the ones in
use); on edit an omitted option keeps the current value and "-" clears it.

All answers are ephemeral: curating is a conversation between an editor and the bot, not the channel.
"""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import GlossaryBot
from bot.core.editing import (
    CLEAR_OPTION,
    EditRefused,
    EntryForm,
    apply_option,
    build_entry,
    describe_problems,
    form_from_entry,
    option_problems,
)
from bot.core.entry import MAX_CATEGORY_CHARS, MAX_DEFINITION_CHARS, MAX_DESCRIPTION_CHARS, MAX_NAME_CHARS, Entry
from bot.core.index import MAX_CHOICE_CHARS
from bot.core.normalize import MAX_QUERY_CHARS
from bot.core.render import Reply, escape_markdown, quote_user_text, shorten
from bot.core.render_admin import change_choice_label, render_history, render_saved, render_stats
from bot.errors import NO_MENTIONS, UserFacingError, answer_error
from bot.store.history import ChangeResult, CurationStore
from bot.ui import send_reply

log = logging.getLogger(__name__)

MODAL_TITLE_LIMIT = 45
MODAL_VALUE_LIMIT = 4000
"""Discord's limit for a text input's value (and its pre-filled text)."""
MODAL_TIMEOUT_SECONDS = 30 * 60
"""Forget an abandoned form after this; Discord's interaction token for submitting it lasts 15 minutes."""
CONFIRM_TIMEOUT_SECONDS = 60
RETRY_TIMEOUT_SECONDS = 10 * 60
MAX_URL_OPTION_CHARS = 512
MAX_CHANGE_ID = 2**53 - 1  # Discord rejects integer options above JavaScript's safe integer
"""Discord's integer options are doubles: ids beyond this cannot be typed exactly."""
NAMES_INPUT_CHARS = MODAL_VALUE_LIMIT
"""25 names of up to 100 characters with separators fit in one text input."""
NOT_AN_EDITOR = (
    "Only glossary editors can do this. Anyone can look terms up with /define; "
    "to suggest a change, ask one of the editors."
)
MODAL_PREFIX = "gl:form:"
"""Form custom ids: "gl:form:add:<editor id>" or "gl:form:edit:<term id>:<editor id>" (well under Discord's
100 characters). discord.py finds an open form by its custom id alone: without the editor's id, a second
editor opening the same form would take the first one's place, and the first one's submission be lost."""


class TermModal(discord.ui.Modal):
    """The add/edit form. Short-lived by design: it lives in memory, and a restart while one is open
    loses it (the editor gets "interaction failed" and opens the form again)."""

    def __init__(
        self,
        cog: Glossary,
        form: EntryForm,
        *,
        term_id: int | None,
        base: Entry | None,
        editor_id: int,
    ) -> None:
        action = f"add:{editor_id}" if term_id is None else f"edit:{term_id}:{editor_id}"
        title = "Add a glossary term" if term_id is None else f"Edit {form.name}"
        super().__init__(
            title=shorten(title, MODAL_TITLE_LIMIT), custom_id=MODAL_PREFIX + action, timeout=MODAL_TIMEOUT_SECONDS
        )
        self.cog = cog
        self.form = form
        self.term_id = term_id
        self.base = base
        # An explanation longer than a text input may hold cannot be pre-filled: the input starts
        # empty, and an empty submission keeps the stored text instead of erasing it.
        self.keeps_long_explanation = len(form.explanation) > MODAL_VALUE_LIMIT
        self.name = self._input(
            "name", "Name", form.name, "The term as /define shows it", max_length=MAX_NAME_CHARS, required=True
        )
        self.definition = self._input(
            "definition",
            "Definition (one line)",
            form.definition,
            "What it is, in a sentence or two",
            max_length=MAX_DEFINITION_CHARS,
            required=True,
        )
        self.explanation = self._input(
            "explanation",
            "Explanation (optional)",
            "" if self.keeps_long_explanation else form.explanation,
            "Longer than a form can show: leave empty to keep it"
            if self.keeps_long_explanation
            else "Markdown; shown below the definition",
            max_length=min(MODAL_VALUE_LIMIT, MAX_DESCRIPTION_CHARS),
            style=discord.TextStyle.paragraph,
        )
        self.aliases = self._input(
            "aliases",
            "Aliases (optional)",
            form.aliases,
            "Other names and abbreviations, separated by , or ;",
            max_length=NAMES_INPUT_CHARS,
        )
        self.related = self._input(
            "related",
            "Related terms (optional)",
            form.related,
            "Names of existing terms, separated by ;",
            max_length=NAMES_INPUT_CHARS,
            style=discord.TextStyle.paragraph,
        )

    def _input(
        self,
        custom_id: str,
        label: str,
        value: str,
        hint: str,
        *,
        max_length: int,
        required: bool = False,
        style: discord.TextStyle = discord.TextStyle.short,
    ) -> discord.ui.TextInput[TermModal]:
        text_input: discord.ui.TextInput[TermModal] = discord.ui.TextInput(
            custom_id=custom_id, style=style, default=value or None, required=required, max_length=max_length
        )
        self.add_item(discord.ui.Label(text=label, description=hint, component=text_input))
        return text_input

    def submitted(self) -> EntryForm:
        explanation = self.explanation.value
        if self.keeps_long_explanation and not explanation.strip():
            explanation = self.form.explanation
        return EntryForm(
            name=self.name.value,
            definition=self.definition.value,
            explanation=explanation,
            aliases=self.aliases.value,
            related=self.related.value,
            category=self.form.category,
            url=self.form.url,
        )

    async def on_submit(self, interaction: discord.Interaction[discord.Client], /) -> None:
        await self.cog.require_editor(interaction)
        form = self.submitted()
        try:
            entry = build_entry(form)
            if self.term_id is None:
                result = await self.cog.store.add(entry, interaction.user.id)
            else:
                result = await self.cog.store.edit(self.term_id, entry, interaction.user.id, base=self.base)
        except EditRefused as refusal:
            # What the editor typed must not be lost to a typo: offer the form again, filled in.
            retry = RetryView(self.cog, form, term_id=self.term_id, base=self.base)
            await interaction.response.send_message(
                str(refusal), ephemeral=True, view=retry, allowed_mentions=NO_MENTIONS
            )
            return
        verb = "Added" if self.term_id is None else "Saved"
        await self.cog.answer_change(interaction, result, f"{verb} {_bold(result)}")

    # discord.py's Modal.on_error itself drops BaseView.on_error's `item` parameter; we match Modal's.
    async def on_error(  # type: ignore[override]
        self, interaction: discord.Interaction[discord.Client], error: Exception, /
    ) -> None:
        await answer_error(interaction, error)


class RetryView(discord.ui.View):
    """A refused form's "Fix and try again" button: reopens the form with what was typed."""

    def __init__(self, cog: Glossary, form: EntryForm, *, term_id: int | None, base: Entry | None):
        # No owner check: the refusal is ephemeral, so only the editor who submitted sees the button.
        super().__init__(timeout=RETRY_TIMEOUT_SECONDS)
        self.cog = cog
        self.form = form
        self.term_id = term_id
        self.base = base

    @discord.ui.button(label="Fix and try again", style=discord.ButtonStyle.primary)
    async def retry(self, interaction: discord.Interaction[discord.Client], _: discord.ui.Button[RetryView]) -> None:
        await self.cog.require_editor(interaction)
        await interaction.response.send_modal(
            TermModal(self.cog, self.form, term_id=self.term_id, base=self.base, editor_id=interaction.user.id)
        )

    async def on_error(
        self, interaction: discord.Interaction[discord.Client], error: Exception, item: discord.ui.Item[Any], /
    ) -> None:
        await answer_error(interaction, error)


class ConfirmRemoval(discord.ui.View):
    """Remove or keep: only the editor who asked may answer, and silence keeps the term."""

    def __init__(self, cog: Glossary, term_id: int, name: str, owner: discord.Interaction[discord.Client]):
        super().__init__(timeout=CONFIRM_TIMEOUT_SECONDS)
        self.cog = cog
        self.term_id = term_id
        self.name = name
        self.owner = owner

    async def interaction_check(self, interaction: discord.Interaction[discord.Client], /) -> bool:
        if interaction.user.id == self.owner.user.id:
            return True
        await interaction.response.send_message(
            "Only the editor who asked can answer this.", ephemeral=True, allowed_mentions=NO_MENTIONS
        )
        return False

    @discord.ui.button(label="Remove", style=discord.ButtonStyle.danger)
    async def confirm(self, interaction: discord.Interaction[discord.Client], _: discord.ui.Button[Any]) -> None:
        self.stop()
        await self.cog.require_editor(interaction)
        try:
            result = await self.cog.store.remove(self.term_id, interaction.user.id)
        except EditRefused as refusal:
            raise UserFacingError(str(refusal)) from refusal
        self.cog.sync_index(result)
        await interaction.response.edit_message(
            content=f"Removed **{escape_markdown(self.name)}** (change #{result.change_id}). "
            f"To undo: /glossary revert change:{result.change_id}",
            embed=None,
            view=None,
            allowed_mentions=NO_MENTIONS,
        )
        log.info("term %s removed by %s (change %s)", self.term_id, interaction.user.id, result.change_id)

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(self, interaction: discord.Interaction[discord.Client], _: discord.ui.Button[Any]) -> None:
        self.stop()
        await interaction.response.edit_message(
            content=f"Kept **{escape_markdown(self.name)}**.", view=None, allowed_mentions=NO_MENTIONS
        )

    async def on_timeout(self) -> None:
        try:
            await self.owner.edit_original_response(
                content=f"No answer: **{escape_markdown(self.name)}** was kept.",
                view=None,
                allowed_mentions=NO_MENTIONS,
            )
        except discord.HTTPException:
            log.info("could not mark the removal prompt for term %s as timed out", self.term_id)

    async def on_error(
        self, interaction: discord.Interaction[discord.Client], error: Exception, item: discord.ui.Item[Any], /
    ) -> None:
        await answer_error(interaction, error)


def _bold(result: ChangeResult) -> str:
    name = result.entry.term if result.entry else f"term {result.term_id}"
    return f"**{escape_markdown(name)}** (change #{result.change_id})"


class Glossary(commands.GroupCog, group_name="glossary", group_description="Curate the glossary (editors only)"):
    def __init__(self, bot: GlossaryBot) -> None:
        self.bot = bot
        self.store = CurationStore(bot.database)
        super().__init__()

    # ---- shared steps -----------------------------------------------------------------------------

    async def require_editor(self, interaction: discord.Interaction[discord.Client]) -> None:
        if not await self.bot.is_editor(interaction.user):
            log.info("non-editor %s tried /glossary", interaction.user.id)
            raise UserFacingError(NOT_AN_EDITOR)

    def term_id_for(self, text: str) -> int:
        """The term whose name or alias `text` is; editors change exactly what they name, never a fuzzy guess."""
        term_id = self.bot.index.term_for(text)
        if term_id is None:
            raise UserFacingError(f"No term is called “{quote_user_text(text)}”. Pick one from the list.")
        return term_id

    def sync_index(self, result: ChangeResult) -> None:
        if result.entry is None:
            self.bot.index.remove(result.term_id)
        else:
            self.bot.index.upsert(result.term_id, result.entry.term, result.entry.aliases)

    async def answer_change(
        self, interaction: discord.Interaction[discord.Client], result: ChangeResult, summary: str
    ) -> None:
        """Keep the index current, then show the editor the outcome and the entry as /define now shows it."""
        self.sync_index(result)
        view = await self.bot.load_term(result.term_id) if result.entry is not None else None
        reply = render_saved(summary + ".", view, result.notes)
        await send_reply(interaction, reply, owner_id=interaction.user.id, ephemeral=True)
        log.info("glossary change %s by %s: %s", result.change_id, interaction.user.id, summary)

    def _options(self, category: str | None, url: str | None) -> None:
        problems = option_problems(category, url)
        if problems:
            raise UserFacingError(describe_problems(problems))

    # ---- autocomplete -----------------------------------------------------------------------------

    async def complete_term(
        self, interaction: discord.Interaction[discord.Client], current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=c.label, value=c.name) for c in self.bot.index.complete(current)]

    async def complete_category(
        self, interaction: discord.Interaction[discord.Client], current: str
    ) -> list[app_commands.Choice[str]]:
        choices = [app_commands.Choice(name=name, value=name) for name in await self.store.categories(current)]
        if current.strip() == CLEAR_OPTION:
            choices.insert(0, app_commands.Choice(name="- (remove the category)", value=CLEAR_OPTION))
        return choices

    async def complete_change(
        self, interaction: discord.Interaction[discord.Client], current: str
    ) -> list[app_commands.Choice[int]]:
        if not await self.bot.is_editor(interaction.user):
            return []  # the history is for editors
        return [
            app_commands.Choice(name=change_choice_label(change)[:MAX_CHOICE_CHARS], value=change.change_id)
            for change in await self.store.recent_changes(current)
        ]

    # ---- commands ---------------------------------------------------------------------------------

    @app_commands.command(name="add", description="Add a term (opens a form)")
    @app_commands.describe(
        category="The term's category (pick one in use or type a new one)",
        url="A source link for the term (http or https)",
    )
    @app_commands.autocomplete(category=complete_category)
    async def add(
        self,
        interaction: discord.Interaction[discord.Client],
        category: app_commands.Range[str, 1, MAX_CATEGORY_CHARS] | None = None,
        url: app_commands.Range[str, 1, MAX_URL_OPTION_CHARS] | None = None,
    ) -> None:
        await self.require_editor(interaction)
        self._options(category, url)
        form = EntryForm(name="", definition="", category=apply_option(category, None), url=apply_option(url, None))
        await interaction.response.send_modal(
            TermModal(self, form, term_id=None, base=None, editor_id=interaction.user.id)
        )

    @app_commands.command(name="edit", description="Edit a term (opens a form filled with its text)")
    @app_commands.describe(
        term="The term to edit",
        category=f"New category; omit to keep it, {CLEAR_OPTION} to remove it",
        url=f"New source link; omit to keep it, {CLEAR_OPTION} to remove it",
    )
    @app_commands.autocomplete(term=complete_term, category=complete_category)
    async def edit(
        self,
        interaction: discord.Interaction[discord.Client],
        term: app_commands.Range[str, 1, MAX_QUERY_CHARS],
        category: app_commands.Range[str, 1, MAX_CATEGORY_CHARS] | None = None,
        url: app_commands.Range[str, 1, MAX_URL_OPTION_CHARS] | None = None,
    ) -> None:
        await self.require_editor(interaction)
        self._options(category, url)
        term_id = self.term_id_for(term)
        entry = await self.store.entry_of(term_id)
        if entry is None:
            raise UserFacingError("That term has just been removed.")
        current = form_from_entry(entry)
        form = EntryForm(
            name=current.name,
            definition=current.definition,
            explanation=current.explanation,
            aliases=current.aliases,
            related=current.related,
            category=apply_option(category, entry.category),
            url=apply_option(url, entry.url),
        )
        await interaction.response.send_modal(
            TermModal(self, form, term_id=term_id, base=entry, editor_id=interaction.user.id)
        )

    @app_commands.command(name="remove", description="Remove a term (asks for confirmation)")
    @app_commands.describe(term="The term to remove")
    @app_commands.autocomplete(term=complete_term)
    async def remove(
        self, interaction: discord.Interaction[discord.Client], term: app_commands.Range[str, 1, MAX_QUERY_CHARS]
    ) -> None:
        await self.require_editor(interaction)
        term_id = self.term_id_for(term)
        name = self.bot.index.name_of(term_id) or term
        await interaction.response.send_message(
            f"Remove **{escape_markdown(name)}** from the glossary? Its aliases and links go with it; "
            "/glossary revert can bring it back.",
            view=ConfirmRemoval(self, term_id, name, interaction),
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

    @app_commands.command(name="alias", description="Add another name or abbreviation to a term")
    @app_commands.describe(term="The term", alias="The new alias")
    @app_commands.autocomplete(term=complete_term)
    async def alias(
        self,
        interaction: discord.Interaction[discord.Client],
        term: app_commands.Range[str, 1, MAX_QUERY_CHARS],
        alias: app_commands.Range[str, 1, MAX_NAME_CHARS],
    ) -> None:
        await self.require_editor(interaction)
        try:
            result = await self.store.add_alias(self.term_id_for(term), alias, interaction.user.id)
        except EditRefused as refusal:
            raise UserFacingError(str(refusal)) from refusal
        await self.answer_change(interaction, result, f"Added the alias “{quote_user_text(alias)}” to {_bold(result)}")

    @app_commands.command(name="relate", description="Link a term to another one (one direction)")
    @app_commands.describe(term="The term that gets the link", other="The term it links to")
    @app_commands.autocomplete(term=complete_term, other=complete_term)
    async def relate(
        self,
        interaction: discord.Interaction[discord.Client],
        term: app_commands.Range[str, 1, MAX_QUERY_CHARS],
        other: app_commands.Range[str, 1, MAX_QUERY_CHARS],
    ) -> None:
        await self.require_editor(interaction)
        term_id, other_id = self.term_id_for(term), self.term_id_for(other)
        try:
            result = await self.store.relate(term_id, other_id, interaction.user.id)
        except EditRefused as refusal:
            raise UserFacingError(str(refusal)) from refusal
        other_name = escape_markdown(self.bot.index.name_of(other_id) or other)
        await self.answer_change(
            interaction,
            result,
            f"Linked {_bold(result)} → **{other_name}**. One direction only: **{other_name}** is unchanged "
            f"(run /glossary relate the other way round to link it back)",
        )

    @app_commands.command(name="history", description="Recent changes to a term, by whom and when")
    @app_commands.describe(term="The term (a removed term can be named too)")
    @app_commands.autocomplete(term=complete_term)
    async def history(
        self, interaction: discord.Interaction[discord.Client], term: app_commands.Range[str, 1, MAX_QUERY_CHARS]
    ) -> None:
        await self.require_editor(interaction)
        term_id = self.bot.index.term_for(term)
        if term_id is not None:
            name = self.bot.index.name_of(term_id) or term
            changes = await self.store.history(term_id)
        else:
            changes = await self.store.removed_term_history(term)
            if not changes:
                raise UserFacingError(
                    f"No term is called “{quote_user_text(term)}”, and none by that name was removed."
                )
            name = f"{changes[0].name} (removed)"
        await send_reply(interaction, render_history(name, changes), owner_id=interaction.user.id, ephemeral=True)

    @app_commands.command(name="revert", description="Undo a change: the term goes back to how it was before it")
    @app_commands.describe(change="The change's number (see /glossary history)")
    @app_commands.autocomplete(change=complete_change)
    async def revert(
        self, interaction: discord.Interaction[discord.Client], change: app_commands.Range[int, 1, MAX_CHANGE_ID]
    ) -> None:
        await self.require_editor(interaction)
        try:
            result = await self.store.revert(change, interaction.user.id)
        except EditRefused as refusal:
            raise UserFacingError(str(refusal)) from refusal
        reverted = await self.store.change(change)
        name = escape_markdown(reverted.name if reverted else f"term {result.term_id}")
        outcome = "" if result.entry is not None else ": the term is removed again"
        await self.answer_change(
            interaction, result, f"Reverted #{change} on **{name}** (change #{result.change_id}){outcome}"
        )

    @app_commands.command(name="stats", description="Most looked-up terms and most asked-for missing ones")
    async def stats(self, interaction: discord.Interaction[discord.Client]) -> None:
        await self.require_editor(interaction)
        reply: Reply = render_stats(await self.store.stats(self.bot.clock()))
        await send_reply(interaction, reply, owner_id=interaction.user.id, ephemeral=True)


async def setup(bot: GlossaryBot) -> None:
    await bot.add_cog(Glossary(bot))
