import pytest

from bot.core.index import MAX_CHOICE_CHARS, MAX_CHOICES, GlossaryIndex, Tier

TERMS = [
    (1, "Self-Supervised Learning", ["SSL"], 5),
    (2, "Supervised Learning", [], 9),
    (3, "Large Language Model", ["LLM"], 20),
    (4, "Fine-Tuning", [], 3),
    (5, "Frontier Model", [], 1),
    (6, "Foundation Model", [], 7),
    (7, "Artificial General Intelligence", ["AGI"], 2),
    (8, "Reinforcement Learning from Human Feedback", ["RLHF"], 4),
    (9, "Language Model", [], 0),
]


@pytest.fixture
def index() -> GlossaryIndex:
    return GlossaryIndex.build(TERMS)


def names(choices: list) -> list[str]:  # type: ignore[type-arg]
    return [choice.name for choice in choices]


def test_exact_name_comes_first(index: GlossaryIndex) -> None:
    choices = index.complete("language model")
    assert choices[0].name == "Language Model" and choices[0].tier is Tier.EXACT


def test_prefix_matches_rank_by_popularity(index: GlossaryIndex) -> None:
    assert names(index.complete("f"))[:3] == ["Foundation Model", "Fine-Tuning", "Frontier Model"]


def test_abbreviation_offers_its_term_with_the_alias_shown(index: GlossaryIndex) -> None:
    [choice, *_] = index.complete("LLM")
    assert choice.name == "Large Language Model"
    assert choice.label == "Large Language Model (LLM)"


def test_alias_prefix_comes_after_name_prefixes(index: GlossaryIndex) -> None:
    choices = index.complete("rl")
    assert choices[0].name == "Reinforcement Learning from Human Feedback"
    assert choices[0].tier is Tier.ALIAS


def test_inner_word_matches(index: GlossaryIndex) -> None:
    assert "Self-Supervised Learning" in names(index.complete("supervised"))
    assert names(index.complete("supervised"))[0] == "Supervised Learning"


def test_typo_finds_term_by_fuzzy_prefix(index: GlossaryIndex) -> None:
    choices = index.complete("slef-supervised")
    assert choices[0].name == "Self-Supervised Learning" and choices[0].tier is Tier.FUZZY


def test_each_term_offered_once(index: GlossaryIndex) -> None:
    term_ids = [choice.term_id for choice in index.complete("l")]
    assert len(term_ids) == len(set(term_ids))


def test_empty_input_offers_the_most_looked_up(index: GlossaryIndex) -> None:
    assert names(index.complete(""))[:3] == ["Large Language Model", "Supervised Learning", "Foundation Model"]


def test_lookups_change_the_ranking(index: GlossaryIndex) -> None:
    for _ in range(50):
        index.record_lookup(9)
    assert names(index.complete(""))[0] == "Language Model"


def test_at_most_25_choices_of_at_most_100_characters() -> None:
    long_names = [(i, f"Model {i} " + "x" * 150, [], 0) for i in range(60)]
    choices = GlossaryIndex.build(long_names).complete("model")
    assert len(choices) == MAX_CHOICES
    assert all(len(c.name) <= MAX_CHOICE_CHARS and len(c.label) <= MAX_CHOICE_CHARS for c in choices)


@pytest.mark.parametrize(
    ("query", "kind", "term_id"),
    [
        ("self supervised learning", "exact", 1),
        ("SSL", "alias", 1),
        ("llms", "alias", 3),
        ("fine tuning", "exact", 4),
        ("frontir model", "fuzzy", 5),
        ("Artifical General Inteligence", "fuzzy", 7),
    ],
)
def test_resolve(index: GlossaryIndex, query: str, kind: str, term_id: int) -> None:
    resolution = index.resolve(query)
    assert (resolution.kind, resolution.term_id) == (kind, term_id)


def test_ambiguous_typo_is_a_miss_with_suggestions() -> None:
    index = GlossaryIndex.build([(1, "Model Card", [], 0), (2, "Model Cart", [], 0)])
    resolution = index.resolve("model carx")
    assert resolution.kind == "miss"
    assert set(resolution.suggestions) == {1, 2}


def test_short_queries_never_resolve_fuzzily(index: GlossaryIndex) -> None:
    assert index.resolve("AGX").kind == "miss"


def test_miss_suggests_at_most_five(index: GlossaryIndex) -> None:
    resolution = index.resolve("learning")
    assert resolution.kind == "miss"
    assert 0 < len(resolution.suggestions) <= 5


def test_nonsense_is_a_plain_miss(index: GlossaryIndex) -> None:
    resolution = index.resolve("zzzzqqqq")
    assert resolution.kind == "miss" and resolution.suggestions == ()
    assert index.resolve("!!!").kind == "miss"


def test_upsert_and_remove_keep_the_index_current(index: GlossaryIndex) -> None:
    index.upsert(10, "Retrieval-Augmented Generation", ["RAG"])
    assert index.resolve("rag").term_id == 10
    index.upsert(10, "Retrieval Augmented Generation", [])
    assert index.resolve("rag").kind == "miss"
    index.remove(3)
    assert index.resolve("llm").kind == "miss"
    assert 3 not in index and "Large Language Model" not in names(index.complete("large"))


def test_large_prefix_ranges_use_popularity() -> None:
    terms = [(i, f"Alpha {i:05d}", [], i % 97) for i in range(5_000)]
    choices = GlossaryIndex.build(terms).complete("alpha")
    assert len(choices) == MAX_CHOICES
    assert {c.term_id % 97 for c in choices} == {96}
