"""The forms and buttons of /glossary: the add/edit form, its "Fix and try again", and yes/no questions.

They carry no rules: a submitted form or a confirmed question goes to the cog, which asks the service
(bot/services/glossary.py). Every one answers its own failures as a short ephemeral message.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import discord

from bot.core.editing import EditRefused, EntryForm
from bot.core.entry import MAX_DEFINITION_CHARS, MAX_DESCRIPTION_CHARS, MAX_NAME_CHARS, Entry
from bot.core.render import shorten
from bot.core.scope import Scope, require_editor
from bot.errors import NO_MENTIONS, answer_error
from bot.services.glossary import Target

if TYPE_CHECKING:
    from bot.cogs.glossary import Glossary

log = logging.getLogger(__name__)

MODAL_TITLE_LIMIT = 45
MODAL_VALUE_LIMIT = 4000
"""Discord's limit for a text input's value (and its pre-filled text)."""
MODAL_TIMEOUT_SECONDS = 30 * 60
"""Forget an abandoned form after this; Discord's interaction token for submitting it lasts 15 minutes."""
CONFIRM_TIMEOUT_SECONDS = 60
RETRY_TIMEOUT_SECONDS = 10 * 60
NAMES_INPUT_CHARS = MODAL_VALUE_LIMIT
"""25 names of up to 100 characters with separators fit in one text input."""
MODAL_PREFIX = "gl:form:"
"""Form custom ids: "gl:form:add:<editor id>" or "gl:form:edit:<term id>:<editor id>" (well under Discord's
100 characters). discord.py finds an open form by its custom id alone: without the editor's id, a second
editor opening the same form would take the first one's place, and the first one's submission be lost."""


class GuardedView(discord.ui.View):
    """A view whose failures reach the user as a short ephemeral message, like a command's."""

    async def on_error(
        self, interaction: discord.Interaction[discord.Client], error: Exception, item: discord.ui.Item[Any], /
    ) -> None:
        await answer_error(interaction, error)


class TermModal(discord.ui.Modal):
    """The add/edit form. Short-lived by design: it lives in memory, and a restart while one is open
    loses it (the editor gets "interaction failed" and opens the form again)."""

    def __init__(
        self,
        cog: Glossary,
        form: EntryForm,
        *,
        target: Target | None,
        base: Entry | None,
        editor_id: int,
        scope: Scope | None = None,
    ) -> None:
        action = f"add:{editor_id}" if target is None else f"edit:{target.term_id}:{editor_id}"
        title = "Add a glossary term" if target is None else f"Edit {form.name}"
        super().__init__(
            title=shorten(title, MODAL_TITLE_LIMIT), custom_id=MODAL_PREFIX + action, timeout=MODAL_TIMEOUT_SECONDS
        )
        self.cog = cog
        self.form = form
        self.target = target
        self.base = base
        self.scope = scope
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

    def reopened(self, form: EntryForm, editor_id: int) -> TermModal:
        """The same form again, filled with what was typed."""
        return TermModal(self.cog, form, target=self.target, base=self.base, editor_id=editor_id, scope=self.scope)

    async def on_submit(self, interaction: discord.Interaction[discord.Client], /) -> None:
        form = self.submitted()
        try:
            await self.cog.save_form(interaction, self, form)
        except EditRefused as refusal:
            # What the editor typed must not be lost to a typo: offer the form again, filled in.
            await interaction.response.send_message(
                str(refusal), ephemeral=True, view=RetryView(self, form), allowed_mentions=NO_MENTIONS
            )

    # discord.py's Modal.on_error itself drops BaseView.on_error's `item` parameter; we match Modal's.
    async def on_error(  # type: ignore[override]
        self, interaction: discord.Interaction[discord.Client], error: Exception, /
    ) -> None:
        await answer_error(interaction, error)


class RetryView(GuardedView):
    """A refused form's "Fix and try again" button: reopens the form with what was typed."""

    def __init__(self, modal: TermModal, form: EntryForm):
        # No owner check: the refusal is ephemeral, so only the editor who submitted sees the button.
        super().__init__(timeout=RETRY_TIMEOUT_SECONDS)
        self.modal = modal
        self.form = form

    @discord.ui.button(label="Fix and try again", style=discord.ButtonStyle.primary)
    async def retry(self, interaction: discord.Interaction[discord.Client], _: discord.ui.Button[RetryView]) -> None:
        require_editor(await self.modal.cog.actor(interaction))
        await interaction.response.send_modal(self.modal.reopened(self.form, interaction.user.id))


Answer = Callable[[discord.Interaction[discord.Client]], Awaitable[str]]
"""What confirming does; returns the text the question is replaced with."""


class Confirm(GuardedView):
    """A yes/no question: only the user who asked may answer, and silence (or Cancel) changes nothing."""

    def __init__(
        self,
        owner: discord.Interaction[discord.Client],
        *,
        confirm_label: str,
        on_confirm: Answer,
        cancelled: str,
        timed_out: str,
    ) -> None:
        super().__init__(timeout=CONFIRM_TIMEOUT_SECONDS)  # read when asked, so a test may shorten it
        self.owner = owner
        self.on_confirm = on_confirm
        self.cancelled = cancelled
        self.timed_out = timed_out
        self.confirm.label = confirm_label

    async def interaction_check(self, interaction: discord.Interaction[discord.Client], /) -> bool:
        if interaction.user.id == self.owner.user.id:
            return True
        await interaction.response.send_message(
            "Only the editor who asked can answer this.", ephemeral=True, allowed_mentions=NO_MENTIONS
        )
        return False

    @discord.ui.button(label="Confirm", style=discord.ButtonStyle.danger)
    async def confirm(self, interaction: discord.Interaction[discord.Client], _: discord.ui.Button[Any]) -> None:
        self.stop()
        content = await self.on_confirm(interaction)
        await interaction.response.edit_message(content=content, embed=None, view=None, allowed_mentions=NO_MENTIONS)

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(self, interaction: discord.Interaction[discord.Client], _: discord.ui.Button[Any]) -> None:
        self.stop()
        await interaction.response.edit_message(
            content=self.cancelled, embed=None, view=None, allowed_mentions=NO_MENTIONS
        )

    async def on_timeout(self) -> None:
        try:
            await self.owner.edit_original_response(content=self.timed_out, view=None, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException:
            log.info("could not mark the question to %s as timed out", self.owner.user.id)


async def ask(
    interaction: discord.Interaction[discord.Client],
    question: str,
    *,
    confirm_label: str,
    on_confirm: Answer,
    cancelled: str,
    timed_out: str,
) -> None:
    """Ask the user a yes/no `question`, privately (as the answer, or after it was deferred)."""
    view = Confirm(
        interaction, confirm_label=confirm_label, on_confirm=on_confirm, cancelled=cancelled, timed_out=timed_out
    )
    if interaction.response.is_done():
        await interaction.followup.send(question, view=view, ephemeral=True, allowed_mentions=NO_MENTIONS)
    else:
        await interaction.response.send_message(question, view=view, ephemeral=True, allowed_mentions=NO_MENTIONS)
