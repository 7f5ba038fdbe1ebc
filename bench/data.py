"""Deterministic glossaries and query sets for the benchmarks.

A generated glossary should stress the index the way a real one would at scale, so names are:
- one to five words, most of two or three, drawn from an AI vocabulary plus coined words (product and
  method names), with a few very common first words so that many names share a prefix;
- given abbreviations as aliases (initials, "LLM"-style), which collide often and are then dropped;
- sometimes near-duplicates of an earlier name: one letter changed ("Model Card" / "Model Cart"), a word
  added, or a version number;
- unique by `lookup_key` across all names and aliases, as the store guarantees.

Queries are what people type: prefixes of names (one keystroke's text), abbreviations, and names with one
or two typos (adjacent swaps, dropped letters, doubled letters, neighbouring keys). Every generator takes a
seed, so two runs (and the baselines within a run) see exactly the same inputs.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from bot.core.entry import Entry
from bot.core.index import ONE_EDIT_FROM_CHARS
from bot.core.normalize import lookup_key

SIZES = (1_000, 10_000, 100_000)
TWO_TYPO_QUERY_CHARS = 8
"""Two typos only in names typed with this many letters or more: the set as it was when the index allowed
two typos from eight letters, kept so figures compare across runs. (The index now allows two from six;
bench/quality.py measures those on real names.)"""
SEED = 20_260_227


def _words(text: str) -> list[str]:
    """A word list written as text: easier to read and extend than a list literal of 400 strings."""
    return text.split()


WORDS = _words("""
abstractive accelerated accuracy acoustic action activation active actor adapter adaptive adversarial
agent agentic aggregation alignment allocation analysis anchor annotation anomaly approximate architecture
artificial attention audio augmentation auto autoencoder automated autonomous autoregressive average
backbone backpropagation bag balanced bandit base baseline batch bayesian beam behaviour belief benchmark
bias bidirectional binary bit boosting bootstrap bottleneck boundary bounding budget buffer byte cache
calibration capacity capsule card causal centroid chain channel character chatbot checkpoint chunk
classification classifier clipping cluster clustering coarse code codebook cognitive collaborative
collapse compression compute concept conditional confidence consistency constitutional constraint
content context continual contrastive control convex convolution convolutional corpus correlation cosine
coverage critic cross curriculum cycle data dataset decay decision decoder decoding deep deformable
denoising dense density deployment depth descent detection deterministic diffusion dimensionality
direct discrete discriminative discriminator distillation distributed distribution domain dropout dual
dynamic early edge efficient elastic embedding emergent encoder energy ensemble entropy episodic
equivariant error estimation evaluation evidence evolutionary expert explainable exploration factor
factorization fairness feature federated feedback few field filter fine flow forecasting forest forward
foundation frame frontier function fusion gain game gated gaussian generalization generative gradient
graph greedy grounding guidance hallucination hash head heuristic hidden hierarchical hinge human hybrid
hyperparameter identity image imitation importance inference information initialization input instance
instruction integrated intelligence interpretability invariant inverse iterative joint kernel key
knowledge label language latent layer leakage learning likelihood linear local logistic long loss low
machine manifold map margin markov mask masked matrix maximum mean memory message meta metric mixture
modal model modeling momentum monte multi multimodal mutual naive natural negative network neural node
noise nonlinear normalization object objective offline online ontology optimal optimization optimizer
oracle ordinal outlier output overfitting pairwise parameter partial path pattern penalty perceptron
perplexity persistent planning point policy pooling positional posterior precision prediction
preference pretrained pretraining principal prior probabilistic probe process prompt propagation proximal
pruning quantization query question random rank ranking rate reasoning recall recurrent recursive
reduction regression regularization reinforcement relational relative representation residual
retrieval reward risk robust robustness rotary routing safety sample sampling scaling scene schedule
score search segmentation selection self semantic sequence shallow shared shot sigmoid signal similarity
sliding soft softmax sparse spatial spectral speculative speech stable state stationary statistical
stochastic stride structured student style supervised support surrogate symbolic synthetic system
teacher temperature temporal tensor test text threshold token tokenizer topic trajectory transfer
transformer translation tree trust tuning uncertainty unified unsupervised update utility validation value
variance variational vector verification vision visual vocabulary voxel weight window world zero
""")

COMMON_FIRST = _words("""
deep neural self large multi machine reinforcement generative graph model data language
""")
"""First words a large share of names start with, as in real glossaries ("Deep …", "Neural …")."""

SYLLABLES = _words("""
ba be bi bo bu ca ce co cu da de di do ka ke ki ko la le li lo lu ma me mi mo mu na ne ni no nu pa pe pi
po ra re ri ro ru sa se si so ta te ti to va ve vi vo xa xe za ze zo tra tri pro pre gra dri flu qua
""")
CODA = ["", "", "", "n", "r", "x", "s", "l", "t", "m", "k"]
COINED_SHARE = 0.2
"""Words that are coined names (products, methods) rather than vocabulary."""

KEYBOARD_ROWS = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm")


def _neighbours() -> dict[str, str]:
    """Keys next to each key on a QWERTY keyboard (same row and the rows above and below)."""
    position = {char: (row, col) for row, keys in enumerate(KEYBOARD_ROWS) for col, char in enumerate(keys)}
    result: dict[str, str] = {}
    for char, (row, col) in position.items():
        close = [
            other
            for other, (other_row, other_col) in position.items()
            if other != char and abs(other_row - row) <= 1 and abs(other_col - col) <= 1
        ]
        result[char] = "".join(close)
    return result


NEIGHBOURS = _neighbours()


@dataclass(frozen=True, slots=True)
class Term:
    term_id: int
    name: str
    aliases: tuple[str, ...]
    lookups: int


@dataclass(frozen=True, slots=True)
class Glossary:
    terms: list[Term]

    def index_rows(self) -> list[tuple[int, str, tuple[str, ...], int]]:
        return [(t.term_id, t.name, t.aliases, t.lookups) for t in self.terms]

    def names(self) -> list[tuple[str, int]]:
        """Every name and alias with its term: what the baselines search."""
        return [(text, t.term_id) for t in self.terms for text in (t.name, *t.aliases)]


@dataclass(frozen=True, slots=True)
class Query:
    text: str
    kind: str
    """"prefix", "abbreviation", "typo1" or "typo2"."""
    term_id: int
    """The term the person means."""


def _coined(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 2, 3)))) + rng.choice(CODA)


def _initials(name: str) -> str:
    return "".join(word[0] for word in name.replace("-", " ").split()).upper()


def _near_duplicate(rng: random.Random, name: str, vocabulary: list[str]) -> str:
    roll = rng.random()
    if roll < 0.4:  # one letter changed in the last word: "Model Card" / "Model Cart"
        words = name.split()
        last = words[-1]
        if len(last) > 3:
            at = rng.randrange(1, len(last))
            words[-1] = last[:at] + rng.choice("aeioulnrst") + last[at + 1 :]
        return " ".join(words)
    if roll < 0.8:
        return f"{name} {rng.choice(vocabulary).title()}"
    return f"{name} {rng.randint(2, 5)}"


def generate_glossary(size: int, seed: int = SEED) -> Glossary:
    """`size` terms with unique keys; the same `size` and `seed` always give the same glossary."""
    rng = random.Random(seed * 1_000_003 + size)
    coined = sorted({_coined(rng) for _ in range(max(100, size // 25))})
    vocabulary = WORDS + coined

    def word() -> str:
        return rng.choice(coined) if rng.random() < COINED_SHARE else rng.choice(WORDS)

    taken: set[str] = set()
    terms: list[Term] = []
    names: list[str] = []
    attempts = 0
    while len(terms) < size:
        attempts += 1
        if names and rng.random() < 0.06:
            name = _near_duplicate(rng, rng.choice(names), vocabulary)
        else:
            count = rng.choices((1, 2, 3, 4, 5), weights=(12, 40, 30, 12, 6))[0]
            first = rng.choice(COMMON_FIRST) if rng.random() < 0.25 else word()
            words = [first, *(word() for _ in range(count - 1))]
            joiner = "-" if count == 2 and rng.random() < 0.15 else " "
            name = joiner.join(word.title() if rng.random() < 0.9 else word for word in words)
        key = lookup_key(name)
        if not key or key in taken or len(name) > 100:
            continue
        taken.add(key)
        aliases: list[str] = []
        if " " in name.strip() or "-" in name:
            initials = _initials(name)
            if len(initials) >= 2 and rng.random() < 0.35:
                for candidate in (initials, f"{initials}{rng.randint(2, 9)}"):
                    if lookup_key(candidate) not in taken:
                        taken.add(lookup_key(candidate))
                        aliases.append(candidate)
                        break
        names.append(name)
        terms.append(Term(len(terms) + 1, name, tuple(aliases), 0))
    popularity = [int(5_000 / (rank + 1) ** 1.1) for rank in range(size)]
    rng.shuffle(popularity)
    return Glossary([Term(t.term_id, t.name, t.aliases, lookups) for t, lookups in zip(terms, popularity, strict=True)])


def entries(glossary: Glossary, seed: int = SEED) -> list[Entry]:
    """The glossary as store entries, with definitions, descriptions and related terms."""
    rng = random.Random(seed + len(glossary.terms))
    result = []
    for term in glossary.terms:
        related = tuple(rng.choice(glossary.terms).name for _ in range(rng.randint(0, 4)))
        words = [rng.choice(WORDS) for _ in range(rng.randint(12, 30))]
        more = [rng.choice(WORDS) for _ in range(rng.randint(40, 120))]
        result.append(
            Entry(
                term=term.name,
                definition=" ".join(words).capitalize() + ".",
                description=". ".join(" ".join(more[i : i + 12]).capitalize() for i in range(0, len(more), 12)) + ".",
                aliases=term.aliases,
                related=tuple(name for name in related if name != term.name),
                category=rng.choice(("Training", "Models", "Safety", "Data", "Inference", None)),
                url=f"https://example.org/glossary/{term.term_id}" if rng.random() < 0.5 else None,
            )
        )
    return result


# ---- queries --------------------------------------------------------------------------------------


def _typo(rng: random.Random, text: str) -> str:
    """One typo at a random letter: an adjacent swap, a drop, a double, or a neighbouring key."""
    letters = [i for i, char in enumerate(text) if char.isalnum()]
    at = rng.choice(letters)
    kind = rng.choice(("swap", "drop", "double", "neighbour"))
    if kind == "swap" and at + 1 < len(text) and text[at + 1].isalnum() and text[at] != text[at + 1]:
        return text[:at] + text[at + 1] + text[at] + text[at + 2 :]
    if kind == "drop":
        return text[:at] + text[at + 1 :]
    if kind == "double":
        return text[:at] + text[at] + text[at:]
    near = NEIGHBOURS.get(text[at].lower(), "")
    return text[:at] + rng.choice(near) + text[at + 1 :] if near else text[:at] + text[at + 1 :]


def typo_queries(glossary: Glossary, count: int, seed: int = SEED) -> list[Query]:
    """Names with one typo or two, half each, typed with at least 4 letters for one and 8 for two.

    The lengths follow the bot's `max_edits`: a person who types a five-letter word with two typos has
    typed another word, and the bot deliberately does not guess (difflib would). The letters are counted
    as typed, so a typo that drops one is held to it too.
    """
    rng = random.Random(seed + 7)
    known = {lookup_key(text) for text, _ in glossary.names()}
    queries: list[Query] = []
    while len(queries) < count:
        term = rng.choice(glossary.terms)
        edits = 1 if len(queries) % 2 == 0 else 2
        minimum = ONE_EDIT_FROM_CHARS if edits == 1 else TWO_TYPO_QUERY_CHARS
        if len(lookup_key(term.name)) < minimum:
            continue
        text = term.name
        for _ in range(edits):
            text = _typo(rng, text)
        if lookup_key(text) in known:  # the typo made another real name: not a typo any more
            continue
        if len(lookup_key(text)) < minimum:  # dropped letters made it too short for this many typos
            continue
        queries.append(Query(text, f"typo{edits}", term.term_id))
    return queries


def prefix_queries(glossary: Glossary, count: int, seed: int = SEED) -> list[Query]:
    """What the text box holds after some keystroke while typing a name (1 to all of its characters)."""
    rng = random.Random(seed + 11)
    queries = []
    for _ in range(count):
        term = rng.choice(glossary.terms)
        queries.append(Query(term.name[: rng.randint(1, len(term.name))], "prefix", term.term_id))
    return queries


def abbreviation_queries(glossary: Glossary, count: int, seed: int = SEED) -> list[Query]:
    """Aliases as typed, in lower case half of the time."""
    rng = random.Random(seed + 13)
    pool = [(alias, t.term_id) for t in glossary.terms for alias in t.aliases]
    queries = []
    for _ in range(count):
        alias, term_id = rng.choice(pool)
        queries.append(Query(alias.lower() if rng.random() < 0.5 else alias, "abbreviation", term_id))
    return queries


def keystroke_queries(glossary: Glossary, count: int, seed: int = SEED) -> list[Query]:
    """The mixed autocomplete workload: prefixes, abbreviations and typos, shuffled together."""
    rng = random.Random(seed + 17)
    mixed = (
        prefix_queries(glossary, count // 2, seed)
        + abbreviation_queries(glossary, count // 4, seed)
        + typo_queries(glossary, count - count // 2 - count // 4, seed)
    )
    rng.shuffle(mixed)
    return mixed
