import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.normalize import (
    MAX_QUERY_CHARS,
    further_keys,
    is_abbreviation,
    lookup_key,
    normalize,
    parenthetical_keys,
    singular,
    tokens,
    typed_key,
)


@pytest.mark.parametrize(
    ("variant", "canonical"),
    [
        ("self supervised learning", "Self-Supervised Learning"),
        ("SELF-SUPERVISED   learning", "Self-Supervised Learning"),
        ("self‐supervised learnings", "Self-Supervised Learning"),
        ("fine tuning", "Fine-Tuning"),
        ("finetuning", "Fine-Tuning"),
        ("LLMs", "LLM"),
        ("embeddings", "Embedding"),
        ("probabilities", "Probability"),
        ("self\u200bsupervised learning", "selfsupervised learning"),
        ("\u202eChatGPT\u202c", "chatgpt"),
        ("Ｃｈａｔ", "chat"),
    ],
)
def test_variants_share_a_key(variant: str, canonical: str) -> None:
    assert lookup_key(variant) == lookup_key(canonical)


def test_normal_form_keeps_word_boundaries() -> None:
    assert normalize("Self-Supervised Learning") == "self supervised learning"
    assert normalize("  AI   Alignment!! ") == "ai alignment"


@pytest.mark.parametrize("word", ["loss", "corpus", "analysis", "gas", "ops"])
def test_words_ending_in_s_that_are_not_plurals_stay(word: str) -> None:
    assert lookup_key(word) == word


def test_nothing_but_punctuation_has_no_key() -> None:
    assert lookup_key("-- !! ??") == ""
    assert lookup_key("\u200b\u200d") == ""


def test_long_input_is_cut_before_normalising() -> None:
    assert len(lookup_key("a" * 10_000)) == MAX_QUERY_CHARS


def test_markup_and_mentions_reduce_to_words() -> None:
    assert normalize("**LLM** <@123> @everyone") == "llm 123 everyone"


@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=60))
def test_the_ascii_fast_path_matches_the_general_rule(text: str) -> None:
    general = [singular(token) for token in "".join(c if c.isalnum() else " " for c in text.casefold()).split()]
    assert tokens(text) == general


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("MSE", True),
        ("ReLU", True),
        ("sepCNN", True),
        ("IoU", True),
        ("GPT4", True),
        ("math", False),
        ("Tensor", False),
        ("op", False),
        ("i.i.d", False),
        ("two words", False),
        ("A", False),
    ],
)
def test_abbreviations(text: str, expected: bool) -> None:
    assert is_abbreviation(text) is expected


@pytest.mark.parametrize(
    ("name", "keys"),
    [
        ("false positive (FP)", ["falsepositive", "fp"]),
        ("bias (math)", ["bia"]),
        ("rank (Tensor)", ["rank"]),
        ("AUC (Area under the ROC Curve)", ["auc", "areaundertheroccurve"]),
        ("ROC (receiver operating characteristic) Curve", ["roccurve"]),
        ("Deep Q-Network (DQN)", ["deepqnetwork", "dqn"]),
        ("plain name", []),
        ("(FP)", []),  # the whole name is already "fp"
    ],
)
def test_parenthetical_keys(name: str, keys: list[str]) -> None:
    assert parenthetical_keys(name) == keys


def test_typed_key_keeps_plurals_and_further_keys_hold_them() -> None:
    assert lookup_key("lsos") == "lso" and typed_key("lsos") == "lsos"
    assert typed_key("Ｌｏｓｓ-Curves") == "losscurves"
    assert further_keys("bias (math)") == ["bia", "biasmath", "bias"]
    assert further_keys("Loss") == []
