"""SIGKILL at random points during an import, an editor's change and a broadcast: afterwards the
database is sound (integrity and foreign keys) and every change is whole, all of it or none of it.

Each scenario kills at least 20 times and prints its tally (`pytest -s` shows it); the `soak` variants
(`make soak`) kill many more times on bigger work. A failure names the random seed: set CRASH_SEED to
replay the same kill points.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import shutil
import signal
import sqlite3
import statistics
import subprocess
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.core.entry import Entry
from bot.core.pulse import DataPoint, footer_text
from bot.importers import read_glossary, write_own_format
from bot.store.db import Database
from bot.store.glossary import GlossaryStore
from bot.store.history import CurationStore
from bot.store.pulse import PulseStore
from tests.crash_worker import READY, edit_count, edit_version
from tests.e2e.bot_process import API_VARIABLE, GATEWAY_VARIABLE
from tests.e2e.fake_discord import FakeDiscord
from tests.e2e.rig import EDITOR_ID, GUILD_ID, MANAGER_ID, populate_world
from tests.processes import (
    GRACE_HOURS,
    SEED_PATH,
    BotProcess,
    Slot,
    database_problems,
    due_slot,
    kill,
    process_env,
    run_cli,
    scalar,
    spawn,
    wal_is_empty,
)

MIN_KILLS = 20
KILL_POINTS = ("in the transaction", "anywhere", "in the transaction", "just after the commit")
"""Where import kills aim, in turn: "anywhere" is a random moment of the whole run (mostly start-up
and parsing), the others are found by watching the database's write lock."""
LOCK_POLL_SECONDS = 0.002


def crash_seed() -> int:
    return int(os.environ.get("CRASH_SEED") or random.SystemRandom().randrange(2**32))


async def seeded_database(path: Path) -> int:
    """A database as the bot leaves it after its first start (migrated, seeded, closed); its term count."""
    database = await Database.open(path)
    try:
        store = GlossaryStore(database)
        await store.seed(SEED_PATH, read_glossary(SEED_PATH).entries)
        return await store.count_terms()
    finally:
        await database.close()


def count_terms(path: Path) -> int:
    return int(str(scalar(path, "SELECT count(*) FROM terms")))


# ---- during an import ---------------------------------------------------------------------------------


def generate_glossary(path: Path, count: int) -> None:
    """`count` new terms with aliases, explanations and relations (to each other and to seed terms)."""
    names = [f"Crash Test Term {number:05d}" for number in range(count)]
    entries = [
        Entry(
            term=name,
            definition=f"Generated term number {number}, one of {count}.",
            description=" ".join(["An explanation long enough to fill pages."] * 8),
            aliases=(f"CTT {number}", f"crash alias {number}"),
            related=(*(names[other] for other in (number - 1, number - 7) if other >= 0), "Large Language Model"),
            category="Generated",
        )
        for number, name in enumerate(names)
    ]
    write_own_format(entries, path)


def wait_for_write_lock(database: Path, process: subprocess.Popen[str]) -> float | None:
    """When `process` holds the database's write lock, i.e. is inside its import transaction (the
    CLI's first write); None if it finished first. Probing takes the lock for an instant when it is
    free, which only makes the importer's BEGIN wait that instant."""
    with contextlib.closing(sqlite3.connect(database, timeout=0, isolation_level=None)) as probe:
        while process.poll() is None:
            try:
                probe.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError:
                return time.monotonic()
            probe.execute("ROLLBACK")
            time.sleep(LOCK_POLL_SECONDS)
    return None


def wait_for_commit(database: Path, process: subprocess.Popen[str]) -> None:
    """Until `process`, inside its transaction, lets go of the write lock: it has committed."""
    with contextlib.closing(sqlite3.connect(database, timeout=0, isolation_level=None)) as probe:
        while process.poll() is None:
            try:
                probe.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError:
                time.sleep(LOCK_POLL_SECONDS)
                continue
            probe.execute("ROLLBACK")
            return


def fresh_copy(base: Path, folder: Path) -> Path:
    folder.mkdir()
    copy = folder / "bot.db"
    shutil.copyfile(base, copy)
    return copy


def spawn_import(glossary: Path, database: Path, cwd: Path) -> subprocess.Popen[str]:
    # No seed file: the import's transaction is the only write, so "the write lock is held" means "in it".
    env = process_env(database, seed_path=cwd / "no-seed.yaml")
    return spawn("bot", "import", glossary, env=env, cwd=cwd)


def run_import_crashes(tmp_path: Path, *, kills: int, entries: int) -> None:
    seed = crash_seed()
    rng = random.Random(seed)
    base = tmp_path / "base.db"
    before = asyncio.run(seeded_database(base))
    after = before + entries
    glossary = tmp_path / "big.csv"
    generate_glossary(glossary, entries)

    # One import to the end, to learn how long the whole run and its transaction take; every kill
    # "just after the commit" measures the transaction again (the machine's load varies).
    database = fresh_copy(base, tmp_path / "whole")
    started = time.monotonic()
    process = spawn_import(glossary, database, tmp_path)
    locked = wait_for_write_lock(database, process) or started
    wait_for_commit(database, process)
    transactions = [time.monotonic() - locked]
    assert process.wait() == 0, process.communicate()
    whole = time.monotonic() - started
    assert count_terms(database) == after
    kill(process)

    tally: Counter[str] = Counter()
    for number in range(kills):
        database = fresh_copy(base, tmp_path / f"kill-{number:03d}")
        process = spawn_import(glossary, database, tmp_path)
        aimed = KILL_POINTS[number % len(KILL_POINTS)]
        if aimed == "anywhere":
            time.sleep(rng.uniform(0, whole))
        elif (locked := wait_for_write_lock(database, process)) is not None:
            if aimed == "in the transaction":
                time.sleep(rng.uniform(0, statistics.median(transactions)))
            else:
                wait_for_commit(database, process)
                transactions.append(time.monotonic() - locked)
        code = kill(process)
        terms = count_terms(database)
        context = f"kill {number} ({aimed}), CRASH_SEED={seed}"
        assert terms in (before, after), f"{terms} terms after {context}: neither {before} nor {after}"
        assert database_problems(database) == [], context
        outcome = "finished first" if code == 0 else ("nothing imported" if terms == before else "all imported")
        tally[f"{aimed}: {outcome}"] += 1

    # The last crashed database takes the same import again, to the end.
    finished = run_cli("import", glossary, env=process_env(database, seed_path=tmp_path / "no-seed.yaml"), cwd=tmp_path)
    assert finished.returncode == 0, finished.stderr
    assert count_terms(database) == after and database_problems(database) == []
    print(
        f"\nimport of {entries} entries ({whole:.1f} s, {statistics.median(transactions):.1f} s in its transaction): "
        f"{sum(tally.values())} kills (seed {seed}): {dict(sorted(tally.items()))}"
    )
    assert sum(tally.values()) == kills >= MIN_KILLS


def test_an_import_killed_at_random_points_is_all_or_nothing(tmp_path: Path) -> None:
    # A smaller file than the soak's few thousand entries: each of the 20 kills runs a fresh import.
    run_import_crashes(tmp_path, kills=MIN_KILLS, entries=600)


@pytest.mark.soak
def test_an_import_killed_at_random_points_is_all_or_nothing_soak(tmp_path: Path) -> None:
    run_import_crashes(tmp_path, kills=100, entries=5_000)


# ---- during an editor's change ------------------------------------------------------------------------

EDIT_KILL_WINDOW = 0.3
"""Seconds after the worker starts editing within which it is killed: dozens of edits' worth."""
EDITED_TERM = "Large Language Model"
RELATED = ("Transformer", "Token", "Embedding", "Fine-Tuning", "Prompt Engineering")


@dataclass(frozen=True)
class EditedTerm:
    term_id: int
    base: Entry


async def edited_term(path: Path) -> EditedTerm:
    database = await Database.open(path)
    try:
        term_id = int(str(await database.fetch_value("SELECT id FROM terms WHERE name = ?", (EDITED_TERM,))))
        base = await CurationStore(database).entry_of(term_id)
        assert base is not None
        return EditedTerm(term_id, base)
    finally:
        await database.close()


async def check_edit_state(path: Path, term: EditedTerm) -> int:
    """The term is exactly as the last recorded edit left it, and that edit's history row is whole."""
    database = await Database.open(path)
    try:
        store = CurationStore(database)
        edits = await edit_count(database, term.term_id)
        current = await store.entry_of(term.term_id)
        assert current == edit_version(term.base, edits, RELATED), f"not the state of edit {edits}"
        if edits:
            latest = await database.fetch_value("SELECT max(id) FROM term_changes WHERE term_id = ?", (term.term_id,))
            change = await store.change(int(str(latest)))
            assert change is not None
            assert change.after == current
            assert change.before == edit_version(term.base, edits - 1, RELATED)
        return edits
    finally:
        await database.close()


def run_edit_crashes(tmp_path: Path, *, kills: int) -> None:
    seed = crash_seed()
    rng = random.Random(seed)
    database = tmp_path / "bot.db"
    asyncio.run(seeded_database(database))
    term = asyncio.run(edited_term(database))
    env = process_env(database)
    edits = 0
    for number in range(kills):
        process = spawn("tests.crash_worker", "edit", database, term.term_id, *RELATED, env=env, cwd=tmp_path)
        assert process.stdout is not None
        assert process.stdout.readline().strip() == READY, process.communicate()
        time.sleep(rng.uniform(0, EDIT_KILL_WINDOW))
        assert kill(process) == -signal.SIGKILL
        context = f"kill {number}, CRASH_SEED={seed}"
        assert database_problems(database) == [], context
        done = asyncio.run(check_edit_state(database, term))
        assert done >= edits, context  # nothing committed was lost
        edits = done
    print(f"\neditor's changes: {kills} kills (seed {seed}), {edits} edits committed, each state exact")
    assert edits > kills  # the kills landed among edits, not before the first one


def test_editor_changes_killed_at_random_points_leave_the_term_whole(tmp_path: Path) -> None:
    run_edit_crashes(tmp_path, kills=MIN_KILLS)


@pytest.mark.soak
def test_editor_changes_killed_at_random_points_leave_the_term_whole_soak(tmp_path: Path) -> None:
    run_edit_crashes(tmp_path, kills=150)


# ---- during a broadcast -------------------------------------------------------------------------------

BROADCAST_KILL_WINDOW = 1.5
"""Seconds after a life's first history lookup, or first post, within which the bot is killed. A
restarted bot first looks for the posts of every delivery its predecessor left claimed (25 at most,
paced at 40 a second), then sends: the window spans both."""
FIRST_CHANNEL_ID = 1_600_000_000_000_000_000
MESSAGE_PATHS = r"/channels/\d+/messages"


async def subscribe_channels(path: Path, channels: list[int], slot: Slot) -> None:
    database = await Database.open(path)
    try:
        store = PulseStore(database)
        await store.save_points(
            [DataPoint(slot.week, f"Example {rank}", f"Example headline {rank}", rank=rank) for rank in (1, 2, 3)]
        )
        for channel_id in channels:
            await store.subscribe(
                channel_id=channel_id,
                guild_id=GUILD_ID,
                role_id=None,
                hour=slot.hour,
                timezone=slot.zone,
                created_by=MANAGER_ID,
                next_week=slot.week,
                next_due_at=slot.start,
            )
    finally:
        await database.close()


@dataclass
class Broadcast:
    fake: FakeDiscord
    database: Path
    channels: list[int]
    week: str
    tmp_path: Path

    def env(self, rate: float) -> dict[str, str]:
        env = process_env(
            self.database,
            discord_token="fake-token",
            editor_user_ids=EDITOR_ID,
            pulse_grace_hours=GRACE_HOURS,
            pulse_requests_per_second=rate,
        )
        env[API_VARIABLE] = self.fake.base_url
        env[GATEWAY_VARIABLE] = self.fake.gateway_url
        return env

    async def start(self, rate: float) -> BotProcess:
        return await BotProcess.start(self.env(rate), self.tmp_path, self.tmp_path / "bot.log")

    async def start_connected(self, rate: float) -> BotProcess:
        """Started and connected, so its signal handlers are in place (as when systemd stops it)."""
        identified = self.fake.identify_count
        process = await self.start(rate)
        await process.wait_until(lambda: self.fake.identify_count > identified, "the bot's IDENTIFY")
        return process

    def posts(self, channel_id: int) -> list[dict[str, object]]:
        footer = footer_text(self.week)
        return [
            message
            for message in self.fake.messages_in(channel_id)
            if any(embed.get("footer", {}).get("text") == footer for embed in message.get("embeds", []))
        ]

    def message_requests(self, *, sends_only: bool = False) -> int:
        sends = len(self.fake.requests_to("POST", MESSAGE_PATHS))
        return sends if sends_only else sends + len(self.fake.requests_to("GET", MESSAGE_PATHS))

    def sent(self) -> int:
        return int(str(scalar(self.database, "SELECT count(*) FROM deliveries WHERE state = 'sent'")))

    async def wait_for_posting(self, process: BotProcess, *, sends_only: bool = False) -> None:
        """Until this life of the bot posts, or looks for an earlier post unless `sends_only` (or has
        nothing left to do). A restarted bot first looks for the posts its predecessor may have made."""
        mark = self.message_requests(sends_only=sends_only)
        await process.wait_until(
            lambda: self.message_requests(sends_only=sends_only) > mark or self.all_done(), "a post"
        )

    def all_done(self) -> bool:
        return all(self.posts(channel_id) for channel_id in self.channels) and self.sent() == len(self.channels)

    def check(self, context: str) -> int:
        """Never two posts in a channel; a delivery is claimed, or sent with the post Discord has."""
        assert database_problems(self.database) == [], context
        with contextlib.closing(sqlite3.connect(self.database)) as connection:
            rows = connection.execute(
                "SELECT channel_id, state, message_id FROM deliveries WHERE week = ?", (self.week,)
            )
            deliveries = {row[0]: (row[1], row[2]) for row in rows}
        for channel_id in self.channels:
            posts = self.posts(channel_id)
            assert len(posts) <= 1, f"{len(posts)} posts in channel {channel_id} after {context}"
            state, message_id = deliveries.get(channel_id, (None, None))
            assert state in (None, "claimed", "sent"), context
            if state == "sent":
                assert posts and int(str(posts[0]["id"])) == message_id, f"channel {channel_id} after {context}"
        return sum(1 for channel_id in self.channels if self.posts(channel_id))


@pytest.fixture
async def pulse_world(tmp_path: Path) -> AsyncIterator[FakeDiscord]:
    # nonce_window=0: Discord's own dedupe is off, so only the bot's claim, history lookup and record
    # can keep a post from being sent twice.
    fake = FakeDiscord(nonce_window=0)
    populate_world(fake)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()
    fake.assert_clean()


async def run_broadcast_crashes(fake: FakeDiscord, tmp_path: Path, *, kills: int, channel_count: int) -> None:
    seed = crash_seed()
    rng = random.Random(seed)
    channels = [FIRST_CHANNEL_ID + number for number in range(channel_count)]
    for channel_id in channels:
        fake.add_channel(GUILD_ID, channel_id, f"pulse-{channel_id % 10_000}")
    database = tmp_path / "bot.db"
    slot = due_slot(datetime.now(UTC))
    await subscribe_channels(database, channels, slot)
    broadcast = Broadcast(fake, database, channels, slot.week, tmp_path)

    posted = []
    for number in range(kills):
        process = await broadcast.start(rate=40)
        await broadcast.wait_for_posting(process, sends_only=number % 2 == 1)  # in turn: lookups, sends
        await asyncio.sleep(rng.uniform(0, BROADCAST_KILL_WINDOW))
        await process.kill()
        posted.append(broadcast.check(f"kill {number}, CRASH_SEED={seed}"))

    # A graceful stop mid-broadcast leaves it as consistent as a kill, with the database closed.
    process = await broadcast.start_connected(rate=40)
    await broadcast.wait_for_posting(process, sends_only=True)
    process.signal(signal.SIGTERM)
    assert await process.wait() == 0, process.log()
    stopped_with = broadcast.check(f"the SIGTERM after {kills} kills, CRASH_SEED={seed}")
    assert wal_is_empty(database)

    process = await broadcast.start_connected(rate=50)
    try:
        await process.wait_until(broadcast.all_done, "every channel's post")
        process.signal(signal.SIGTERM)
        assert await process.wait() == 0, process.log()
    finally:
        await process.kill()
    assert broadcast.check(f"the final run, CRASH_SEED={seed}") == channel_count
    assert [len(broadcast.posts(channel_id)) for channel_id in channels] == [1] * channel_count
    recovered = len(fake.requests_to("GET", MESSAGE_PATHS))
    print(
        f"\nbroadcast to {channel_count} channels: {kills} kills (seed {seed}); channels with their post after "
        f"each kill: {posted}; {stopped_with} after a SIGTERM; {recovered} history lookups for unconfirmed "
        "deliveries; exactly one post in every channel"
    )
    assert len(posted) == kills


async def test_a_broadcast_killed_at_random_points_posts_exactly_once_per_channel(
    pulse_world: FakeDiscord, tmp_path: Path
) -> None:
    # Fewer kills than the other scenarios: each kill costs a whole bot start (about a second).
    await run_broadcast_crashes(pulse_world, tmp_path, kills=6, channel_count=120)


@pytest.mark.soak
async def test_a_broadcast_killed_at_random_points_posts_exactly_once_per_channel_soak(
    pulse_world: FakeDiscord, tmp_path: Path
) -> None:
    await run_broadcast_crashes(pulse_world, tmp_path, kills=30, channel_count=600)
