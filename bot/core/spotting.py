"""Find every glossary term a message mentions, for the "Explain terms" message command.

Pure: no Discord, no database. The cog registers every term name and alias with `TermSpotter.add`,
calls `build()` once, then `find(message.content)` per command.

What counts as a mention: a run of whole words in the message whose words, joined, equal a phrase's
`normalize.lookup_key`. So case, punctuation, hyphens, spaces, zero-width characters and a plural "s"
do not matter, exactly as for `/define`: "Fine-Tuning", "fine tuning" and "finetuning" all mention a
term registered as "Fine-Tuning" or as "Finetuning". Two guards keep joined words honest:
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
(so a `Mention` quotes exactly what the author wrote). The words are concatenated without separators
and one Aho-Corasick automaton (pyahocorasick, in C) over all lookup keys finds every key occurrence in
a single pass; occurrences that do not start and end on word boundaries, or break a guard above, are
dropped. That handles any way of spacing a phrase with one key per phrase, instead of registering every
spelling. Overlaps are settled longest first ("large language model" beats "language model"), then
leftmost first.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import accumulate

import ahocorasick

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

_WORD_GAP = " "
"""Put between the concatenated words where a link or mention was cut out. Keys hold only letters and
digits, so no key can match across it."""

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
    """The term name or alias as registered (the first registered, if several share a spelling)."""
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
class _Registration:
    """One term's name or alias (its spellings with the same lookup key merged)."""

    term_id: int
    name: str
    splits: tuple[int, ...]
    """Offsets in the key where this spelling ends a word."""
    breaks: tuple[int, ...]
    """Offsets in the key where this spelling has a sentence break ("U.S. AI Safety Institute")."""


@dataclass(frozen=True, slots=True)
class _Key:
    """The automaton's payload: everything registered under one lookup key."""

    length: int
    splits: tuple[int, ...]
    """Where some registration splits words: a message may split there even into single letters."""
    breaks: tuple[int, ...]
    """Where some registration has a sentence break: only there may a message have one."""
    registrations: tuple[_Registration, ...]
    """Usually one; an alias two terms share mentions both."""


def _merged(first: tuple[int, ...], second: tuple[int, ...]) -> tuple[int, ...]:
    if first == second or not second:
        return first  # the usual case, without building sets
    return first if set(second) <= set(first) else tuple(sorted({*first, *second}))


def _make_key(key: str, registrations: tuple[_Registration, ...]) -> _Key:
    splits, breaks = registrations[0].splits, registrations[0].breaks
    for registration in registrations[1:]:
        splits = _merged(splits, registration.splits)
        breaks = _merged(breaks, registration.breaks)
    return _Key(len(key), splits, breaks, registrations)


@dataclass(frozen=True, slots=True)
class _Candidate:
    length: int
    first: int
    last: int
    key: _Key


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
        # Nearly every name: no spans or breaks to track, so take the quick path (100,000 adds at startup).
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


class TermSpotter:
    """Term names and aliases, and the automaton that spots them in messages."""

    def __init__(self) -> None:
        self._keys: dict[str, _Key] = {}
        """Lookup key -> what is registered under it; the automaton is built from exactly this."""
        self._term_keys: dict[int, list[str]] = {}
        """Term id -> its keys, so `remove_term` need not scan every key."""
        self._registrations = 0
        self._automaton: ahocorasick.Automaton | None = None
        self._dirty = False

    def __len__(self) -> int:
        """How many phrases are registered (a term's spellings with the same lookup key count once)."""
        return self._registrations

    def add(self, term_id: int, phrase: str) -> None:
        """Register a term name or alias. Phrases without letters or digits are ignored: nothing can
        mention them. Takes effect at the next `build()` (or `find`, which builds if needed)."""
        key, splits, breaks = _parse_phrase(phrase)
        if not key:
            return
        known = self._keys.get(key)
        if known is None:  # the usual case: a key nobody has yet
            self._keys[key] = _Key(len(key), splits, breaks, (_Registration(term_id, phrase, splits, breaks),))
            self._term_keys.setdefault(term_id, []).append(key)
            self._registrations += 1
            self._dirty = True
            return
        registrations = known.registrations
        for index, registration in enumerate(registrations):
            if registration.term_id != term_id:
                continue
            # Another spelling of a name the term already has ("Fine-Tuning", "fine tuning"): keep the
            # first name, allow the word splits and sentence breaks of both.
            merged = _Registration(
                term_id,
                registration.name,
                _merged(registration.splits, splits),
                _merged(registration.breaks, breaks),
            )
            if merged == registration:
                return  # nothing new: leave the automaton alone
            registrations = (*registrations[:index], merged, *registrations[index + 1 :])
            break
        else:
            registrations = (*registrations, _Registration(term_id, phrase, splits, breaks))
            self._term_keys.setdefault(term_id, []).append(key)
            self._registrations += 1
        # Merging into the key's current unions keeps adding k terms under one shared alias linear in k.
        self._keys[key] = _Key(len(key), _merged(known.splits, splits), _merged(known.breaks, breaks), registrations)
        self._dirty = True

    def remove_term(self, term_id: int) -> None:
        """Forget a term and all its phrases (no-op for an unknown id)."""
        for key in self._term_keys.pop(term_id, ()):
            remaining = tuple(
                registration for registration in self._keys[key].registrations if registration.term_id != term_id
            )
            if remaining:
                self._keys[key] = _make_key(key, remaining)
            else:
                del self._keys[key]
            self._registrations -= 1
            self._dirty = True

    def build(self) -> None:
        """(Re)build the automaton after adds and removes; returns at once if nothing changed."""
        if not self._dirty:
            return
        if self._keys:
            automaton = ahocorasick.Automaton()
            for key, payload in self._keys.items():
                automaton.add_word(key, payload)
            automaton.make_automaton()
            self._automaton = automaton
        else:
            self._automaton = None  # pyahocorasick refuses to search an empty automaton
        self._dirty = False

    def find(self, text: str, limit: int = DEFAULT_LIMIT) -> list[Mention]:
        """The terms `text` mentions, each once (at its first mention), in order of appearance."""
        self.build()
        if limit <= 0 or self._automaton is None:
            return []
        words = _scan(text[:MAX_SCAN_CHARS], skip_unscanned=True)
        if len(text) > MAX_SCAN_CHARS and words.words and words.ends[-1] == MAX_SCAN_CHARS:
            # The cut may have fallen inside this word; its head alone could mention the wrong term.
            for column in (words.words, words.starts, words.ends, words.breaks):
                column.pop()
        if not words.words:
            return []
        chosen = self._choose(self._candidates(words), len(words.words))
        mentions: list[Mention] = []
        seen: set[int] = set()
        for candidate in chosen:
            for registration in candidate.key.registrations:
                if registration.term_id in seen:
                    continue
                seen.add(registration.term_id)
                mentions.append(
                    Mention(
                        registration.term_id,
                        registration.name,
                        words.starts[candidate.first],
                        words.ends[candidate.last],
                    )
                )
                if len(mentions) >= limit:
                    return mentions
        return mentions

    def _candidates(self, words: _Words) -> list[_Candidate]:
        """Every key occurrence that is a whole run of words and passes the split and break guards."""
        assert self._automaton is not None
        parts: list[str] = []
        offsets: list[int] = []  # where each word starts in the joined string
        first_at: dict[int, int] = {}
        last_at: dict[int, int] = {}
        position = 0
        for index, word in enumerate(words.words):
            if words.breaks[index] == _HARD:
                parts.append(_WORD_GAP)
                position += len(_WORD_GAP)
            parts.append(word)
            offsets.append(position)
            first_at[position] = index
            position += len(word)
            last_at[position] = index
        candidates: list[_Candidate] = []
        for end_index, key in self._automaton.iter("".join(parts)):
            last = last_at.get(end_index + 1)
            if last is None:
                continue
            first = first_at.get(end_index + 1 - key.length)
            if first is None:
                continue
            if first == last or self._joins_ok(words, offsets, first, last, key):
                candidates.append(_Candidate(key.length, first, last, key))
        return candidates

    @staticmethod
    def _joins_ok(words: _Words, offsets: list[int], first: int, last: int, key: _Key) -> bool:
        """Whether the message's word boundaries inside words[first..last] are allowed for `key`."""
        for left in range(first, last):
            right = left + 1
            offset = offsets[right] - offsets[first]
            if words.breaks[right] == _SENTENCE and offset not in key.breaks:
                return False
            if (
                offset not in key.splits
                and min(len(words.words[left]), len(words.words[right])) < MIN_SPLIT_PART_CHARS
                and words.text[words.ends[left] : words.starts[right]] not in _SHORT_PART_JOINERS
            ):
                return False
        return True

    @staticmethod
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
