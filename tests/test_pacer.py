"""The broadcast's pacer on a simulated clock: how requests are spread, never how long anything takes."""

from __future__ import annotations

import asyncio
import itertools

from bot.broadcast import PACER_MARGIN_S, Pacer

RATE = 50


class SimulatedTime:
    """A clock that only moves when the pacer sleeps (or the test says the event loop was held)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


async def grant_times(pacer: Pacer, time: SimulatedTime, waves: list[tuple[int, float]]) -> list[float]:
    """`count` concurrent waiters per wave, the clock jumping `stall` seconds before each wave."""
    granted: list[float] = []

    async def send() -> None:
        await pacer.wait()
        granted.append(time.now)

    for count, stall in waves:
        time.now += stall
        await asyncio.gather(*(send() for _ in range(count)))
    return granted


async def test_no_window_holds_more_than_the_rate_even_after_a_stall() -> None:
    time = SimulatedTime()
    pacer = Pacer(RATE, clock=time.clock, sleep=time.sleep)
    granted = await grant_times(pacer, time, [(130, 0.0), (130, 0.7), (5, 0.0), (130, 2.5)])
    assert granted == sorted(granted)
    for first, last in zip(granted, granted[RATE:], strict=False):
        assert last - first >= 1.0 + PACER_MARGIN_S - 1e-9


async def test_requests_are_evenly_spaced_when_nothing_stalls() -> None:
    time = SimulatedTime()
    pacer = Pacer(RATE, clock=time.clock, sleep=time.sleep)
    granted = await grant_times(pacer, time, [(200, 0.0)])
    gaps = [later - earlier for earlier, later in itertools.pairwise(granted)]
    assert min(gaps) >= pacer.interval - 1e-9 and max(gaps) <= pacer.interval + 1e-9


async def test_a_late_sender_does_not_slow_the_whole_broadcast() -> None:
    # Each sender holds the loop a little after its turn (as a busy event loop would): the pace keeps to
    # its planned times and catches up, rather than adding every delay to every later request.
    time = SimulatedTime()
    pacer = Pacer(RATE, clock=time.clock, sleep=time.sleep)
    granted: list[float] = []
    for number in range(1001):
        await pacer.wait()
        granted.append(time.now)
        time.now += pacer.interval * (0.9 if number % 3 == 0 else 0.3)
    assert granted[-1] - granted[0] <= 1000 / RATE * (1 + PACER_MARGIN_S) + pacer.interval


async def test_the_pace_costs_no_more_than_the_margin() -> None:
    time = SimulatedTime()
    pacer = Pacer(RATE, clock=time.clock, sleep=time.sleep)
    granted = await grant_times(pacer, time, [(1001, 0.0)])
    # 1,000 intervals after the first request: the floor of 20 s, stretched by the margin and no more.
    assert granted[-1] - granted[0] <= 1000 / RATE * (1 + PACER_MARGIN_S) + 1e-6
