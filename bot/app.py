"""The Bot: opens the store, seeds it, builds the index, loads the cogs, syncs commands when they changed."""

from __future__ import annotations

import asyncio
import gc
import hashlib
import json
import logging
import signal
from datetime import UTC, datetime
from typing import Any

import aiohttp
import discord
from discord.ext import commands, tasks

from bot.broadcast import Clock, system_clock
from bot.config import Settings, SettingsError
from bot.core.entry import Entry
from bot.core.index import GlossaryIndex, IndexRow
from bot.core.render import TermView
from bot.core.scope import Actor
from bot.core.sharding import overlap_problem
from bot.errors import NO_MENTIONS
from bot.identify import IdentifyGate
from bot.lookups import LookupCounter
from bot.services.glossary import GlossaryService
from bot.startup import open_database, seed_entries
from bot.store.db import Database, is_database_error, unavailable_reason
from bot.store.glossary import GlossaryStore
from bot.store.shards import ShardStore
from bot.ui import TermButton

log = logging.getLogger(__name__)

EXTENSIONS = ("bot.cogs.errors", "bot.cogs.define", "bot.cogs.pulse", "bot.cogs.glossary", "bot.cogs.discovery")
COMMAND_DIGEST_KEY = "command_digest"
EXTERNAL_CHANGE_POLL_SECONDS = 0.5
"""How often the bot notices glossary changes made by another process (the CLI's import, another bot
process on the same file): asking SQLite costs microseconds, and a change shows within 2 s even when it
takes a build of the index (~1 s at 100,000 terms)."""
CHANGE_SETTLE_SECONDS = 0.05
"""After a change is announced, how long the bot waits for the rest of a burst (an import's statements)."""
CHANGE_RETRY_SECONDS = 0.5
WRITE_WAIT_MS = 2_000
"""How long the bot's writes wait for another process's lock. Discord wants an interaction answered
within 3 s: waiting longer would turn a clear "busy, try again" into "the application did not respond"."""
SHUTDOWN_GRACE_SECONDS = 5.0
"""How long a stopping bot lets interactions in progress finish: long enough for any interaction that
arrived before the stop to be answered (Discord allows 3 s), short enough for a quick restart. The
systemd unit's TimeoutStopSec must be longer (see README)."""
LEFTOVER_WAIT_SECONDS = 2.0
"""After the grace, how long cancelled work may take to unwind (roll back) before the database closes."""
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
LOGIN_RETRY_FIRST_SECONDS = 1.0
LOGIN_RETRY_MAX_SECONDS = 60.0
"""Waits between attempts to reach Discord, doubling from the first to the last: a short outage costs
seconds, a long one a request a minute."""
UNREACHABLE = (aiohttp.ClientConnectionError, TimeoutError, discord.DiscordServerError)
"""What a login that never reached Discord (no network, DNS, a refused connection) or found it down
fails with: worth another try, unlike a rejected token."""
INTERACTION_TASK_PREFIXES = (
    "CommandTree-invoker",  # slash commands, context menus, autocomplete
    "discord-ui-view-dispatch-",  # buttons and selects of views
    "discord-ui-dynamic-item-",  # dynamic items such as the related-term buttons
    "discord-ui-modal-dispatch-",  # submitted forms
    "discord.py: ",  # event listeners, e.g. the one that logs each interaction's outcome
)
"""discord.py 2.x runs each interaction in a task it names like this; a stop waits for these tasks.
tests/test_shutdown.py stops a real bot mid-interaction, so a renaming in discord.py fails a test."""


class GlossaryBot(commands.AutoShardedBot):
    database: Database
    glossary: GlossaryStore
    service: GlossaryService
    """The shared glossary and the servers' own: what every cog reads and changes them through."""
    lookups: LookupCounter

    def __init__(self, settings: Settings, *, clock: Clock = system_clock, **client_options: Any) -> None:
        # The bot never joins voice: discord.py's warnings about missing voice libraries are only noise.
        discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
        intents = discord.Intents.none()
        intents.guilds = True  # channels, roles and permissions for /pulse; nothing privileged
        self.shard_plan = settings.shard_plan()
        """The shards this process connects; unset, Discord's recommended count, all of them here."""
        shard_ids = self.shard_plan.shard_ids()
        if shard_ids is not None:
            client_options = {"shard_count": self.shard_plan.count, "shard_ids": list(shard_ids), **client_options}
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
        self._changes = asyncio.Event()
        """Set when the database announces a change made elsewhere (PostgreSQL's LISTEN/NOTIFY)."""
        self._follow_task: asyncio.Task[None] | None = None
        self._set_up = False

    async def prepare(self) -> None:
        """Check the seed files, open the database, seed it and build the index: all that needs no
        Discord. `run_until_stopped` calls it before logging in, so a bad DATABASE_PATH or seed file
        stops the start (SettingsError, naming it) before Discord is contacted."""
        if hasattr(self, "database"):
            return
        entries = seed_entries(self.settings)
        self.database = await open_database(self.settings, busy_timeout_ms=WRITE_WAIT_MS)
        self.identify_gate = IdentifyGate(ShardStore(self.database), self.fetch_session_start_limits)
        await self.check_no_overlap()
        self.service = GlossaryService(self.database, server_terms_limit=self.settings.server_terms_limit)
        self.glossary = self.service.glossary
        self.lookups = LookupCounter(self.glossary, self.clock)
        await self.seed(entries)
        await self.reload_index()

    async def check_no_overlap(self) -> None:
        """Refuse to run a shard another running process runs (SettingsError naming the setting): its
        servers' events would arrive twice, and the processes would pace over the bot's request budget."""
        if self.shard_plan.runs_every_shard:
            return
        others = await ShardStore(self.database).live_holders(datetime.now(UTC), other_than=self.shard_plan.label())
        problem = overlap_problem(self.shard_plan, others)
        if problem is not None:
            raise SettingsError(f"Bad setting: {problem}")

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        # discord.py waits 5 s before every IDENTIFY but a process's first, whatever Discord allows; with
        # SHARD_COUNT, other processes identify too: IDENTIFYs take turns per max_concurrency bucket, the
        # turns kept in the database that every process shares.
        if not self.shard_plan.explicit or shard_id is None:
            await super().before_identify_hook(shard_id, initial=initial)
            return
        await self.identify_gate.wait_turn(shard_id)

    async def setup_hook(self) -> None:
        self._set_up = True
        await self.prepare()
        self.add_dynamic_items(TermButton)
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        await self.sync_commands()
        if await self.database.watch_changes(self._changes.set):
            self._follow_task = asyncio.create_task(self._follow_changes(), name="follow-glossary-changes")
        else:
            self._watch_external_changes.start()

    async def on_ready(self) -> None:
        # The guilds' channels, roles and members came with READY and the GUILD_CREATEs, after the index
        # was frozen (see reload_index): freeze them too. With 10,000 channels cached, each full garbage
        # collection held the event loop 60-90 ms. (The next reload collects whatever this kept as garbage.)
        gc.freeze()

    async def close(self) -> None:
        self._watch_external_changes.cancel()
        if self._follow_task is not None:
            self._follow_task.cancel()
        # discord.py's close() leaves its "ready after the guilds arrived" task running; stopped in that
        # moment (a SIGTERM right after connecting), it would dispatch `ready` on a closed client: a traceback.
        ready_task: asyncio.Task[None] | None = getattr(self._connection, "_ready_task", None)
        if ready_task is not None:
            ready_task.cancel()
        await super().close()  # unloads the cogs (the pulse loop stops), closes the gateway and HTTP
        leftovers = self.interaction_tasks()
        for task in leftovers:
            task.cancel()
        if leftovers:
            # Let them roll their transactions back while the database is still open.
            await asyncio.wait(leftovers, timeout=LEFTOVER_WAIT_SECONDS)
        if hasattr(self, "database"):
            await self.lookups.close()
            self.service.close()
            await self.database.close()

    # ---- stopping ---------------------------------------------------------------------------------

    def interaction_tasks(self) -> set[asyncio.Task[Any]]:
        """The interactions (and event listeners) being handled now, as discord.py's named tasks."""
        current = asyncio.current_task()
        return {
            task
            for task in asyncio.all_tasks()
            if task is not current and not task.done() and task.get_name().startswith(INTERACTION_TASK_PREFIXES)
        }

    async def shutdown(self, grace: float | None = None) -> None:
        """Stop gracefully: answer the interactions in progress (for up to `grace` seconds), then close.

        The gateway stays open meanwhile, so an interaction arriving during the grace is answered too.
        A pulse delivery is then cancelled where it stands: its transactions either committed or roll
        back, so it is sent and recorded, or stays claimed for the next start to finish (broadcast.py).
        """
        grace = SHUTDOWN_GRACE_SECONDS if grace is None else grace
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace
        while (pending := self.interaction_tasks()) and (left := deadline - loop.time()) > 0:
            log.info("stopping: waiting for %d interactions in progress", len(pending))
            await asyncio.wait(pending, timeout=left)
        if pending:
            log.warning("stopping: %d interactions did not finish within %.0f s", len(pending), grace)
        await self.close()
        log.info("stopped: gateway, HTTP and database closed")

    # ---- glossary ---------------------------------------------------------------------------------

    async def seed(self, entries: list[Entry] | None) -> None:
        if entries is None:
            return  # no seed file: `seed_entries` warned
        path = self.settings.seed_path
        report = await self.glossary.seed(path, entries)
        if report is not None:
            log.info("seeded the glossary from %s: %s", path, report.summary())

    async def start_when_reachable(self, token: str) -> None:
        """`start`, with the database ready before the login, and the login tried again while Discord
        cannot be reached (LoginFailure, a rejected token, is not tried again)."""
        await self.prepare()
        delay = LOGIN_RETRY_FIRST_SECONDS
        while True:
            try:
                await self.login(token)
                break
            except UNREACHABLE as error:
                if self._set_up:
                    raise  # reached Discord, then failed in the setup: loading the cogs again would fail
                log.warning("cannot reach Discord: %s; the bot will retry in %.0f s", unreachable_reason(error), delay)
                await self.http.close()
                self.http.connector = discord.utils.MISSING  # closed with its session: the next login makes one
                await asyncio.sleep(delay)
                delay = min(delay * 2, LOGIN_RETRY_MAX_SECONDS)
        await self.connect(reconnect=True)

    async def reload_index(self) -> None:
        """Build the shared index from the database (at start)."""
        # The version first: a change that commits while the rows are read is then seen again next time.
        self._data_version = await self.database.data_version()
        await self._build_index(await self.glossary.index_rows())

    async def follow_index(self) -> None:
        """After a change made elsewhere: change the shared index's terms that differ, or build it again if
        many do (see bot/core/index_changes.py)."""
        self._data_version = await self.database.data_version()
        rows = await self.glossary.index_rows()
        if not await self.service.follow_shared(rows):
            await self._build_index(rows)

    async def _build_index(self, rows: list[IndexRow]) -> None:
        # Building takes seconds at 100,000 terms: a worker thread keeps the event loop answering meanwhile.
        self.service.replace_shared(await asyncio.to_thread(GlossaryIndex.build, rows))
        del rows
        # The index is hundreds of thousands of long-lived objects at 100,000 terms: each full garbage
        # collection walking them held the event loop for a noticeable time. Frozen, they are out of the
        # collector's way (and still freed as usual when a reload replaces them). On a reload, whatever the
        # last freeze kept that has become cyclic garbage since is collected first; at the first load that
        # would cost a full collection before ready for the little garbage start-up leaves.
        if gc.get_freeze_count():
            gc.unfreeze()
            gc.collect()
        gc.freeze()
        log.info("glossary index holds %d shared terms", len(self.index))

    @property
    def index(self) -> GlossaryIndex:
        """The shared glossary's names and aliases (each server's own are in `service.server_indexes`)."""
        return self.service.shared

    async def load_term(self, term_id: int, guild_id: int | None = None) -> TermView | None:
        """The entry as shown in `guild_id` (None: a DM); None if it is gone or belongs to another server."""
        return await self.service.term_view(term_id, guild_id)

    async def count_lookup(self, term_id: int, guild_id: int | None = None) -> None:
        self.service.record_popularity(term_id, guild_id)
        self.lookups.count(term_id)

    async def record_miss(self, query: str, guild_id: int | None = None) -> None:
        try:
            await self.glossary.record_miss(query, guild_id)
        except Exception as error:
            reason = unavailable_reason(error) if is_database_error(error) else None
            if reason is None:
                raise
            log.warning("miss %r not recorded: %s", query[:100], reason)

    async def is_editor(self, user: discord.abc.User) -> bool:
        """Bot editors: EDITOR_USER_IDS, and the application's owner or every member of its team."""
        return user.id in self.settings.editor_user_ids or await self.is_owner(user)

    async def actor(self, interaction: discord.Interaction[discord.Client]) -> Actor:
        """Who is asking and where, for the rules of bot/core/scope.py: a server editor has Manage Server
        or the role set with /glossary editor-role."""
        guild_id = interaction.guild_id
        server_editor = False
        if guild_id is not None:
            server_editor = interaction.permissions.manage_guild
            if not server_editor and isinstance(interaction.user, discord.Member):
                role_id = await self.service.editor_role(guild_id)
                server_editor = role_id is not None and interaction.user.get_role(role_id) is not None
        return Actor(interaction.user.id, guild_id, await self.is_editor(interaction.user), server_editor)

    async def _follow_changes(self) -> None:
        """Reload the index after each change the database announces (a burst of them: once)."""
        while True:
            await self._changes.wait()
            await asyncio.sleep(CHANGE_SETTLE_SECONDS)
            self._changes.clear()
            try:
                log.info("glossary changed in the database: bringing the index in step")
                await self.follow_index()
            except Exception:
                log.exception("reloading the index after a change failed; trying again")
                self._changes.set()
                await asyncio.sleep(CHANGE_RETRY_SECONDS)

    @tasks.loop(seconds=EXTERNAL_CHANGE_POLL_SECONDS)
    async def _watch_external_changes(self) -> None:
        # data_version changes only when another connection commits: our own writes keep the index current.
        try:
            version = await self.database.data_version()
            if version != self._data_version:
                log.info("glossary changed outside the bot: bringing the index in step")
                await self.follow_index()
        except Exception:
            log.exception("checking for outside changes failed; will try again")

    # ---- commands ---------------------------------------------------------------------------------

    def command_digest(self, guild: discord.abc.Snowflake | None = None) -> str:
        payload: list[dict[str, Any]] = [command.to_dict(self.tree) for command in self.tree.get_commands(guild=guild)]
        canonical = json.dumps([self.application_id, payload], sort_keys=True, default=str)
        return hashlib.sha256(canonical.encode()).hexdigest()

    async def sync_commands(self) -> None:
        """Sync to DEV_GUILD_ID on every start; globally only when the command set changed. Only the
        process running shard 0 syncs: the commands are the bot's, not a process's."""
        if not self.shard_plan.holds_shard_zero:
            log.info("commands are synced by the process running shard 0")
            return
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


SHARD_RECONNECT_MESSAGE = "Attempting a reconnect for shard ID %s in %.2fs"
RECONNECT_LOGGERS = ("discord.client", "discord.shard")
RECONNECT_MESSAGES = ("Attempting a reconnect in %.2fs", SHARD_RECONNECT_MESSAGE)
"""What discord.py's Client (discord.client) and each shard of an AutoShardedClient (discord.shard) log."""


class OneLineReconnects(logging.Filter):
    """discord.py logs each failed reconnect of the gateway with a full traceback; for a network that is
    down (the common case: nothing to debug), one line saying so, as for the login, is enough."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if record.msg not in RECONNECT_MESSAGES or not isinstance(error, (*UNREACHABLE, OSError)):
            return True
        if record.msg == SHARD_RECONNECT_MESSAGE:  # the AutoShardedBot's shards: (shard id, delay)
            shard_id, *delay = record.args or (None, 0.0)
            record.msg = "cannot reach Discord: %s; shard %s will retry in %.1f s"
            record.args = (unreachable_reason(error), shard_id, *delay)
        else:
            record.msg = "cannot reach Discord: %s; the bot will retry in %.1f s"
            record.args = (unreachable_reason(error), *(record.args or ()))
        record.exc_info = None
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def unreachable_reason(error: BaseException) -> str:
    """The one-line cause of a failed connection (aiohttp's message names the host and the system's error)."""
    if isinstance(error, TimeoutError):
        return "the connection timed out"
    return str(error) or type(error).__name__


async def run_until_stopped(bot: GlossaryBot, token: str) -> None:
    """Run the bot until it stops by itself (an error propagates) or SIGTERM/SIGINT asks it to stop.

    discord.py's `Client.run` leaves SIGTERM to Python's default, which kills the process on the spot
    (interactions unanswered, the database left open); SIGINT reaches it as KeyboardInterrupt wherever
    the code happens to be. Handling both in the event loop lets `shutdown` stop in order instead.
    """
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()

    def on_signal(signum: int) -> None:
        name = signal.Signals(signum).name
        log.info("%s received: %s", name, "already stopping" if stop.is_set() else "stopping gracefully")
        stop.set()

    for signum in STOP_SIGNALS:
        loop.add_signal_handler(signum, on_signal, signum)
    reconnects = OneLineReconnects()
    for logger in RECONNECT_LOGGERS:
        logging.getLogger(logger).addFilter(reconnects)
    try:
        async with bot:
            running = asyncio.create_task(bot.start_when_reachable(token), name="glossary-bot")
            stopping = asyncio.create_task(stop.wait(), name="glossary-bot-stop")
            await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if running.done():
                stopping.cancel()
                running.result()  # why the bot stopped by itself, if it was an error
                return
            if not bot.is_ready():
                # Still logging in or setting up: nothing to answer yet. Stop the start where it is, and
                # let it unwind (a migration or seed rolls back) before the database closes.
                running.cancel()
                await asyncio.wait({running}, timeout=LEFTOVER_WAIT_SECONDS)
            await bot.shutdown()
            await asyncio.wait({running}, timeout=LEFTOVER_WAIT_SECONDS)  # ends once the gateway is closed
            if not running.done():
                running.cancel()
            elif not running.cancelled() and running.exception() is not None:
                log.warning("the connection ended with an error while stopping", exc_info=running.exception())
    finally:
        for logger in RECONNECT_LOGGERS:
            logging.getLogger(logger).removeFilter(reconnects)
        for signum in STOP_SIGNALS:
            loop.remove_signal_handler(signum)
