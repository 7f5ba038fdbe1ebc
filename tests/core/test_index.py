import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rapidfuzz.distance import DamerauLevenshtein

from bot.core.index import (
    MAX_CHOICE_CHARS,
    MAX_CHOICES,
    MIN_FUZZY_KEY_CHARS,
    PREFIX_SCAN_LIMIT,
    GlossaryIndex,
    Tier,
    max_edits,
)
from bot.core.normalize import lookup_key
from bot.core.typos import TypoTuning

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
        ("large language mode", "fuzzy", 3),
        ("fine tunin", "fuzzy", 4),
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


# ---- the typo walk against brute force, and the cached rankings -------------------------------------

# A small alphabet makes the keys share prefixes, so the walk branches as it does in a large glossary.
_keys = st.text(alphabet="abcde", min_size=1, max_size=16)


@st.composite
def _glossary_and_query(draw: st.DrawFn) -> tuple[list[str], str]:
    """Keys, and a query made from a prefix of one of them with up to two random typos (or any text)."""
    keys = draw(st.lists(_keys, min_size=1, max_size=60, unique=True))
    if draw(st.integers(0, 4)) == 0:
        return keys, draw(st.text(alphabet="abcdef", max_size=14))
    key = draw(st.sampled_from(keys))
    query = key[: draw(st.integers(len(key) // 2, len(key)))]
    for _ in range(draw(st.sampled_from([0, 1, 2, 2]))):
        at = draw(st.integers(0, len(query)))
        letter = draw(st.sampled_from("abcdef"))
        edit = draw(st.sampled_from(["drop", "add", "replace", "swap"]))
        if edit == "drop":
            query = query[:at] + query[at + 1 :]
        elif edit == "add":
            query = query[:at] + letter + query[at:]
        elif edit == "replace":
            query = query[:at] + letter + query[at + 1 :]
        elif at + 1 < len(query):
            query = query[:at] + query[at + 1] + query[at] + query[at + 2 :]
    return keys, query


def _brute_force_near(keys: list[str], query: str) -> dict[str, int]:
    """Prefixes within reach, as a small glossary (all of these tests' are) counts typos: a swap is one, and
    a letter dropped or added between two swapped ones is one more (Damerau-Levenshtein)."""
    edits = max_edits(query)
    prefixes = {key[:length] for key in keys for length in range(len(key) + 1)}
    near = {prefix: DamerauLevenshtein.distance(query, prefix) for prefix in prefixes}
    return {prefix: distance for prefix, distance in near.items() if distance <= edits}


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=_glossary_and_query())
@pytest.mark.parametrize(
    ("direct_match_keys", "leaf_scan_keys"),
    [({1: 0, 2: 0}, 0), ({1: 0, 2: 0}, 1_000), ({1: 3, 2: 20}, 4), ({1: 10_000, 2: 10_000}, 4)],
)
def test_the_typo_walk_finds_exactly_the_prefixes_within_reach(
    direct_match_keys: dict[int, int],
    leaf_scan_keys: int,
    case: tuple[list[str], str],
) -> None:
    keys, query = case
    # Walking letter by letter (its last typos checked by binary search, or key by key) or comparing
    # ranges directly, the walk finds the same prefixes.
    index = GlossaryIndex.build((i, key, [], 0) for i, key in enumerate(keys))
    index.tuning = TypoTuning(typo_dense_prefix=0, direct_match_keys=direct_match_keys, leaf_scan_keys=leaf_scan_keys)
    expected = _brute_force_near(keys, query) if len(query) >= MIN_FUZZY_KEY_CHARS else {}
    found = index._near_prefixes([query])
    assert found.items() <= expected.items()
    for prefix, distance in expected.items():
        # The walk stops where the query ends, so a prefix reached only by adding letters after it is left
        # out; it would offer nothing new, as a shorter prefix of it is found, and closer by as many letters.
        if prefix not in found:
            assert any(found.get(prefix[:-extra], 99) <= distance - extra for extra in range(1, distance + 1))
    # Whole keys, as /define resolves them, are found all the same.
    whole = {key: distance for key, distance in expected.items() if key in keys}
    assert index._near_keys((query,), found) == whole


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=_glossary_and_query())
def test_two_typos_are_missed_only_within_the_first_letters(case: tuple[list[str], str]) -> None:
    keys, query = case
    index = GlossaryIndex.build((i, key, [], 0) for i, key in enumerate(keys))
    index.tuning = TypoTuning(direct_match_keys={1: 0, 2: 0})  # walk letter by letter
    found = index._near_prefixes([query])
    expected = _brute_force_near(keys, query) if len(query) >= MIN_FUZZY_KEY_CHARS else {}
    assert found.items() <= expected.items()
    found = {**found, **{p: d for p, d in expected.items() if any(p[:-x] in found for x in (1, 2))}}
    head = index.tuning.typo_dense_prefix
    for prefix, distance in expected.items():
        if prefix not in found:
            # Only two typos both among the first letters are missed: the rest of the query then ends the
            # prefix exactly (from the letter after them, or the one after that when the second is a swap).
            assert distance == 2
            assert any(
                prefix[start:] == query[resumed:]
                for resumed in (head, head + 1)
                for start in range(resumed - 2, resumed + 3)
            ), (query, prefix)


@pytest.mark.parametrize(
    "query",
    ["bacdeabcdd", "abcedabcdd", "acdeabcdde", "abcdeabdcx", "xabcdeabcd", "abcdeabcxx", "abcdaebcdx", "abbcdeabbcde"],
)
def test_two_typos_of_each_kind_are_found(query: str) -> None:
    keys = ["abcdeabcde", "abdddddddd", "abcdeeeeee", "bbbbbbbbbb"]
    index = GlossaryIndex.build((i, key, [], 0) for i, key in enumerate(keys))
    index.tuning = TypoTuning(direct_match_keys={1: 0, 2: 0})  # walk letter by letter
    assert index._near_keys((query,), index._near_prefixes([query])).get("abcdeabcde") == 2


def test_one_typo_in_a_large_glossary_is_found_wherever_it_is() -> None:
    words = ["model", "learning", "network", "neural", "language", "vision", "agent", "token", "layer", "graph"]
    names = [f"{a} {b} {c}" for a in words for b in words for c in words if len({a, b, c}) == 3]
    index = GlossaryIndex.build((i, name, [], 0) for i, name in enumerate(names))
    target = names.index("neural network graph")
    for typo in [
        "nueral network graph",
        "neural netwrok graph",
        "neural network grpah",
        "eural network graph",
        "neurall network graph",
        "neural nxtwork graph",
        "neural network grap",
    ]:
        assert target in [choice.term_id for choice in index.complete(typo)[:5]], typo


def test_lookups_reorder_a_cached_large_prefix_range() -> None:
    terms = [(i, f"Beta {i:04d}", [], 10) for i in range(PREFIX_SCAN_LIMIT * 2)]
    index = GlossaryIndex.build(terms)
    before = [choice.term_id for choice in index.complete("beta")]
    assert 7 not in before[:1]
    for _ in range(5):
        index.record_lookup(7)
    assert index.complete("beta")[0].term_id == 7
    assert index.most_popular(1) == [7]


# Names with a parenthetical share further keys ("ab (X)" is also "ab" and "x"), so keys repeat in the arrays.
_names = st.one_of(
    _keys,
    st.builds("{} ({})".format, _keys, st.sampled_from(["X", "AB", "math"])),
    st.builds("{}s".format, _keys),
)


@settings(max_examples=60, deadline=None)
@given(
    operations=st.lists(
        st.tuples(st.integers(0, 30), st.sampled_from(["upsert", "remove"]), _names, st.lists(_keys, max_size=2)),
        max_size=40,
    )
)
def test_edits_in_place_match_a_fresh_build(operations: list[tuple[int, str, str, list[str]]]) -> None:
    index = GlossaryIndex.build([(100 + i, f"zz{key}", [], 0) for i, key in enumerate(["a", "bb", "cab"])])
    rows = {100 + i: (f"zz{key}", []) for i, key in enumerate(["a", "bb", "cab"])}
    for term_id, operation, name, aliases in operations:
        if operation == "remove":
            index.remove(term_id)
            rows.pop(term_id, None)
            continue
        taken = {lookup_key(text) for other, (n, a) in rows.items() if other != term_id for text in (n, *a)}
        if {lookup_key(text) for text in (name, *aliases)} & taken:
            continue  # the store refuses a name another term holds
        index.upsert(term_id, name, aliases)
        rows[term_id] = (name, aliases)
    fresh = GlossaryIndex.build((term_id, name, aliases, 0) for term_id, (name, aliases) in rows.items())
    assert index._keys.keys == fresh._keys.keys and index._keys.terms == fresh._keys.terms

    def words(of: GlossaryIndex) -> list[tuple[str, int, str]]:
        arrays = of._keys
        return [
            (arrays.word_suffix(i), arrays.word_terms[i], arrays.word_keys[i]) for i in range(len(arrays.word_keys))
        ]

    assert sorted(words(index)) == sorted(words(fresh))  # names sharing an inner word may be in either order
    for query in ["a", "zz", "abc", "cabd", "zzab", "bbbbbbbbb"]:
        assert index.complete(query) == fresh.complete(query)
        assert index.resolve(query) == fresh.resolve(query)


@pytest.mark.parametrize(("extra", "winner"), [([], "Deltamodel"), ([(999, "Deltamodx", [], 0)], "Deltamodx")])
def test_a_query_stopping_short_of_a_name_resolves_even_under_a_large_prefix(
    extra: list[tuple[int, str, list[str], int]], winner: str
) -> None:
    # "deltamod" is a prefix of more keys than are scanned, so names a letter or two longer are found by
    # the letters that follow it rather than by reading them all (when the walk goes letter by letter).
    terms = [
        (0, "Deltamodel", [], 0),
        (1, "Deltamode 1234", [], 0),  # sorts between "deltamod" and "deltamodel"
        *((i, f"Deltamod {i:03d}", [], 0) for i in range(2, PREFIX_SCAN_LIMIT + 50)),
    ]
    index = GlossaryIndex.build([*terms, *extra])
    index.tuning = TypoTuning(direct_match_keys={1: 0, 2: 0})  # walk letter by letter
    resolution = index.resolve("deltamod")
    assert resolution.kind == "fuzzy" and resolution.matched == winner


def test_a_whole_name_as_close_as_longer_ones_comes_first() -> None:
    terms = [(1, "Temperature", [], 0), *((i, f"Temperature {word}", [], 50) for i, word in enumerate("abcdefg", 2))]
    index = GlossaryIndex.build(terms)
    assert index.complete("tempeature")[0].term_id == 1
    assert [choice.term_id for choice in index.complete("tempeature", limit=1)] == [1]
    # ... and before a name that only starts alike, even one as long as the query
    index = GlossaryIndex.build([(1, "Graph Noro", [], 0), (2, "Graph Entropy", [], 99)])
    assert index.complete("graph onrro")[0].term_id == 1


def test_two_typos_in_the_first_letters_are_found_when_the_later_words_are_right() -> None:
    words = ["model", "learning", "network", "neural", "language", "vision", "agent", "token", "layer", "graph"]
    names = [f"{a} {b} {c}" for a in words for b in words for c in words if len({a, b, c}) == 3]
    index = GlossaryIndex.build([*((i, name, [], 0) for i, name in enumerate(names)), (-1, "Normalization", [], 0)])
    index.tuning = TypoTuning(direct_match_keys={1: 0, 2: 0}, small_glossary_keys=0)  # walk letter by letter
    target = names.index("neural network graph")
    assert target in [choice.term_id for choice in index.complete("nneeural network graph")[:5]]
    assert index.resolve("wural network graph").term_id == target  # "n" dropped, "e" mistyped
    # One word only: nothing singles names out, and two typos among the first letters stay unfound.
    assert index.resolve("mromalization").kind == "miss"


def test_a_small_glossary_finds_two_typos_among_the_first_letters_too() -> None:
    index = GlossaryIndex.build([(1, "Normalization", [], 0), (2, "Neural Network", [], 0)])
    assert index.resolve("mromalization").term_id == 1


def test_text_that_names_start_with_is_completed_with_one_typo_at_most() -> None:
    index = GlossaryIndex.build([(1, "Tensor Core", [], 0), (2, "Tensor Cache", [], 0), (3, "Tensor Lamp", [], 0)])
    # "tensorco" starts a name: one typo away ("tensorca") is offered, two away ("tensorla") is not ...
    assert names(index.complete("Tensor Co")) == ["Tensor Core", "Tensor Cache"]
    # ... while text that starts no name may hold two, and resolving a submitted name still allows them.
    assert "Tensor Lamp" in names(index.complete("Tensor Cx"))
    assert index.resolve("Tensor Lxxp").term_id == 3


# ---- names with a parenthetical, senses, short words, suggestions ------------------------------------

PARENTHETICAL_TERMS = [
    (1, "bias (math)", [], 3),
    (2, "bias (ethics/fairness)", [], 5),
    (3, "false positive (FP)", [], 0),
    (4, "false positive rate (FPR)", [], 0),
    (5, "Mean Squared Error (MSE)", [], 0),
    (6, "loss", [], 0),
    (7, "LoRA", [], 0),
    (8, "gradient", [], 0),
    (9, "gradient descent", [], 4),
    (10, "gradient boosting", [], 2),
    (11, "gradient clipping", [], 1),
    (12, "trigram", [], 0),
    (13, "bigram", [], 0),
    (14, "node (TensorFlow graph)", [], 0),
    (15, "Node", [], 0),
]


@pytest.fixture
def parenthetical() -> GlossaryIndex:
    return GlossaryIndex.build(PARENTHETICAL_TERMS)


@pytest.mark.parametrize(
    ("query", "kind", "term_id"),
    [
        ("false positive", "exact", 3),  # the base name
        ("FP", "exact", 3),  # the abbreviation
        ("false positive (FP)", "exact", 3),  # the whole name stays a key
        ("flase positive", "fuzzy", 3),  # a typo of the base name
        ("mean squared eror", "fuzzy", 5),
        ("MSE", "exact", 5),
        ("node", "exact", 15),  # a name wins over a base name
        ("lsos", "fuzzy", 6),  # four letters, two swapped: a plural as typed, not "lso"
        ("grdint", "fuzzy", 8),  # six letters, two typos among the first four
        ("tirgam", "fuzzy", 12),  # as many typos from "bigram", but far less alike
    ],
)
def test_parenthetical_names_and_typos_resolve(
    parenthetical: GlossaryIndex, query: str, kind: str, term_id: int
) -> None:
    resolution = parenthetical.resolve(query)
    assert (resolution.kind, resolution.term_id) == (kind, term_id)
    assert parenthetical.complete(query)[0].term_id == term_id  # autocomplete's first is /define's answer


def test_a_base_name_of_several_senses_resolves_to_the_senses(parenthetical: GlossaryIndex) -> None:
    for query in ("bias", "Bias", "bais"):
        resolution = parenthetical.resolve(query)
        assert resolution.kind == "senses" and resolution.term_id is None
        assert resolution.senses == (2, 1)  # the most looked up first
    assert [choice.term_id for choice in parenthetical.complete("bias")][:2] == [2, 1]


def test_as_close_and_as_alike_is_a_miss(parenthetical: GlossaryIndex) -> None:
    resolution = parenthetical.resolve("losa")  # one typo from "loss" and from "LoRA"
    assert resolution.kind == "miss" and {6, 7} <= set(resolution.suggestions)


def test_a_miss_suggests_names_sharing_a_significant_word(parenthetical: GlossaryIndex) -> None:
    resolution = parenthetical.resolve("gradient blending")
    assert resolution.kind == "miss"
    assert set(resolution.suggestions[:4]) == {8, 9, 10, 11}
    assert parenthetical.resolve("the blending").suggestions == ()  # "the" says nothing
    assert parenthetical.resolve("qzxv kwpj").suggestions == ()  # gibberish gets none


def test_senses_stay_current_through_edits(parenthetical: GlossaryIndex) -> None:
    parenthetical.remove(2)
    assert parenthetical.resolve("bias").term_id == 1
    parenthetical.upsert(2, "bias (ethics)", [])
    assert parenthetical.resolve("bias").senses == (1, 2)
    parenthetical.upsert(16, "Bias", [])  # a name of its own wins
    assert parenthetical.resolve("bias").term_id == 16
    parenthetical.remove(16)
    assert parenthetical.resolve("bias").kind == "senses"


def test_a_small_glossary_counts_a_letter_dropped_between_swapped_ones_as_two_typos() -> None:
    index = GlossaryIndex.build([(1, "regularization", [], 0), (2, "Jailbreak", [], 0), (3, "input layer", [], 0)])
    assert index.resolve("regurlization").term_id == 1  # "a" dropped, then "lr" swapped: three edits for OSA
    assert index.resolve("iJlbreak").term_id == 2
    assert index.complete("input yler")[0].term_id == 3
