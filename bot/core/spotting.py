"""Find every glossary term a message mentions, for the "Explain terms" message command.

Pure: no Discord, no database. `find_mentions(index, message.content)` reads the glossary's names and
aliases straight from the matching index (`GlossaryIndex`), so it needs no structure of its own: nothing
to build at start, no memory beyond the index, and never out of step with /define.

What counts as a mention: a run of whole words in the message whose words, joined, equal a phrase's
`normalize.lookup_key`. So case, punctuation, hyphens, spaces, zero-width characters and a plural "s"
do not matter, exactly as for `/define`: "Fine-Tuning", "fine tuning" and "finetuning" all mention a
term named "Fine-Tuning" or "Finetuning". Two guards keep joined words honest:
- a message may split a word the phrase does not split ("fine tuning" for "Finetuning") only between
  parts of at least `MIN_SPLIT_PART_CHARS`, unless the parts are joined by a bare "." or "-" ("U.S.",
  "t-SNE"): otherwise "it's a" would mention "SA" and "a gent" would mention "Agent";
- a mention never runs across a sentence break (". ", "!", a new line, ...) unless the phrase itself has
  one there: "...a large. Language models..." does not mention "Large Language Model".

Not scanned at all: links, e-mail addresses and Discord's own markup (user, role and channel mentions,
custom emoji, timestamps, command mentions). Their text is an address, not prose: "<:rag:123>" or
"https://example.com/llm-guide" mention nothing. Markdown around prose ("**LLM**", "`RAG`",
"[SSL](https://x)") is punctuation like any other, so the words inside it are found.

How: the message becomes a list of normalised words, each remembering its span in the original text
(so a `Mention` quotes exactly what the author wrote). From each word, a run of words grows one word at
a time, joined without separators, for as long as some key starts with it (a binary search in the
index's sorted keys); a run that is a key, and passes the guards, is a candidate. That handles any way
of spacing a phrase with one key per phrase, instead of registering every spelling, and costs a few
binary searches per word of the message whatever the size of the glossary. Overlaps are settled longest
first ("large language model" beats "language model"), then leftmost first.

A key belongs to one term (the store enforces it), so a run mentions at most one term; the guards read
the word splits and sentence breaks of the name or alias that holds the key.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Protocol

# The plural rule must be normalize.py's own, or a message would disagree with /define about what a word
# is. It is private there; see the report asking for a public `singular()` (or a span-aware `tokens()`).
from bot.core.normalize import singular

MAX_SCAN_CHARS = 8_000
"""Only this much of a message is read: twice Discord's 4,000-character Nitro limit, so real messages are
read whole while hostile input (an embed description, a pasted log) costs a bounded amount of work."""
DEFAULT_LIMIT = 25
"""The most mentions `find` returns by default: Discord caps select options and embed fields at 25."""
MIN_SPLIT_PART_CHARS = 2
"""A word the message splits but the phrase does not must split into parts at least this long; single
letters are too often contractions and articles ("it's", "a gent") to be read as half a word."""

_SHORT_PART_JOINERS = frozenset({"", ".", "-", "\u2010", "\u2011"})
"""Between these, even single letters may join into one word: "U.S." is "us", "t-SNE" is "tsne"."""

_ASCII_WORD = re.compile(r"[A-Za-z0-9]+")
"""For ASCII text this is exactly what `normalize.tokens` keeps; it makes the common case fast."""
_CHUNK = re.compile(r"\S+")
"""Unicode normalisation never combines characters across whitespace, so each chunk can be folded on its
own and its characters traced back to the original text."""
_LINE_BREAK = re.compile(r"[\n\r\u2028\u2029。！？；]")
"""Between two words, these always end a sentence or line (CJK terminators take no following space)."""
_TERMINATOR = re.compile(r"[.!?;…．]")
_SPACE = re.compile(r"\s")
"""A terminator ends a sentence only if a space follows it, maybe after a bracket or "**": "Node.js" and
"GPT-3.5" go on. Two single-character searches rather than one `[.!?]\\S*\\s` pattern, which would
backtrack quadratically over a long run of "!!!!"."""
_UNSCANNED = re.compile(
    r"""
      <?(?:https?|ftp)://[^\s<>]+>?            # links, including <no-embed> ones and [text](link) targets
    | \bwww\.[^\s<>]+                          # links without a scheme that clients still linkify
    | (?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+  # e-mail addresses; the look-behind keeps it linear
    | <(?:@[!&]?\d+                            # user and role mentions
        | \#\d+                                # channel mentions
        | a?:\w+:\d+                           # custom emoji: <:rag:123>
        | t:-?\d+(?::[a-zA-Z])?                # timestamps
        | /[^<>:]{1,100}:\d+                   # command mentions: </define:123>
        | id:\w+                               # server guide links
        )>
    """,
    re.VERBOSE | re.IGNORECASE,
)

_NO_BREAK = 0
_SENTENCE = 1
_HARD = 2
"""What separates a word from the one before it: nothing special, a sentence break, or unscanned text."""


@dataclass(frozen=True, slots=True)
class Mention:
    term_id: int
    name: str
    """The term's name or alias that the words spell, as the glossary writes it."""
    start: int
    end: int
    """Character offsets into the original message: `text[start:end]` is what the author wrote."""


@dataclass(slots=True)
class _Words:
    """Normalised words of a text, with their original spans and what precedes each of them."""

    text: str
    words: list[str] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    breaks: list[int] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Candidate:
    """A run of words, words[first..last], that joined spell the key of `phrase`, a name or alias of `term_id`."""

    length: int
    first: int
    last: int
    term_id: int
    phrase: str


def _sentence_break(text: str, start: int, end: int) -> bool:
    """Whether text[start:end], the gap between two words, ends a sentence or a line."""
    if _LINE_BREAK.search(text, start, end):
        return True
    terminator = _TERMINATOR.search(text, start, end)
    return terminator is not None and _SPACE.search(text, terminator.end(), end) is not None


def _fold_chunk(chunk: str, base: int) -> Iterator[tuple[str, int, int]]:
    """Each character of NFKC(chunk).casefold() with the span of the original characters it came from."""
    pieces: list[tuple[str, int, int]] = []
    start, size = 0, len(chunk)
    while start < size:
        # A letter and its combining marks are normalised together so that "e" + U+0301 composes to
        # "é", as it does in the whole-text normalisation `tokens` applies.
        end = start + 1
        while end < size and unicodedata.combining(chunk[end]):
            end += 1
        pieces.extend(
            (char, base + start, base + end) for char in unicodedata.normalize("NFKC", chunk[start:end]).casefold()
        )
        start = end
    whole = unicodedata.normalize("NFKC", chunk).casefold()
    if "".join(char for char, _, _ in pieces) != whole:
        # Rare scripts compose across letters (Hangul jamo, some Indic vowel signs): keep the words
        # exactly as `tokens` sees them and give each the whole chunk as its span.
        pieces = [(char, base, base + size) for char in whole]
    yield from pieces


def _chunk_words(text: str, start: int, end: int) -> Iterator[tuple[str, int, int]]:
    """The words of text[start:end] exactly as `normalize.tokens` makes them, with original spans."""
    if text[start:end].isascii():
        for match in _ASCII_WORD.finditer(text, start, end):
            yield singular(match.group().lower()), match.start(), match.end()
        return
    for chunk in _CHUNK.finditer(text, start, end):
        if chunk.group().isascii():
            yield from _chunk_words(text, chunk.start(), chunk.end())
            continue
        letters: list[str] = []
        word_start = word_end = 0
        for char, char_start, char_end in _fold_chunk(chunk.group(), chunk.start()):
            if unicodedata.category(char) == "Cf":
                continue  # zero-width and direction marks vanish without splitting the word
            if char.isalnum():
                if not letters:
                    word_start = char_start
                letters.append(char)
                word_end = char_end
            elif letters:
                yield singular("".join(letters)), word_start, word_end
                letters = []
        if letters:
            yield singular("".join(letters)), word_start, word_end


def _scan(text: str, *, skip_unscanned: bool) -> _Words:
    """Split `text` into normalised words; links and Discord markup are skipped if asked."""
    if skip_unscanned:
        regions: list[tuple[int, int]] = []
        position = 0
        for match in _UNSCANNED.finditer(text):
            regions.append((position, match.start()))
            position = match.end()
        regions.append((position, len(text)))
    else:
        regions = [(0, len(text))]
    result = _Words(text)
    for region_index, (start, end) in enumerate(regions):
        after_cut = region_index > 0
        for word, word_start, word_end in _chunk_words(text, start, end):
            if not result.words:
                kind = _NO_BREAK
            elif after_cut:
                kind = _HARD
            elif _sentence_break(text, result.ends[-1], word_start):
                kind = _SENTENCE
            else:
                kind = _NO_BREAK
            after_cut = False
            result.words.append(word)
            result.starts.append(word_start)
            result.ends.append(word_end)
            result.breaks.append(kind)
    return result


def _parse_phrase(phrase: str) -> tuple[str, tuple[int, ...], tuple[int, ...]]:
    """A phrase's lookup key, and the offsets in it where the phrase ends a word or has a sentence break."""
    if phrase.isascii() and not _sentence_break(phrase, 0, len(phrase)):
        # Nearly every name: no spans or breaks to track, so take the quick path.
        ascii_words = [singular(word.lower()) for word in _ASCII_WORD.findall(phrase)]
        return "".join(ascii_words), tuple(accumulate(map(len, ascii_words[:-1]))), ()
    words: list[str] = []
    splits: list[int] = []
    breaks: list[int] = []
    offset = previous_end = 0
    for word, start, end in _chunk_words(phrase, 0, len(phrase)):
        if words:
            splits.append(offset)
            if _sentence_break(phrase, previous_end, start):
                breaks.append(offset)
        words.append(word)
        offset += len(word)
        previous_end = end
    return "".join(words), tuple(splits), tuple(breaks)


class PhraseBook(Protocol):
    """What spotting reads: the glossary's names and aliases by lookup key (`GlossaryIndex` is one)."""

    def phrase_for_key(self, key: str) -> tuple[int, str] | None:
        """The term holding `key`, and the name or alias it holds it by."""

    def has_key_starting_with(self, prefix: str) -> bool:
        """Whether any key starts with `prefix`: a run of words that spells none can stop growing."""


def find_mentions(book: PhraseBook, text: str, limit: int = DEFAULT_LIMIT) -> list[Mention]:
    """The terms `text` mentions, each once (at its first mention), in order of appearance."""
    if limit <= 0:
        return []
    words = _scan(text[:MAX_SCAN_CHARS], skip_unscanned=True)
    if len(text) > MAX_SCAN_CHARS and words.words and words.ends[-1] == MAX_SCAN_CHARS:
        # The cut may have fallen inside this word; its head alone could mention the wrong term.
        for column in (words.words, words.starts, words.ends, words.breaks):
            column.pop()
    mentions: list[Mention] = []
    seen: set[int] = set()
    for candidate in _choose(_candidates(book, words), len(words.words)):
        if candidate.term_id in seen:
            continue
        seen.add(candidate.term_id)
        mentions.append(
            Mention(candidate.term_id, candidate.phrase, words.starts[candidate.first], words.ends[candidate.last])
        )
        if len(mentions) >= limit:
            break
    return mentions


def _candidates(book: PhraseBook, words: _Words) -> list[_Candidate]:
    """Every run of words spelling a key that passes the split and break guards.

    From each word, the run grows a word at a time for as long as some key starts with it: one binary
    search per step, and in prose most runs stop after a word or two.
    """
    candidates: list[_Candidate] = []
    count = len(words.words)
    for first in range(count):
        run = ""
        offsets: list[int] = []  # where each word of the run starts in it
        for last in range(first, count):
            if last > first and words.breaks[last] == _HARD:
                break  # cut-out text (a link, a mention) lies between: no key spans it
            offsets.append(len(run))
            run += words.words[last]
            if not book.has_key_starting_with(run):
                break
            holder = book.phrase_for_key(run)
            if holder is not None and (first == last or _joins_ok(words, first, offsets, holder[1])):
                candidates.append(_Candidate(len(run), first, last, *holder))
    return candidates


def _joins_ok(words: _Words, first: int, offsets: list[int], phrase: str) -> bool:
    """Whether the message's word boundaries inside the run (words[first:], starting at `offsets` in the
    key) are allowed for a key spelled by `phrase`."""
    _, splits, breaks = _parse_phrase(phrase)
    for left, offset in enumerate(offsets[1:], start=first):
        right = left + 1
        if words.breaks[right] == _SENTENCE and offset not in breaks:
            return False
        if (
            offset not in splits
            and min(len(words.words[left]), len(words.words[right])) < MIN_SPLIT_PART_CHARS
            and words.text[words.ends[left] : words.starts[right]] not in _SHORT_PART_JOINERS
        ):
            return False
    return True


def _choose(candidates: list[_Candidate], word_count: int) -> list[_Candidate]:
    """Settle overlaps longest first, then leftmost first; return the winners in text order."""
    candidates.sort(key=lambda candidate: (-candidate.length, candidate.first))
    taken = bytearray(word_count)
    chosen: list[_Candidate] = []
    for candidate in candidates:
        span = slice(candidate.first, candidate.last + 1)
        if any(taken[span]):
            continue
        taken[span] = b"\x01" * (candidate.last + 1 - candidate.first)
        chosen.append(candidate)
    chosen.sort(key=lambda candidate: candidate.first)
    return chosen
