"""Fuzzing every way a user reaches the bot, through the fake Discord and the real discord.py client.

Hypothesis generates command options, autocomplete texts, modal submissions, button clicks with forged
custom ids and "Explain terms" targets, from members, editors, managers, another server and DMs. After
every generated case the same invariants hold (see `Guard`):

* the interaction was answered, within Discord's 3 s;
* an answer without an embed (a refusal, an error, a confirmation) is ephemeral and short, and is
  never the generic "something went wrong" that stands for an unhandled exception;
* nothing was logged at ERROR or with a traceback (the whole process's logging is captured);
* no message pings anyone: ``mentions`` and ``mention_roles`` empty (except a pulse post's own role),
  ``mention_everyone`` false, and the fake saw no violation of Discord's limits or mention policy;

and at the end the database passes ``PRAGMA integrity_check`` and ``foreign_key_check``.

How Hypothesis and asyncio meet: one rig (fake Discord + bot) runs on the test's event loop for the
whole test function; the `@given` function runs in a worker thread (`asyncio.to_thread`) and submits
each case to that loop with `asyncio.run_coroutine_threadsafe`, so the bot and the fake keep running
between cases. Each test prints how many cases were generated; the `soak` variants run many more.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.pulse import NEWSLETTER_NAME
from bot.errors import GENERIC_FAILURE
from bot.store.db import Database
from tests.e2e.fake_discord import JSON, FakeDiscord, InteractionResult, custom_ids
from tests.e2e.rig import (
    CHANNEL_ID,
    EDITOR_ID,
    GUILD_ID,
    MANAGER_ID,
    MEMBER_ID,
    OTHER_CHANNEL_ID,
    OTHER_GUILD_ID,
    OTHER_MEMBER_ID,
    OTHER_OWNER_ID,
    OWNER_ID,
    ROLE_ID,
    SECOND_CHANNEL_ID,
    Rig,
)

T = TypeVar("T")

QUICK = 200
"""Generated cases per test in the default run (all fuzz tests together stay well under 40 s)."""
SOAK = 1500
CASE_TIMEOUT = 30.0
DEADLINE = 3.0
"""Discord's limit for the first answer to an interaction."""
SHORT_ANSWER = 600
"""A refusal or error is a sentence or two, not a wall of text."""
CASES: Counter[str] = Counter()
FUZZ_SETTINGS: dict[str, Any] = {
    "deadline": None,
    "suppress_health_check": list(HealthCheck),
}


def sizes(quick: int = QUICK) -> pytest.MarkDecorator:
    """The default run, and a `soak` variant with ten times as many cases."""
    return pytest.mark.parametrize(
        "examples", [pytest.param(quick, id="quick"), pytest.param(SOAK, id="soak", marks=pytest.mark.soak)]
    )


# ==================================================================================================
# invariants
# ==================================================================================================
class ErrorLog(logging.Handler):
    """Every record at ERROR or above, or carrying a traceback, from any logger of the process."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR or record.exc_info:
            self.records.append(record)

    def take(self) -> list[str]:
        """The records so far, formatted (traceback included), and forget them."""
        formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
        taken = [formatter.format(record) for record in self.records]
        self.records.clear()
        return taken


@contextlib.contextmanager
def capture_errors() -> Iterator[ErrorLog]:
    """Collect what the whole process logs at ERROR or with a traceback, while the block runs."""
    handler = ErrorLog()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


@pytest.fixture
def error_log() -> Iterator[ErrorLog]:
    """Request it before `rig` so that the bot's start is watched too."""
    with capture_errors() as errors:
        yield errors


async def database_problems(database: Database) -> list[str]:
    problems: list[str] = []
    integrity = [tuple(row) for row in await database.fetch_all("PRAGMA integrity_check")]
    if integrity != [("ok",)]:
        problems.append(f"integrity_check: {integrity}")
    foreign = [tuple(row) for row in await database.fetch_all("PRAGMA foreign_key_check")]
    if foreign:
        problems.append(f"foreign_key_check: {foreign}")
    return problems


def outcome(result: InteractionResult) -> str:
    """A coarse label for an answer: its kind, and for text answers their first words."""
    data = result.payload.get("data") or {}
    what = str(data.get("name") or data.get("custom_id") or "?")[:20]
    if result.type == 8:
        return f"{what}: choices"
    if result.type == 9:
        return f"{what}: form"
    message = result.message or {}
    if message.get("embeds"):
        return f"{what}: embed"
    return f"{what}: {' '.join(str(message.get('content') or '').split()[:4])}"


def is_pulse_post(message: JSON) -> bool:
    embeds = message.get("embeds") or []
    footer = str(((embeds[0] if embeds else {}).get("footer") or {}).get("text") or "")
    return "interaction_metadata" not in message and footer.startswith(NEWSLETTER_NAME)


def ping_problems(message: JSON) -> list[str]:
    """Why this message would notify someone, if it would."""
    problems = []
    if message.get("mentions"):
        problems.append(f"mentions users {[u['id'] for u in message['mentions']]}")
    roles = list(message.get("mention_roles") or [])
    if roles and not (is_pulse_post(message) and len(roles) == 1 and message.get("content") == f"<@&{roles[0]}>"):
        problems.append(f"mentions roles {roles}")
    if message.get("mention_everyone"):
        problems.append("mentions everyone")
    return problems


class Guard:
    """Checks the invariants after each generated case; a broken one fails that case (and is cleared, so
    Hypothesis can shrink to the case that caused it)."""

    def __init__(self, rig: Rig, errors: ErrorLog) -> None:
        self.rig = rig
        self.fake: FakeDiscord = rig.fake
        self.errors = errors
        self._seen: dict[str, str] = {}
        """Each bot message's state when last checked: only new or changed messages are checked again."""
        self.outcomes: Counter[str] = Counter()
        """What the answers were, coarsely (printed at the end, to see what the cases reached)."""

    async def answer(self, result: InteractionResult) -> InteractionResult:
        """The checks on one interaction's answer."""
        assert result.answered, f"{result!r} was not answered"
        assert result.latency is not None and result.latency < DEADLINE, f"{result!r} answered too late"
        self.outcomes[outcome(result)] += 1
        if result.type in (4, 5, 7):
            message = await result.final_message()
            # An update (7) keeps the visibility of the message the button is on; a new answer must be private.
            self._check_reply(result, message, new=result.type != 7)
        for followup in result.followup_messages:
            self._check_reply(result, followup, new=True)
        if result.type == 8:
            assert len(result.choices) <= 25
        return result

    def _check_reply(self, result: InteractionResult, message: JSON, *, new: bool) -> None:
        content = str(message.get("content") or "")
        assert GENERIC_FAILURE not in content, f"{result!r}: an unhandled exception reached the user"
        if not message.get("embeds") and not message.get("components"):
            flags = int(message.get("flags") or 0)
            assert flags & 64 or not new, f"{result!r}: a bare text answer must be ephemeral: {content[:200]!r}"
            assert len(content) <= SHORT_ANSWER, f"{result!r}: {len(content)} characters is not short"

    async def world(self) -> None:
        """The checks on everything: logs, pings, the fake's findings."""
        problems = [f"logged: {line}" for line in self.errors.take()]
        for message in self.fake.messages.values():
            if message["author"]["id"] != str(self.fake.bot_id):
                continue  # users may ping; the bot never does
            state = repr((message.get("content"), message.get("mentions"), message.get("mention_roles")))
            if self._seen.get(message["id"]) == state:
                continue
            self._seen[message["id"]] = state
            problems += [f"message {message['id']} {p}: {message.get('content')!r}" for p in ping_problems(message)]
        problems += [f"fake Discord: {violation}" for violation in self.fake.violations]
        problems += [f"unhandled route: {r.method} {r.path}" for r in self.fake.unhandled]
        self.fake.violations.clear()
        self.fake.unhandled.clear()
        assert not problems, "\n".join(problems)

    async def database(self) -> None:
        assert await database_problems(self.rig.bot.database) == []


async def fuzz(
    rig: Rig,
    errors: ErrorLog,
    name: str,
    *,
    examples: int,
    strategy: st.SearchStrategy[T],
    case: Callable[[Guard, T], Awaitable[object]],
) -> int:
    """Run `case` for `examples` generated values on the running rig; check invariants after each."""
    loop = asyncio.get_running_loop()
    rig.fake.interaction_timeout = DEADLINE + 0.5  # an unanswered case fails (and shrinks) quickly
    guard = Guard(rig, errors)
    await guard.world()  # the start itself was clean

    async def one(value: T) -> None:
        try:
            await case(guard, value)
        finally:
            await guard.world()

    @settings(max_examples=examples, **FUZZ_SETTINGS)
    @given(strategy)
    def run(value: T) -> None:
        CASES[name] += 1
        future = asyncio.run_coroutine_threadsafe(one(value), loop)
        try:
            future.result(CASE_TIMEOUT)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise

    await asyncio.to_thread(run)
    await guard.world()
    await guard.database()
    print(f"\nfuzz {name}: {CASES[name]} generated cases, {guard.outcomes.total()} interactions answered")
    for what, count in guard.outcomes.most_common(12):
        print(f"  {count:5d}  {what}")
    return CASES[name]


# ==================================================================================================
# strategies
# ==================================================================================================
KNOWN_TERMS = (
    "LLM",
    "llm",
    "Large Language Model",
    "large-language models",
    "ChatGPT",
    "RLHF",
    "Fine-Tuning",
    "self supervised learning",
    "frontir model",
    "AGI",
)
HOSTILE_TEXT = (
    "",
    " ",
    "\n\n",
    "@everyone",
    "@here hello",
    "<@123456789012345678>",
    f"<@!{EDITOR_ID}>",
    f"<@&{ROLE_ID}>",
    f"<@&{GUILD_ID}>",
    f"<#{CHANNEL_ID}>",
    "</define:1>",
    "<t:0:R>",
    "**bold** `code` ||spoiler|| ~~x~~ > quote",
    "[link](https://evil.example) discord.gg/invite",
    "\u202egninrael\u202c",
    "self\u200bsupervised\u200d learning",
    "'; DROP TABLE terms; --",
    '" OR 1=1 --',
    "%s %d {0} {term}",
    "\x00\x01\x7f",
    "e\u0301\u0301\u0301\u0301",
    "🤖" * 30,
    "ﷺ" * 20,
    "x" * 100,
    "x" * 101,
    "word " * 400,
    "-",
    "*",
    "\\",
    "NOT",
    '"exact phrase"',
)
text = st.one_of(
    st.sampled_from(KNOWN_TERMS),
    st.sampled_from(HOSTILE_TEXT),
    st.text(max_size=40),
    st.text(max_size=300),
    st.lists(st.one_of(st.sampled_from(KNOWN_TERMS), st.sampled_from(HOSTILE_TEXT), st.text(max_size=10))).map(
        " ".join
    ),
)
short_text = text.map(lambda value: value[:120])
big_int = st.one_of(
    st.sampled_from([0, 1, -1, 2, 23, 24, 25, 99, 2**31, 2**53 - 1, 2**53, -(2**53)]),
    st.integers(-(2**53), 2**53),
    st.integers(0, 30),
)
snowflake = st.one_of(
    st.sampled_from(
        [CHANNEL_ID, SECOND_CHANNEL_ID, OTHER_CHANNEL_ID, ROLE_ID, GUILD_ID, OTHER_GUILD_ID, MEMBER_ID, 0, 1, 2**64 - 1]
    ),
    st.integers(0, 2**64 - 1),
)
time_zone = st.one_of(
    st.sampled_from(
        [
            "UTC",
            "utc",
            "Europe/Berlin",
            "europe/berlin",
            "new york",
            "America/New_York",
            "Asia/Kathmandu",
            "Pacific/Chatham",
            "Pacific/Kiritimati",
            "Etc/GMT+12",
            "Etc/GMT-14",
            "EST5EDT",
            "localtime",
            "posixrules",
            "Factory",
            "right/UTC",
            "../../etc/passwd",
            "/etc/localtime",
            "Europe/../Europe/Berlin",
            "UTC\x00",
            "C:\\Windows",
            "x" * 64,
            "x" * 65,
        ]
    ),
    text,
)
week = st.one_of(
    st.sampled_from(["", "2026-W48", "2026-w48", "2026-W53", "2020-W53", "2026-W00", "2026-W54", "9999-W52", "W48"]),
    st.text(max_size=12),
)

category = st.one_of(st.sampled_from(["-", "Inference", "Training", "x" * 65]), short_text)
url = st.one_of(
    st.sampled_from(["-", "https://example.org/q", "http://a.b/c?d=e"]),
    st.sampled_from(["javascript:alert(1)", "http://", "https://[example.org/x", "http://a.b:99999/", "x" * 600]),
    text,
)


GUILD_USERS = (MEMBER_ID, EDITOR_ID, MANAGER_ID, OWNER_ID)
"""Our server's members: no rights, an editor, a manager (Manage Server), the owner (both)."""


@st.composite
def actor(draw: st.DrawFn, users: tuple[int, ...] = GUILD_USERS, away: int = 2) -> dict[str, Any]:
    """Keyword arguments for the fake's user actions: one of `users` in our server, or (about `away` times
    in 5) the member of another server, or one of `users` in a DM."""
    place = draw(st.sampled_from(["guild"] * (5 - away) + ["other", "dm"] * away))
    if place == "other":
        return {"user_id": OTHER_MEMBER_ID, "guild_id": OTHER_GUILD_ID}
    user = draw(st.sampled_from(users))
    if place == "dm":
        return {"user_id": user, "dm": True}
    return {"user_id": user, "guild_id": GUILD_ID}


def clicker(who: dict[str, Any], someone_else: bool) -> int:
    """The user who acts on an answer: its asker, or another member where the answer is."""
    if not someone_else or who.get("dm"):
        return int(who["user_id"])
    if who.get("guild_id") == OTHER_GUILD_ID:
        return OTHER_OWNER_ID
    return MEMBER_ID if who["user_id"] != MEMBER_ID else EDITOR_ID


def one_in(n: int) -> st.SearchStrategy[bool]:
    """True about once in `n` draws (small integers are not uniform in Hypothesis; a sample is)."""
    return st.sampled_from([True] + [False] * (n - 1))


def options(**strategies: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Some of the options (each may be left out, as a user may)."""
    return st.fixed_dictionaries({}, optional=strategies)


# ==================================================================================================
# /define
# ==================================================================================================
@sizes()
async def test_define_and_its_autocomplete_and_buttons(error_log: ErrorLog, rig: Rig, examples: int) -> None:
    async def case(guard: Guard, value: tuple[str, dict[str, Any], dict[str, Any], int, bool]) -> None:
        kind, opts, who, pick, someone_else = value
        if kind == "autocomplete":
            await guard.answer(await rig.fake.autocomplete("define", {"term": opts.get("term", "")}, **who))
            return
        result = await guard.answer(await rig.fake.slash("define", opts, **who))
        ids = custom_ids(result.message or {})
        if ids:  # the asker, or someone else in the channel, follows a related term or a suggestion
            await guard.answer(await rig.fake.click(result, ids[pick % len(ids)], user_id=clicker(who, someone_else)))

    strategy = st.tuples(
        st.sampled_from(["slash", "slash", "autocomplete"]),
        st.fixed_dictionaries({"term": text}, optional={"private": st.booleans()}),
        actor(),
        st.integers(0, 24),
        st.booleans(),
    )
    await fuzz(rig, error_log, f"/define ({examples})", examples=examples, strategy=strategy, case=case)


# ==================================================================================================
# /pulse
# ==================================================================================================
our_channel = st.one_of(st.sampled_from([CHANNEL_ID, SECOND_CHANNEL_ID]), snowflake)
our_role = st.one_of(st.sampled_from([ROLE_ID, GUILD_ID]), snowflake)
hour = st.one_of(st.integers(0, 23), big_int)
PULSE_COMMANDS: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "subscribe": st.fixed_dictionaries(
        {"channel": our_channel}, optional={"role": our_role, "hour": hour, "timezone": time_zone}
    ),
    "unsubscribe": st.fixed_dictionaries({"channel": our_channel}),
    "status": st.just({}),
    "preview": st.just({}),
    "add": st.fixed_dictionaries(
        {"figure": short_text, "headline": text},
        optional={
            "detail": text,
            "source_url": st.one_of(text, url),
            "week": week,
            "rank": big_int,
        },
    ),
    "list": options(week=week),
    "remove": st.fixed_dictionaries({"point": big_int}),
}


@st.composite
def pulse_action(draw: st.DrawFn) -> tuple[str, str, dict[str, Any], dict[str, Any]]:
    command = draw(st.one_of(st.just("subscribe"), st.sampled_from(sorted(PULSE_COMMANDS))))
    kind = "autocomplete" if command == "subscribe" and draw(one_in(4)) else "slash"
    who = draw(actor((MANAGER_ID, MANAGER_ID, EDITOR_ID, OWNER_ID, MEMBER_ID)))
    return kind, command, draw(PULSE_COMMANDS[command]), who


@sizes()
async def test_pulse_commands_with_absurd_options(error_log: ErrorLog, rig: Rig, examples: int) -> None:
    async def case(guard: Guard, value: tuple[str, str, dict[str, Any], dict[str, Any]]) -> None:
        kind, command, opts, who = value
        if kind == "autocomplete":
            typed = {"channel": opts["channel"], "timezone": opts.get("timezone", "")}
            await guard.answer(await rig.fake.autocomplete("pulse subscribe", typed, "timezone", **who))
        else:
            await guard.answer(await rig.fake.slash(f"pulse {command}", opts or None, **who))

    await fuzz(rig, error_log, f"/pulse ({examples})", examples=examples, strategy=pulse_action(), case=case)


# ==================================================================================================
# /glossary and its forms
# ==================================================================================================
FORM_INPUTS = ("name", "definition", "explanation", "aliases", "related")
form_values = st.fixed_dictionaries(
    {},
    optional={
        "name": st.one_of(short_text, st.text(min_size=1, max_size=20)),
        "definition": text,
        "explanation": text,
        "aliases": st.lists(st.one_of(short_text, st.sampled_from(KNOWN_TERMS)), max_size=4).map(", ".join),
        "related": st.lists(st.one_of(short_text, st.sampled_from(KNOWN_TERMS)), max_size=4).map("; ".join),
    },
)


def glossary_commands(names: list[str]) -> dict[str, st.SearchStrategy[dict[str, Any]]]:
    """Options of each /glossary command; `names` are the glossary's terms, so most commands find theirs."""
    term = st.one_of(st.sampled_from(names), st.sampled_from(names).map(str.upper), st.sampled_from(KNOWN_TERMS), text)
    return {
        "add": options(category=category, url=url),
        "edit": st.fixed_dictionaries({"term": term}, optional={"category": category, "url": url}),
        "remove": st.fixed_dictionaries({"term": term}),
        "alias": st.fixed_dictionaries({"term": term, "alias": short_text}),
        "relate": st.fixed_dictionaries({"term": term, "other": term}),
        "history": st.fixed_dictionaries({"term": term}),
        "revert": st.fixed_dictionaries({"change": st.one_of(st.integers(1, 40), big_int)}),
        "stats": st.just({}),
    }


AUTOCOMPLETED = {"add": "category", "edit": "term", "remove": "term", "alias": "term", "relate": "other"}


@st.composite
def glossary_action(draw: st.DrawFn, names: list[str]) -> dict[str, Any]:
    commands = glossary_commands(names)
    command = draw(st.one_of(st.sampled_from(["add", "edit"]), st.sampled_from(sorted(commands))))
    opts = draw(commands[command])
    focus = AUTOCOMPLETED.get(command, "change" if command == "revert" else None)
    autocomplete = focus is not None and draw(one_in(5))
    if autocomplete and focus is not None:
        opts = {**opts, focus: draw(short_text)}
    return {
        "command": command,
        "options": opts,
        "autocomplete": focus if autocomplete else None,
        "who": draw(actor((EDITOR_ID, EDITOR_ID, EDITOR_ID, OWNER_ID, MEMBER_ID), away=1)),
        "form": draw(form_values),
        "forged_form": draw(one_in(4)),
        "button": draw(st.sampled_from(["Remove", "Cancel", "Fix and try again", None])),
        "forged_click": draw(one_in(4)),
    }


@sizes()
async def test_glossary_commands_forms_and_prompts(error_log: ErrorLog, rig: Rig, examples: int) -> None:
    async def case(guard: Guard, action: dict[str, Any]) -> None:
        command, opts, who = action["command"], action["options"], action["who"]
        if action["autocomplete"]:
            result = await rig.fake.autocomplete(f"glossary {command}", opts, action["autocomplete"], **who)
            await guard.answer(result)
            return
        result = await guard.answer(await rig.fake.slash(f"glossary {command}", opts or None, **who))
        if result.modal is not None:  # submitted by the editor who opened it, or forged by someone else
            submitter = {**who, "user_id": clicker(who, action["forged_form"])}
            result = await guard.answer(
                await rig.fake.submit_modal(result.modal["custom_id"], action["form"], **submitter)
            )
        await press(guard, result, action["button"], clicker(who, action["forged_click"]))

    names = [str(row[0]) for row in await rig.bot.database.fetch_all("SELECT name FROM terms ORDER BY name")]
    strategy = glossary_action(names)
    await fuzz(rig, error_log, f"/glossary ({examples})", examples=examples, strategy=strategy, case=case)


async def press(guard: Guard, result: InteractionResult, label: str | None, user: int) -> None:
    """Click the button labelled `label` on the answer, if it has one."""
    message = result.message
    if label is None or message is None:
        return
    buttons = [
        c for row in message.get("components") or [] for c in row.get("components") or [] if c.get("label") == label
    ]
    if not buttons or buttons[0].get("disabled"):
        return
    await guard.answer(await guard.fake.click(message, buttons[0]["custom_id"], user_id=user))


# ==================================================================================================
# /search, /random, Explain terms
# ==================================================================================================
def discovery_loaded(rig: Rig) -> None:
    if rig.bot.get_cog("Discovery") is None:
        pytest.skip("the discovery cog (/search, /random, Explain terms) is not loaded")


embed_field = st.fixed_dictionaries({"name": short_text, "value": text})
embed = st.fixed_dictionaries(
    {}, optional={"title": short_text, "description": text, "fields": st.lists(embed_field, max_size=3)}
)


@st.composite
def discovery_action(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["search", "search", "random", "random-autocomplete", "explain", "explain"]))
    return {
        "kind": kind,
        "query": draw(text),
        "category": draw(st.one_of(st.none(), category, st.sampled_from(["", "Training", "inference"]))),
        "content": draw(text),
        "embeds": draw(st.lists(embed, max_size=2)),
        "who": draw(actor()),
        "page": draw(st.sampled_from(["Next ▶", "◀ Previous", None])),
        "someone_else": draw(st.booleans()),
    }


@sizes()
async def test_search_random_and_explain_terms(error_log: ErrorLog, rig: Rig, examples: int) -> None:
    discovery_loaded(rig)

    async def case(guard: Guard, action: dict[str, Any]) -> None:
        who = action["who"]
        if action["kind"] == "search":
            result = await guard.answer(await rig.fake.slash("search", {"query": action["query"]}, **who))
            await press(guard, result, action["page"], clicker(who, action["someone_else"]))
        elif action["kind"] == "random":
            opts = None if action["category"] is None else {"category": action["category"]}
            await guard.answer(await rig.fake.slash("random", opts, **who))
        elif action["kind"] == "random-autocomplete":
            await guard.answer(await rig.fake.autocomplete("random", {"category": action["category"] or ""}, **who))
        else:
            target = await target_message(rig.fake, who, action["content"], action["embeds"])
            await guard.answer(await rig.fake.message_command("Explain terms", target, **who))

    name = f"/search, /random, Explain terms ({examples})"
    await fuzz(rig, error_log, name, examples=examples, strategy=discovery_action(), case=case)


async def target_message(fake: FakeDiscord, who: dict[str, Any], content: str, embeds: list[JSON]) -> JSON:
    """A message someone posted where the user is (their DM, or a channel of their server)."""
    if who.get("dm"):
        channel_id = int(fake.dm_channel_for(who["user_id"])["id"])
    else:
        channel_id = OTHER_CHANNEL_ID if who.get("guild_id") == OTHER_GUILD_ID else CHANNEL_ID
    author = OTHER_MEMBER_ID if channel_id == OTHER_CHANNEL_ID else MEMBER_ID
    message = await fake.user_message(channel_id, content[:2000], user_id=who["user_id"] if who.get("dm") else author)
    return {**message, "embeds": [{"type": "rich", **e} for e in embeds]}


# ==================================================================================================
# buttons with forged, stale and foreign custom ids
# ==================================================================================================
def bot_message(fake: FakeDiscord, channel_id: int, custom_id: str) -> JSON:
    """A message of the bot's carrying one button with `custom_id` (as a forged or an old message would)."""
    return {
        "id": str(fake.snowflake()),
        "channel_id": str(channel_id),
        "type": 0,
        "author": dict(fake.users[fake.bot_id]),
        "content": "",
        "timestamp": "2026-11-26T12:00:00+00:00",
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": [],
        "pinned": False,
        "flags": 0,
        "components": [{"type": 1, "components": [{"type": 2, "style": 2, "label": "x", "custom_id": custom_id}]}],
    }


digits = st.integers(0, 10**19 - 1).map(str)


@st.composite
def custom_id(draw: st.DrawFn, term_ids: list[int], user: int) -> str:
    """Our templates with any ids (the user's own, someone else's, absurd), near misses of them, a timed-out
    view's random id, and anything at all."""
    owner = draw(st.one_of(st.just(user), st.sampled_from([MEMBER_ID, EDITOR_ID, 0, 10**20 - 1]), digits))
    term_id = draw(st.one_of(st.sampled_from(term_ids), st.sampled_from([0, 10**19 - 1, 2**63 - 1, 2**63]), digits))
    forged = draw(
        st.sampled_from(
            [
                f"gl:t:{term_id}:{owner}",
                f"gl:t:{term_id}:{owner}",
                f"gl:t:{draw(digits)}{draw(digits)}:{owner}",
                f"gl:t:{term_id}:",
                f"gl:t::{owner}",
                f"gl:t:-{term_id}:{owner}",
                f"gl:t:{term_id}:{owner}:extra",
                f"gl:s:{draw(st.integers(0, 9999))}:{owner}:{draw(short_text)}",
                f"gl:s:{draw(st.integers(0, 99999))}:{owner}:",
                f"gl:s::{owner}:x",
                f"gl:form:add:{owner}",
                f"gl:form:edit:{term_id}:{owner}",
                "gl:form:add",
                draw(st.text(alphabet="0123456789abcdef", min_size=32, max_size=32)),  # a timed-out view's id
                draw(st.text(min_size=1, max_size=100)),
            ]
        )
    )
    return forged[:100] or "x"


@sizes()
async def test_forged_stale_and_foreign_buttons(error_log: ErrorLog, rig: Rig, examples: int) -> None:
    removed = await remove_a_term(rig, "ChatGPT")
    rows = await rig.bot.database.fetch_all("SELECT id FROM terms ORDER BY id LIMIT 20")
    term_ids = [int(row[0]) for row in rows] + [removed]

    @st.composite
    def click(draw: st.DrawFn) -> tuple[int, int, str]:
        where = draw(st.sampled_from(["guild", "guild", "other", "dm"]))
        if where == "other":
            channel, user = OTHER_CHANNEL_ID, OTHER_MEMBER_ID
        else:
            user = draw(st.sampled_from(GUILD_USERS))
            channel = int(rig.fake.dm_channel_for(user)["id"]) if where == "dm" else CHANNEL_ID
        return channel, user, draw(custom_id(term_ids, user))

    async def case(guard: Guard, value: tuple[int, int, str]) -> None:
        channel, user, cid = value
        message = bot_message(rig.fake, channel, cid)
        await guard.answer(await rig.fake.click(message, cid, user_id=user))

    await fuzz(rig, error_log, f"buttons ({examples})", examples=examples, strategy=click(), case=case)


async def remove_a_term(rig: Rig, name: str) -> int:
    """Remove a term the way an editor does; its old buttons must say it is gone."""
    term_id = rig.bot.index.term_for(name)
    assert term_id is not None
    prompt = await rig.fake.slash("glossary remove", {"term": name}, user_id=EDITOR_ID, guild_id=GUILD_ID)
    remove = next(c for c in custom_ids(prompt.message or {}))
    await rig.fake.click(prompt, remove, user_id=EDITOR_ID)
    assert rig.bot.index.term_for(name) is None
    return term_id


# ==================================================================================================
# modal submissions nobody opened (stale after a restart, forged, for another term)
# ==================================================================================================
@sizes(80)
async def test_stale_and_forged_form_submissions(error_log: ErrorLog, rig: Rig, examples: int) -> None:
    chatgpt = rig.bot.index.term_for("ChatGPT")

    @st.composite
    def submission(draw: st.DrawFn) -> tuple[str, dict[str, str], dict[str, Any], bool]:
        cid = draw(
            st.one_of(
                st.sampled_from(["gl:form:add", f"gl:form:edit:{chatgpt}", "gl:form:edit:0", "gl:form:edit:x"]),
                st.text(min_size=1, max_size=100),
            )
        )
        values = draw(st.dictionaries(st.sampled_from(FORM_INPUTS), text.map(lambda v: v[:4000]), max_size=5))
        return cid, values, draw(actor((EDITOR_ID, MEMBER_ID))), draw(st.booleans())

    async def case(guard: Guard, value: tuple[str, dict[str, str], dict[str, Any], bool]) -> None:
        cid, values, who, opened_first = value
        if opened_first and cid == "gl:form:add":
            await guard.answer(await rig.fake.slash("glossary add", None, user_id=EDITOR_ID, guild_id=GUILD_ID))
        await guard.answer(await rig.fake.submit_modal(cid, values, **who))

    await fuzz(rig, error_log, f"form submissions ({examples})", examples=examples, strategy=submission(), case=case)


# ==================================================================================================
# what the fuzzing found, pinned down
# ==================================================================================================
async def test_a_button_nothing_handles_any_more_gets_a_short_private_answer(rig: Rig) -> None:
    prompt = await rig.fake.slash("glossary remove", {"term": "LLM"}, user_id=EDITOR_ID, guild_id=GUILD_ID)
    remove = custom_ids(prompt.message or {})[0]
    await rig.restart()  # the prompt's view lived in the old process
    clicked = await rig.fake.click(prompt, remove, user_id=EDITOR_ID)
    assert clicked.type == 4 and clicked.ephemeral and clicked.content.startswith("This button no longer works")
    assert rig.bot.index.term_for("LLM") is not None
    for forged in ("not-ours", "gl:t:12345678901234567890:1", "gl:t::1"):
        answer = await rig.fake.click(bot_message(rig.fake, CHANNEL_ID, forged), forged, user_id=MEMBER_ID)
        assert answer.ephemeral and answer.content.startswith("This button no longer works"), forged


async def test_a_form_submitted_after_a_restart_gets_a_short_private_answer(rig: Rig) -> None:
    opened = await rig.fake.slash("glossary add", None, user_id=EDITOR_ID, guild_id=GUILD_ID)
    assert opened.modal is not None
    await rig.restart()
    values = {"name": "Quokka Sampling", "definition": "Drafting with a small model."}
    submitted = await rig.fake.submit_modal(opened.modal["custom_id"], values, user_id=EDITOR_ID, guild_id=GUILD_ID)
    assert submitted.ephemeral and submitted.content.startswith("This form expired")
    assert rig.bot.index.term_for("Quokka Sampling") is None


@pytest.mark.parametrize(
    ("extra", "refusal"),
    [
        ({"role": CHANNEL_ID}, "That role isn't in this server."),  # an id Discord could not resolve as a role
        ({"hour": -5}, "The hour must be between 0 and 23."),
        ({"hour": 2**53}, "The hour must be between 0 and 23."),
    ],
)
async def test_subscribe_refuses_an_unresolved_role_and_an_impossible_hour(
    rig: Rig, extra: dict[str, int], refusal: str
) -> None:
    options = {"channel": CHANNEL_ID, **extra}
    result = await rig.fake.slash("pulse subscribe", options, user_id=MANAGER_ID, guild_id=GUILD_ID)
    assert result.ephemeral and result.content == refusal
    assert await rig.bot.database.fetch_value("SELECT count(*) FROM subscriptions") == 0


async def test_malformed_links_are_refused_not_raised(error_log: ErrorLog, rig: Rig) -> None:
    bad = "https://[example.org/x"  # an unclosed IPv6 bracket: urlsplit raises on it
    added = await rig.fake.slash("glossary add", {"url": bad}, user_id=EDITOR_ID, guild_id=GUILD_ID)
    assert added.ephemeral and added.content.startswith("Not saved: the URL")
    point = {"figure": "1", "headline": "h", "week": "2027-W01", "source_url": bad}
    refused = await rig.fake.slash("pulse add", point, user_id=EDITOR_ID, guild_id=GUILD_ID)
    assert refused.ephemeral and "source_url is not an http(s) link" in refused.content
    assert error_log.take() == []
