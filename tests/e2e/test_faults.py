"""Discord misbehaving, through the fake: 429 and 5xx storms, lost responses, dropped and ended gateway sessions.

What must hold: every interaction is still answered in time (discord.py retries a 429 that carries a
``Via`` header after its ``retry_after``, and a 5xx after 1 s; interaction callbacks are exempt from the
global rate limit), a broadcast still leaves exactly one post in every channel (none lost, none doubled),
the bot keeps answering after every kind of gateway trouble, and it logs no unexpected error.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
from aiohttp import web

from bot.cogs.pulse import Pulse
from bot.core.pulse import NEWSLETTER_NAME
from tests.e2e.fake_discord import FakeDiscord, InteractionResult, custom_ids
from tests.e2e.rig import CHANNEL_ID, EDITOR_ID, GUILD_ID, MANAGER_ID, MEMBER_ID, SECOND_CHANNEL_ID, Rig, eventually
from tests.e2e.test_fuzz_interactions import ErrorLog, capture_errors, database_problems, ping_problems

CALLBACK = r"/interactions/\d+/[^/]+/callback"
FOLLOWUP = r"/webhooks/\d+/[^/]+"
ORIGINAL = r"/webhooks/\d+/[^/]+/messages/@original"
MESSAGES = r"/channels/\d+/messages"
FRIDAY_9_UTC = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
WEEK = "2026-W48"


@pytest.fixture
def error_log() -> Iterator[ErrorLog]:
    """Every ERROR (or traceback) the process logs; request it before `rig` to watch the start too."""
    with capture_errors() as errors:
        yield errors


def pulse_cog(rig: Rig) -> Pulse:
    return cast(Pulse, rig.bot.get_cog("Pulse"))


def assert_answered_in_time(result: InteractionResult, title: str = "Large Language Model") -> None:
    assert result.answered and result.latency is not None and result.latency < 3, result
    assert result.embeds and result.embeds[0]["title"] == title, result.content
    assert result.message is not None and ping_problems(result.message) == []


def only_expected_errors(errors: ErrorLog, *expected: str) -> None:
    """Nothing at ERROR or with a traceback, but the lines the test provoked on purpose."""
    unexpected = [line for line in errors.take() if not any(text in line for text in expected)]
    assert unexpected == []


# ==================================================================================================
# /define under 429 and 5xx storms
# ==================================================================================================
@pytest.mark.parametrize("count", [1, 2, 4])
async def test_define_is_answered_through_429s_on_its_callback(error_log: ErrorLog, rig: Rig, count: int) -> None:
    rig.fake.fail_next("POST", CALLBACK, 429, count=count, retry_after=0.05)
    result = await rig.define("LLM")
    assert_answered_in_time(result)
    assert len(rig.fake.requests_to("POST", CALLBACK)) == count + 1
    only_expected_errors(error_log)


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_define_is_answered_through_a_server_error_on_its_callback(
    error_log: ErrorLog, rig: Rig, status: int
) -> None:
    rig.fake.fail_next("POST", CALLBACK, status)  # discord.py waits 1 s and tries again: still within 3 s
    assert_answered_in_time(await rig.define("LLM"))
    only_expected_errors(error_log)


async def test_a_storm_of_concurrent_defines_and_429s_is_answered_in_full(error_log: ErrorLog, rig: Rig) -> None:
    """Ten users at once while the callbacks are rate limited: each is retried and answered; no global
    limit applies to callbacks, so the storm does not slow the bot's other requests."""
    rig.fake.fail_next("POST", CALLBACK, 429, count=12, retry_after=0.05)
    terms = ["LLM", "ChatGPT", "RLHF", "AGI", "Fine-Tuning"] * 2
    results = await asyncio.gather(*(rig.define(term, wait=False) for term in terms))
    for result in results:
        await result.wait_answered()
    titles = {"LLM": "Large Language Model", "AGI": "Artificial General Intelligence"}
    for term, result in zip(terms, results, strict=True):
        expected = titles.get(term, term)
        if term == "RLHF":
            expected = "Reinforcement Learning from Human Feedback"
        assert_answered_in_time(result, expected)
    assert rig.fake.rate_limit_hits["global"] == 0
    only_expected_errors(error_log)


async def test_a_failure_after_the_answer_reaches_the_user_through_429s_and_5xx_on_the_follow_up(
    error_log: ErrorLog, rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The answer went out, then counting the lookup failed: the user is told in a private follow-up,
    which discord.py delivers through a 429 and a 500 on the webhook."""

    async def broken(term_id: int) -> None:
        raise RuntimeError("the lookup counter broke")

    monkeypatch.setattr(rig.bot, "count_lookup", broken)
    rig.fake.fail_next("POST", FOLLOWUP, 500)  # first: discord.py waits 1 s, then 3 s, 5 s ... after a 5xx
    rig.fake.fail_next("POST", FOLLOWUP, 429, count=2, retry_after=0.05)
    result = await rig.define("LLM")
    assert_answered_in_time(result)
    [followup] = await result.followups(1, timeout=10)
    assert followup["flags"] & 64 and followup["content"].startswith("Something went wrong")
    assert ping_problems(followup) == []
    assert len(rig.fake.requests_to("POST", FOLLOWUP)) == 4
    only_expected_errors(error_log, "the lookup counter broke", "CommandInvokeError", "failed")


async def test_an_edit_of_the_original_answer_goes_through_429s_and_a_502(
    error_log: ErrorLog, rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The removal prompt that nobody answers is edited to say the term was kept, whatever the webhook does."""
    # The module of the cog's forms and questions, whose timeout a question reads when it is asked.
    monkeypatch.setattr(sys.modules["bot.cogs.glossary_ui"], "CONFIRM_TIMEOUT_SECONDS", 0.3)
    prompt = await rig.fake.slash("glossary remove", {"term": "LLM"}, user_id=EDITOR_ID, guild_id=GUILD_ID)
    assert custom_ids(prompt.message or {})
    rig.fake.fail_next("PATCH", ORIGINAL, 502)  # first: later 5xx retries wait longer
    rig.fake.fail_next("PATCH", ORIGINAL, 429, count=2, retry_after=0.05)
    edited = await prompt.edited(1, timeout=10)
    assert edited["content"] == "No answer: **Large Language Model** was kept." and not edited["components"]
    assert len(rig.fake.requests_to("PATCH", ORIGINAL)) == 4
    assert rig.bot.index.term_for("LLM") is not None
    only_expected_errors(error_log)


# ==================================================================================================
# the Friday broadcast under 429 and 5xx storms
# ==================================================================================================
def pulse_posts(fake: FakeDiscord, channel_id: int) -> list[dict[str, object]]:
    posts = []
    for message in fake.messages_in(channel_id):
        embeds = message.get("embeds") or []
        if embeds and str((embeds[0].get("footer") or {}).get("text", "")).startswith(NEWSLETTER_NAME):
            posts.append(message)
    return posts


def lose_responses(fake: FakeDiscord, count: int) -> list[int]:
    """The next `count` message creates succeed on Discord's side but answer 502, as when a response is
    lost on the way back; returns the ids of the messages that were created regardless."""
    route = next(r for r in fake._routes if r.template == "POST /channels/{channel_id}/messages")
    handler = route.handler
    created: list[int] = []

    async def lossy(req: Any) -> web.StreamResponse:
        response = await handler(req)
        if len(created) < count and response.status == 200 and isinstance(response, web.Response):
            created.append(int(json.loads(cast(bytes, response.body))["id"]))
            return web.json_response({"message": "502: Bad Gateway", "code": 0}, status=502)
        return response

    route.handler = lossy
    return created


async def move_clock(rig: Rig, moment: datetime) -> None:
    rig.clock.now = moment
    pulse_cog(rig).wake()


async def test_a_broadcast_through_429_and_5xx_storms_posts_exactly_once_everywhere(
    error_log: ErrorLog, rig: Rig
) -> None:
    channels = [CHANNEL_ID, SECOND_CHANNEL_ID] + [1500000000000000100 + n for n in range(10)]
    for channel_id in channels[2:]:
        rig.fake.add_channel(GUILD_ID, channel_id, f"storm-{channel_id % 1000}")  # CHANNEL_CREATE, live
    assert await eventually(lambda: _all_known(rig, channels))
    for channel_id in channels:
        subscribed = await rig.fake.slash(
            "pulse subscribe", {"channel": channel_id}, user_id=MANAGER_ID, guild_id=GUILD_ID
        )
        assert subscribed.content.startswith("Subscribed"), subscribed.content

    rig.fake.fail_next("POST", MESSAGES, 429, count=6, retry_after=0.05)
    rig.fake.fail_next("POST", MESSAGES, 429, count=1, headers={"Via": ""})  # not Discord's: raised, retried later
    rig.fake.fail_next("POST", MESSAGES, 500, count=2)
    rig.fake.fail_next("POST", MESSAGES, 502, count=2)
    rig.fake.fail_next("GET", MESSAGES, 502, count=1)  # the look for an earlier post, before a retry
    lost = lose_responses(rig.fake, 3)

    await move_clock(rig, FRIDAY_9_UTC)
    for minute in range(1, 30):  # a failed send is retried 30 s, 1 min, 2 min ... later on the bot's clock
        if await eventually(lambda: _all_sent(rig, len(channels)), within=1.0):
            break
        await move_clock(rig, FRIDAY_9_UTC + timedelta(minutes=minute))
    assert await _all_sent(rig, len(channels))

    assert [len(pulse_posts(rig.fake, channel_id)) for channel_id in channels] == [1] * len(channels)
    # The sends whose answer was lost were repeated with the same nonce: Discord returned the first message.
    posted = {int(str(post["id"])) for channel_id in channels for post in pulse_posts(rig.fake, channel_id)}
    assert len(lost) == 3 and set(lost) <= posted
    assert rig.fake.status_counts[502] >= 3 and rig.fake.status_counts[429] >= 7
    assert rig.fake.requests_to("GET", MESSAGES), "a send that failed outright was retried after a look for it"
    for channel_id in channels:
        [post] = pulse_posts(rig.fake, channel_id)
        assert ping_problems(post) == []
    assert await database_problems(rig.bot.database) == []
    only_expected_errors(error_log)


async def _all_known(rig: Rig, channels: list[int]) -> bool:
    return all(rig.bot.get_channel(channel_id) is not None for channel_id in channels)


async def _all_sent(rig: Rig, count: int) -> bool:
    return await pulse_cog(rig).store.sent_count(WEEK) == count


# ==================================================================================================
# the gateway
# ==================================================================================================
async def _drop(fake: FakeDiscord) -> None:
    await fake.drop_gateway()


async def _drop_4007(fake: FakeDiscord) -> None:
    await fake.drop_gateway(4007)  # invalid seq: the session is over


async def _drop_4009(fake: FakeDiscord) -> None:
    await fake.drop_gateway(4009)  # session timed out: the session is over


async def _invalidate(fake: FakeDiscord) -> None:
    await fake.invalidate_session(resumable=False)


async def _invalidate_resumable(fake: FakeDiscord) -> None:
    await fake.invalidate_session(resumable=True)


async def _reconnect(fake: FakeDiscord) -> None:
    await fake.request_reconnect()


GATEWAY_FAULTS: dict[str, tuple[Callable[[FakeDiscord], Awaitable[None]], str]] = {
    "dropped (RESUME)": (_drop, "resume"),
    "closed 4007 (fresh IDENTIFY)": (_drop_4007, "identify"),
    "closed 4009 (fresh IDENTIFY)": (_drop_4009, "identify"),
    "invalid session (fresh IDENTIFY)": (_invalidate, "identify"),
    "invalid session, resumable": (_invalidate_resumable, "resume"),
    "reconnect requested (RESUME)": (_reconnect, "resume"),
}


@pytest.mark.parametrize("fault", list(GATEWAY_FAULTS))
async def test_the_bot_keeps_answering_after_gateway_trouble(error_log: ErrorLog, rig: Rig, fault: str) -> None:
    make_trouble, recovery = GATEWAY_FAULTS[fault]
    identifies, resumes = rig.fake.identify_count, rig.fake.resume_count
    await make_trouble(rig.fake)
    if recovery == "resume":
        await rig.fake.wait_for_resumes(resumes + 1)
        assert rig.fake.identify_count == identifies
    else:
        await rig.fake.wait_for_identifies(identifies + 1)
    assert_answered_in_time(await rig.define("LLM"))
    typed = await rig.fake.autocomplete("define", {"term": "chatg"}, user_id=MEMBER_ID, guild_id=GUILD_ID)
    assert typed.choices and typed.choices[0]["value"] == "ChatGPT"
    only_expected_errors(error_log)


async def test_one_fault_after_another_with_interactions_in_flight(error_log: ErrorLog, rig: Rig) -> None:
    """Every kind of gateway trouble in a row, each while an interaction is on its way: all answered."""
    for make_trouble, _ in GATEWAY_FAULTS.values():
        in_flight = await rig.define("ChatGPT", wait=False)
        await make_trouble(rig.fake)
        await in_flight.wait_answered()
        assert_answered_in_time(in_flight, "ChatGPT")
        await rig.fake.wait_until_ready()
        assert_answered_in_time(await rig.define("LLM"))
    assert rig.fake.identify_count >= 4 and rig.fake.resume_count >= 3
    only_expected_errors(error_log)


async def test_the_friday_post_goes_out_once_across_a_session_that_ends(error_log: ErrorLog, rig: Rig) -> None:
    subscribed = await rig.fake.slash("pulse subscribe", {"channel": CHANNEL_ID}, user_id=MANAGER_ID, guild_id=GUILD_ID)
    assert subscribed.ephemeral
    await rig.fake.invalidate_session(resumable=False)
    await move_clock(rig, FRIDAY_9_UTC)
    await rig.fake.wait_for_identifies(2)
    assert await eventually(lambda: _all_sent(rig, 1))
    assert len(pulse_posts(rig.fake, CHANNEL_ID)) == 1
    only_expected_errors(error_log)


# ==================================================================================================
# stopping
# ==================================================================================================
async def _sleeping(cog: Pulse) -> bool:
    return cog.delivery.is_waiting()


async def test_the_bot_stops_when_a_wake_up_and_the_stop_coincide(error_log: ErrorLog, rig: Rig) -> None:
    """A subscription change (or the clock) wakes the delivery loop just as the bot stops: the stop must
    not wait for a loop that missed its cancellation."""
    cog = pulse_cog(rig)
    assert await eventually(lambda: _sleeping(cog))  # the loop waits for its next round
    cog.wake()
    async with asyncio.timeout(10) as deadline:
        await rig.stop()
    # A stop stuck on the loop is freed by the timeout's cancellation, which then reaches the loop.
    assert not deadline.expired(), "stopping hung: the pulse delivery loop swallowed its cancellation"
    await rig.start()
    assert_answered_in_time(await rig.define("LLM"))
    only_expected_errors(error_log)
