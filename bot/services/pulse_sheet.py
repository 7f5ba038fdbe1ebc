"""Keeping the data points in step with the published sheet (PULSE_SOURCE_URL).

Fetched at start, then every PULSE_SOURCE_POLL_MINUTES, and on demand (`python -m bot pulse fetch`).
A fetch is all or nothing: a failure changes no data point, is logged, counted and shown in /pulse
status, and the next attempts back off (bot.core.pulse_sheet.retry_delay) until one succeeds.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from bot.broadcast import Clock
from bot.core.pulse import PulseFileError
from bot.core.pulse_sheet import describe_problems, parse_sheet, retry_delay
from bot.sheet_fetch import Fetched, FetchFailed, fetch_document
from bot.store.db import unavailable_reason
from bot.store.pulse import PulseStore

log = logging.getLogger(__name__)

Fetch = Callable[..., Awaitable[Fetched]]


@dataclass(frozen=True, slots=True)
class FetchOutcome:
    ok: bool
    message: str
    """What changed, or why nothing did."""
    failures: int
    """Failed fetches in a row, this one included (0 after a success)."""


class SheetSync:
    def __init__(
        self, store: PulseStore, url: str, poll_interval: timedelta, clock: Clock, fetch: Fetch = fetch_document
    ) -> None:
        self.store = store
        self.url = url
        self.poll_interval = poll_interval
        self.clock = clock
        self.fetch = fetch
        self.first_attempt = asyncio.Event()
        """Set once the fetch at start has ended, well or not: the first delivery round waits for it."""

    async def fetch_once(self) -> FetchOutcome:
        """Fetch and apply the sheet, all or nothing; never raises for the sheet's or the network's faults."""
        state = await self.store.source_state(self.url)
        try:
            fetched = await self.fetch(
                self.url,
                etag=state.etag if state else None,
                last_modified=state.last_modified if state else None,
            )
            if fetched.body is None:
                await self.store.note_source_unchanged(self.url, self.clock())
                log.info("pulse sheet: unchanged since the last fetch (304 Not Modified)")
                return FetchOutcome(True, "The sheet is unchanged since the last fetch (304 Not Modified).", 0)
            points = parse_sheet(fetched.body)
            plan = await self.store.apply_sheet(self.url, points, fetched.etag, fetched.last_modified, self.clock())
        except FetchFailed as failure:
            reason = failure.reason
        except PulseFileError as failure:
            reason = describe_problems(failure.problems)
        else:
            log.info("pulse sheet: fetched %d data points: %s", len(points), plan.summary())
            return FetchOutcome(True, f"Fetched the sheet ({len(points)} data points): {plan.summary()}.", 0)
        failures = await self.store.note_source_failure(self.url, reason, self.clock())
        last_good = state.last_good_at.isoformat() if state and state.last_good_at else "never"
        log.warning(
            "pulse sheet: fetch failed (%d in a row; last good fetch: %s), nothing was changed: %s",
            failures,
            last_good,
            reason,
        )
        return FetchOutcome(False, reason, failures)

    async def run(self) -> None:
        """Fetch now, then forever: every poll interval, or backing off after failures."""
        failures = 0
        while True:
            try:
                failures = (await self.fetch_once()).failures
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the loop must outlive any one fetch
                failures += 1
                if (reason := unavailable_reason(error)) is not None:
                    log.warning("pulse sheet: not fetched: %s; trying again later", reason)
                else:
                    log.exception("pulse sheet: the fetch failed unexpectedly; trying again later")
            self.first_attempt.set()
            await asyncio.sleep(retry_delay(failures, self.poll_interval).total_seconds())
