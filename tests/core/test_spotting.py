"""Spotting glossary terms in a message: whole words, same normalisation as /define, hostile text.

The spotter reads the matching index, as the bot does: `spotter_with` builds a `GlossaryIndex` whose
terms are named by each id's first phrase and aliased by the rest.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.core.index import GlossaryIndex
from bot.core.normalize import lookup_key, tokens
from bot.core.spotting import DEFAULT_LIMIT, MAX_SCAN_CHARS, Mention, _scan, find_mentions

LLM, LM, RAG, AI, EMBEDDING, FINE_TUNING, SSL, AGENT, SA, US, TSNE, AIM = range(1, 13)


def registered(phrases: Iterable[tuple[int, str]]) -> list[tuple[int, str, list[str]]]:
    """(term id, name, aliases) per term, in the order the ids first appear."""
    terms: dict[int, tuple[int, str, list[str]]] = {}
    for term_id, phrase in phrases:
        if term_id in terms:
            terms[term_id][2].append(phrase)
        else:
            terms[term_id] = (term_id, phrase, [])
    return list(terms.values())


def spotter_with(*phrases: tuple[int, str]) -> GlossaryIndex:
    return GlossaryIndex.build((term_id, name, aliases, 0) for term_id, name, aliases in registered(phrases))


@pytest.fixture(scope="module")
def glossary() -> GlossaryIndex:
    return spotter_with(
        (LLM, "Large Language Model"),
        (LLM, "LLM"),
        (LM, "Language Model"),
        (RAG, "RAG"),
        (RAG, "Retrieval-Augmented Generation"),
        (AI, "AI"),
        (EMBEDDING, "Embedding"),
        (FINE_TUNING, "Fine-Tuning"),
        (SSL, "SSL"),
        (AGENT, "Agent"),
        (SA, "SA"),
        (US, "US"),
        (TSNE, "TSNE"),
    )


def found(spotter: GlossaryIndex, text: str, limit: int = DEFAULT_LIMIT) -> list[tuple[int, str]]:
    """(term id, quoted text) per mention: what the cog would show."""
    return [(mention.term_id, text[mention.start : mention.end]) for mention in find_mentions(spotter, text, limit)]


# --- the basics --------------------------------------------------------------------------------------


def test_longest_match_wins_on_overlap(glossary: GlossaryIndex) -> None:
    text = "A large language model is a language model."
    assert found(glossary, text) == [(LLM, "large language model"), (LM, "language model")]


def test_equal_length_overlap_goes_to_the_leftmost() -> None:
    spotter = spotter_with((1, "alpha beta"), (2, "beta gamma"))
    assert found(spotter, "alpha beta gamma") == [(1, "alpha beta")]


def test_a_longer_overlapping_match_beats_a_leftmost_shorter_one() -> None:
    spotter = spotter_with((1, "alpha beta"), (2, "beta gamma delta"))
    assert found(spotter, "alpha beta gamma delta") == [(2, "beta gamma delta")]


def test_adjacent_terms_are_both_found(glossary: GlossaryIndex) -> None:
    assert found(glossary, "RAG LLM") == [(RAG, "RAG"), (LLM, "LLM")]
    assert found(glossary, "LLM/RAG") == [(LLM, "LLM"), (RAG, "RAG")]


def test_punctuation_around_words_does_not_matter(glossary: GlossaryIndex) -> None:
    text = "LLMs, (RAG) and 'AI'!"
    assert found(glossary, text) == [(LLM, "LLMs"), (RAG, "RAG"), (AI, "AI")]


def test_aliases_map_to_their_term_and_report_the_registered_name(glossary: GlossaryIndex) -> None:
    mentions = find_mentions(glossary, "retrieval augmented generation")
    assert mentions == [Mention(RAG, "Retrieval-Augmented Generation", 0, 30)]


def test_a_term_is_reported_once_at_its_first_mention(glossary: GlossaryIndex) -> None:
    text = "An LLM, or large language model: LLMs everywhere."
    assert find_mentions(glossary, text) == [Mention(LLM, "LLM", 3, 6)]


def test_plurals_and_case(glossary: GlossaryIndex) -> None:
    assert found(glossary, "EMBEDDINGS and Embeddings") == [(EMBEDDING, "EMBEDDINGS")]
    spotter = spotter_with((1, "Embeddings"))
    assert found(spotter, "one embedding") == [(1, "embedding")]


@pytest.mark.parametrize("text", ["AIM", "aim", "brag", "BRAGGING", "OpenAI", "SSLv3", "ragtime", "agents2"])
def test_whole_words_only(glossary: GlossaryIndex, text: str) -> None:
    assert find_mentions(glossary, text) == []


def test_offsets_point_into_the_original_text(glossary: GlossaryIndex) -> None:
    text = "Ｌｌｍ ✨ and the Fine‐Tuning of « EMBEDDINGS »"
    for mention in find_mentions(glossary, text):
        assert lookup_key(text[mention.start : mention.end]) in {"llm", "finetuning", "embedding"}
    assert [text[m.start : m.end] for m in find_mentions(glossary, text)] == ["Ｌｌｍ", "Fine‐Tuning", "EMBEDDINGS"]


def test_combining_accents_compose_as_in_normalize() -> None:
    spotter = spotter_with((1, "Café"))  # precomposed é
    text = "a cafe\u0301 here"  # e + combining acute
    assert found(spotter, text) == [(1, "cafe\u0301")]


# --- one name, several spellings ---------------------------------------------------------------------


@pytest.mark.parametrize("text", ["fine-tuning", "Fine Tuning", "finetuning", "FINE_TUNING", "fine–tunings"])
def test_spaced_hyphenated_and_joined_spellings_all_match(text: str) -> None:
    for phrase in ("Fine-Tuning", "fine tuning", "Finetuning"):
        assert found(spotter_with((FINE_TUNING, phrase)), f"try {text}.") == [(FINE_TUNING, text)]


def test_single_letters_do_not_join_across_spaces_or_apostrophes(glossary: GlossaryIndex) -> None:
    assert find_mentions(glossary, "it's a deal") == []  # not "SA"
    assert find_mentions(glossary, "a gent") == []  # not "Agent"
    assert find_mentions(glossary, "t SNE") == []


def test_single_letters_join_across_dots_and_hyphens(glossary: GlossaryIndex) -> None:
    assert found(glossary, "the U.S. and t-SNE and A.I.") == [(US, "U.S"), (TSNE, "t-SNE"), (AI, "A.I")]


def test_a_key_mentions_the_term_holding_it() -> None:
    # The store never lets two terms share a key; the index keeps the first, and so does spotting.
    spotter = spotter_with((1, "Transformer"), (1, "TF"), (2, "TensorFlow"), (2, "TF"))
    assert [(m.term_id, m.name) for m in find_mentions(spotter, "TF")] == [(1, "TF")]


def test_spellings_with_one_key_are_one_phrase() -> None:
    spotter = spotter_with((1, "Fine-Tuning"), (1, "fine tuning"), (1, "FINETUNING"), (1, "Fine-tunings"))
    assert find_mentions(spotter, "finetuning") == [Mention(1, "Fine-Tuning", 0, 10)]


# --- sentence breaks and text we do not scan ---------------------------------------------------------


def test_a_mention_does_not_run_across_sentences_or_lines(glossary: GlossaryIndex) -> None:
    assert found(glossary, "It is large. Language models are fun") == [(LM, "Language models")]
    assert found(glossary, "- large\n- language model") == [(LM, "language model")]
    assert found(glossary, "see Node.js, GPT-3.5 and large language models") == [(LLM, "large language models")]


def test_a_phrase_with_its_own_sentence_break_still_matches_itself() -> None:
    spotter = spotter_with((1, "U.S. AI Safety Institute"))
    assert found(spotter, "The U.S. AI Safety Institute!") == [(1, "U.S. AI Safety Institute")]
    assert found(spotter, "the us AI safety institute") == [(1, "us AI safety institute")]


def test_zero_width_and_direction_marks_are_invisible(glossary: GlossaryIndex) -> None:
    text = "L\u200bL\u200dM and \u200fRAG\u200e and \ufeffAI"
    assert found(glossary, text) == [(LLM, "L\u200bL\u200dM"), (RAG, "RAG"), (AI, "AI")]


def test_markdown_around_words_is_punctuation(glossary: GlossaryIndex) -> None:
    text = "**LLM** `RAG` [SSL](https://example.com/ssl) __AI__ ~~agent~~ ||embedding||"
    assert found(glossary, text) == [
        (LLM, "LLM"),
        (RAG, "RAG"),
        (SSL, "SSL"),
        (AI, "AI"),
        (AGENT, "agent"),
        (EMBEDDING, "embedding"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "https://example.com/rag/llm?q=ai",
        "<https://ai.example/llm>",
        "www.rag.ai/embedding",
        "write to rag@llm.ai",
        "<@123> <@!123> <@&123> <#123>",
        "<:rag:123456> <a:llm:123456>",
        "</rag:123456> </llm ai:123456>",
        "<t:1700000000:R>",
    ],
)
def test_links_mentions_and_custom_emoji_are_not_scanned(glossary: GlossaryIndex, text: str) -> None:
    assert find_mentions(glossary, text) == []


def test_unscanned_text_separates_the_words_around_it(glossary: GlossaryIndex) -> None:
    text = "large <:x:1> language model, RAG https://x.y LLM"
    assert found(glossary, text) == [(LM, "language model"), (RAG, "RAG"), (LLM, "LLM")]


# --- limits, edits, odd input ------------------------------------------------------------------------


def test_limit(glossary: GlossaryIndex) -> None:
    text = "AI, RAG, LLM, SSL and agents"
    assert [m.term_id for m in find_mentions(glossary, text, limit=2)] == [AI, RAG]
    assert find_mentions(glossary, text, limit=0) == []
    assert len(find_mentions(glossary, text)) == 5


def test_only_the_first_max_scan_chars_are_read() -> None:
    spotter = spotter_with((1, "early"), (2, "late"), (3, "transform"))
    text = "early " + "x" * (MAX_SCAN_CHARS - 16) + " transformer" + " late" * 2000
    assert len(text) > MAX_SCAN_CHARS
    cut = text.index("transformer") + len("transform")
    assert cut == MAX_SCAN_CHARS  # the cut leaves "transform": it must not count
    assert found(spotter, text) == [(1, "early")]


def test_edits_to_the_index_are_seen_at_once() -> None:
    spotter = spotter_with((1, "Large Language Model"), (1, "LLM"))
    assert found(spotter, "an LLM") == [(1, "LLM")]
    spotter.upsert(1, "Large Language Model", ["Foundation LM"])
    assert found(spotter, "an LLM, a foundation LM") == [(1, "foundation LM")]
    spotter.upsert(2, "Quokka", [])
    assert found(spotter, "quokkas everywhere") == [(2, "quokkas")]
    spotter.remove(2)
    assert found(spotter, "quokkas everywhere") == []


def test_an_empty_glossary_mentions_nothing() -> None:
    assert found(spotter_with(), "anything at all") == []


@pytest.mark.parametrize("phrase", ["", "   ", "!!!", "\u200b\u200f", "—", "🤖"])
def test_phrases_without_letters_or_digits_are_skipped(phrase: str) -> None:
    spotter = spotter_with((1, phrase))
    assert find_mentions(spotter, f"x {phrase} y") == []


def test_one_letter_terms_are_whole_words_only() -> None:
    spotter = spotter_with((1, "R"), (2, "C"))
    assert found(spotter, "I use R and C, not Rust or CUDA") == [(1, "R"), (2, "C")]


@pytest.mark.parametrize(
    "text",
    [
        "a." * 6_000,
        "a" + "!" * 9_000 + "b",  # a long gap without spaces: no quadratic backtracking
        "a" + ".**" * 3_000 + "b",
        "<" * 10_000,
        "</" + "x" * 10_000,
        "a@" * 6_000,
        "x" * 20_000,
        "LLM " * 5_000,
        "\u200b" * 10_000,
        "e\u0301" * 5_000,
        "https://" * 3_000,
    ],
)
def test_hostile_text_is_handled(glossary: GlossaryIndex, text: str) -> None:
    mentions = find_mentions(glossary, text)
    assert len({m.term_id for m in mentions}) == len(mentions)
    assert all(m.end <= MAX_SCAN_CHARS for m in mentions)


# --- properties --------------------------------------------------------------------------------------


@given(st.text(max_size=200))
@example("\u1100\u1161 \u1100\u1161\u11a8")  # Hangul jamo compose across "letters": the whole-chunk path
@example("\u1100\u200b\u1161")  # ... but not across a zero-width space, which then vanishes
@example("x\u0f72\u0f73")  # a vowel sign that decomposes into marks needing reordering
@example("ǰ ½ ﬁ ß İ ㎏ Ⅻ ｆｕｌｌ e\u0301 \u00a8")
def test_message_words_are_exactly_normalize_tokens(text: str) -> None:
    words = _scan(text, skip_unscanned=False)
    assert words.words == tokens(text)
    for start, end in zip(words.starts, words.ends, strict=True):
        assert 0 <= start < end <= len(text)


VOCAB = st.text(alphabet="abcdef", min_size=2, max_size=5)
"""Phrase words: at least two letters (so any spacing may join), no "s" (so no plural folding)."""
FILLER = st.text(alphabet="xyz", min_size=2, max_size=4)
"""Filler shares no letter with the phrases: no phrase key can match across or inside it."""
BETWEEN = st.sampled_from([" ", ", ", " (", ") ", " **", "** ", " `", "` ", " - ", "/"])
WITHIN = st.sampled_from([" ", "-", "", "_", " ", "  "])
"""How a phrase's words may be spaced in a message: all the same lookup key."""


def _ascii_words(text: str) -> list[tuple[str, int, int]]:
    return [(match.group().lower(), match.start(), match.end()) for match in re.finditer(r"[a-z]+", text, re.I)]


def _reference(phrases: list[tuple[int, str]], text: str) -> list[tuple[int, str, int, int]]:
    """A slow, obviously correct spotter for ASCII text of words at least two letters long."""
    by_key: dict[str, tuple[int, str]] = {}
    for term_id, name, aliases in registered(phrases):
        for phrase in (name, *aliases):
            by_key.setdefault(lookup_key(phrase), (term_id, phrase))  # a key is the first holder's
    words = _ascii_words(text)
    windows = [
        (len(key), first, last)
        for first in range(len(words))
        for last in range(first, len(words))
        if (key := "".join(word for word, _, _ in words[first : last + 1])) in by_key
    ]
    windows.sort(key=lambda window: (-window[0], window[1]))
    taken: set[int] = set()
    chosen = []
    for _length, first, last in windows:
        if taken.isdisjoint(range(first, last + 1)):
            taken.update(range(first, last + 1))
            chosen.append((first, last))
    result = []
    seen: set[int] = set()
    for first, last in sorted(chosen):
        key = "".join(word for word, _, _ in words[first : last + 1])
        term_id, name = by_key[key]
        if term_id not in seen:
            seen.add(term_id)
            result.append((term_id, name, words[first][1], words[last][2]))
    return result


@st.composite
def messages(draw: st.DrawFn) -> tuple[list[tuple[int, str]], str, list[tuple[int, int, int]]]:
    """Random phrases (some terms with aliases) and a message made of some of them plus filler.

    Returns the phrases, the message, and (term id, start, end) for every phrase written into it.
    """
    phrase_words = draw(st.lists(st.lists(VOCAB, min_size=1, max_size=3), min_size=1, max_size=8))
    phrases = [
        (draw(st.integers(1, 5)), " ".join(words).title() if draw(st.booleans()) else " ".join(words))
        for words in phrase_words
    ]
    parts: list[str] = []
    inserted: list[tuple[int, int, int]] = []
    length = 0
    for _ in range(draw(st.integers(0, 12))):
        separator = draw(BETWEEN) if parts else ""
        if draw(st.booleans()):
            index = draw(st.integers(0, len(phrases) - 1))
            within = [draw(WITHIN) for _ in phrase_words[index][1:]]
            piece = phrase_words[index][0] + "".join(
                gap + word for gap, word in zip(within, phrase_words[index][1:], strict=True)
            )
            piece = piece.upper() if draw(st.booleans()) else piece
            start = length + len(separator)
            inserted.append((phrases[index][0], start, start + len(piece)))
        else:
            piece = draw(FILLER)
        parts.append(separator + piece)
        length += len(separator) + len(piece)
    return phrases, "".join(parts), inserted


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(messages())
def test_every_written_phrase_is_found_and_no_match_breaks_a_word(
    case: tuple[list[tuple[int, str]], str, list[tuple[int, int, int]]],
) -> None:
    phrases, text, inserted = case
    spotter = spotter_with(*phrases)
    mentions = find_mentions(spotter, text, limit=1_000)
    keys_of: dict[int, set[str]] = {}
    for term_id, phrase in phrases:
        keys_of.setdefault(term_id, set()).add(lookup_key(phrase))

    # Each mention quotes whole words that spell one of its term's phrases; terms once, in text order.
    for mention in mentions:
        assert text[mention.start].isalnum() and text[mention.end - 1].isalnum()
        assert mention.start == 0 or not text[mention.start - 1].isalnum()
        assert mention.end == len(text) or not text[mention.end].isalnum()
        assert "".join(tokens(text[mention.start : mention.end])) in keys_of[mention.term_id]
    assert len({m.term_id for m in mentions}) == len(mentions)
    assert [m.start for m in mentions] == sorted(m.start for m in mentions)

    # Every phrase written into the text is found (as the term holding its key), unless an overlapping
    # phrase at least as long won.
    found_terms = {m.term_id for m in mentions}
    holders: dict[str, int] = {}
    for term_id, name, aliases in registered(phrases):
        for phrase in (name, *aliases):
            holders.setdefault(lookup_key(phrase), term_id)
    all_keys = set(holders)
    words = _ascii_words(text)
    for _, start, end in inserted:
        if holders[lookup_key(text[start:end])] in found_terms:
            continue
        length = len(lookup_key(text[start:end]))
        assert any(
            len(key) >= length
            and words[first][1] < end
            and words[last][2] > start
            and (words[first][1], words[last][2]) != (start, end)
            for first in range(len(words))
            for last in range(first, len(words))
            if (key := "".join(word for word, _, _ in words[first : last + 1])) in all_keys
        ), text[start:end]

    # And the whole answer is what the slow reference spotter says.
    assert [(m.term_id, m.name, m.start, m.end) for m in mentions] == _reference(phrases, text)


# --- scale -------------------------------------------------------------------------------------------


def test_100k_phrases_and_a_4000_character_message() -> None:
    rng = random.Random(20_240_601)
    syllables = [c + v for c in "bdfgklmnprtv" for v in "aeiou"]

    def word() -> str:
        return "".join(rng.choice(syllables) for _ in range(rng.randint(1, 4)))

    phrases: dict[str, str] = {}
    while len(phrases) < 100_000:
        phrase = " ".join(word() for _ in range(rng.choice((1, 1, 2, 2, 2, 3, 4))))
        if rng.random() < 0.3:
            phrase = phrase.title().replace(" ", "-")
        phrases.setdefault(lookup_key(phrase), phrase)
    names = list(phrases.values())
    spotter = GlossaryIndex.build((term_id, name, (), 0) for term_id, name in enumerate(names))
    assert len(spotter) == 100_000

    # Phrases separated by filler that cannot spell any phrase (no vowels), in assorted spellings.
    expected: list[tuple[int, str]] = []
    parts: list[str] = []
    length = 0
    for term_id in rng.sample(range(len(names)), 400):
        filler = " ".join("".join(rng.choices("hjwxz", k=3)) for _ in range(rng.randint(1, 3)))
        spelling = rng.choice((names[term_id], names[term_id].upper(), names[term_id].replace("-", " ")))
        piece = f"{filler}, **{spelling}** "
        if length + len(piece) > 4_000:
            break
        parts.append(piece)
        length += len(piece)
        expected.append((term_id, spelling))
    message = "".join(parts)
    assert 3_900 <= len(message) <= 4_000

    assert found(spotter, message, limit=1_000) == expected
    assert found(spotter, message) == expected[:DEFAULT_LIMIT]
