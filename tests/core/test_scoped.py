"""The shared glossary seen from a server: the server's entries first, shadowed shared names hidden."""

from __future__ import annotations

from bot.core.index import Choice, GlossaryIndex, Tier
from bot.core.scoped import NameHit, ScopedIndex, first_keystroke, merge_choices

SHARED = GlossaryIndex.build(
    [
        (1, "Large Language Model", ("LLM",), 50),
        (2, "Transformer", (), 40),
        (3, "Attention", (), 30),
    ]
)


def scoped() -> ScopedIndex:
    server = GlossaryIndex.build([(101, "LLM", (), 0), (102, "Quokka Protocol", ("QP",), 0)])
    return ScopedIndex(SHARED, server)


def test_exact_names_resolve_in_the_server_first() -> None:
    index = scoped()
    assert index.resolve("LLM").term_id == 101
    assert index.resolve("qp").term_id == 102
    assert index.resolve("Transformer").term_id == 2
    assert index.term_for("llm") == 101 and index.term_for("attention") == 3


def test_a_shadowed_shared_entry_is_reached_by_its_other_names_and_the_button() -> None:
    index = scoped()
    assert index.shadowed(101) == 1 and index.shadowed(102) is None and index.shadowed(2) is None
    # "LLM" is the server's now, but the shared entry's own name still finds it.
    assert index.resolve("Large Language Model").term_id == 1
    # A server entry carrying a shared entry's name answers for that entry's aliases too.
    named = ScopedIndex(
        SHARED, GlossaryIndex.build([(201, "Transformer", (), 0), (202, "Large Language Model", (), 0)])
    )
    assert named.resolve("LLM").term_id == 202 and named.resolve("transformer").term_id == 201
    assert named.resolve("Transfomer").term_id == 201


def test_completion_merges_by_tier_with_the_server_first_and_no_value_twice() -> None:
    index = scoped()
    names = [choice.name for choice in index.complete("l")]
    assert names[0] == "LLM" and len(names) == len(set(names))
    assert [choice.term_id for choice in index.complete("quok")] == [102]
    assert {choice.term_id for choice in index.complete("trans")} == {2}


def test_typos_find_the_servers_entry_and_misses_suggest_both() -> None:
    index = scoped()
    assert index.resolve("Quokka Protocl").term_id == 102
    assert index.resolve("Transfomer").term_id == 2
    assert index.resolve("zzzz").kind == "miss"


def test_merge_keeps_the_limit_and_order_within_each_list() -> None:
    own = [Choice(10, "A", "A", Tier.PREFIX), Choice(11, "B", "B", Tier.FUZZY)]
    shared = [Choice(1, "C", "C", Tier.EXACT), Choice(2, "A", "A", Tier.PREFIX), Choice(3, "D", "D", Tier.PREFIX)]
    merged = merge_choices(own, shared, limit=3)
    assert [choice.term_id for choice in merged] == [1, 10, 3]


def test_lookups_raise_the_term_in_its_own_index() -> None:
    index = scoped()
    index.record_lookup(102)
    index.record_lookup(3)
    assert 102 in index and 3 in index and 999 not in index
    assert len(index) == 5


def test_a_first_keystroke_offers_the_servers_names_by_key_over_the_shared_ones() -> None:
    hits = [
        NameHit(101, "llm", "LLM", False, "LLM"),
        NameHit(102, "llmops", "LLMOps", True, "Quokka Protocol"),
        NameHit(103, "llmbench", "LLM Bench", False, "LLM Bench"),
    ]
    choices = first_keystroke(SHARED, hits, "LLM", "llm")
    assert [(choice.term_id, choice.label) for choice in choices[:3]] == [
        (101, "LLM"),
        (1, "Large Language Model (LLM)"),
        (103, "LLM Bench"),
    ]
    assert (102, "Quokka Protocol (LLMOps)") in [(choice.term_id, choice.label) for choice in choices]
    assert [choice.term_id for choice in first_keystroke(SHARED, [], "trans", "trans")] == [2]


def test_senses_gather_from_the_server_and_the_shared_glossary() -> None:
    shared = GlossaryIndex.build([(1, "bias (math)", (), 5), (2, "bias (ethics/fairness)", (), 1)])
    with_own_sense = ScopedIndex(shared, GlossaryIndex.build([(101, "bias (Example Corp)", (), 0)]))
    resolution = with_own_sense.resolve("bias")
    assert resolution.kind == "senses" and resolution.senses == (101, 1, 2)
    # A server entry named "bias (math)" stands for the shared one of that name.
    hiding = ScopedIndex(shared, GlossaryIndex.build([(101, "bias (math)", (), 0)]))
    assert hiding.resolve("bias").senses == (101, 2)
    # ... and when it hides every other sense, it is the answer.
    one_left = ScopedIndex(shared, GlossaryIndex.build([(101, "Bias (math)", ("bias ethics fairness",), 0)]))
    assert (one_left.resolve("bias").kind, one_left.resolve("bias").term_id) == ("exact", 101)
