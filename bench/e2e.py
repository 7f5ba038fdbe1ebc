"""End to end: the real bot (discord.py client, cogs, SQLite) against the fake Discord on 127.0.0.1.

Both run in this one process and event loop, so "interactions a second" are what one core sustains for
bot and fake together (the fake's payload validation is off here: the e2e tests check payloads). A
ticker task sleeps 5 ms at a time and records how late it wakes: the loop's lag, i.e. the longest time
anything held the event loop (see LagTicker for telling that from the machine's other load).

1. Throughput: autocomplete interactions (the keystroke mix) and `/define` interactions (names, aliases,
   typos), a fixed number of each with a fixed number in flight; rate, latency (dispatch to callback, as
   the fake sees it) and the loop's worst lag while they run.
2. The weekly broadcast: `channels` subscribed channels across guilds of 500, the fake's global rate limit
   at `limit` requests a second and the bot paced to it; the clock moves to Friday 09:00 and the post
   goes out while a user runs `/define` and autocomplete every 250 ms. Total time against the floor of
   channels / limit, the fake's 429s by bucket, and the interactions' worst latency meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

from bench import config
from bench.config import LARGEST, Mode
from bench.data import SEED
from bench.define import define_queries
from bench.glossary_db import glossary_database
from bench.report import Report, Row
from bench.timing import format_ms, summarize
from bot.app import GlossaryBot
from bot.broadcast import Pacer
from bot.cogs.pulse import Pulse
from bot.core.schedule import next_slot, parse_zone
from bot.store.pulse import to_stored
from tests.e2e.fake_discord import FAST_CLIENT_OPTIONS, FakeDiscord, InteractionResult, running_client
from tests.e2e.rig import GUILD_ID, MEMBER_ID, START_OF_TEST_TIME, ControllableClock, populate_world, rig_settings

IN_FLIGHT = 8
"""Interactions outstanding at once: enough to keep the loop busy, few enough to stay on 127.0.0.1 gently."""
TICK_S = 0.005
LAG_TARGET_S = 0.050
DEADLINE_S = 3.0
BROADCAST_SLACK = 1.1
CHANNELS_PER_GUILD = 500
"""Discord's limit of channels in one guild."""
FRIDAY_9_UTC = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
WEEK = "2026-W48"
READY_TIMEOUT_S = 120.0
USER_EVERY_S = 0.25
SETTLE_S = 2.0
KEPT_REQUESTS = 1_000


class LagTicker:
    """Sleeps `TICK_S` at a time and keeps the worst lateness of its wake-ups.

    `worst` is wall-clock lateness. On a shared machine that includes time the process was not running at
    all (other processes had the cores), so `worst_held` counts only lateness the event loop's own thread
    spent on the CPU: at most the CPU time it used while the ticker slept. That is the loop being held by
    this process's work, which is what the target is about; both are reported.
    """

    def __init__(self) -> None:
        self.worst = 0.0
        self.worst_held = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        clock, cpu = time.perf_counter, time.thread_time
        while True:
            expected, cpu_before = clock() + TICK_S, cpu()
            await asyncio.sleep(TICK_S)
            late = clock() - expected
            self.worst = max(self.worst, late)
            self.worst_held = max(self.worst_held, min(late, cpu() - cpu_before))

    async def reset(self) -> None:
        """Start a new measurement, once a tick delayed by whatever ran before (setup) has come in."""
        await asyncio.sleep(3 * TICK_S)
        self.worst = self.worst_held = 0.0

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[LagTicker]:
        self._task = asyncio.create_task(self._run(), name="lag-ticker")
        try:
            yield self
        finally:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


@dataclass
class Burst:
    count: int
    seconds: float
    cpu_seconds: float
    latencies: list[float] = field(default_factory=list)
    unanswered: int = 0

    @property
    def rate(self) -> float:
        return self.count / self.seconds


async def burst(items: Sequence[str], send: Callable[[str], Awaitable[InteractionResult]], fake: FakeDiscord) -> Burst:
    """Send every item, `IN_FLIGHT` at a time; collect each interaction's latency.

    The fake's records of each finished interaction (and the message it posted) are dropped as it goes:
    Discord's bookkeeping does not live in the bot's process, and here it would leave the garbage collector
    a growing heap to walk.
    """
    pending = iter(items)
    latencies: list[float] = []
    unanswered = 0

    async def user() -> None:  # one of IN_FLIGHT people, each sending the next item once answered
        nonlocal unanswered
        for item in pending:
            result = await send(item)
            fake.interactions.pop(result.token, None)
            if result.original_id is not None:  # the reply /define posted (silently: no MESSAGE_DELETE)
                message = fake.messages.pop(result.original_id, None)
                posted = fake.channel_messages.get(int(message["channel_id"]), []) if message else []
                if result.original_id in posted:  # not when ephemeral
                    posted.remove(result.original_id)
            if len(fake.requests) > KEPT_REQUESTS:
                fake.requests.clear()
            if result.latency is None:
                unanswered += 1
            else:
                latencies.append(result.latency)

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(user() for _ in range(IN_FLIGHT)))
    return Burst(len(items), time.perf_counter() - started, time.process_time() - cpu, latencies, unanswered)


@contextlib.asynccontextmanager
async def bot_on(fake: FakeDiscord, database: Path) -> AsyncIterator[GlossaryBot]:
    bot = GlossaryBot(
        rig_settings(database, log_level="WARNING"), clock=ControllableClock(START_OF_TEST_TIME), **FAST_CLIENT_OPTIONS
    )
    async with running_client(fake, bot, timeout=READY_TIMEOUT_S):
        yield bot


def autocomplete(fake: FakeDiscord) -> Callable[[str], Awaitable[InteractionResult]]:
    async def send(text: str) -> InteractionResult:
        return await fake.autocomplete("define", {"term": text}, user_id=MEMBER_ID, guild_id=GUILD_ID)

    return send


def define(fake: FakeDiscord) -> Callable[[str], Awaitable[InteractionResult]]:
    async def send(text: str) -> InteractionResult:
        return await fake.slash("define", {"term": text}, user_id=MEMBER_ID, guild_id=GUILD_ID)

    return send


async def _throughput(mode: Mode, fake: FakeDiscord, ticker: LagTicker, report: Report) -> None:
    keystrokes = [query.text for query in config.keystrokes(LARGEST, mode.e2e_autocompletes)]
    queries = [query.text for query in define_queries(LARGEST, mode.e2e_defines)]
    await burst(keystrokes[:50], autocomplete(fake), fake)  # warm-up
    await ticker.reset()
    typing = await burst(keystrokes, autocomplete(fake), fake)
    typing_lag = (ticker.worst_held, ticker.worst)
    await ticker.reset()
    looking_up = await burst(queries, define(fake), fake)
    define_lag = (ticker.worst_held, ticker.worst)
    for name, result, lag in (("autocomplete", typing, typing_lag), ("/define", looking_up, define_lag)):
        latency = summarize(result.latencies)
        report.add(
            Row(
                "End to end",
                f"{name} interactions, {IN_FLIGHT} in flight: rate (CPU per interaction), latency",
                {
                    LARGEST: f"{result.rate:,.0f}/s ({format_ms(result.cpu_seconds / result.count)} CPU); "
                    f"{latency.ms()}; {result.unanswered} unanswered"
                },
            )
        )
        held, wall = lag
        targeted = name == "autocomplete"  # the target is about typing; /define's figure is for comparison
        report.add(
            Row(
                "End to end",
                f"event loop held while {name} is hammered: worst (wall-clock lateness, with other processes)",
                {LARGEST: f"{format_ms(held)} ({format_ms(wall)})"},
                target=f"≤ {format_ms(LAG_TARGET_S)}" if targeted else "",
                met=held <= LAG_TARGET_S if targeted else None,
            )
        )
        print(f"  e2e {name}: {result.rate:,.0f}/s, loop held {format_ms(held)} ({format_ms(wall)})", flush=True)


def _subscribe_channels(database: Path, channels: Sequence[tuple[int, int]]) -> None:
    """Subscriptions written straight into the bot's database (the /pulse command would take an hour)."""
    week, due = next_slot(START_OF_TEST_TIME, 9, parse_zone("UTC"), None, None)
    assert week == WEEK and due == FRIDAY_9_UTC
    connection = sqlite3.connect(database, isolation_level=None)
    try:
        connection.execute("BEGIN")
        connection.executemany(
            "INSERT INTO subscriptions (channel_id, guild_id, role_id, hour, timezone, next_week, next_due_at, "
            "created_by) VALUES (?, ?, NULL, 9, 'UTC', ?, ?, ?)",
            [(channel, guild, week, to_stored(due), MEMBER_ID) for channel, guild in channels],
        )
        connection.execute("COMMIT")
    finally:
        connection.close()


@dataclass
class BroadcastResult:
    total: float
    first: float
    """Seconds from the post falling due to the first message."""
    sent: int
    hits: dict[str, int]
    repeated: dict[str, int]
    user_latencies: list[float]
    unanswered: int
    lag: float


def _broadcast_world(mode: Mode, database: Path) -> tuple[FakeDiscord, list[tuple[int, int]]]:
    channels = [
        (1_600_000_000_000_000_000 + n, 1_700_000_000_000_000_000 + n // CHANNELS_PER_GUILD)
        for n in range(mode.broadcast_channels)
    ]
    _subscribe_channels(database, channels)
    fake = FakeDiscord(validate=False, global_rate_limit=mode.broadcast_limit, keep_history=False)
    populate_world(fake)
    for guild in sorted({guild for _, guild in channels}):
        fake.add_guild(guild, f"guild {guild % 1000}", owner_id=MEMBER_ID + 1)
    for channel, guild in channels:
        fake.add_channel(guild, channel, f"pulse-{channel % 100_000}")
    return fake, channels


async def _a_user_meanwhile(fake: FakeDiscord, texts: list[str], latencies: list[float]) -> None:
    """Autocomplete and /define every USER_EVERY_S; an unanswered one is recorded as infinitely late."""
    rng = random.Random(SEED + 31)
    while True:
        text = rng.choice(texts)
        for send in (autocomplete(fake), define(fake)):
            result = await send(text)
            latencies.append(float("inf") if result.latency is None else result.latency)
        await asyncio.sleep(USER_EVERY_S)


async def _broadcast(
    mode: Mode, fake: FakeDiscord, bot: GlossaryBot, ticker: LagTicker, channels: Sequence[tuple[int, int]]
) -> BroadcastResult:
    texts = [query.text for query in define_queries(LARGEST, 200)]
    latencies: list[float] = []
    pulse = cast(Pulse, bot.get_cog("Pulse"))
    pulse.broadcaster.pacer = Pacer(mode.broadcast_limit)  # the settings allow at most 50/s
    fake.rate_limit_hits.clear()
    seen = len(fake.requests)
    await ticker.reset()
    started = time.monotonic()
    cast(ControllableClock, bot.clock).now = FRIDAY_9_UTC
    pulse.wake()
    deadline = started + 2 * mode.broadcast_channels / mode.broadcast_limit + 60
    person = asyncio.create_task(_a_user_meanwhile(fake, texts, latencies), name="bench-user")
    try:
        # The store has no "all sent" event to wait for: reading one count every 250 ms is cheap.
        while time.monotonic() < deadline and await pulse.store.sent_count(WEEK) < len(channels):  # noqa: ASYNC110
            await asyncio.sleep(0.25)
    finally:
        person.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await person
    sent = await pulse.store.sent_count(WEEK)
    posted = [
        request.time
        for request in fake.requests[seen:]
        if request.method == "POST" and request.path.endswith("/messages") and request.status == 200
    ]
    return BroadcastResult(
        total=(max(posted) if posted else time.monotonic()) - started,
        first=(min(posted) if posted else time.monotonic()) - started,
        sent=sent,
        hits=dict(fake.rate_limit_hits),
        repeated=fake.repeated_429s(),
        user_latencies=[latency for latency in latencies if latency != float("inf")],
        unanswered=sum(latency == float("inf") for latency in latencies),
        lag=ticker.worst_held,
    )


async def _end_to_end(mode: Mode, database: Path, report: Report) -> BroadcastResult:
    """One bot in one world (with the subscribed channels): throughput first, then the Friday post."""
    fake, channels = _broadcast_world(mode, database)
    await fake.start()
    ticker = LagTicker()
    try:
        async with bot_on(fake, database) as bot, ticker.running():
            await asyncio.sleep(SETTLE_S)  # the delivery loop's round at start (nothing due yet) is over
            await _throughput(mode, fake, ticker, report)
            return await _broadcast(mode, fake, bot, ticker, channels)
    finally:
        await fake.stop()


def _report_broadcast(mode: Mode, result: BroadcastResult, report: Report) -> None:
    floor = mode.broadcast_channels / mode.broadcast_limit
    worst = max(result.user_latencies, default=float("nan"))
    typical = statistics.median(result.user_latencies) if result.user_latencies else float("nan")
    report.add(
        Row(
            "Broadcast",
            f"weekly post, {mode.broadcast_channels:,} channels at {mode.broadcast_limit}/s: total (floor), sent",
            {
                LARGEST: f"{result.total:.1f} s ({floor:.0f} s, {result.total / floor:.3f}×), the first after "
                f"{result.first:.2f} s; {result.sent:,} sent"
            },
            target=f"≤ {BROADCAST_SLACK}× floor, all sent",
            met=result.total <= floor * BROADCAST_SLACK and result.sent == mode.broadcast_channels,
        )
    )
    report.add(
        Row(
            "Broadcast",
            "429s from the fake's limiter (buckets with more than one)",
            {LARGEST: f"{sum(result.hits.values())} ({result.repeated or 'none'})"},
            target="none beyond a bucket's first",
            met=not result.repeated,
        )
    )
    report.add(
        Row(
            "Broadcast",
            "a user's /define and autocomplete meanwhile: worst (median) latency, unanswered; loop held",
            {
                LARGEST: f"{format_ms(worst)} ({format_ms(typical)}, n={len(result.user_latencies)}), "
                f"{result.unanswered} unanswered; loop held {format_ms(result.lag)}"
            },
            target=f"≤ {DEADLINE_S:g} s",
            met=bool(result.user_latencies) and worst <= DEADLINE_S and not result.unanswered,
        )
    )
    print(
        f"  broadcast: {result.total:.1f} s for {result.sent:,} posts (floor {floor:.0f} s), 429s {result.hits}",
        flush=True,
    )


NOTE = (
    "End to end: the bot (discord.py, cogs, SQLite) and the fake Discord share one process and event loop, "
    "so rates are what one core does for both; the fake's payload validation is off here (tests/e2e checks "
    'payloads). "Loop held" is how late a 5 ms ticker woke, counting only time the loop\'s thread was on the '
    "CPU; in brackets, plain wall-clock lateness, which on a shared machine includes other processes' turns. "
    "The broadcast runs at the fake's global limit with the bot's pacer set to the same rate (the settings "
    "allow at most 50/s); total is from the post falling due to the last message the fake accepted. The "
    "fake keeps no copy of what it was sent (its records of interactions are dropped as they finish, and of "
    "posts not kept): living in the bot's process, they would be most of what the garbage collector walks, "
    "and its pauses would be charged to the bot."
)


def run(mode: Mode, report: Report) -> None:
    report.notes.append(NOTE)
    with tempfile.TemporaryDirectory(prefix="bench-e2e-") as folder:
        database = glossary_database(config.glossary(LARGEST), SEED, Path(folder) / "e2e.db")
        _report_broadcast(mode, asyncio.run(_end_to_end(mode, database, report)), report)
