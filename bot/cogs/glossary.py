"""/glossary: editors add, edit, link, remove and revert terms, read a term's history and the stats;
servers curate their own glossary beside the shared one.

Who may change what (bot editors: the shared glossary; server editors: their server's) is decided by
the service (bot/services/glossary.py) from the `Actor` this cog describes, so the commands stay visible
to everyone and each answers a refusal with a short private message.

Discord allows five text inputs in a modal, and the add/edit form needs them for the name, the
definition, the explanation, the aliases and the related terms. The category and the source URL are
therefore options of `/glossary add` and `/glossary edit` (category with autocomplete of the ones in
use); on edit an omitted option keeps the current value and "-" clears it.

All answers are ephemeral: curating is a conversation between an editor and the bot, not the channel.
"""

from __future__ import annotations

import io
import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import GlossaryBot
from bot.cogs.glossary_ui import TermModal, ask
from bot.core.editing import (
    CLEAR_OPTION,
    EntryForm,
    apply_option,
    build_entry,
    describe_problems,
    form_from_entry,
    option_problems,
)
from bot.core.entry import MAX_CATEGORY_CHARS, MAX_NAME_CHARS
from bot.core.index import MAX_CHOICE_CHARS
from bot.core.normalize import MAX_QUERY_CHARS
from bot.core.render import CONTENT_LIMIT, escape_markdown, quote_user_text, shorten
from bot.core.render_admin import (
    change_choice_label,
    render_history,
    render_import_preview,
    render_saved,
    render_stats,
)
from bot.core.scope import NOT_AN_EDITOR, SERVER_ONLY, Actor, Scope, require_server_editor
from bot.errors import NO_MENTIONS, UserFacingError
from bot.services.glossary import Target
from bot.services.transfer import ExportFormat, GlossaryTransfer, check_attachment
from bot.store.history import ChangeResult
from bot.ui import send_reply

__all__ = ["NOT_AN_EDITOR", "Glossary"]

log = logging.getLogger(__name__)

MAX_URL_OPTION_CHARS = 512
MAX_CHANGE_ID = 2**53 - 1  # Discord rejects integer options above JavaScript's safe integer
"""Discord's integer options are doubles: ids beyond this cannot be typed exactly."""
NEEDS_MANAGE_SERVER = "You need the **Manage Server** permission to do this."


def _bold(result: ChangeResult) -> str:
    name = result.entry.term if result.entry else f"term {result.term_id}"
    return f"**{escape_markdown(name)}** (change #{result.change_id})"


def _options(category: str | None, url: str | None) -> None:
    problems = option_problems(category, url)
    if problems:
        raise UserFacingError(describe_problems(problems))


def require_manager(interaction: discord.Interaction[discord.Client]) -> int:
    """The server, if the user may manage it (Manage Server): setting the editor role, wiping."""
    if interaction.guild_id is None:
        raise UserFacingError(SERVER_ONLY)
    if not interaction.permissions.manage_guild:
        raise UserFacingError(NEEDS_MANAGE_SERVER)
    return interaction.guild_id


class Glossary(commands.GroupCog, group_name="glossary", group_description="Curate the glossary (editors only)"):
    def __init__(self, bot: GlossaryBot) -> None:
        self.bot = bot
        self.service = bot.service
        self.transfer = GlossaryTransfer(bot.service)
        super().__init__()

    # ---- shared steps -----------------------------------------------------------------------------

    async def actor(self, interaction: discord.Interaction[discord.Client]) -> Actor:
        return await self.bot.actor(interaction)

    async def target(self, interaction: discord.Interaction[discord.Client], term: str) -> tuple[Actor, Target]:
        actor = await self.actor(interaction)
        return actor, await self.service.target(actor, term)

    async def answer_change(
        self, interaction: discord.Interaction[discord.Client], result: ChangeResult, summary: str
    ) -> None:
        """Show the editor the outcome and the entry as /define now shows it (the service kept the index)."""
        view = await self.bot.load_term(result.term_id, interaction.guild_id) if result.entry is not None else None
        reply = render_saved(summary + ".", view, result.notes)
        await send_reply(interaction, reply, owner_id=interaction.user.id, ephemeral=True)
        log.info("glossary change %s by %s: %s", result.change_id, interaction.user.id, summary)

    async def save_form(
        self, interaction: discord.Interaction[discord.Client], modal: TermModal, form: EntryForm
    ) -> None:
        """A submitted add/edit form: the service checks the rights again (they may have changed meanwhile)."""
        actor = await self.actor(interaction)
        entry = build_entry(form)
        if modal.target is None:
            result = await self.service.add(actor, entry, modal.scope)
        else:
            result = await self.service.edit(actor, modal.target, entry, base=modal.base)
        verb = "Added" if modal.target is None else "Saved"
        where = " to this server's glossary" if modal.target is None and result.guild_id is not None else ""
        await self.answer_change(interaction, result, f"{verb} {_bold(result)}{where}")

    # ---- autocomplete -----------------------------------------------------------------------------

    async def complete_term(
        self, interaction: discord.Interaction[discord.Client], current: str
    ) -> list[app_commands.Choice[str]]:
        choices = await self.service.complete(interaction.guild_id, current)
        return [app_commands.Choice(name=choice.label, value=choice.name) for choice in choices]

    async def complete_category(
        self, interaction: discord.Interaction[discord.Client], current: str
    ) -> list[app_commands.Choice[str]]:
        names = await self.service.curation.categories(current, guild_id=interaction.guild_id)
        choices = [app_commands.Choice(name=name, value=name) for name in names]
        if current.strip() == CLEAR_OPTION:
            choices.insert(0, app_commands.Choice(name="- (remove the category)", value=CLEAR_OPTION))
        return choices

    async def complete_change(
        self, interaction: discord.Interaction[discord.Client], current: str
    ) -> list[app_commands.Choice[int]]:
        changes = await self.service.recent_changes(await self.actor(interaction), current)
        return [
            app_commands.Choice(name=change_choice_label(change)[:MAX_CHOICE_CHARS], value=change.change_id)
            for change in changes
        ]

    # ---- commands ---------------------------------------------------------------------------------

    @app_commands.command(name="add", description="Add a term (opens a form)")
    @app_commands.describe(
        category="The term's category (pick one in use or type a new one)",
        url="A source link for the term (http or https)",
        scope="server: this server's own glossary; global: the shared one (bot editors only)",
    )
    @app_commands.autocomplete(category=complete_category)
    async def add(
        self,
        interaction: discord.Interaction[discord.Client],
        category: app_commands.Range[str, 1, MAX_CATEGORY_CHARS] | None = None,
        url: app_commands.Range[str, 1, MAX_URL_OPTION_CHARS] | None = None,
        scope: Scope | None = None,
    ) -> None:
        actor = await self.actor(interaction)
        await self.service.home_for_new(actor, scope)  # refused before the form opens, not after it
        _options(category, url)
        form = EntryForm(name="", definition="", category=apply_option(category, None), url=apply_option(url, None))
        await interaction.response.send_modal(
            TermModal(self, form, target=None, base=None, editor_id=actor.user_id, scope=scope)
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
        actor, target = await self.target(interaction, term)
        _options(category, url)
        entry = await self.service.entry_of(target)
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
        await interaction.response.send_modal(TermModal(self, form, target=target, base=entry, editor_id=actor.user_id))

    @app_commands.command(name="remove", description="Remove a term (asks for confirmation)")
    @app_commands.describe(term="The term to remove")
    @app_commands.autocomplete(term=complete_term)
    async def remove(
        self, interaction: discord.Interaction[discord.Client], term: app_commands.Range[str, 1, MAX_QUERY_CHARS]
    ) -> None:
        _, target = await self.target(interaction, term)
        name = escape_markdown(target.name)

        async def confirmed(pressed: discord.Interaction[discord.Client]) -> str:
            result = await self.service.remove(await self.actor(pressed), target)
            log.info("term %s removed by %s (change %s)", target.term_id, pressed.user.id, result.change_id)
            return (
                f"Removed **{name}** (change #{result.change_id}). To undo: /glossary revert change:{result.change_id}"
            )

        where = "this server's glossary" if target.guild_id is not None else "the glossary"
        await ask(
            interaction,
            f"Remove **{name}** from {where}? Its aliases and links go with it; /glossary revert can bring it back.",
            confirm_label="Remove",
            on_confirm=confirmed,
            cancelled=f"Kept **{name}**.",
            timed_out=f"No answer: **{name}** was kept.",
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
        actor, target = await self.target(interaction, term)
        result = await self.service.add_alias(actor, target, alias)
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
        actor, target = await self.target(interaction, term)
        result, other_name = await self.service.relate(actor, target, other)
        shown = escape_markdown(other_name)
        await self.answer_change(
            interaction,
            result,
            f"Linked {_bold(result)} → **{shown}**. One direction only: **{shown}** is unchanged "
            f"(run /glossary relate the other way round to link it back)",
        )

    @app_commands.command(name="history", description="Recent changes to a term, by whom and when")
    @app_commands.describe(term="The term (a removed term can be named too)")
    @app_commands.autocomplete(term=complete_term)
    async def history(
        self, interaction: discord.Interaction[discord.Client], term: app_commands.Range[str, 1, MAX_QUERY_CHARS]
    ) -> None:
        name, changes = await self.service.history(await self.actor(interaction), term)
        await send_reply(interaction, render_history(name, changes), owner_id=interaction.user.id, ephemeral=True)

    @app_commands.command(name="revert", description="Undo a change: the term goes back to how it was before it")
    @app_commands.describe(change="The change's number (see /glossary history)")
    @app_commands.autocomplete(change=complete_change)
    async def revert(
        self, interaction: discord.Interaction[discord.Client], change: app_commands.Range[int, 1, MAX_CHANGE_ID]
    ) -> None:
        result, reverted = await self.service.revert(await self.actor(interaction), change)
        name = escape_markdown(reverted.name)
        outcome = "" if result.entry is not None else ": the term is removed again"
        await self.answer_change(
            interaction, result, f"Reverted #{change} on **{name}** (change #{result.change_id}){outcome}"
        )

    @app_commands.command(name="stats", description="Most looked-up terms and most asked-for missing ones")
    @app_commands.describe(scope="server: this server's entries and misses; global: the shared glossary's")
    async def stats(self, interaction: discord.Interaction[discord.Client], scope: Scope | None = None) -> None:
        # Lookups are written a moment after they happen (bot/lookups.py): write those first, so the
        # figures include a burst that has just happened.
        await self.bot.lookups.flush()
        guild_id, stats = await self.service.stats(await self.actor(interaction), scope, self.bot.clock())
        reply = render_stats(stats) if guild_id is None else render_stats(stats, "Glossary stats: this server's own")
        await send_reply(interaction, reply, owner_id=interaction.user.id, ephemeral=True)

    # ---- a server's glossary as a whole -----------------------------------------------------------

    @app_commands.command(name="editor-role", description="Set the role whose members curate this server's glossary")
    @app_commands.describe(role="Members with this role edit this server's own entries; omit it to clear the setting")
    async def editor_role(
        self, interaction: discord.Interaction[discord.Client], role: discord.Role | None = None
    ) -> None:
        guild_id = require_manager(interaction)
        if role is not None and role.guild.id != guild_id:
            raise UserFacingError("That role isn't in this server.")
        await self.service.set_editor_role(guild_id, None if role is None else role.id)
        who = "members with **Manage Server**"
        text = (
            f"This server's glossary editors are now {who} and members of {role.mention}."
            if role is not None
            else f"The editor role is cleared: this server's glossary editors are {who}."
        )
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
        log.info("server %s editor role set to %s by %s", guild_id, role and role.id, interaction.user.id)

    @app_commands.command(name="wipe", description="Delete all of this server's own entries (asks for confirmation)")
    async def wipe(self, interaction: discord.Interaction[discord.Client]) -> None:
        guild_id = require_manager(interaction)
        count = await self.service.servers.count_terms(guild_id)
        if count == 0:
            raise UserFacingError("This server's glossary has no entries of its own: nothing to wipe.")

        async def confirmed(pressed: discord.Interaction[discord.Client]) -> str:
            require_manager(pressed)
            removed = await self.service.wipe(guild_id)
            return f"Wiped this server's glossary: {removed:,} entries removed. The shared glossary is unchanged."

        await ask(
            interaction,
            f"Delete all **{count:,}** entries of this server's own glossary? The shared glossary stays as it "
            "is. This cannot be reverted entry by entry: /glossary export first keeps a copy to import back.",
            confirm_label="Wipe",
            on_confirm=confirmed,
            cancelled="Nothing was wiped.",
            timed_out="No answer: nothing was wiped.",
        )

    @app_commands.command(
        name="import", description="Import a file into this server's glossary (shows what it would do first)"
    )
    @app_commands.describe(file="A .csv, .json or .yaml glossary file (as /glossary export writes), at most 1 MB")
    async def import_file(self, interaction: discord.Interaction[discord.Client], file: discord.Attachment) -> None:
        actor = await self.actor(interaction)
        require_server_editor(actor)
        check_attachment(file.filename, file.size)  # before downloading anything
        await interaction.response.defer(ephemeral=True, thinking=True)  # a large file takes a moment
        pending = await self.transfer.read_import(actor, file.filename, await file.read())

        async def confirmed(pressed: discord.Interaction[discord.Client]) -> str:
            report = await self.transfer.apply_import(await self.actor(pressed), pending)
            log.info(
                "server %s imported %s by %s: %s", pending.guild_id, file.filename, pressed.user.id, report.summary()
            )
            return shorten(
                f"Imported {escape_markdown(file.filename)} into this server's glossary: {report.summary()}.",
                CONTENT_LIMIT,
            )

        preview = pending.preview
        await ask(
            interaction,
            render_import_preview(file.filename, len(pending.entries), preview.summary(), preview.warnings),
            confirm_label="Import",
            on_confirm=confirmed,
            cancelled="Nothing was imported.",
            timed_out="No answer: nothing was imported.",
        )

    @app_commands.command(name="export", description="This server's own glossary as a file (imports back unchanged)")
    @app_commands.describe(format="csv, json or yaml (default: yaml)")
    async def export(self, interaction: discord.Interaction[discord.Client], format: ExportFormat = "yaml") -> None:
        actor = await self.actor(interaction)
        require_server_editor(actor)
        await interaction.response.defer(ephemeral=True, thinking=True)  # thousands of entries take a moment
        exported = await self.transfer.export(actor, format)
        await interaction.followup.send(
            f"This server's glossary: {exported.count:,} entries.",
            file=discord.File(io.BytesIO(exported.content), filename=exported.filename),
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )


async def setup(bot: GlossaryBot) -> None:
    await bot.add_cog(Glossary(bot))
