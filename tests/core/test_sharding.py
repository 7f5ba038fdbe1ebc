import pytest

from bot.core.sharding import (
    ShardPlan,
    ShardSet,
    format_shard_ids,
    identify_bucket,
    overlap_problem,
    parse_shard_ids,
    plan_of_label,
    shard_of,
)


def test_a_servers_shard_follows_discords_formula() -> None:
    guild_id = 1200000000000000001
    assert shard_of(guild_id, 1) == 0
    assert shard_of(guild_id, 4) == (guild_id >> 22) % 4
    assert guild_id in ShardSet(4, frozenset({shard_of(guild_id, 4)}))
    assert guild_id not in ShardSet(4, frozenset({(shard_of(guild_id, 4) + 1) % 4}))


@pytest.mark.parametrize(
    ("text", "ids"),
    [("0-3", (0, 1, 2, 3)), ("0,2", (0, 2)), (" 2 , 0 ", (0, 2)), ("0-1,4", (0, 1, 4)), ("3", (3,)), ("1-1", (1,))],
)
def test_shard_ids_read_as_ranges_and_lists(text: str, ids: tuple[int, ...]) -> None:
    assert parse_shard_ids(text) == ids
    assert parse_shard_ids(format_shard_ids(ids)) == ids


@pytest.mark.parametrize(
    ("text", "says"), [("", "empty"), ("a", "'a'"), ("0-", "'0-'"), ("-1", "'-1'"), ("3-1", "backwards")]
)
def test_bad_shard_ids_say_what_is_wrong(text: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        parse_shard_ids(text)


def test_the_default_plan_runs_everything_in_one_process() -> None:
    plan = ShardPlan()
    assert plan.shard_ids() is None and not plan.explicit and plan.runs_every_shard
    assert plan.holds_shard_zero and plan.own_shards() is None and plan.label() == "all"
    assert plan.share_of(40) == 40


def test_a_shard_range_gets_its_share_of_the_budget() -> None:
    first, second = ShardPlan(4, (0, 1, 2)), ShardPlan(4, (3,))
    assert first.share_of(40) + second.share_of(40) == pytest.approx(40)
    assert first.holds_shard_zero and not second.holds_shard_zero
    assert second.own_shards() == ShardSet(4, frozenset({3}))
    assert ShardPlan(4).shard_ids() == (0, 1, 2, 3) and ShardPlan(4).runs_every_shard
    assert plan_of_label(first.label()) == first and plan_of_label("all") == ShardPlan()


def test_overlapping_processes_are_refused_naming_the_setting() -> None:
    plan = ShardPlan(4, (0, 1))
    assert overlap_problem(plan, ["2-3/4"]) is None
    problem = overlap_problem(plan, ["1-2/4"])
    assert problem is not None and problem.startswith("SHARD_IDS: shard 1 ")
    problem = overlap_problem(plan, ["0/2"])
    assert problem is not None and problem.startswith("SHARD_COUNT:")


def test_identify_buckets_follow_max_concurrency() -> None:
    assert [identify_bucket(shard, 1) for shard in range(4)] == [0, 0, 0, 0]
    assert [identify_bucket(shard, 16) for shard in (0, 1, 16, 17)] == [0, 1, 0, 1]
