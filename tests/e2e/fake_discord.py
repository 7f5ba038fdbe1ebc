"""A fake Discord (REST API v10 + gateway) on 127.0.0.1 for end-to-end tests of the real discord.py client.

The unmodified ``discord.py`` client logs into :class:`FakeDiscord`, receives READY and GUILD_CREATE over
a websocket gateway, syncs its command tree and answers interactions that the test makes "users" send.
Every JSON body the bot sends is checked against Discord's limits (:mod:`tests.e2e.limits`) and Discord's
OpenAPI schema; :meth:`FakeDiscord.assert_clean` fails the test on any violation or on any REST route the
fake does not know.

Using it in a test (the ``fake_discord`` fixture in ``conftest.py`` starts one and calls ``assert_clean``
at teardown)::

    async def test_ping(fake_discord: FakeDiscord) -> None:
        fake_discord.add_guild(GUILD, "Test guild", owner_id=OWNER)
        fake_discord.add_channel(GUILD, CHANNEL, "general")
        fake_discord.add_member(GUILD, USER, "alice")
        bot = MyBot(intents=discord.Intents.default(), **FAST_CLIENT_OPTIONS)
        async with running_client(fake_discord, bot):          # login, connect, wait for on_ready
            await bot.tree.sync()                              # validated PUT, stored with ids
            result = await fake_discord.slash("ping")          # INTERACTION_CREATE -> callback
            assert result.type == 4 and result.latency < 3
            assert result.embeds[0]["title"] == "Pong"
            clicked = await fake_discord.click(result.message, "more")
            followups = await clicked.followups(1)

What a bot needs to run against it (``running_client`` does all of it):

* ``point_client_at(fake)``: sets ``discord.http.Route.BASE`` and
  ``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY`` (restored afterwards). Keep it active for the
  client's whole life: after an invalidated session discord.py reconnects to ``DEFAULT_GATEWAY``.
* Construct the client with ``**FAST_CLIENT_OPTIONS`` (``guild_ready_timeout=0.05``): discord.py waits
  ``guild_ready_timeout`` (2 s by default) after the last GUILD_CREATE before ``on_ready``. With the
  default intents (no ``members``) nothing is chunked; with ``members`` the fake answers
  REQUEST_GUILD_MEMBERS with one GUILD_MEMBERS_CHUNK, or pass ``chunk_guilds_at_startup=False``.
* ``speed_up(client)``: discord.py sleeps 5 s in ``before_identify_hook`` before every non-initial
  IDENTIFY (after an invalidated session); the instance hook is replaced by one that does not wait.
* ``await client.login("any-token")`` then ``asyncio.create_task(client.connect())`` and
  ``await client.wait_until_ready()``.

Users acting: :meth:`FakeDiscord.slash`, :meth:`~FakeDiscord.autocomplete`, :meth:`~FakeDiscord.click`,
:meth:`~FakeDiscord.select`, :meth:`~FakeDiscord.submit_modal`, :meth:`~FakeDiscord.message_command`,
:meth:`~FakeDiscord.user_command` (all with ``dm=True`` for a DM) return an :class:`InteractionResult`.

Faults: :meth:`~FakeDiscord.fail_next` (429/5xx/403/404 on demand), :meth:`~FakeDiscord.set_channel_status`,
:meth:`~FakeDiscord.drop_gateway`, :meth:`~FakeDiscord.invalidate_session`. Rate limits work like Discord's
(per-route buckets with ``X-RateLimit-*`` headers, a global 50/s limit; see ``rate_limit_hits``).

Discord behaviour the fake reproduces: a first callback later than 3 s gets 404 10062 (and a violation),
a second callback 400 40060; message creation checks the bot's computed channel permissions (403 50001
without View Channel, 50013 without Send Messages) and drops embeds without Embed Links; ``nonce`` with
``enforce_nonce`` returns the earlier message for 5 minutes; a body over Discord's limits gets 400 50035.
World changes made while the bot is connected (channels, roles, overwrites) are dispatched as events.

Inspecting: ``requests`` / :meth:`~FakeDiscord.requests_to` (every REST call with its JSON body),
:meth:`~FakeDiscord.messages_in` (a channel's messages), ``global_commands`` / ``guild_commands``,
``violations``, ``unhandled``, ``rate_limit_hits`` / :meth:`~FakeDiscord.repeated_429s`,
``identify_count`` / ``resume_count``. A test that provokes a violation on purpose must clear
``violations`` (or ``unhandled``) before teardown, where the fixture calls ``assert_clean()``.
"""

# ruff: noqa: ASYNC109  -- the helpers take ``timeout=`` seconds like asyncio.wait_for, by design.
from __future__ import annotations

import asyncio
import contextlib
import copy
import dataclasses
import hashlib
import json
import math
import re
import secrets
import time
import warnings
from collections import Counter, deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import discord
import discord.gateway
import discord.http
import yarl
from aiohttp import WSMsgType, web

from tests.e2e import limits

JSON = dict[str, Any]
DISCORD_EPOCH_MS = 1420070400000

# --- permission bits ------------------------------------------------------------------------------
CREATE_INSTANT_INVITE = 1 << 0
ADMINISTRATOR = 1 << 3
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
USE_EXTERNAL_EMOJIS = 1 << 18
CONNECT = 1 << 20
SPEAK = 1 << 21
CHANGE_NICKNAME = 1 << 26
USE_APPLICATION_COMMANDS = 1 << 31
SEND_MESSAGES_IN_THREADS = 1 << 38
ALL_PERMISSIONS = (1 << 51) - 1

DEFAULT_EVERYONE_PERMISSIONS = (
    CREATE_INSTANT_INVITE
    | ADD_REACTIONS
    | VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | USE_EXTERNAL_EMOJIS
    | CONNECT
    | SPEAK
    | CHANGE_NICKNAME
    | USE_APPLICATION_COMMANDS
    | SEND_MESSAGES_IN_THREADS
)
"""What ``@everyone`` may do in a new guild of the fake (close to Discord's default)."""

DEFAULT_BOT_PERMISSIONS = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | SEND_MESSAGES_IN_THREADS
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | ADD_REACTIONS
    | USE_EXTERNAL_EMOJIS
    | USE_APPLICATION_COMMANDS
)
"""The permissions of the bot's managed role in each guild (an invite with these scopes)."""

DM_APP_PERMISSIONS = VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | ATTACH_FILES | READ_MESSAGE_HISTORY

GUILD_MEMBERS_INTENT = 1 << 1
GUILD_MESSAGES_INTENT = 1 << 9
DIRECT_MESSAGES_INTENT = 1 << 12

MESSAGE_FLAG_EPHEMERAL = 1 << 6
MESSAGE_FLAG_LOADING = 1 << 7

FAST_CLIENT_OPTIONS: dict[str, Any] = {"guild_ready_timeout": 0.05}
"""Constructor keyword arguments that make a discord.py client start in milliseconds against the fake."""


# ==================================================================================================
# pointing discord.py at the fake
# ==================================================================================================
@contextlib.contextmanager
def point_client_at(fake: FakeDiscord) -> Iterator[None]:
    """Route discord.py's REST and gateway connections to ``fake`` (old values restored on exit)."""
    old_base = discord.http.Route.BASE
    old_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    discord.http.Route.BASE = fake.base_url
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)
    try:
        yield
    finally:
        discord.http.Route.BASE = old_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway


async def _no_identify_delay(shard_id: int | None, *, initial: bool = False) -> None:
    return None


def speed_up(client: discord.Client) -> None:
    """Drop the wait before an IDENTIFY (discord.py's 5 s before a re-IDENTIFY, or a bot's own pacing):
    the fake does not limit session starts. Bots in child processes (tests/e2e/bot_process.py) keep theirs."""
    client.before_identify_hook = _no_identify_delay  # type: ignore[method-assign]
    if client._connection.guild_ready_timeout > 0.5:
        warnings.warn(
            "construct the client with **FAST_CLIENT_OPTIONS (guild_ready_timeout=0.05): otherwise on_ready "
            "waits 2 s after the last GUILD_CREATE",
            stacklevel=2,
        )


@contextlib.asynccontextmanager
async def running_client(
    fake: FakeDiscord, client: discord.Client, *, token: str = "fake-token", timeout: float = 5.0
) -> AsyncIterator[discord.Client]:
    """Log ``client`` into ``fake``, connect it, wait for ``on_ready``; close it on exit."""
    with point_client_at(fake):
        speed_up(client)
        await client.login(token)
        task = asyncio.create_task(client.connect(reconnect=True), name="fake-discord-client")
        ready = asyncio.create_task(client.wait_until_ready())
        try:
            done, _ = await asyncio.wait({task, ready}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            if ready not in done:
                if task in done:
                    task.result()  # re-raise why the client stopped
                raise TimeoutError(f"the client was not ready within {timeout} s")
            yield client
        finally:
            ready.cancel()
            await client.close()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(task, timeout=5.0)


# ==================================================================================================
# records
# ==================================================================================================
@dataclasses.dataclass
class RecordedRequest:
    """One REST request the client made."""

    method: str
    path: str
    """Path below ``/api/v10``, e.g. ``/channels/1/messages``."""
    query: dict[str, str]
    json: Any
    headers: dict[str, str]
    time: float
    """``time.monotonic()`` when the request arrived."""
    route: str = ""
    """The route template, e.g. ``POST /channels/{channel_id}/messages`` (``""`` if unhandled)."""
    status: int = 0


@dataclasses.dataclass
class Violation:
    """A limit, policy or schema violation found in a body the bot sent."""

    route: str
    kind: str
    message: str
    path: str = ""

    def __str__(self) -> str:
        return f"{self.route} ({self.path}): {self.message}"


@dataclasses.dataclass
class _Fault:
    method: str
    pattern: re.Pattern[str]
    status: int
    remaining: int
    retry_after: float | None
    body: Any
    headers: dict[str, str]


@dataclasses.dataclass
class _Bucket:
    limit: int
    per: float
    count: int = 0
    window_start: float = 0.0


@dataclasses.dataclass
class _RouteLimit:
    name: str
    limit: int
    per: float


@dataclasses.dataclass
class _Guild:
    id: int
    name: str
    owner_id: int
    bot_role_id: int
    joined: bool = True
    channels: dict[int, JSON] = dataclasses.field(default_factory=dict)
    roles: dict[int, JSON] = dataclasses.field(default_factory=dict)
    members: dict[int, JSON] = dataclasses.field(default_factory=dict)
    member_permissions: dict[int, int] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(eq=False)
class _Session:
    """One shard's gateway session: its connection, and the events a RESUME replays."""

    shard_id: int
    shard_count: int
    ws: web.WebSocketResponse | None = None
    session_id: str = ""
    sequence: int = 0
    events: list[JSON] = dataclasses.field(default_factory=list)
    valid: bool = False
    ready: bool = False


@dataclasses.dataclass
class _Route:
    method: str
    pattern: re.Pattern[str]
    template: str
    handler: Callable[[_Request], Awaitable[web.StreamResponse]]
    kind: str | None = None
    schema_kind: str | None = None
    bucket: str = "default"
    major: str | None = None
    global_exempt: bool = False


@dataclasses.dataclass
class _Request:
    method: str
    path: str
    params: dict[str, str]
    query: dict[str, str]
    body: Any
    files: list[JSON]
    record: RecordedRequest


# ==================================================================================================
# results of user actions
# ==================================================================================================
class InteractionResult:
    """What became of one interaction a fake user sent: the bot's callback and its later messages."""

    def __init__(self, fake: FakeDiscord, payload: JSON, message_id: int | None = None) -> None:
        self._fake = fake
        self.payload: JSON = payload
        """The INTERACTION_CREATE data that was dispatched."""
        self.id: int = int(payload["id"])
        self.token: str = payload["token"]
        self.dispatched_at: float = 0.0
        self.responded_at: float | None = None
        self.callback: JSON | None = None
        """The full callback body (``{"type": ..., "data": ...}``), once the bot answered."""
        self.original_id: int | None = message_id
        """The message ``@original`` refers to (the response, or the message a component sits on)."""
        self.original_history: list[JSON] = []
        """Every state of the original message (a snapshot per create/update/edit)."""
        self.original_edits: int = 0
        """How many times ``@original`` was PATCHed."""
        self.followup_ids: list[int] = []
        self.extra_callbacks: list[JSON] = []
        """Callbacks after the first one (Discord refuses them with 40060)."""

    def __repr__(self) -> str:
        return f"<InteractionResult id={self.id} type={self.type} latency={self.latency}>"

    # -- the callback -------------------------------------------------------------------------------
    @property
    def answered(self) -> bool:
        return self.callback is not None

    @property
    def type(self) -> int | None:
        """The callback type: 4 message, 5 deferred, 6 deferred update, 7 update, 8 choices, 9 modal."""
        return None if self.callback is None else int(self.callback["type"])

    @property
    def data(self) -> JSON | None:
        """The callback's ``data`` (message body, choices or modal) as the bot sent it."""
        return None if self.callback is None else self.callback.get("data")

    @property
    def latency(self) -> float | None:
        """Seconds from dispatching INTERACTION_CREATE to the callback arriving (Discord allows 3)."""
        return None if self.responded_at is None else self.responded_at - self.dispatched_at

    @property
    def choices(self) -> list[JSON]:
        """Autocomplete choices (callback type 8)."""
        return list((self.data or {}).get("choices") or [])

    @property
    def modal(self) -> JSON | None:
        """The modal (callback type 9)."""
        return self.data if self.type == 9 else None

    # -- messages -----------------------------------------------------------------------------------
    @property
    def message(self) -> JSON | None:
        """The current state of the original message (``None`` for 8/9 or before any answer)."""
        if self.original_id is None:
            return None
        return self._fake.messages.get(self.original_id)

    @property
    def content(self) -> str:
        return str((self.message or {}).get("content") or "")

    @property
    def embeds(self) -> list[JSON]:
        return list((self.message or {}).get("embeds") or [])

    @property
    def components(self) -> list[JSON]:
        return list((self.message or {}).get("components") or [])

    @property
    def ephemeral(self) -> bool:
        return bool(int((self.message or {}).get("flags") or 0) & MESSAGE_FLAG_EPHEMERAL)

    @property
    def followup_messages(self) -> list[JSON]:
        return [self._fake.messages[i] for i in self.followup_ids if i in self._fake.messages]

    async def wait_answered(self, timeout: float | None = None) -> InteractionResult:
        """Wait for the bot's callback (raises AssertionError after ``timeout``)."""
        await self._fake.wait_until(
            lambda: self.callback is not None,
            timeout=self._fake.interaction_timeout if timeout is None else timeout,
            what=f"a callback for interaction {self._describe()}",
        )
        return self

    async def followups(self, n: int = 1, timeout: float = 5.0) -> list[JSON]:
        """Wait until the bot sent at least ``n`` follow-up messages; return them all."""
        await self._fake.wait_until(
            lambda: len(self.followup_ids) >= n, timeout=timeout, what=f"{n} follow-up(s) to {self._describe()}"
        )
        return self.followup_messages

    async def edited(self, n: int = 1, timeout: float = 5.0) -> JSON:
        """Wait until ``@original`` was edited ``n`` times; return the message's latest state."""
        await self._fake.wait_until(
            lambda: self.original_edits >= n, timeout=timeout, what=f"{n} edit(s) of {self._describe()}"
        )
        assert self.message is not None
        return self.message

    async def final_message(self, timeout: float = 5.0) -> JSON:
        """The visible answer: the message for type 4/7, or the first edit after a defer (5/6)."""
        await self.wait_answered(timeout)
        if self.type in (5, 6):
            return await self.edited(1, timeout)
        if self.message is None:
            raise AssertionError(f"callback type {self.type} of {self._describe()} has no message")
        return self.message

    def _describe(self) -> str:
        data = self.payload.get("data") or {}
        what = data.get("name") or data.get("custom_id") or "?"
        return f"{self.id} ({what!r}, type {self.payload.get('type')})"


def custom_ids(message: Mapping[str, Any]) -> list[str]:
    """All component custom_ids of a message, in order."""
    return [str(c["custom_id"]) for c in _walk_components(message.get("components") or []) if "custom_id" in c]


def find_component(message: Mapping[str, Any], *, custom_id: str | None = None, label: str | None = None) -> JSON:
    """The first component of ``message`` with that custom_id or label (AssertionError if none)."""
    for comp in _walk_components(message.get("components") or []):
        if (custom_id is not None and comp.get("custom_id") == custom_id) or (
            label is not None and comp.get("label") == label
        ):
            return comp
    raise AssertionError(f"no component with custom_id={custom_id!r} label={label!r} in the message")


def _walk_components(components: Sequence[Any]) -> Iterator[JSON]:
    for comp in components:
        if isinstance(comp, dict):
            yield comp
            yield from _walk_components(comp.get("components") or [])
            for key in ("component", "accessory"):
                if isinstance(comp.get(key), dict):
                    yield from _walk_components([comp[key]])


def _json_response(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> web.Response:
    # Exactly "application/json": discord.py treats "application/json; charset=utf-8" as text.
    all_headers = {"Content-Type": "application/json"}
    all_headers.update(headers or {})
    return web.Response(body=json.dumps(data).encode(), status=status, headers=all_headers)


GUILD_EVENTS_NAMED_BY_ID = frozenset({"GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE"})


def _event_guild(event: str, data: JSON) -> int | None:
    """The guild an event belongs to (which decides its shard), None for none (a DM)."""
    guild_id = data.get("id") if event in GUILD_EVENTS_NAMED_BY_ID else data.get("guild_id")
    return None if guild_id is None else int(guild_id)


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat()


# ==================================================================================================
# the fake
# ==================================================================================================
class FakeDiscord:
    """A fake Discord REST API v10 and gateway on 127.0.0.1 (see the module docstring)."""

    def __init__(  # noqa: PLR0915 -- declarations of the fake's state
        self,
        *,
        bot_id: int = 1100000000000000001,
        bot_username: str = "GlossaryBot",
        application_id: int | None = None,
        heartbeat_interval: int = 41250,
        message_rate_limit: tuple[int, float] | None = (5, 5.0),
        global_rate_limit: int | None = 50,
        global_rate_period: float = 1.0,
        nonce_window: float = 300.0,
        interaction_timeout: float = 5.0,
        interaction_deadline: float = 3.0,
        validate: bool = True,
        reject_invalid: bool = True,
        keep_history: bool = True,
    ) -> None:
        """Create the fake (call :meth:`start` to listen).

        ``message_rate_limit`` is the per-channel bucket of message create/edit/delete (``None``: no
        limit); ``global_rate_limit`` requests per ``global_rate_period`` seconds over all routes but
        interaction callbacks and webhooks (``None``: no limit). ``interaction_deadline`` is Discord's
        3 s: a later first callback gets 404 10062 and a violation. With ``reject_invalid`` a body
        breaking Discord's limits gets 400 50035 like on Discord (policy and schema findings are only
        recorded).

        ``keep_history=False`` is for load benchmarks: requests are recorded without their bodies and
        headers, and messages posted to channels are not kept (so a channel's history and a nonce's
        replay come back empty). The fake shares the bot's process: the payloads of 10,000 posts would
        be most of what the garbage collector walks, and the pauses would be charged to the bot.
        """
        self.bot_id = bot_id
        self.bot_username = bot_username
        self.application_id = application_id if application_id is not None else bot_id
        self.heartbeat_interval = heartbeat_interval
        self.nonce_window = nonce_window
        self.interaction_timeout = interaction_timeout
        self.interaction_deadline = interaction_deadline
        self.validate = validate
        self.reject_invalid = reject_invalid
        self.keep_history = keep_history
        self.global_rate_limit = global_rate_limit
        self.global_rate_period = global_rate_period

        # world
        self.users: dict[int, JSON] = {}
        self.guilds: dict[int, _Guild] = {}
        self._channel_guild: dict[int, int | None] = {}
        self.dm_channels: dict[int, JSON] = {}  # channel id -> DM channel
        self._dm_by_user: dict[int, int] = {}
        self.channel_status: dict[int, tuple[int, JSON]] = {}
        self.add_user(bot_id, bot_username, bot=True)

        # REST state
        self.requests: list[RecordedRequest] = []
        self.unhandled: list[RecordedRequest] = []
        self.violations: list[Violation] = []
        self.messages: dict[int, JSON] = {}
        self.channel_messages: dict[int, list[int]] = {}
        self._nonces: dict[tuple[int, str], tuple[int, float]] = {}
        self.global_commands: list[JSON] = []
        self.guild_commands: dict[int, list[JSON]] = {}
        self.interactions: dict[str, InteractionResult] = {}  # by token
        self.modals: dict[str, JSON] = {}
        self.files: dict[int, tuple[str, bytes, str | None]] = {}
        """Attachments by id, served at ``/attachments/{id}/{filename}``: files users attach to an
        option (`add_attachment`) and files the bot uploads (whose bytes a test can then read back)."""
        self._faults: list[_Fault] = []
        self.route_limits: dict[str, _RouteLimit] = {}
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._global_window: deque[float] = deque()
        self.rate_limit_hits: Counter[str] = Counter()
        """429s the fake's rate limiter sent, by bucket (``"name:major"``, or ``"global"``)."""
        self.status_counts: Counter[int] = Counter()
        if message_rate_limit is not None:
            self.set_rate_limit("channel-messages", *message_rate_limit)
        self.set_rate_limit("webhook", 5, 2.0)
        self.set_rate_limit("default", 50, 1.0)

        # gateway state
        self.identify_count = 0
        self.resume_count = 0
        self.identify_payloads: list[JSON] = []
        self.gateway_received: list[JSON] = []
        self.heartbeats = 0
        self.recommended_shards = 1
        """What GET /gateway/bot recommends (a bot that sets no shard count connects that many)."""
        self.max_concurrency = 1
        """GET /gateway/bot's `session_start_limit.max_concurrency`."""
        self.shard_count = 1
        """The shard count the bot identifies with: a guild's events go to shard (id >> 22) % this."""
        self.sessions: dict[int, _Session] = {}
        """The gateway session of each shard (by shard id) the bot connected."""
        self._intents = 0
        self._ws_lock = asyncio.Lock()

        # server
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._last_snowflake = 0
        self._changed = asyncio.Event()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._routes = self._build_routes()

    # ---------------------------------------------------------------------------------------------
    # lifecycle
    # ---------------------------------------------------------------------------------------------
    async def start(self, port: int = 0) -> None:
        """Listen on 127.0.0.1 on `port` (0: a free port)."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway_handler)
        app.router.add_get("/attachments/{attachment_id}/{filename}", self._attachment_handler)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest_handler)
        app.router.add_route("*", "/{tail:.*}", self._unknown_handler)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self._port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        """Close the gateway and stop the server."""
        for session in self.sessions.values():
            ws = session.ws
            if ws is not None and not ws.closed:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(ws.close(code=1001, message=b"fake stopped"), 1.0)
        for task in list(self._tasks):
            task.cancel()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        return self._port

    @property
    def base_url(self) -> str:
        """What ``discord.http.Route.BASE`` must be: ``http://127.0.0.1:PORT/api/v10``."""
        return f"http://127.0.0.1:{self._port}/api/v10"

    @property
    def gateway_url(self) -> str:
        """What ``DiscordWebSocket.DEFAULT_GATEWAY`` must be: ``ws://127.0.0.1:PORT/gateway``."""
        return f"ws://127.0.0.1:{self._port}/gateway"

    # ---------------------------------------------------------------------------------------------
    # waiting
    # ---------------------------------------------------------------------------------------------
    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_until(self, predicate: Callable[[], bool], *, timeout: float = 5.0, what: str = "") -> None:
        """Wait until ``predicate()`` is true; AssertionError on timeout.

        Re-checked on every change the fake sees and every 20 ms (for predicates on the client's state).
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            left = deadline - loop.time()
            if left <= 0:
                raise AssertionError(f"timed out after {timeout} s waiting for {what or predicate}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(left, 0.02))

    @property
    def _session_ready(self) -> bool:
        """A session is established, and every shard connected has its READY + GUILD_CREATEs or RESUMED."""
        connected = [session for session in self.sessions.values() if session.ws is not None]
        return bool(connected) and all(session.ready for session in connected)

    def shard_of(self, guild_id: int) -> int:
        return (guild_id >> 22) % self.shard_count

    def _guild_session(self, guild_id: int | None) -> _Session | None:
        """The session carrying a guild's events (shard 0 for DMs, as on Discord)."""
        return self.sessions.get(0 if guild_id is None else self.shard_of(guild_id))

    async def wait_until_ready(self, timeout: float = 5.0, *, guild_id: int | None = None) -> None:
        """Wait until a gateway session is established (READY + GUILD_CREATEs or RESUMED sent); with
        `guild_id`, the session of that guild's shard."""
        if guild_id is not None:

            def shard_ready() -> bool:
                session = self._guild_session(guild_id)
                return session is not None and session.ready

            await self.wait_until(shard_ready, timeout=timeout, what=f"the session of guild {guild_id}'s shard")
            return
        await self.wait_until(lambda: self._session_ready, timeout=timeout, what="a gateway session")

    async def wait_for_shards(self, *shard_ids: int, timeout: float = 5.0) -> None:
        """Wait until each of these shards has an established session."""

        def ready() -> bool:
            return all(shard in self.sessions and self.sessions[shard].ready for shard in shard_ids)

        await self.wait_until(ready, timeout=timeout, what=f"sessions of shards {shard_ids}")

    async def wait_for_identifies(self, n: int, timeout: float = 5.0) -> None:
        await self.wait_until(
            lambda: self.identify_count >= n and self._session_ready, timeout=timeout, what=f"{n} IDENTIFY(s)"
        )

    async def wait_for_resumes(self, n: int, timeout: float = 5.0) -> None:
        await self.wait_until(
            lambda: self.resume_count >= n and self._session_ready, timeout=timeout, what=f"{n} RESUME(s)"
        )

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task: asyncio.Task[Any] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ---------------------------------------------------------------------------------------------
    # ids
    # ---------------------------------------------------------------------------------------------
    def snowflake(self) -> int:
        """A fresh, strictly increasing snowflake with the current time in it."""
        value = (int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22
        value = max(value, self._last_snowflake + 1)
        self._last_snowflake = value
        return value

    # ---------------------------------------------------------------------------------------------
    # world model
    # ---------------------------------------------------------------------------------------------
    def add_user(self, user_id: int, username: str, *, bot: bool = False, global_name: str | None = None) -> JSON:
        """A user known to the fake (members are added with :meth:`add_member`)."""
        user: JSON = {
            "id": str(user_id),
            "username": username,
            "discriminator": "0",
            "global_name": global_name if global_name is not None else (None if bot else username.title()),
            "avatar": None,
            "avatar_decoration_data": None,
            "public_flags": 0,
            "flags": 0,
            "banner": None,
            "accent_color": None,
        }
        if bot:
            user["bot"] = True
        self.users[user_id] = user
        return user

    def add_guild(
        self,
        guild_id: int,
        name: str,
        owner_id: int,
        *,
        bot_permissions: int = DEFAULT_BOT_PERMISSIONS,
        everyone_permissions: int = DEFAULT_EVERYONE_PERMISSIONS,
        joined: bool = True,
    ) -> None:
        """A guild with its ``@everyone`` role, the bot as a member with a managed role, and the owner."""
        bot_role_id = self.snowflake()
        guild = _Guild(id=guild_id, name=name, owner_id=owner_id, bot_role_id=bot_role_id, joined=joined)
        self.guilds[guild_id] = guild
        guild.roles[guild_id] = self._role_payload(guild_id, "@everyone", everyone_permissions, position=0)
        guild.roles[bot_role_id] = self._role_payload(
            bot_role_id, self.bot_username, bot_permissions, position=1, tags={"bot_id": str(self.bot_id)}
        )
        guild.roles[bot_role_id]["managed"] = True
        guild.members[self.bot_id] = self._member_payload(self.bot_id, [bot_role_id])
        if owner_id not in guild.members:
            if owner_id not in self.users:
                self.add_user(owner_id, f"owner{owner_id % 10000}")
            guild.members[owner_id] = self._member_payload(owner_id, [])

    def add_channel(
        self, guild_id: int, channel_id: int, name: str, type: int = 0, *, parent_id: int | None = None
    ) -> JSON:
        """A guild channel (0 text, 2 voice, 4 category, 5 news, 15 forum ...)."""
        guild = self.guilds[guild_id]
        channel: JSON = {
            "id": str(channel_id),
            "type": type,
            "guild_id": str(guild_id),
            "name": name,
            "position": len(guild.channels),
            "permission_overwrites": [],
            "parent_id": str(parent_id) if parent_id else None,
            "nsfw": False,
            "flags": 0,
        }
        if type in (0, 5, 15, 16):
            channel.update(topic=None, last_message_id=None, rate_limit_per_user=0, default_auto_archive_duration=1440)
        if type in (2, 13):
            channel.update(bitrate=64000, user_limit=0, rtc_region=None, last_message_id=None, rate_limit_per_user=0)
        if type in (15, 16):
            channel.update(
                available_tags=[],
                default_reaction_emoji=None,
                default_sort_order=None,
                default_forum_layout=0,
                default_thread_rate_limit_per_user=0,
            )
        guild.channels[channel_id] = channel
        self._channel_guild[channel_id] = guild_id
        self.channel_messages.setdefault(channel_id, [])
        self._live(guild_id, "CHANNEL_CREATE", channel)
        return channel

    def add_role(self, guild_id: int, role_id: int, name: str, permissions: int = 0) -> JSON:
        guild = self.guilds[guild_id]
        role = self._role_payload(role_id, name, permissions, position=len(guild.roles))
        guild.roles[role_id] = role
        self._live(guild_id, "GUILD_ROLE_CREATE", {"guild_id": str(guild_id), "role": role})
        return role

    def add_member(
        self,
        guild_id: int,
        user_id: int,
        username: str,
        roles: Sequence[int] = (),
        permissions: int | None = None,
    ) -> JSON:
        """A guild member; ``permissions`` (if given) is what interactions report for them.

        Without it their permissions are computed from ``@everyone``, their roles and the channel.
        """
        guild = self.guilds[guild_id]
        if user_id not in self.users:
            self.add_user(user_id, username)
        member = self._member_payload(user_id, list(roles))
        guild.members[user_id] = member
        if permissions is not None:
            guild.member_permissions[user_id] = permissions
        self._live(guild_id, "GUILD_MEMBER_ADD", {**member, "guild_id": str(guild_id)}, intent=GUILD_MEMBERS_INTENT)
        return member

    def _live(self, guild_id: int, event: str, data: JSON, *, intent: int = 0) -> None:
        """World changes made while the bot is connected reach it as gateway events, as on Discord."""
        guild = self.guilds.get(guild_id)
        session = self._guild_session(guild_id)
        ready = session is not None and session.ready
        if ready and guild is not None and guild.joined and (not intent or self._intents & intent):
            self._spawn(self.dispatch(event, copy.deepcopy(data)))

    def set_bot_channel_permissions(self, channel_id: int, permissions: int) -> None:
        """Make the bot's permissions in this channel exactly ``permissions`` (a member overwrite).

        Dispatches CHANNEL_UPDATE when a session is open, so ``channel.permissions_for(guild.me)`` sees it.
        """
        self.set_channel_overwrite(
            channel_id, self.bot_id, allow=permissions, deny=ALL_PERMISSIONS & ~permissions, member=True
        )

    def set_channel_overwrite(
        self, channel_id: int, target_id: int, *, allow: int = 0, deny: int = 0, member: bool = False
    ) -> None:
        """Set a permission overwrite for a role (or a member) in a guild channel."""
        channel = self.channel(channel_id)
        overwrites = [o for o in channel["permission_overwrites"] if o["id"] != str(target_id)]
        overwrites.append({"id": str(target_id), "type": 1 if member else 0, "allow": str(allow), "deny": str(deny)})
        channel["permission_overwrites"] = overwrites
        guild_id = self._channel_guild.get(channel_id)
        if guild_id is not None:
            self._live(guild_id, "CHANNEL_UPDATE", channel)

    def set_channel_status(self, channel_id: int, status: int | None, *, code: int | None = None) -> None:
        """Make every REST call on this channel fail: 403 Missing Access (50001) or 404 Unknown Channel."""
        if status is None:
            self.channel_status.pop(channel_id, None)
        elif status == 403:
            self.channel_status[channel_id] = (403, {"message": "Missing Access", "code": code or 50001})
        elif status == 404:
            self.channel_status[channel_id] = (404, {"message": "Unknown Channel", "code": code or 10003})
        else:
            self.channel_status[channel_id] = (status, {"message": "Error", "code": code or 0})

    def channel(self, channel_id: int) -> JSON:
        guild_id = self._channel_guild.get(channel_id)
        if guild_id is None:
            if channel_id in self.dm_channels:
                return self.dm_channels[channel_id]
            raise KeyError(f"unknown channel {channel_id}")
        return self.guilds[guild_id].channels[channel_id]

    def dm_channel_for(self, user_id: int) -> JSON:
        """The DM channel between the bot and ``user_id`` (created on first use)."""
        if user_id in self._dm_by_user:
            return self.dm_channels[self._dm_by_user[user_id]]
        channel_id = self.snowflake()
        channel: JSON = {
            "id": str(channel_id),
            "type": 1,
            "last_message_id": None,
            "flags": 0,
            "recipients": [self.users[user_id]],
        }
        self.dm_channels[channel_id] = channel
        self._dm_by_user[user_id] = channel_id
        self._channel_guild[channel_id] = None
        self.channel_messages.setdefault(channel_id, [])
        return channel

    def messages_in(self, channel_id: int) -> list[JSON]:
        """Messages stored in a channel, oldest first (ephemeral ones are not in any channel)."""
        return [self.messages[i] for i in self.channel_messages.get(channel_id, []) if i in self.messages]

    def permissions_in(self, channel_id: int, user_id: int) -> int:
        """Discord's permission computation for a member in a channel."""
        guild_id = self._channel_guild.get(channel_id)
        if guild_id is None:
            return DM_APP_PERMISSIONS
        guild = self.guilds[guild_id]
        if user_id == guild.owner_id:
            return ALL_PERMISSIONS
        member = guild.members.get(user_id)
        if member is None:
            return 0
        role_ids = [int(r) for r in member["roles"]]
        perms = int(guild.roles[guild_id]["permissions"])
        for rid in role_ids:
            if rid in guild.roles:
                perms |= int(guild.roles[rid]["permissions"])
        if perms & ADMINISTRATOR:
            return ALL_PERMISSIONS
        overwrites = {int(o["id"]): o for o in guild.channels[channel_id]["permission_overwrites"]}
        if guild_id in overwrites:
            perms = (perms & ~int(overwrites[guild_id]["deny"])) | int(overwrites[guild_id]["allow"])
        allow = deny = 0
        for rid in role_ids:
            if rid in overwrites and overwrites[rid]["type"] == 0:
                allow |= int(overwrites[rid]["allow"])
                deny |= int(overwrites[rid]["deny"])
        perms = (perms & ~deny) | allow
        if user_id in overwrites and overwrites[user_id]["type"] == 1:
            perms = (perms & ~int(overwrites[user_id]["deny"])) | int(overwrites[user_id]["allow"])
        if not perms & VIEW_CHANNEL:
            return 0
        return perms

    def _member_permissions(self, guild_id: int, channel_id: int, user_id: int) -> int:
        override = self.guilds[guild_id].member_permissions.get(user_id)
        return override if override is not None else self.permissions_in(channel_id, user_id)

    @staticmethod
    def _role_payload(role_id: int, name: str, permissions: int, *, position: int, tags: JSON | None = None) -> JSON:
        return {
            "id": str(role_id),
            "name": name,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "position": position,
            "permissions": str(permissions),
            "managed": False,
            "mentionable": False,
            "flags": 0,
            "tags": tags or {},
        }

    def _member_payload(self, user_id: int, roles: list[int]) -> JSON:
        return {
            "user": self.users[user_id],
            "nick": None,
            "avatar": None,
            "banner": None,
            "roles": [str(r) for r in roles],
            "joined_at": _iso(time.time() - 86400),
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "communication_disabled_until": None,
        }

    def guild_payload(self, guild_id: int) -> JSON:
        """The full GUILD_CREATE payload of a guild."""
        guild = self.guilds[guild_id]
        return {
            "id": str(guild.id),
            "name": guild.name,
            "icon": None,
            "icon_hash": None,
            "splash": None,
            "discovery_splash": None,
            "owner_id": str(guild.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "widget_enabled": False,
            "verification_level": 0,
            "default_message_notifications": 1,
            "explicit_content_filter": 0,
            "roles": list(guild.roles.values()),
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "application_id": None,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "max_members": 500000,
            "max_video_channel_users": 25,
            "vanity_url_code": None,
            "description": None,
            "banner": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": "en-US",
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "nsfw_level": 0,
            "nsfw": False,
            "premium_progress_bar_enabled": False,
            "incidents_data": None,
            # GUILD_CREATE extras
            "joined_at": _iso(time.time() - 86400),
            "large": False,
            "lazy": True,
            "unavailable": False,
            "member_count": len(guild.members),
            "voice_states": [],
            "members": list(guild.members.values()),
            "channels": [{k: v for k, v in c.items() if k != "guild_id"} for c in guild.channels.values()],
            "threads": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "embedded_activities": [],
            "activity_instances": [],
            "application_command_counts": {},
            "version": int(time.time() * 1000),
        }

    # ---------------------------------------------------------------------------------------------
    # gateway
    # ---------------------------------------------------------------------------------------------
    async def _send(self, payload: JSON, ws: web.WebSocketResponse | None) -> bool:
        if ws is None or ws.closed:
            return False
        async with self._ws_lock:
            try:
                await ws.send_str(json.dumps(payload))
            except (ConnectionError, RuntimeError):
                return False
        return True

    async def dispatch(self, event: str, data: JSON, *, shard_id: int | None = None) -> int:
        """Send a gateway DISPATCH (op 0) on the session of the event's guild's shard (or `shard_id`), with
        that session's next sequence number; kept for RESUME replay. Returns the sequence number (0 when
        that shard has no session: the event is lost, as on Discord)."""
        guild_id = _event_guild(event, data)
        session = self._guild_session(guild_id) if shard_id is None else self.sessions.get(shard_id)
        if session is None:
            self._notify()
            return 0
        session.sequence += 1
        payload = {"op": 0, "t": event, "s": session.sequence, "d": data}
        session.events.append(payload)
        await self._send(payload, session.ws)
        self._notify()
        return session.sequence

    def add_attachment(self, filename: str, content: bytes, content_type: str | None = "text/plain") -> int:
        """A file a user attaches (pass its id as an attachment option's value); returns the id."""
        attachment_id = self.snowflake()
        self.files[attachment_id] = (filename, content, content_type)
        return attachment_id

    def attachment_payload(self, attachment_id: int) -> JSON:
        """The attachment object Discord sends, its URL on this fake (on 127.0.0.1, like Discord's CDN)."""
        filename, content, content_type = self.files[attachment_id]
        url = f"http://127.0.0.1:{self._port}/attachments/{attachment_id}/{filename}"
        return {
            "id": str(attachment_id),
            "filename": filename,
            "size": len(content),
            "url": url,
            "proxy_url": url,
            "content_type": content_type,
        }

    async def _attachment_handler(self, request: web.Request) -> web.Response:
        attachment = self.files.get(int(request.match_info["attachment_id"]))
        if attachment is None or attachment[0] != request.match_info["filename"]:
            return web.Response(status=404, text="no such attachment")
        return web.Response(body=attachment[1], content_type=attachment[2] or "application/octet-stream")

    async def _gateway_handler(self, request: web.Request) -> web.WebSocketResponse:
        # Which shard a connection serves is known at its IDENTIFY or RESUME.
        ws = web.WebSocketResponse(max_msg_size=0, autoping=True)
        await ws.prepare(request)
        await self._send({"op": 10, "s": None, "t": None, "d": {"heartbeat_interval": self.heartbeat_interval}}, ws)
        try:
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    await self._on_gateway_message(ws, json.loads(msg.data))
                elif msg.type is WSMsgType.ERROR:
                    break
        finally:
            for session in self.sessions.values():
                if session.ws is ws:
                    session.ws = None
                    session.ready = False
            self._notify()
        return ws

    async def _on_gateway_message(self, ws: web.WebSocketResponse, msg: JSON) -> None:
        self.gateway_received.append(msg)
        op = msg.get("op")
        data = msg.get("d")
        if op == 1:
            self.heartbeats += 1
            await self._send({"op": 11, "s": None, "t": None, "d": None}, ws)
        elif op == 2:
            await self._identify(ws, data or {})
        elif op == 6:
            await self._resume(ws, data or {})
        elif op == 8:
            await self._request_members(data or {})
        self._notify()

    async def _attach(self, session: _Session, ws: web.WebSocketResponse) -> None:
        """The connection now serves the session; an older connection of the same shard is closed."""
        old, session.ws, session.ready = session.ws, ws, False
        if old is not None and old is not ws and not old.closed:
            await old.close(code=4000)

    async def _identify(self, ws: web.WebSocketResponse, data: JSON) -> None:
        self.identify_count += 1
        self.identify_payloads.append(data)
        self._intents = int(data.get("intents") or 0)
        shard_id, shard_count = (int(part) for part in data.get("shard") or (0, 1))
        self.shard_count = shard_count
        session = self.sessions.get(shard_id) or _Session(shard_id, shard_count)
        self.sessions[shard_id] = session
        await self._attach(session, ws)
        session.session_id = secrets.token_hex(16)
        session.shard_count = shard_count
        session.sequence = 0
        session.events = []
        session.valid = True
        joined = [g for g in self.guilds.values() if g.joined and self.shard_of(g.id) == shard_id]
        ready = {
            "v": 10,
            "user": {**self.users[self.bot_id], "verified": True, "mfa_enabled": False, "email": None},
            "guilds": [{"id": str(g.id), "unavailable": True} for g in joined],
            "session_id": session.session_id,
            "session_type": "normal",
            "resume_gateway_url": self.gateway_url,
            "application": {"id": str(self.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "user_settings": {},
            "geo_ordered_rtc_regions": ["rotterdam"],
            "shard": [shard_id, shard_count],
            "_trace": ["fake-discord"],
        }
        await self.dispatch("READY", ready, shard_id=shard_id)
        for guild in joined:
            await self.dispatch("GUILD_CREATE", self.guild_payload(guild.id), shard_id=shard_id)
        session.ready = True

    async def _resume(self, ws: web.WebSocketResponse, data: JSON) -> None:
        session = next((s for s in self.sessions.values() if s.session_id == data.get("session_id")), None)
        if session is None or not session.valid:
            await self._send({"op": 9, "s": None, "t": None, "d": False}, ws)
            return
        await self._attach(session, ws)
        self.resume_count += 1
        seq = int(data.get("seq") or 0)
        for event in [e for e in session.events if e["s"] > seq]:
            await self._send(event, ws)
        await self.dispatch("RESUMED", {"_trace": ["fake-discord"]}, shard_id=session.shard_id)
        session.ready = True

    async def _request_members(self, data: JSON) -> None:
        guild_id = int(data.get("guild_id") or 0)
        guild = self.guilds.get(guild_id)
        members = list(guild.members.values()) if guild else []
        chunk = {
            "guild_id": str(guild_id),
            "members": members,
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [],
            "presences": [],
        }
        if data.get("nonce"):
            chunk["nonce"] = data["nonce"]
        await self.dispatch("GUILD_MEMBERS_CHUNK", chunk)

    def _sessions_of(self, shard_id: int | None) -> list[_Session]:
        if shard_id is None:
            return list(self.sessions.values())
        return [self.sessions[shard_id]] if shard_id in self.sessions else []

    async def drop_gateway(self, code: int = 4000, *, shard_id: int | None = None) -> None:
        """Close the gateway socket (of every shard, or `shard_id`'s) from the server side; the client
        reconnects and RESUMEs.

        Codes 4007 (invalid seq) and 4009 (session timed out) also end the session, so the RESUME is
        refused with op 9 and the client IDENTIFYs afresh.
        """
        for session in self._sessions_of(shard_id):
            if code in (4007, 4009):
                session.valid = False
            session.ready = False
            if session.ws is not None:
                await session.ws.close(code=code, message=b"fake-discord dropped the connection")

    async def invalidate_session(self, resumable: bool = False, *, shard_id: int | None = None) -> None:
        """Send op 9 INVALID_SESSION; with ``resumable=False`` the client must IDENTIFY again."""
        for session in self._sessions_of(shard_id):
            if not resumable:
                session.valid = False
            session.ready = False
            await self._send({"op": 9, "s": None, "t": None, "d": resumable}, session.ws)

    async def request_reconnect(self, *, shard_id: int | None = None) -> None:
        """Send op 7 RECONNECT: the client reconnects and RESUMEs."""
        for session in self._sessions_of(shard_id):
            session.ready = False
            await self._send({"op": 7, "s": None, "t": None, "d": None}, session.ws)

    async def bot_joins_guild(self, guild_id: int) -> None:
        """The bot is added to a (known) guild: GUILD_CREATE."""
        self.guilds[guild_id].joined = True
        await self.dispatch("GUILD_CREATE", self.guild_payload(guild_id))

    async def bot_leaves_guild(self, guild_id: int) -> None:
        """The bot is removed from a guild: GUILD_DELETE (without ``unavailable``)."""
        self.guilds[guild_id].joined = False
        await self.dispatch("GUILD_DELETE", {"id": str(guild_id)})

    async def guild_outage(self, guild_id: int) -> None:
        """The guild becomes unavailable: GUILD_DELETE with ``unavailable: true``."""
        await self.dispatch("GUILD_DELETE", {"id": str(guild_id), "unavailable": True})

    async def delete_channel(self, channel_id: int) -> None:
        """Remove a guild channel: CHANNEL_DELETE (later REST calls on it get 404 Unknown Channel)."""
        guild_id = self._channel_guild.get(channel_id)
        if guild_id is None:
            raise KeyError(f"{channel_id} is not a guild channel")
        channel = self.guilds[guild_id].channels.pop(channel_id)
        self._channel_guild.pop(channel_id, None)
        await self.dispatch("CHANNEL_DELETE", channel)

    async def user_message(self, channel_id: int, content: str, *, user_id: int) -> JSON:
        """A user posts a message: stored and dispatched as MESSAGE_CREATE."""
        message = self._new_message(channel_id, {"content": content}, author_id=user_id)
        self._store_message(message, ephemeral=False)
        await self._dispatch_message("MESSAGE_CREATE", message, force=True)
        return message

    async def _dispatch_message(self, event: str, message: JSON, *, force: bool = False) -> None:
        channel_id = int(message["channel_id"])
        guild_id = self._channel_guild.get(channel_id)
        intent = DIRECT_MESSAGES_INTENT if guild_id is None else GUILD_MESSAGES_INTENT
        if not force and not self._intents & intent:
            return
        data = copy.deepcopy(message)
        if guild_id is not None:
            data["guild_id"] = str(guild_id)
            author_id = int(message["author"]["id"])
            member = self.guilds[guild_id].members.get(author_id)
            if member is not None and "webhook_id" not in message:
                data["member"] = {k: v for k, v in member.items() if k != "user"}
        await self.dispatch(event, data)

    # ---------------------------------------------------------------------------------------------
    # users acting: interactions
    # ---------------------------------------------------------------------------------------------
    def _default_place(
        self, guild_id: int | None, channel_id: int | None, user_id: int | None, dm: bool
    ) -> tuple[int | None, int, int]:
        if dm:
            if user_id is None:
                user_id = next((u for u, d in self.users.items() if not d.get("bot")), None)
                if user_id is None:
                    user_id = self.add_user(self.snowflake(), "dmuser")["id"]
            assert user_id is not None
            return None, int(self.dm_channel_for(int(user_id))["id"]), int(user_id)
        if guild_id is None and channel_id is not None:
            guild_id = self._channel_guild.get(channel_id)
        if guild_id is None:
            if not self.guilds:
                raise AssertionError("add a guild first (or pass dm=True)")
            guild_id = next(iter(self.guilds))
        guild = self.guilds[guild_id]
        if channel_id is None:
            channel_id = next((c for c, d in guild.channels.items() if d["type"] in (0, 5)), None)
            if channel_id is None:
                raise AssertionError(f"guild {guild_id} has no text channel")
        if user_id is None:
            user_id = next((u for u in guild.members if u != self.bot_id), guild.owner_id)
        return guild_id, channel_id, user_id

    def _interaction_base(self, itype: int, place: tuple[int | None, int, int], locale: str) -> JSON:
        guild_id, channel_id, user_id = place
        token = "fake-token-" + secrets.token_urlsafe(24)
        payload: JSON = {
            "id": str(self.snowflake()),
            "application_id": str(self.application_id),
            "type": itype,
            "token": token,
            "version": 1,
            "attachment_size_limit": 10 * 1024 * 1024,
            "locale": locale,
            "entitlements": [],
            "entitlement_sku_ids": [],
        }
        if guild_id is not None:
            guild = self.guilds[guild_id]
            perms = self._member_permissions(guild_id, channel_id, user_id)
            member = guild.members.get(user_id)
            if member is None:
                raise AssertionError(f"user {user_id} is not a member of guild {guild_id}")
            channel = copy.deepcopy(guild.channels[channel_id])
            channel["permissions"] = str(perms)
            payload.update(
                guild_id=str(guild_id),
                guild={"id": str(guild_id), "locale": "en-US", "features": []},
                guild_locale="en-US",
                channel=channel,
                channel_id=str(channel_id),
                member={**copy.deepcopy(member), "permissions": str(perms)},
                app_permissions=str(self.permissions_in(channel_id, self.bot_id)),
                authorizing_integration_owners={"0": str(guild_id)},
                context=0,
            )
        else:
            channel = copy.deepcopy(self.dm_channels[channel_id])
            payload.update(
                channel=channel,
                channel_id=str(channel_id),
                user=copy.deepcopy(self.users[user_id]),
                app_permissions=str(DM_APP_PERMISSIONS),
                authorizing_integration_owners={"0": "0"},
                context=1,
            )
        return payload

    async def _send_interaction(
        self, payload: JSON, *, wait: bool, timeout: float | None, message_id: int | None = None
    ) -> InteractionResult:
        result = InteractionResult(self, payload, message_id)
        self.interactions[result.token] = result
        timeout = self.interaction_timeout if timeout is None else timeout
        guild_id = payload.get("guild_id")
        await self.wait_until_ready(timeout, guild_id=None if guild_id is None else int(guild_id))
        result.dispatched_at = time.monotonic()
        await self.dispatch("INTERACTION_CREATE", payload)
        if wait:
            await result.wait_answered(timeout)
        return result

    def find_command(self, name: str, guild_id: int | None = None, type: int = 1) -> JSON | None:
        """The synced command (guild commands first, then global) or None."""
        pools: list[list[JSON]] = []
        if guild_id is not None:
            pools.append(self.guild_commands.get(guild_id, []))
        pools.append(self.global_commands)
        for pool in pools:
            for cmd in pool:
                if cmd["name"] == name and int(cmd.get("type", 1)) == type:
                    return cmd
        return None

    def _command_data(self, name: str, guild_id: int | None, ctype: int) -> tuple[JSON, JSON | None]:
        cmd = self.find_command(name, guild_id, ctype)
        data: JSON = {"id": cmd["id"] if cmd else str(self.snowflake()), "name": name, "type": ctype}
        if cmd is not None and cmd.get("guild_id"):
            data["guild_id"] = cmd["guild_id"]
        return data, cmd

    def _build_options(
        self,
        path: list[str],
        options: Mapping[str, Any] | Sequence[JSON] | None,
        *,
        definition: JSON | None,
        guild_id: int | None,
        channel_id: int,
        focused: str | None,
    ) -> tuple[list[JSON], JSON]:
        resolved: JSON = {}
        defs: list[JSON] = list((definition or {}).get("options") or [])
        for sub in path:
            sub_def = next((o for o in defs if o.get("name") == sub), None)
            defs = list((sub_def or {}).get("options") or [])
        if options is None:
            leaf: list[JSON] = []
        elif isinstance(options, Mapping):
            leaf = []
            for key, value in options.items():
                opt_def = next((o for o in defs if o.get("name") == key), None)
                otype = int(opt_def["type"]) if opt_def else self._infer_option_type(value)
                leaf.append({"name": key, "type": otype, "value": self._option_value(otype, value)})
        else:
            leaf = [dict(o) for o in options]
        for opt in leaf:
            if focused is not None and opt["name"] == focused:
                opt["focused"] = True
                opt["value"] = str(opt["value"]) if not isinstance(opt["value"], str) else opt["value"]
            self._resolve_option(opt, resolved, guild_id, channel_id)
        nested = leaf
        for sub in reversed(path):
            sub_type = 1 if nested is leaf else 2
            nested = [{"name": sub, "type": sub_type, "options": nested}]
        return nested, resolved

    @staticmethod
    def _infer_option_type(value: Any) -> int:
        if isinstance(value, bool):
            return 5
        if isinstance(value, int):
            return 4
        if isinstance(value, float):
            return 10
        return 3

    @staticmethod
    def _option_value(otype: int, value: Any) -> Any:
        if otype in (6, 7, 8, 9, 11):
            return str(value)
        return value

    def _resolve_option(self, opt: JSON, resolved: JSON, guild_id: int | None, channel_id: int) -> None:
        otype = opt.get("type")
        if otype in (1, 2):
            for inner in opt.get("options") or []:
                self._resolve_option(inner, resolved, guild_id, channel_id)
            return
        if otype == 11 and int(opt["value"]) in self.files:
            resolved.setdefault("attachments", {})[str(opt["value"])] = self.attachment_payload(int(opt["value"]))
            return
        if otype not in (6, 7, 8, 9) or opt.get("focused"):
            return
        target = int(opt["value"])
        guild = self.guilds.get(guild_id) if guild_id is not None else None
        if otype in (6, 9) and target in self.users:
            resolved.setdefault("users", {})[str(target)] = copy.deepcopy(self.users[target])
            if guild is not None and target in guild.members:
                member = {k: v for k, v in guild.members[target].items() if k != "user"}
                member["permissions"] = str(self._member_permissions(guild.id, channel_id, target))
                resolved.setdefault("members", {})[str(target)] = member
        elif otype in (8, 9) and guild is not None and target in guild.roles:
            resolved.setdefault("roles", {})[str(target)] = copy.deepcopy(guild.roles[target])
        elif otype == 7 and guild is not None and target in guild.channels:
            ch = guild.channels[target]
            resolved.setdefault("channels", {})[str(target)] = {
                "id": ch["id"],
                "name": ch["name"],
                "type": ch["type"],
                "guild_id": str(guild.id),
                "parent_id": ch.get("parent_id"),
                "permissions": str(self.permissions_in(target, self.bot_id)),
                "flags": 0,
            }

    async def slash(
        self,
        name: str,
        options: Mapping[str, Any] | Sequence[JSON] | None = None,
        *,
        user_id: int | None = None,
        guild_id: int | None = None,
        channel_id: int | None = None,
        dm: bool = False,
        locale: str = "en-US",
        wait: bool = True,
        timeout: float | None = None,
    ) -> InteractionResult:
        """A user runs ``/name`` (``"group sub"`` for subcommands) and the bot's callback is awaited.

        ``options`` is ``{"term": "llm"}`` (types from the synced command, else inferred from the Python
        values; users/channels/roles given by id are resolved from the world model) or a raw option list.
        """
        place = self._default_place(guild_id, channel_id, user_id, dm)
        return await self._application_command(2, name, options, place=place, locale=locale, wait=wait, timeout=timeout)

    async def autocomplete(
        self,
        name: str,
        options: Mapping[str, Any] | Sequence[JSON],
        focused: str | None = None,
        *,
        user_id: int | None = None,
        guild_id: int | None = None,
        channel_id: int | None = None,
        dm: bool = False,
        locale: str = "en-US",
        wait: bool = True,
        timeout: float | None = None,
    ) -> InteractionResult:
        """A user types into an option with autocomplete; ``focused`` names it (default: the last one).

        With a raw option list, mark the focused option with ``"focused": True`` yourself.
        """
        if focused is None and isinstance(options, Mapping) and options:
            focused = list(options)[-1]
        place = self._default_place(guild_id, channel_id, user_id, dm)
        return await self._application_command(
            4, name, options, focused=focused, place=place, locale=locale, wait=wait, timeout=timeout
        )

    async def _application_command(
        self,
        itype: int,
        name: str,
        options: Mapping[str, Any] | Sequence[JSON] | None,
        *,
        place: tuple[int | None, int, int],
        locale: str,
        wait: bool,
        timeout: float | None,
        focused: str | None = None,
    ) -> InteractionResult:
        gid, cid, _ = place
        top, *path = name.split()
        data, definition = self._command_data(top, gid, 1)
        opts, resolved = self._build_options(
            path, options, definition=definition, guild_id=gid, channel_id=cid, focused=focused
        )
        if opts:
            data["options"] = opts
        if resolved:
            data["resolved"] = resolved
        payload = self._interaction_base(itype, place, locale)
        payload["data"] = data
        return await self._send_interaction(payload, wait=wait, timeout=timeout)

    async def message_command(
        self,
        name: str,
        target_message: Mapping[str, Any],
        *,
        user_id: int | None = None,
        guild_id: int | None = None,
        dm: bool = False,
        locale: str = "en-US",
        wait: bool = True,
        timeout: float | None = None,
    ) -> InteractionResult:
        """A user runs the message context-menu command ``name`` on ``target_message``."""
        channel_id = int(target_message["channel_id"])
        gid, cid, uid = self._default_place(guild_id, None if dm else channel_id, user_id, dm)
        data, _ = self._command_data(name, gid, 3)
        data["target_id"] = str(target_message["id"])
        data["resolved"] = {"messages": {str(target_message["id"]): copy.deepcopy(dict(target_message))}}
        payload = self._interaction_base(2, (gid, cid, uid), locale)
        payload["data"] = data
        return await self._send_interaction(payload, wait=wait, timeout=timeout)

    async def user_command(
        self,
        name: str,
        target_user_id: int,
        *,
        user_id: int | None = None,
        guild_id: int | None = None,
        channel_id: int | None = None,
        dm: bool = False,
        locale: str = "en-US",
        wait: bool = True,
        timeout: float | None = None,
    ) -> InteractionResult:
        """A user runs the user context-menu command ``name`` on ``target_user_id``."""
        gid, cid, uid = self._default_place(guild_id, channel_id, user_id, dm)
        data, _ = self._command_data(name, gid, 2)
        data["target_id"] = str(target_user_id)
        resolved: JSON = {}
        self._resolve_option({"type": 6, "value": str(target_user_id)}, resolved, gid, cid)
        data["resolved"] = resolved
        payload = self._interaction_base(2, (gid, cid, uid), locale)
        payload["data"] = data
        return await self._send_interaction(payload, wait=wait, timeout=timeout)

    async def click(
        self,
        message: Mapping[str, Any] | InteractionResult,
        custom_id: str,
        *,
        user_id: int | None = None,
        values: Sequence[str] | None = None,
        locale: str = "en-US",
        wait: bool = True,
        timeout: float | None = None,
    ) -> InteractionResult:
        """A user clicks the button (or picks ``values`` in the select) ``custom_id`` on ``message``.

        ``message`` is a message dict (e.g. ``result.message``) or an :class:`InteractionResult`.
        """
        if isinstance(message, InteractionResult):
            if message.message is None:
                raise AssertionError(f"{message!r} has no message to click on")
            message = message.message
        comp = find_component(message, custom_id=custom_id)
        if comp.get("disabled"):
            raise AssertionError(f"component {custom_id!r} is disabled; Discord users cannot click it")
        ctype = int(comp.get("type", 2))
        channel_id = int(message["channel_id"])
        dm = self._channel_guild.get(channel_id) is None
        if dm and user_id is None:
            user_id = int(self.channel(channel_id)["recipients"][0]["id"])
        gid, cid, uid = self._default_place(None, None if dm else channel_id, user_id, dm)
        payload = self._interaction_base(3, (gid, cid, uid), locale)
        data: JSON = {"custom_id": custom_id, "component_type": ctype}
        if ctype in limits.SELECT_TYPES:
            data["values"] = list(values or [])
        payload["data"] = data
        payload["message"] = copy.deepcopy(dict(message))
        return await self._send_interaction(payload, wait=wait, timeout=timeout, message_id=int(message["id"]))

    async def select(
        self,
        message: Mapping[str, Any] | InteractionResult,
        custom_id: str,
        values: Sequence[str],
        **kwargs: Any,
    ) -> InteractionResult:
        """A user picks ``values`` in the select menu ``custom_id`` (same keywords as :meth:`click`)."""
        return await self.click(message, custom_id, values=values, **kwargs)

    async def submit_modal(
        self,
        custom_id: str,
        values: Mapping[str, str],
        *,
        user_id: int | None = None,
        guild_id: int | None = None,
        channel_id: int | None = None,
        dm: bool = False,
        message: Mapping[str, Any] | None = None,
        locale: str = "en-US",
        wait: bool = True,
        timeout: float | None = None,
    ) -> InteractionResult:
        """A user submits the modal ``custom_id`` with ``{text_input_custom_id: value}``.

        The submitted components mirror the modal the bot last opened with that custom_id (action rows or
        labels); inputs not in ``values`` are submitted empty. Pass ``message`` when the modal was opened
        from a component on that message.
        """
        if message is not None and channel_id is None:
            channel_id = int(message["channel_id"])
        gid, cid, uid = self._default_place(guild_id, channel_id, user_id, dm)
        modal = self.modals.get(custom_id)
        components: list[JSON] = []
        if modal is not None:
            for row in modal.get("components") or []:
                if row.get("type") == 1:
                    inner = row["components"][0]
                    components.append({"type": 1, "components": [self._submitted(inner, values)]})
                elif row.get("type") == limits.LABEL:
                    submitted: JSON = {"type": limits.LABEL, "component": self._submitted(row["component"], values)}
                    if "id" in row:
                        submitted["id"] = row["id"]
                    components.append(submitted)
        else:
            components = [
                {"type": 1, "components": [{"type": 4, "custom_id": k, "value": v}]} for k, v in values.items()
            ]
        payload = self._interaction_base(5, (gid, cid, uid), locale)
        payload["data"] = {"custom_id": custom_id, "components": components}
        mid = None
        if message is not None:
            payload["message"] = copy.deepcopy(dict(message))
            mid = int(message["id"])
        return await self._send_interaction(payload, wait=wait, timeout=timeout, message_id=mid)

    @staticmethod
    def _submitted(comp: JSON, values: Mapping[str, Any]) -> JSON:
        cid = comp.get("custom_id")
        out: JSON = {"type": comp.get("type"), "custom_id": cid}
        if "id" in comp:
            out["id"] = comp["id"]
        value = values.get(str(cid), "")
        if comp.get("type") == limits.TEXT_INPUT:
            out["value"] = value
        else:
            out["values"] = list(value) if isinstance(value, list | tuple) else ([value] if value else [])
        return out

    # ---------------------------------------------------------------------------------------------
    # faults and limits
    # ---------------------------------------------------------------------------------------------
    def fail_next(
        self,
        method: str,
        path_regex: str,
        status: int,
        *,
        count: int = 1,
        retry_after: float | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Answer the next ``count`` matching requests with an error instead of handling them.

        ``path_regex`` must match the whole path below ``/api/v10`` (``re.fullmatch``), e.g.
        ``r"/channels/\\d+/messages"``; ``method`` may be ``"*"``. Default bodies: 429 rate limited (with
        ``retry_after``, default 0.05 s, ``Retry-After``/``X-RateLimit-*``/``Via`` headers so discord.py
        retries), 403 Missing Permissions (50013), 404 Unknown Channel (10003), 5xx a server error.
        Note that discord.py sleeps 1 s before retrying a 500/502, and raises on 503 at once.
        """
        if json is None:
            json = {
                429: {"message": "You are being rate limited.", "retry_after": retry_after or 0.05, "global": False},
                403: {"message": "Missing Permissions", "code": 50013},
                404: {"message": "Unknown Channel", "code": 10003},
                400: {"message": "Invalid Form Body", "code": 50035, "errors": {}},
            }.get(status, {"message": f"{status}: Server Error", "code": 0})
        self._faults.append(
            _Fault(method.upper(), re.compile(path_regex), status, count, retry_after, json, dict(headers or {}))
        )

    def set_rate_limit(self, name: str, limit: int, per: float) -> None:
        """Set a bucket: ``channel-messages`` (per channel), ``webhook`` (per token), ``default``."""
        self.route_limits[name] = _RouteLimit(name, limit, per)

    def disable_rate_limits(self) -> None:
        """No route buckets (headers still sent with a huge limit) and no global limit."""
        for name in list(self.route_limits):
            self.route_limits[name] = _RouteLimit(name, 1_000_000, 1.0)
        self.global_rate_limit = None

    def repeated_429s(self) -> dict[str, int]:
        """Buckets that got more than one 429 from the rate limiter (a well-behaved client has none)."""
        return {k: v for k, v in self.rate_limit_hits.items() if v > 1}

    # ---------------------------------------------------------------------------------------------
    # violations
    # ---------------------------------------------------------------------------------------------
    def assert_clean(self) -> None:
        """Raise AssertionError listing every violation and every unhandled route seen so far."""
        problems = [f"violation: {v}" for v in self.violations]
        problems += [f"unhandled route: {r.method} {r.path}" for r in self.unhandled]
        if problems:
            raise AssertionError("fake Discord saw problems:\n  " + "\n  ".join(problems))

    def _violate(self, route: str, kind: str, message: str, path: str = "") -> None:
        violation = Violation(route, kind, message, path)
        if not any(v.route == route and v.message == message for v in self.violations):
            self.violations.append(violation)

    def requests_to(self, method: str, path_regex: str) -> list[RecordedRequest]:
        """Recorded requests whose method and path (``re.fullmatch``) match."""
        pattern = re.compile(path_regex)
        return [r for r in self.requests if r.method == method.upper() and pattern.fullmatch(r.path)]

    # ---------------------------------------------------------------------------------------------
    # REST plumbing
    # ---------------------------------------------------------------------------------------------
    def _build_routes(self) -> list[_Route]:
        s = r"(?P<{}>\d+)"
        tok = r"(?P<token>[^/]+)"
        table: list[tuple[str, str, Callable[[_Request], Awaitable[web.StreamResponse]], JSON]] = [
            ("GET", "/users/@me", self._get_me, {}),
            ("GET", "/users/{user_id}", self._get_user, {}),
            ("GET", "/oauth2/applications/@me", self._get_application, {}),
            ("GET", "/applications/@me", self._get_application, {}),
            ("GET", "/gateway", self._get_gateway, {}),
            ("GET", "/gateway/bot", self._get_gateway_bot, {}),
            ("POST", "/users/@me/channels", self._create_dm, {}),
            ("DELETE", "/users/@me/guilds/{guild_id}", self._leave_guild, {"major": "guild_id"}),
            ("GET", "/applications/{app_id}/commands", self._get_commands, {}),
            ("PUT", "/applications/{app_id}/commands", self._put_commands, {"kind": "commands"}),
            ("POST", "/applications/{app_id}/commands", self._post_command, {"kind": "command"}),
            ("GET", "/applications/{app_id}/commands/{command_id}", self._get_command, {}),
            ("DELETE", "/applications/{app_id}/commands/{command_id}", self._delete_command, {}),
            ("GET", "/applications/{app_id}/guilds/{guild_id}/commands", self._get_commands, {"major": "guild_id"}),
            (
                "PUT",
                "/applications/{app_id}/guilds/{guild_id}/commands",
                self._put_commands,
                {"kind": "commands", "schema_kind": "guild_commands", "major": "guild_id"},
            ),
            (
                "POST",
                "/applications/{app_id}/guilds/{guild_id}/commands",
                self._post_command,
                {"kind": "command", "major": "guild_id"},
            ),
            (
                "GET",
                "/applications/{app_id}/guilds/{guild_id}/commands/{command_id}",
                self._get_command,
                {"major": "guild_id"},
            ),
            (
                "DELETE",
                "/applications/{app_id}/guilds/{guild_id}/commands/{command_id}",
                self._delete_command,
                {"major": "guild_id"},
            ),
            (
                "POST",
                "/interactions/{interaction_id}/{token}/callback",
                self._callback,
                {
                    "kind": "interaction_callback",
                    "bucket": "interaction",
                    "major": "interaction_id",
                    "global_exempt": True,
                },
            ),
            (
                "POST",
                "/webhooks/{app_id}/{token}",
                self._followup,
                {"kind": "webhook", "bucket": "webhook", "major": "token", "global_exempt": True},
            ),
            (
                "GET",
                "/webhooks/{app_id}/{token}/messages/{message_ref}",
                self._get_webhook_message,
                {"bucket": "webhook", "major": "token", "global_exempt": True},
            ),
            (
                "PATCH",
                "/webhooks/{app_id}/{token}/messages/{message_ref}",
                self._edit_webhook_message,
                {"kind": "webhook_edit", "bucket": "webhook", "major": "token", "global_exempt": True},
            ),
            (
                "DELETE",
                "/webhooks/{app_id}/{token}/messages/{message_ref}",
                self._delete_webhook_message,
                {"bucket": "webhook", "major": "token", "global_exempt": True},
            ),
            ("GET", "/channels/{channel_id}", self._get_channel, {"major": "channel_id"}),
            ("GET", "/channels/{channel_id}/messages", self._get_messages, {"major": "channel_id"}),
            (
                "POST",
                "/channels/{channel_id}/messages",
                self._create_message,
                {"kind": "message_create", "bucket": "channel-messages", "major": "channel_id"},
            ),
            ("GET", "/channels/{channel_id}/messages/{message_id}", self._get_message, {"major": "channel_id"}),
            (
                "PATCH",
                "/channels/{channel_id}/messages/{message_id}",
                self._edit_message,
                {"kind": "message_edit", "bucket": "channel-messages", "major": "channel_id"},
            ),
            (
                "DELETE",
                "/channels/{channel_id}/messages/{message_id}",
                self._delete_message,
                {"bucket": "channel-messages", "major": "channel_id"},
            ),
            ("POST", "/channels/{channel_id}/typing", self._typing, {"major": "channel_id"}),
            ("GET", "/guilds/{guild_id}", self._get_guild, {"major": "guild_id"}),
            ("GET", "/guilds/{guild_id}/channels", self._get_guild_channels, {"major": "guild_id"}),
            ("GET", "/guilds/{guild_id}/roles", self._get_guild_roles, {"major": "guild_id"}),
            ("GET", "/guilds/{guild_id}/members", self._get_guild_members, {"major": "guild_id"}),
            ("GET", "/guilds/{guild_id}/members/{user_id}", self._get_guild_member, {"major": "guild_id"}),
        ]
        routes = []
        for method, template, handler, opts in table:
            regex = re.escape(template).replace(r"\{", "{").replace(r"\}", "}")
            regex = regex.replace("{token}", tok).replace("{message_ref}", r"(?P<message_ref>@original|\d+)")
            regex = re.sub(r"\{(\w+)\}", lambda m: s.format(m.group(1)), regex)
            routes.append(
                _Route(
                    method=method,
                    pattern=re.compile(regex),
                    template=f"{method} {template}",
                    handler=handler,
                    kind=opts.get("kind"),
                    schema_kind=opts.get("schema_kind", opts.get("kind")),
                    bucket=opts.get("bucket", "default"),
                    major=opts.get("major"),
                    global_exempt=opts.get("global_exempt", False),
                )
            )
        return routes

    async def _unknown_handler(self, request: web.Request) -> web.Response:
        record = RecordedRequest(
            request.method, request.path, dict(request.query), None, dict(request.headers), time.monotonic(), status=404
        )
        self.requests.append(record)
        self.unhandled.append(record)
        return _json_response({"message": "Unknown", "code": 0}, 404)

    async def _read_body(self, request: web.Request) -> tuple[Any, list[JSON]]:
        if not request.body_exists:
            return None, []
        ctype = request.content_type
        if ctype.startswith("multipart/"):
            form = await request.post()
            body: Any = None
            files: list[JSON] = []
            for key, value in form.items():
                if key == "payload_json":
                    body = json.loads(str(value))
                elif isinstance(value, web.FileField):
                    content = value.file.read()
                    files.append(
                        {
                            "field": key,
                            "filename": value.filename,
                            "size": len(content),
                            "content_type": value.content_type,
                            "content": content,
                        }
                    )
            return body, files
        raw = await request.read()
        if not raw:
            return None, []
        try:
            return json.loads(raw), []
        except ValueError:
            return raw.decode(errors="replace"), []

    async def _rest_handler(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        body, files = await self._read_body(request)
        record = RecordedRequest(
            request.method,
            path,
            dict(request.query),
            body if self.keep_history else None,
            dict(request.headers) if self.keep_history else {},
            time.monotonic(),
        )
        self.requests.append(record)
        self._notify()
        for route in self._routes:
            if route.method != request.method:
                continue
            match = route.pattern.fullmatch(path)
            if match is None:
                continue
            record.route = route.template
            req = _Request(request.method, path, match.groupdict(), dict(request.query), body, files, record)
            response = await self._handle(route, req)
            record.status = response.status
            self.status_counts[response.status] += 1
            self._notify()
            return response
        record.status = 404
        self.status_counts[404] += 1
        self.unhandled.append(record)
        self._notify()
        return _json_response({"message": "Unknown", "code": 0}, 404)

    async def _handle(self, route: _Route, req: _Request) -> web.StreamResponse:
        rejected = self._validate(route, req)
        fault = self._take_fault(req)
        if fault is not None:
            return self._fault_response(fault, route, req)
        limited = self._check_global(route)
        if limited is not None:
            return limited
        major = req.params.get(route.major or "", "")
        bucket_response, headers = self._check_bucket(route, major)
        if bucket_response is not None:
            return bucket_response
        channel_id = req.params.get("channel_id")
        if channel_id is not None and int(channel_id) in self.channel_status:
            status, body = self.channel_status[int(channel_id)]
            return _json_response(body, status, headers)
        if rejected:
            return _json_response(
                {
                    "message": "Invalid Form Body",
                    "code": 50035,
                    "errors": {"_errors": [{"code": "BASE_TYPE_INVALID", "message": m} for m in rejected]},
                },
                400,
                headers,
            )
        response = await route.handler(req)
        for key, value in headers.items():
            response.headers.setdefault(key, value)
        return response

    def _validate(self, route: _Route, req: _Request) -> list[str]:
        """Record violations of the body; return those Discord itself would reject the request for."""
        if not self.validate or route.kind is None or req.body is None:
            return []
        rejected: list[str] = []
        for message in limits.check_payload(route.kind, req.body):
            self._violate(route.template, route.kind, message, req.path)
            if not message.startswith(limits.POLICY_PREFIX):
                rejected.append(message)
        for message in limits.check_schema(route.schema_kind or route.kind, req.body):
            self._violate(route.template, route.kind, message, req.path)
        return rejected if self.reject_invalid else []

    def _take_fault(self, req: _Request) -> _Fault | None:
        for fault in self._faults:
            if fault.remaining > 0 and fault.method in ("*", req.method) and fault.pattern.fullmatch(req.path):
                fault.remaining -= 1
                if fault.remaining == 0:
                    self._faults.remove(fault)
                return fault
        return None

    def _fault_response(self, fault: _Fault, route: _Route, req: _Request) -> web.Response:
        headers = dict(fault.headers)
        if fault.status == 429:
            retry_after = fault.retry_after if fault.retry_after is not None else 0.05
            headers.setdefault("Retry-After", str(max(1, math.ceil(retry_after))))
            headers.setdefault("X-RateLimit-Limit", "5")
            headers.setdefault("X-RateLimit-Remaining", "0")
            headers.setdefault("X-RateLimit-Reset", f"{time.time() + retry_after:.3f}")
            headers.setdefault("X-RateLimit-Reset-After", f"{retry_after:.3f}")
            headers.setdefault("X-RateLimit-Bucket", self._bucket_hash(route.bucket))
            headers.setdefault("X-RateLimit-Scope", "user")
            headers.setdefault("Via", "1.1 google")
        return _json_response(fault.body, fault.status, headers)

    @staticmethod
    def _bucket_hash(name: str) -> str:
        return hashlib.sha1(name.encode()).hexdigest()[:32]

    def _check_global(self, route: _Route) -> web.Response | None:
        if route.global_exempt or self.global_rate_limit is None:
            return None
        now = time.monotonic()
        window = self._global_window
        period = self.global_rate_period
        while window and window[0] <= now - period:
            window.popleft()
        if len(window) >= self.global_rate_limit:
            retry_after = max(0.001, window[0] + period - now)
            self.rate_limit_hits["global"] += 1
            return _json_response(
                {"message": "You are being rate limited.", "retry_after": round(retry_after, 3), "global": True},
                429,
                {
                    "Retry-After": str(max(1, math.ceil(retry_after))),
                    "X-RateLimit-Global": "true",
                    "X-RateLimit-Scope": "global",
                    "Via": "1.1 google",
                },
            )
        window.append(now)
        return None

    def _check_bucket(self, route: _Route, major: str) -> tuple[web.Response | None, dict[str, str]]:
        config = self.route_limits.get(route.bucket) or self.route_limits.get("default")
        if config is None:
            return None, {}
        # routes without their own bucket are limited per route template, like Discord's per-route buckets
        name = route.bucket if route.bucket != "default" else route.template
        key = (name, major)
        now = time.monotonic()
        bucket = self._buckets.get(key)
        if bucket is None or now >= bucket.window_start + bucket.per:
            bucket = _Bucket(limit=config.limit, per=config.per, count=0, window_start=now)
            self._buckets[key] = bucket
        reset_after = max(0.0, bucket.window_start + bucket.per - now)
        base = {
            "X-RateLimit-Limit": str(bucket.limit),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": self._bucket_hash(name),
        }
        if bucket.count >= bucket.limit:
            self.rate_limit_hits[f"{name}:{major}"] += 1
            headers = {
                **base,
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Scope": "user",
                "Retry-After": str(max(1, math.ceil(reset_after))),
                "Via": "1.1 google",
            }
            body = {"message": "You are being rate limited.", "retry_after": round(reset_after, 3), "global": False}
            return _json_response(body, 429, headers), {}
        bucket.count += 1
        return None, {**base, "X-RateLimit-Remaining": str(bucket.limit - bucket.count)}

    # ---------------------------------------------------------------------------------------------
    # messages
    # ---------------------------------------------------------------------------------------------
    def _mentions(self, content: str, allowed: JSON | None, guild_id: int | None) -> JSON:
        parse = ["users", "roles", "everyone"] if allowed is None else list(allowed.get("parse") or [])
        allowed_users = {str(u) for u in (allowed or {}).get("users") or []}
        allowed_roles = {str(r) for r in (allowed or {}).get("roles") or []}
        users = [u for u in dict.fromkeys(re.findall(r"<@!?(\d+)>", content)) if "users" in parse or u in allowed_users]
        roles = [r for r in dict.fromkeys(re.findall(r"<@&(\d+)>", content)) if "roles" in parse or r in allowed_roles]
        if guild_id is not None:
            roles = [r for r in roles if int(r) in self.guilds[guild_id].roles]
        everyone = "everyone" in parse and ("@everyone" in content or "@here" in content)
        return {
            "mentions": [self.users[int(u)] for u in users if int(u) in self.users],
            "mention_roles": roles,
            "mention_everyone": everyone,
        }

    def _new_message(
        self,
        channel_id: int,
        body: JSON,
        *,
        author_id: int | None = None,
        files: Sequence[JSON] = (),
        interaction: InteractionResult | None = None,
        webhook: bool = False,
        mtype: int = 0,
    ) -> JSON:
        message_id = self.snowflake()
        guild_id = self._channel_guild.get(channel_id)
        author = self.users[author_id if author_id is not None else self.bot_id]
        content = str(body.get("content") or "")
        message: JSON = {
            "id": str(message_id),
            "channel_id": str(channel_id),
            "type": mtype,
            "author": copy.deepcopy(author),
            "content": content,
            "timestamp": _iso(time.time()),
            "edited_timestamp": None,
            "tts": bool(body.get("tts", False)),
            "attachments": [],
            "embeds": [],
            "components": [],
            "pinned": False,
            "flags": 0,
        }
        self._apply_edit(message, body, files, guild_id, new=True)
        if "nonce" in body:
            message["nonce"] = body["nonce"]
        if webhook or interaction is not None:
            message["webhook_id"] = str(self.application_id)
            message["application_id"] = str(self.application_id)
        if interaction is not None:
            user = interaction.payload.get("member", {}).get("user") or interaction.payload.get("user")
            data = interaction.payload.get("data") or {}
            metadata: JSON = {
                "id": str(interaction.id),
                "type": interaction.payload["type"],
                "user": user,
                "authorizing_integration_owners": interaction.payload.get("authorizing_integration_owners", {}),
            }
            if interaction.payload["type"] == 2:
                metadata["name"] = data.get("name")
                metadata["command_type"] = data.get("type", 1)
            message["interaction_metadata"] = metadata
            if interaction.payload["type"] == 2:
                message["interaction"] = {"id": str(interaction.id), "type": 2, "name": data.get("name"), "user": user}
        return message

    def _apply_edit(
        self, message: JSON, body: JSON, files: Sequence[JSON], guild_id: int | None, *, new: bool = False
    ) -> None:
        if "content" in body:
            message["content"] = str(body.get("content") or "")
        if "embeds" in body:
            embeds = [dict(e, type=e.get("type", "rich")) for e in body.get("embeds") or []]
            channel_id = int(message["channel_id"])
            if guild_id is not None and not self.permissions_in(channel_id, self.bot_id) & EMBED_LINKS:
                embeds = []  # Discord does not show a bot's embeds without Embed Links
            message["embeds"] = embeds
        if "components" in body:
            message["components"] = copy.deepcopy(body.get("components") or [])
        if "flags" in body and body["flags"] is not None:
            keep = int(message.get("flags") or 0) & MESSAGE_FLAG_EPHEMERAL
            message["flags"] = (int(body["flags"]) & ~MESSAGE_FLAG_LOADING) | keep
        if "attachments" in body or files:
            attachments = []
            for i, meta in enumerate(body.get("attachments") or []):
                upload = files[i] if i < len(files) else {}
                if "content" in upload:  # a new upload: kept, and served like any attachment
                    attachment_id = self.add_attachment(
                        meta.get("filename") or upload.get("filename") or "file",
                        upload["content"],
                        upload.get("content_type"),
                    )
                    attachments.append(self.attachment_payload(attachment_id))
                    continue
                attachments.append(
                    {
                        "id": str(meta.get("id")) if not new else str(self.snowflake()),
                        "filename": meta.get("filename") or upload.get("filename") or "file",
                        "size": upload.get("size", 0),
                        "url": f"https://cdn.example.invalid/attachments/{meta.get('filename', 'file')}",
                        "proxy_url": f"https://media.example.invalid/attachments/{meta.get('filename', 'file')}",
                        "content_type": upload.get("content_type"),
                    }
                )
            message["attachments"] = attachments
        message.update(self._mentions(message["content"], body.get("allowed_mentions"), guild_id))
        if not new:
            message["edited_timestamp"] = _iso(time.time())

    def _store_message(self, message: JSON, *, ephemeral: bool) -> None:
        mid = int(message["id"])
        self.messages[mid] = message
        if not ephemeral:
            channel_id = int(message["channel_id"])
            self.channel_messages.setdefault(channel_id, []).append(mid)
            channel = self._channel_or_none(channel_id)
            if channel is not None and "last_message_id" in channel:
                channel["last_message_id"] = message["id"]
        self._notify()

    def _channel_or_none(self, channel_id: int) -> JSON | None:
        try:
            return self.channel(channel_id)
        except KeyError:
            return None

    def _unknown_channel(self) -> web.Response:
        return _json_response({"message": "Unknown Channel", "code": 10003}, 404)

    def _unknown_message(self) -> web.Response:
        return _json_response({"message": "Unknown Message", "code": 10008}, 404)

    # ---------------------------------------------------------------------------------------------
    # REST handlers
    # ---------------------------------------------------------------------------------------------
    async def _get_me(self, req: _Request) -> web.Response:
        return _json_response(
            {
                **self.users[self.bot_id],
                "verified": True,
                "mfa_enabled": False,
                "email": None,
                "locale": "en-US",
                "bio": "",
            }
        )

    async def _get_user(self, req: _Request) -> web.Response:
        user = self.users.get(int(req.params["user_id"]))
        if user is None:
            return _json_response({"message": "Unknown User", "code": 10013}, 404)
        return _json_response(user)

    async def _get_application(self, req: _Request) -> web.Response:
        owner = next((g.owner_id for g in self.guilds.values()), None)
        owner_user = self.users.get(owner) if owner is not None else None
        if owner_user is None:
            owner_user = {**self.users[self.bot_id], "id": "1", "username": "owner"}
            owner_user.pop("bot", None)
        return _json_response(
            {
                "id": str(self.application_id),
                "name": self.bot_username,
                "icon": None,
                "description": "",
                "summary": "",
                "type": None,
                "hook": True,
                "bot_public": True,
                "bot_require_code_grant": False,
                "verify_key": "0" * 64,
                "owner": owner_user,
                "team": None,
                "flags": 0,
                "bot": self.users[self.bot_id],
                "interactions_endpoint_url": None,
                "role_connections_verification_url": None,
                "redirect_uris": [],
                "tags": [],
                "approximate_guild_count": len(self.guilds),
                "integration_types_config": {"0": {}},
            }
        )

    async def _get_gateway(self, req: _Request) -> web.Response:
        return _json_response({"url": self.gateway_url})

    async def _get_gateway_bot(self, req: _Request) -> web.Response:
        return _json_response(
            {
                "url": self.gateway_url,
                "shards": self.recommended_shards,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 14400000,
                    "max_concurrency": self.max_concurrency,
                },
            }
        )

    async def _create_dm(self, req: _Request) -> web.Response:
        user_id = int((req.body or {}).get("recipient_id", 0))
        if user_id not in self.users:
            return _json_response({"message": "Unknown User", "code": 10013}, 404)
        return _json_response(self.dm_channel_for(user_id))

    async def _leave_guild(self, req: _Request) -> web.Response:
        guild_id = int(req.params["guild_id"])
        if guild_id not in self.guilds:
            return _json_response({"message": "Unknown Guild", "code": 10004}, 404)
        self._spawn(self.bot_leaves_guild(guild_id))
        return web.Response(status=204)

    # -- application commands ----------------------------------------------------------------------
    def _command_pool(self, req: _Request) -> list[JSON]:
        if "guild_id" in req.params:
            return self.guild_commands.setdefault(int(req.params["guild_id"]), [])
        return self.global_commands

    def _stored_command(self, body: JSON, req: _Request, existing: JSON | None) -> JSON:
        ctype = int(body.get("type") or 1)
        cmd: JSON = {
            "id": existing["id"] if existing else str(self.snowflake()),
            "application_id": str(self.application_id),
            "version": str(self.snowflake()),
            "default_member_permissions": body.get("default_member_permissions"),
            "type": ctype,
            "name": body.get("name"),
            "name_localizations": body.get("name_localizations"),
            "description": body.get("description") or "",
            "description_localizations": body.get("description_localizations"),
            "dm_permission": body.get("dm_permission", True),
            "contexts": body.get("contexts"),
            "integration_types": body.get("integration_types") or [0],
            "nsfw": bool(body.get("nsfw", False)),
        }
        if body.get("options"):
            cmd["options"] = copy.deepcopy(body["options"])
        if "guild_id" in req.params:
            cmd["guild_id"] = req.params["guild_id"]
        return cmd

    async def _get_commands(self, req: _Request) -> web.Response:
        return _json_response(self._command_pool(req))

    async def _put_commands(self, req: _Request) -> web.Response:
        if not isinstance(req.body, list):
            return _json_response({"message": "Invalid Form Body", "code": 50035}, 400)
        pool = self._command_pool(req)
        old = {(c["name"], c["type"]): c for c in pool}
        new = [self._stored_command(b, req, old.get((b.get("name"), int(b.get("type") or 1)))) for b in req.body]
        pool[:] = new
        return _json_response(new)

    async def _post_command(self, req: _Request) -> web.Response:
        body = req.body or {}
        pool = self._command_pool(req)
        key = (body.get("name"), int(body.get("type") or 1))
        existing = next((c for c in pool if (c["name"], c["type"]) == key), None)
        cmd = self._stored_command(body, req, existing)
        if existing is not None:
            pool[pool.index(existing)] = cmd
            return _json_response(cmd, 200)
        pool.append(cmd)
        return _json_response(cmd, 201)

    async def _get_command(self, req: _Request) -> web.Response:
        cmd = next((c for c in self._command_pool(req) if c["id"] == req.params["command_id"]), None)
        if cmd is None:
            return _json_response({"message": "Unknown application command", "code": 10063}, 404)
        return _json_response(cmd)

    async def _delete_command(self, req: _Request) -> web.Response:
        pool = self._command_pool(req)
        cmd = next((c for c in pool if c["id"] == req.params["command_id"]), None)
        if cmd is None:
            return _json_response({"message": "Unknown application command", "code": 10063}, 404)
        pool.remove(cmd)
        return web.Response(status=204)

    # -- interactions ------------------------------------------------------------------------------
    async def _callback(self, req: _Request) -> web.StreamResponse:
        body = req.body if isinstance(req.body, dict) else {}
        checked = self._check_callback(req, body)
        if isinstance(checked, web.Response):
            return checked
        result, now = checked
        ctype = int(body.get("type", 0))
        message, loading = self._apply_callback(result, ctype, body.get("data") or {}, req.files)
        result.callback = copy.deepcopy(body)
        result.responded_at = now
        if message is not None:
            result.original_history.append(copy.deepcopy(message))
        self._notify()
        if req.query.get("with_response", "").lower() not in ("1", "true"):
            return web.Response(status=204)
        info: JSON = {"id": str(result.id), "type": int(result.payload["type"])}
        if message is not None:
            info.update(
                response_message_id=message["id"],
                response_message_loading=loading,
                response_message_ephemeral=bool(int(message.get("flags") or 0) & MESSAGE_FLAG_EPHEMERAL),
            )
        response: JSON = {"interaction": info}
        if ctype in (4, 5, 7) and message is not None:
            response["resource"] = {"type": ctype, "message": copy.deepcopy(message)}
        return _json_response(response)

    def _check_callback(self, req: _Request, body: JSON) -> tuple[InteractionResult, float] | web.Response:
        """Discord's refusals: unknown or expired (> 3 s) interaction, second answer, wrong type."""
        result = self.interactions.get(req.params["token"])
        route = req.record.route
        if result is None or str(result.id) != req.params["interaction_id"]:
            self._violate(route, "interaction_callback", "callback for an unknown interaction", req.path)
            return _json_response({"message": "Unknown interaction", "code": 10062}, 404)
        now = time.monotonic()
        if result.callback is not None:
            result.extra_callbacks.append(body)
            self._violate(route, "interaction_callback", "the interaction was already acknowledged", req.path)
            return _json_response({"message": "Interaction has already been acknowledged.", "code": 40060}, 400)
        elapsed = now - result.dispatched_at
        if elapsed > self.interaction_deadline:
            message = f"first response after {elapsed:.2f} s (Discord allows {self.interaction_deadline} s)"
            self._violate(route, "interaction_callback", message, req.path)
            return _json_response({"message": "Unknown interaction", "code": 10062}, 404)
        ctype = int(body.get("type", 0))
        itype = int(result.payload["type"])
        allowed = {2: {4, 5, 9}, 3: {4, 5, 6, 7, 9}, 4: {8}, 5: {4, 5, 6, 7}}.get(itype, set())
        if itype == 5 and "message" not in result.payload:
            allowed = {4, 5}
        if ctype not in allowed:
            message = f"callback type {ctype} is not valid for interaction type {itype}"
            self._violate(route, "interaction_callback", message, req.path)
            return _json_response({"message": "Interaction callback type is invalid", "code": 50035}, 400)
        return result, now

    def _apply_callback(
        self, result: InteractionResult, ctype: int, data: JSON, files: Sequence[JSON]
    ) -> tuple[JSON | None, bool]:
        """Create/update the message a callback implies; return it and whether it is still loading."""
        channel_id = int(result.payload["channel_id"])
        if ctype in (4, 5):
            flags = int(data.get("flags") or 0)
            ephemeral = bool(flags & MESSAGE_FLAG_EPHEMERAL)
            mtype = 0
            if result.payload["type"] == 2:
                mtype = 20 if (result.payload.get("data") or {}).get("type", 1) == 1 else 23
            body = dict(data) if ctype == 4 else {"flags": flags}
            message = self._new_message(channel_id, body, files=files, interaction=result, mtype=mtype)
            message["flags"] = flags | (MESSAGE_FLAG_LOADING if ctype == 5 else 0)
            result.original_id = int(message["id"])
            self._store_message(message, ephemeral=ephemeral)
            if not ephemeral:
                self._spawn(self._dispatch_message("MESSAGE_CREATE", message))
            return message, ctype == 5
        if ctype in (6, 7) and (result.original_id is None or result.original_id not in self.messages):
            self._seed_component_message(result)
        if ctype == 7 and result.original_id is not None:
            message = self.messages[result.original_id]
            self._apply_edit(message, data, files, self._channel_guild.get(channel_id))
            self._spawn(self._dispatch_message("MESSAGE_UPDATE", message))
            return message, False
        if ctype == 9:
            self.modals[str(data.get("custom_id"))] = copy.deepcopy(data)
        return None, False

    def _seed_component_message(self, result: InteractionResult) -> None:
        """A component interaction on a message the fake never stored (e.g. built by the test)."""
        raw = result.payload.get("message")
        if raw is None:
            return
        message = copy.deepcopy(raw)
        self.messages[int(message["id"])] = message
        result.original_id = int(message["id"])

    def _interaction_for(self, req: _Request) -> InteractionResult | web.Response:
        result = self.interactions.get(req.params["token"])
        if result is None or req.params["app_id"] != str(self.application_id):
            self._violate(req.record.route, "webhook", "unknown interaction webhook (app id or token)", req.path)
            return _json_response({"message": "Unknown Webhook", "code": 10015}, 404)
        if result.callback is None:
            self._violate(req.record.route, "webhook", "webhook call before the interaction was acknowledged", req.path)
            return _json_response({"message": "Unknown Webhook", "code": 10015}, 404)
        return result

    def _webhook_message(self, result: InteractionResult, ref: str) -> JSON | None:
        if ref == "@original":
            return None if result.original_id is None else self.messages.get(result.original_id)
        mid = int(ref)
        if mid == result.original_id or mid in result.followup_ids:
            return self.messages.get(mid)
        return None

    async def _followup(self, req: _Request) -> web.Response:
        result = self._interaction_for(req)
        if isinstance(result, web.Response):
            return result
        body = req.body if isinstance(req.body, dict) else {}
        channel_id = int(result.payload["channel_id"])
        flags = int(body.get("flags") or 0)
        message = self._new_message(channel_id, body, files=req.files, interaction=result, webhook=True)
        message["flags"] = flags & (MESSAGE_FLAG_EPHEMERAL | (1 << 2) | (1 << 12) | (1 << 15))
        ephemeral = bool(flags & MESSAGE_FLAG_EPHEMERAL)
        self._store_message(message, ephemeral=ephemeral)
        result.followup_ids.append(int(message["id"]))
        if not ephemeral:
            self._spawn(self._dispatch_message("MESSAGE_CREATE", message))
        self._notify()
        if req.query.get("wait", "").lower() in ("1", "true"):
            return _json_response(message)
        return web.Response(status=204)

    async def _get_webhook_message(self, req: _Request) -> web.Response:
        result = self._interaction_for(req)
        if isinstance(result, web.Response):
            return result
        message = self._webhook_message(result, req.params["message_ref"])
        return self._unknown_message() if message is None else _json_response(message)

    async def _edit_webhook_message(self, req: _Request) -> web.Response:
        result = self._interaction_for(req)
        if isinstance(result, web.Response):
            return result
        ref = req.params["message_ref"]
        message = self._webhook_message(result, ref)
        if message is None:
            return self._unknown_message()
        body = req.body if isinstance(req.body, dict) else {}
        guild_id = self._channel_guild.get(int(message["channel_id"]))
        was_loading = bool(int(message.get("flags") or 0) & MESSAGE_FLAG_LOADING)
        self._apply_edit(message, body, req.files, guild_id)
        message["flags"] = int(message.get("flags") or 0) & ~MESSAGE_FLAG_LOADING
        if was_loading:
            message["edited_timestamp"] = None
        if ref == "@original" or int(ref) == result.original_id:
            result.original_edits += 1
            result.original_history.append(copy.deepcopy(message))
        self._spawn(self._dispatch_message("MESSAGE_UPDATE", message))
        self._notify()
        return _json_response(message)

    async def _delete_webhook_message(self, req: _Request) -> web.Response:
        result = self._interaction_for(req)
        if isinstance(result, web.Response):
            return result
        message = self._webhook_message(result, req.params["message_ref"])
        if message is None:
            return self._unknown_message()
        self._remove_message(int(message["id"]))
        return web.Response(status=204)

    def _remove_message(self, message_id: int) -> None:
        message = self.messages.pop(message_id, None)
        if message is not None:
            ids = self.channel_messages.get(int(message["channel_id"]), [])
            if message_id in ids:
                ids.remove(message_id)
            data: JSON = {"id": str(message_id), "channel_id": message["channel_id"]}
            guild_id = self._channel_guild.get(int(message["channel_id"]))
            if guild_id is not None:
                data["guild_id"] = str(guild_id)
            self._spawn(self.dispatch("MESSAGE_DELETE", data))
        self._notify()

    # -- channels ----------------------------------------------------------------------------------
    def _channel_access(self, req: _Request, needed: int = VIEW_CHANNEL) -> JSON | web.Response:
        channel_id = int(req.params["channel_id"])
        channel = self._channel_or_none(channel_id)
        if channel is None:
            return self._unknown_channel()
        guild_id = self._channel_guild.get(channel_id)
        if guild_id is not None:
            if not self.guilds[guild_id].joined:
                return _json_response({"message": "Missing Access", "code": 50001}, 403)
            perms = self.permissions_in(channel_id, self.bot_id)
            if not perms & VIEW_CHANNEL:
                return _json_response({"message": "Missing Access", "code": 50001}, 403)
            if perms & needed != needed:
                return _json_response({"message": "Missing Permissions", "code": 50013}, 403)
        return channel

    def _channel_message(self, req: _Request, channel: JSON) -> JSON | None:
        """A message of that channel; ephemeral messages are invisible to channel routes, as on Discord."""
        message = self.messages.get(int(req.params["message_id"]))
        if message is None or message["channel_id"] != channel["id"]:
            return None
        return None if int(message.get("flags") or 0) & MESSAGE_FLAG_EPHEMERAL else message

    async def _get_channel(self, req: _Request) -> web.Response:
        channel = self._channel_access(req)
        return channel if isinstance(channel, web.Response) else _json_response(channel)

    async def _typing(self, req: _Request) -> web.Response:
        channel = self._channel_access(req, VIEW_CHANNEL | SEND_MESSAGES)
        return channel if isinstance(channel, web.Response) else web.Response(status=204)

    async def _get_messages(self, req: _Request) -> web.Response:
        channel = self._channel_access(req, VIEW_CHANNEL | READ_MESSAGE_HISTORY)
        if isinstance(channel, web.Response):
            return channel
        items = self.messages_in(int(channel["id"]))
        limit = int(req.query.get("limit", "50"))
        if "before" in req.query:
            items = [m for m in items if int(m["id"]) < int(req.query["before"])]
        if "after" in req.query:
            items = [m for m in items if int(m["id"]) > int(req.query["after"])][:limit]
        return _json_response(list(reversed(items[-limit:])))

    async def _get_message(self, req: _Request) -> web.Response:
        channel = self._channel_access(req, VIEW_CHANNEL | READ_MESSAGE_HISTORY)
        if isinstance(channel, web.Response):
            return channel
        message = self._channel_message(req, channel)
        if message is None:
            return self._unknown_message()
        return _json_response(message)

    async def _create_message(self, req: _Request) -> web.Response:
        channel = self._channel_access(req, VIEW_CHANNEL | SEND_MESSAGES)
        if isinstance(channel, web.Response):
            return channel
        channel_id = int(channel["id"])
        body = req.body if isinstance(req.body, dict) else {}
        nonce = body.get("nonce")
        now = time.monotonic()
        if nonce is not None and body.get("enforce_nonce"):
            seen = self._nonces.get((channel_id, str(nonce)))
            if seen is not None and now - seen[1] <= self.nonce_window and seen[0] in self.messages:
                return _json_response(self.messages[seen[0]])
        mtype = 19 if body.get("message_reference") else 0
        message = self._new_message(channel_id, body, files=req.files, mtype=mtype)
        if body.get("message_reference"):
            message["message_reference"] = {**body["message_reference"], "channel_id": str(channel_id)}
        if self.keep_history:
            self._store_message(message, ephemeral=False)
        if nonce is not None and body.get("enforce_nonce") and self.keep_history:
            self._nonces[(channel_id, str(nonce))] = (int(message["id"]), now)
        self._spawn(self._dispatch_message("MESSAGE_CREATE", message))
        return _json_response(message)

    async def _edit_message(self, req: _Request) -> web.Response:
        channel = self._channel_access(req)
        if isinstance(channel, web.Response):
            return channel
        message = self._channel_message(req, channel)
        if message is None:
            return self._unknown_message()
        body = req.body if isinstance(req.body, dict) else {}
        if message["author"]["id"] != str(self.bot_id) and set(body) - {"flags"}:
            return _json_response({"message": "Cannot edit a message authored by another user", "code": 50005}, 403)
        self._apply_edit(message, body, req.files, self._channel_guild.get(int(channel["id"])))
        self._spawn(self._dispatch_message("MESSAGE_UPDATE", message))
        self._notify()
        return _json_response(message)

    async def _delete_message(self, req: _Request) -> web.Response:
        channel = self._channel_access(req)
        if isinstance(channel, web.Response):
            return channel
        message = self._channel_message(req, channel)
        if message is None:
            return self._unknown_message()
        self._remove_message(int(message["id"]))
        return web.Response(status=204)

    # -- guilds ------------------------------------------------------------------------------------
    def _guild_or_404(self, req: _Request) -> _Guild | web.Response:
        guild = self.guilds.get(int(req.params["guild_id"]))
        if guild is None:
            return _json_response({"message": "Unknown Guild", "code": 10004}, 404)
        if not guild.joined:
            return _json_response({"message": "Missing Access", "code": 50001}, 403)
        return guild

    async def _get_guild(self, req: _Request) -> web.Response:
        guild = self._guild_or_404(req)
        if isinstance(guild, web.Response):
            return guild
        payload = self.guild_payload(guild.id)
        for key in (
            "members",
            "channels",
            "threads",
            "presences",
            "voice_states",
            "joined_at",
            "large",
            "member_count",
            "lazy",
            "unavailable",
            "stage_instances",
            "guild_scheduled_events",
            "soundboard_sounds",
            "embedded_activities",
            "activity_instances",
            "application_command_counts",
            "version",
        ):
            payload.pop(key, None)
        return _json_response(payload)

    async def _get_guild_channels(self, req: _Request) -> web.Response:
        guild = self._guild_or_404(req)
        return guild if isinstance(guild, web.Response) else _json_response(list(guild.channels.values()))

    async def _get_guild_roles(self, req: _Request) -> web.Response:
        guild = self._guild_or_404(req)
        return guild if isinstance(guild, web.Response) else _json_response(list(guild.roles.values()))

    async def _get_guild_members(self, req: _Request) -> web.Response:
        guild = self._guild_or_404(req)
        if isinstance(guild, web.Response):
            return guild
        limit = int(req.query.get("limit", "1"))
        after = int(req.query.get("after", "0"))
        members = sorted((m for u, m in guild.members.items() if u > after), key=lambda m: int(m["user"]["id"]))
        return _json_response(members[:limit])

    async def _get_guild_member(self, req: _Request) -> web.Response:
        guild = self._guild_or_404(req)
        if isinstance(guild, web.Response):
            return guild
        member = guild.members.get(int(req.params["user_id"]))
        if member is None:
            return _json_response({"message": "Unknown Member", "code": 10007}, 404)
        return _json_response(member)
