"""Which shards a process runs, and what follows from that: its servers, its share of the request budget.

Discord splits a bot's servers over shards: a server belongs to shard `(guild_id >> 22) % shard_count`,
and every event of that server arrives on that shard's gateway connection. A big bot runs several
processes, each a range of shards (SHARD_COUNT with SHARD_IDS); everything a process does for servers,
it does for its own shards' servers. Pure: no Discord, no database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

MAX_SHARD_COUNT = 65_536
"""Far above any real bot (Discord asks for a shard per 1,000-2,500 servers); bounds a typo."""
DISCORD_IDENTIFY_INTERVAL_SECONDS = 5.0
"""Discord allows `max_concurrency` IDENTIFYs per this many seconds, one per rate-limit bucket."""


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard whose gateway connection carries this server's events (Discord's formula)."""
    return (guild_id >> 22) % shard_count


def identify_bucket(shard_id: int, max_concurrency: int) -> int:
    """Discord's rate-limit key for a shard's IDENTIFY: shards in one bucket identify one at a time."""
    return shard_id % max(1, max_concurrency)


def parse_shard_ids(text: str) -> tuple[int, ...]:
    """`0-3` or `0,2` (or both: `0-1,4`) as sorted, distinct shard ids; ValueError saying what is wrong."""
    ids: set[int] = set()
    parts = [part.strip() for part in text.split(",")]
    if not any(parts):
        raise ValueError("is empty: give shard ids like 0-3 or 0,2")
    for part in parts:
        first, dash, last = part.partition("-")
        if not first.strip().isdigit() or (dash and not last.strip().isdigit()):
            raise ValueError(f"{part!r} is not a shard id or range: write them like 0-3 or 0,2")
        low, high = int(first), int(last) if dash else int(first)
        if high < low:
            raise ValueError(f"the range {part!r} runs backwards: write it low-high, e.g. {high}-{low}")
        ids.update(range(low, high + 1))
    return tuple(sorted(ids))


def format_shard_ids(ids: Iterable[int]) -> str:
    """The shortest way to write `ids` as SHARD_IDS does: `0-3`, `0,2`, `0-1,4`."""
    ranges: list[list[int]] = []
    for shard in sorted(set(ids)):
        if ranges and shard == ranges[-1][1] + 1:
            ranges[-1][1] = shard
        else:
            ranges.append([shard, shard])
    return ",".join(f"{low}" if low == high else f"{low}-{high}" for low, high in ranges)


@dataclass(frozen=True, slots=True)
class ShardPlan:
    """The shards this process runs: `count` None and `ids` None for "Discord's recommended count, all
    of them in this process" (the default); `ids` None with a count for all shards of that count."""

    count: int | None = None
    ids: tuple[int, ...] | None = None

    @property
    def explicit(self) -> bool:
        """Whether SHARD_COUNT was given (other processes may run the other shards)."""
        return self.count is not None

    def shard_ids(self) -> tuple[int, ...] | None:
        """The ids to connect; None when Discord's recommended count decides (all of them)."""
        if self.count is None:
            return None
        return self.ids if self.ids is not None else tuple(range(self.count))

    @property
    def runs_every_shard(self) -> bool:
        return self.count is None or self.ids is None or len(self.ids) == self.count

    @property
    def holds_shard_zero(self) -> bool:
        """The process that syncs commands and runs one-off work (the editors' reminder)."""
        ids = self.shard_ids()
        return ids is None or 0 in ids

    def own_shards(self) -> ShardSet | None:
        """The servers this process serves, as a filter; None when it runs every shard (no filter)."""
        ids = self.shard_ids()
        if self.runs_every_shard or ids is None or self.count is None:
            return None
        return ShardSet(self.count, frozenset(ids))

    def label(self) -> str:
        """How logs and the database name this process's share: `all`, or `0-1/4`."""
        ids = self.shard_ids()
        return "all" if ids is None else f"{format_shard_ids(ids)}/{self.count}"

    def share_of(self, rate: float) -> float:
        """This process's part of a bot-wide request rate: rate x its shards / SHARD_COUNT, so the parts of
        processes running disjoint shard ranges add up to at most `rate`."""
        ids = self.shard_ids()
        if ids is None or self.count is None:
            return rate
        return rate * len(ids) / self.count


def plan_of_label(label: str) -> ShardPlan:
    """The plan a process's label (`ShardPlan.label`) stands for."""
    if label == "all":
        return ShardPlan()
    ids, _, count = label.partition("/")
    return ShardPlan(int(count), parse_shard_ids(ids))


def overlap_problem(plan: ShardPlan, others: Iterable[str]) -> str | None:
    """Why this process must not start next to the running processes labelled `others` (None: it may).

    Each process paces its broadcasts at its shards' share of PULSE_REQUESTS_PER_SECOND; the shares add
    up to the bot's budget only when every process counts the same shards and no shard runs twice.
    """
    mine = set(plan.shard_ids() or ())
    for label in others:
        other = plan_of_label(label)
        if other.count != plan.count:
            return (
                f"SHARD_COUNT: the process running shards {label} uses SHARD_COUNT={other.count or 'unset'}; "
                "every process of the bot must use the same SHARD_COUNT"
            )
        both = mine & set(other.shard_ids() or ())
        if both:
            return (
                f"SHARD_IDS: shard {format_shard_ids(both)} is already run by the process for shards {label}; "
                "each shard must run in one process only"
            )
    return None


@dataclass(frozen=True, slots=True)
class ShardSet:
    """Some shards of `count`: whose servers' work a process does now (its own, plus any it took over)."""

    count: int
    ids: frozenset[int]

    def __contains__(self, guild_id: object) -> bool:
        return isinstance(guild_id, int) and shard_of(guild_id, self.count) in self.ids
