"""The Bot: opens the store, seeds it, builds the index, loads the cogs, syncs commands when they changed."""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

import discord
from discord.ext import commands, tasks

from bot.broadcast import Clock, system_clock
from bot.config import Settings
from bot.core.render import TermView
from bot.core.spotted_index import SpottedIndex
from bot.errors import NO_MENTIONS
from bot.importers import read_glossary
from bot.store.db import Database
from bot.store.glossary import GlossaryStore
from bot.ui import TermButton

log = logging.getLogger(__name__)

EXTENSIONS = ("bot.cogs.errors", "bot.cogs.define", "bot.cogs.pulse", "bot.cogs.glossary", "bot.cogs.discovery")
COMMAND_DIGEST_KEY = "command_digest"
EXTERNAL_CHANGE_POLL_SECONDS = 10
"""How often the bot notices glossary changes made by another process (the CLI's import)."""


class GlossaryBot(commands.Bot):
    database: Database
    glossary: GlossaryStore
    index: SpottedIndex
    """Names and aliases for /define, with the term spotter of "Explain terms" (index.spotter) in step."""

    def __init__(self, settings: Settings, *, clock: Clock = system_clock, **client_options: Any) -> None:
        intents = discord.Intents.none()
        intents.guilds = True  # channels, roles and permissions for /pulse; nothing privileged
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            allowed_mentions=NO_MENTIONS,
            help_command=None,
            chunk_guilds_at_startup=False,
            **client_options,
        )
        self.settings = settings
        self.clock = clock
        """Every decision about "now" asks this, so tests can move time."""
        self._data_version: object = None

    async def setup_hook(self) -> None:
        self.database = await Database.open(self.settings.database_path)
        self.glossary = GlossaryStore(self.database)
        await self.seed()
        await self.reload_index()
        self.add_dynamic_items(TermButton)
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        await self.sync_commands()
        self._watch_external_changes.start()

    async def close(self) -> None:
        self._watch_external_changes.cancel()
        await super().close()
        if hasattr(self, "database"):
            await self.database.close()

    # ---- glossary ---------------------------------------------------------------------------------

    async def seed(self) -> None:
        path = self.settings.seed_path
        if not path.exists():
            log.warning("seed file %s not found: starting with the glossary as it is", path)
            return
        report = await self.glossary.seed(path, read_glossary(path).entries)
        if report is not None:
            log.info("seeded the glossary from %s: %s", path, report.summary())

    async def reload_index(self) -> None:
        self.index = SpottedIndex.build(await self.glossary.index_rows())
        self._data_version = await self.database.fetch_value("PRAGMA data_version")
        log.info("glossary index holds %d terms", len(self.index))

    async def load_term(self, term_id: int) -> TermView | None:
        return await self.glossary.term_view(term_id)

    async def count_lookup(self, term_id: int) -> None:
        self.index.record_lookup(term_id)
        await self.glossary.record_lookup(term_id, when=self.clock())

    async def is_editor(self, user: discord.abc.User) -> bool:
        """Editors: EDITOR_USER_IDS, and the application's owner or every member of its team."""
        return user.id in self.settings.editor_user_ids or await self.is_owner(user)

    @tasks.loop(seconds=EXTERNAL_CHANGE_POLL_SECONDS)
    async def _watch_external_changes(self) -> None:
        # data_version changes only when another connection commits: our own writes keep the index current.
        try:
            version = await self.database.fetch_value("PRAGMA data_version")
            if version != self._data_version:
                log.info("glossary changed outside the bot: reloading the index")
                await self.reload_index()
        except Exception:
            log.exception("checking for outside changes failed; will try again")

    # ---- commands ---------------------------------------------------------------------------------

    def command_digest(self, guild: discord.abc.Snowflake | None = None) -> str:
        payload: list[dict[str, Any]] = [command.to_dict(self.tree) for command in self.tree.get_commands(guild=guild)]
        canonical = json.dumps([self.application_id, payload], sort_keys=True, default=str)
        return hashlib.sha256(canonical.encode()).hexdigest()

    async def sync_commands(self) -> None:
        """Sync to DEV_GUILD_ID on every start; globally only when the command set changed."""
        if self.settings.dev_guild_id:
            guild = discord.Object(id=self.settings.dev_guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("synced %d commands to the development guild %s", len(synced), guild.id)
            return
        digest = self.command_digest()
        if await self.glossary.get_meta(COMMAND_DIGEST_KEY) == digest:
            log.info("commands unchanged since the last sync: not syncing")
            return
        synced = await self.tree.sync()
        await self.glossary.set_meta(COMMAND_DIGEST_KEY, digest)
        log.info("synced %d global commands", len(synced))
