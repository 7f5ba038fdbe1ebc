"""Fuzzing the file importers: whatever a file holds, an import succeeds cleanly or fails with its own error.

Glossary files (own CSV/JSON/YAML, the pipe CSV, random bytes under any extension) go through
`read_glossary`: it returns valid, clash-free entries that the writer reproduces exactly, or raises
`ImportFailed` naming problems, never anything else. Pulse data-point files (JSON/CSV) go through
`parse_points` / `read_points_file`: points or `PulseFileError`. Whatever parses is then applied to one
real database, which stays intact (`PRAGMA integrity_check`, `foreign_key_check`) and answers lookups.

Each test prints how many cases Hypothesis generated; the `soak` variants run ten times as many.
"""

from __future__ import annotations

import asyncio
import csv
import io
import itertools
import json
import sqlite3
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.entry import entry_problems
from bot.core.index import GlossaryIndex
from bot.core.normalize import lookup_key
from bot.core.pulse import FIELDS as PULSE_FIELDS
from bot.core.pulse import DataPoint, PulseFileError, parse_points, point_problems, read_points_file
from bot.importers import ImportFailed, ParsedGlossary, read_glossary, write_own_format
from bot.importers.own import COLUMNS, LIST_SEPARATOR
from bot.store.db import Database
from bot.store.glossary import GlossaryStore
from bot.store.pulse import PulseStore

REPO_ROOT = Path(__file__).resolve().parents[1]
SEED = REPO_ROOT / "data" / "glossary.yaml"
SUFFIXES = (".csv", ".json", ".yaml", ".yml", ".txt", "")
EXAMPLES = 300
SOAK_EXAMPLES = 1500
CASES: Counter[str] = Counter()
FUZZ_SETTINGS: dict[str, Any] = {
    "deadline": None,
    "suppress_health_check": [
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
}


def sizes(default: int = EXAMPLES) -> pytest.MarkDecorator:
    """The default run, and a `soak` variant with many more examples."""
    return pytest.mark.parametrize(
        "examples", [pytest.param(default, id="quick"), pytest.param(SOAK_EXAMPLES, id="soak", marks=pytest.mark.soak)]
    )


def report(name: str) -> None:
    print(f"\nfuzz {name}: {CASES[name]} generated cases")


# --- strategies ---------------------------------------------------------------------------------------

TRICKY_CELLS = (
    "",
    " ",
    ";",
    " ; ",
    "a;b",
    "LLM",
    "Large Language Model",
    "large-language models",
    "https://example.org/x",
    "http://a.b/c?d=e,f;g",
    "javascript:alert(1)",
    "ftp://example.org",
    "=cmd|' /C calc'!A0",
    "@everyone <@123> <@&456>",
    '"',
    '""',
    "\r",
    "\n",
    "\r\n",
    "\x00",
    "\u2028",
    "\u0085",
    "\ufeff",
    "\u200b",
    "x" * 101,
    "y" * 1001,
    "yes",
    "1.0",
    "null",
    "~",
    "- a",
    "{a: 1}",
    "[1, 2]",
    "&anchor",
    "*alias",
    "!!python/object/apply:os.system ['true']",
)
cell = st.one_of(
    st.sampled_from(TRICKY_CELLS), st.text(max_size=60), st.text(st.characters(codec="utf-8"), max_size=20)
)
column = st.one_of(
    st.sampled_from(COLUMNS),
    st.sampled_from(("Term", " DEFINITION ", "junk", "", "term ", "alias")),
    st.text(max_size=8),
)

json_scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), cell)
json_value = st.recursive(
    json_scalar,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
field_value = st.one_of(cell, json_value, st.lists(cell, max_size=4), st.lists(json_scalar, max_size=3))
record = st.dictionaries(st.one_of(st.sampled_from(COLUMNS), column), field_value, max_size=8)
entry_like = st.fixed_dictionaries(
    {"term": cell, "definition": cell},
    optional={
        "description": cell,
        "aliases": st.lists(cell, max_size=4),
        "related": st.lists(cell, max_size=4),
        "category": cell,
        "url": cell,
    },
)
# Names that often parse, and often clash with each other or with the seed glossary.
name = st.one_of(
    st.sampled_from(["LLM", "ChatGPT", "Large Language Model", "Quokka", "quokkas", "Q-okka", "RLHF", "Fine-Tuning"]),
    st.text(st.characters(categories=["L", "Nd"]), min_size=1, max_size=12),
    st.text(st.characters(codec="utf-8"), min_size=1, max_size=30).filter(lookup_key),
)
valid_entry = st.fixed_dictionaries(
    {"term": name, "definition": st.text(min_size=1, max_size=80).filter(str.strip)},
    optional={
        "description": st.text(max_size=200),
        "aliases": st.lists(name, max_size=3),
        "related": st.lists(name, max_size=3),
        "category": st.sampled_from(["Inference", "Training", "Safety", "x" * 64]),
        "url": st.sampled_from(["https://example.org/x", "http://a.b/c?d=e,f;g"]),
    },
)
document = st.one_of(
    st.lists(st.one_of(entry_like, record, json_value), max_size=6),
    st.lists(entry_like, max_size=8),
    st.lists(valid_entry, max_size=5),
    json_value,
)


@st.composite
def csv_files(draw: st.DrawFn) -> bytes:
    header = draw(st.lists(column, max_size=9))
    rows = draw(st.lists(st.lists(cell, max_size=9), max_size=8))
    buffer = io.StringIO(newline="")
    if draw(st.booleans()):
        writer = csv.writer(buffer)
        writer.writerow(header)
        writer.writerows(rows)
    else:  # hand-made CSV: unbalanced quotes, stray separators, mixed line ends
        separator = draw(st.sampled_from([",", ";", "|", "\t"]))
        line_end = draw(st.sampled_from(["\n", "\r\n", "\r"]))
        buffer.write(line_end.join(separator.join(row) for row in [header, *rows]))
    return encode(draw, buffer.getvalue())


@st.composite
def pipe_csv_files(draw: st.DrawFn) -> bytes:
    """Google's flashcard format: "term|html definition" rows with a header that has no "term" column."""
    header = draw(st.sampled_from(["Front|Back", "name|definition", "|", "a|b|c"]))
    html = st.one_of(
        cell,
        st.sampled_from(
            [
                "<p>A <b>model</b> trained on text.</p>",
                '<a href="#llm">LLM</a> see <a href="https://x.y">there</a>',
                "<p><strong>Abbreviation for</strong> <a href='#foo'>foo</a></p>",
                "$$x^2$$ \\(y\\)",
                "<script>alert(1)</script><img src=x onerror=alert(1)>",
                "<p>" * 50,
                "<table><tr><td>1</td></tr></table>",
                '<a href="http://[x">unclosed IPv6</a> <img src="https://[y" alt="z">',
            ]
        ),
    )
    rows = draw(st.lists(st.tuples(cell, html), max_size=8))
    text = "\n".join([header, *(f"{term}|{definition}" for term, definition in rows)])
    return encode(draw, text)


@st.composite
def json_files(draw: st.DrawFn) -> bytes:
    text = json.dumps(draw(document), ensure_ascii=draw(st.booleans()), indent=draw(st.sampled_from([None, 2])))
    return encode(draw, mutate(draw, text))


@st.composite
def yaml_files(draw: st.DrawFn) -> bytes:
    text = yaml.safe_dump(draw(document), allow_unicode=draw(st.booleans()), default_flow_style=draw(st.booleans()))
    return encode(draw, mutate(draw, text))


SPLICES = ("{", "[", "]", '"', ":", "\n- ", "\t", "&a ", "*a", "!!binary |", "\\", "\x00")


def mutate(draw: st.DrawFn, text: str) -> str:
    """Usually the text as it is; sometimes cut short or with a few characters spliced in."""
    choice = draw(st.integers(0, 3))
    if choice == 0 or not text:
        return text
    at = draw(st.integers(0, len(text)))
    if choice == 1:
        return text[:at]
    return (
        text[:at]
        + draw(st.sampled_from(["{", "[", "]", '"', ":", "\n- ", "\t", "&a ", "*a", "!!binary |", "\\"]))
        + text[at:]
    )


def encode(draw: st.DrawFn, text: str) -> bytes:
    data = text.encode("utf-8", errors="surrogatepass" if draw(st.booleans()) else "replace")
    return (b"\xef\xbb\xbf" if draw(st.booleans()) else b"") + data


HOSTILE_FILES = [
    (
        ".yaml",
        b"- &a [x, x, x, x, x, x, x, x, x]\n- &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        b"- &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n- {term: t, definition: d, aliases: *c}\n",
    ),
    (".yaml", b"- term: !!python/object/apply:os.system ['true']\n  definition: d\n"),
    (".yaml", b"[" * 20000 + b"]" * 20000),
    (".json", b"[" * 100000 + b"]" * 100000),
    (".json", b'[{"term": "a", "definition": "b", "term": "c"}]'),
    (".json", b'[{"term": "\\ud800", "definition": "lone surrogate"}]'),
    (".json", b'[{"term": "NUL\\u0000", "definition": "d\\u0000"}]'),
    (".csv", b'term,definition\n"unterminated,x\n'),
    (".csv", b"term,definition\nLLM,one\nllm,two\n"),
    (".csv", b"\xff\xfe\x00t\x00e\x00r\x00m\x00"),
    (".yml", b"\t- term: tab indented\n"),
    (".yaml", b"--- []\n--- []\n"),
    (".csv", b"\xef\xbb\xbf"),  # a byte-order mark and nothing else
    (".csv", b'Front|Back\nfoo|<a href="http://[x">bar</a> <img src="https://[y" alt="z">\n'),
    (".yaml", b"- {term: t, definition: d, url: 'https://[example.org/x'}\n"),
    (".json", b'[{"term": "a;b", "definition": ";", "related": [""]}]'),  # an empty name can't go through CSV
    (".yaml", b"- {term: t, definition: d, aliases: [' ']}\n"),
]


# --- glossary files -------------------------------------------------------------------------------------

_counter = itertools.count()


def write(folder: Path, suffix: str, data: bytes) -> Path:
    path = folder / f"fuzz{next(_counter)}{suffix}"
    path.write_bytes(data)
    return path


def check_glossary_file(path: Path) -> ParsedGlossary | None:
    """read_glossary's contract: valid, clash-free entries that write back identically, or ImportFailed."""
    try:
        parsed = read_glossary(path)
    except ImportFailed as failure:
        assert failure.issues, "ImportFailed without a problem to show"
        assert str(failure), "ImportFailed without a message"
        return None
    keys: dict[str, str] = {}
    for entry in parsed.entries:
        assert entry_problems(entry) == [], entry
        for name in {lookup_key(n): n for n in (entry.term, *entry.aliases)}.values():
            owner = keys.setdefault(lookup_key(name), entry.term)
            assert owner == entry.term, f"{name!r} of {entry.term!r} clashes with {owner!r}"
    for suffix in (".json", ".yaml", ".csv"):
        if suffix == ".csv" and any(
            LIST_SEPARATOR in name for e in parsed.entries for name in (*e.aliases, *e.related)
        ):
            continue  # documented: such names cannot be written as CSV
        copy = path.with_name(path.stem + ".copy" + suffix)
        write_own_format(parsed.entries, copy)
        assert read_glossary(copy).entries == parsed.entries, f"{path.suffix} -> {suffix} does not read back"
    return parsed


def any_glossary_file() -> st.SearchStrategy[tuple[str, bytes]]:
    return st.one_of(
        st.tuples(st.sampled_from(SUFFIXES), st.binary(max_size=3000)),
        st.tuples(st.just(".csv"), csv_files()),
        st.tuples(st.just(".csv"), pipe_csv_files()),
        st.tuples(st.just(".json"), json_files()),
        st.tuples(st.sampled_from([".yaml", ".yml"]), yaml_files()),
        st.tuples(st.sampled_from(SUFFIXES), st.text(max_size=2000).map(lambda text: text.encode())),
    )


@sizes()
@pytest.mark.filterwarnings("ignore::bs4.MarkupResemblesLocatorWarning")  # HTML cells that look like a URL
def test_any_glossary_file_imports_cleanly_or_fails_with_import_failed(tmp_path: Path, examples: int) -> None:
    name = f"glossary files ({examples})"

    @settings(max_examples=examples, **FUZZ_SETTINGS)
    @given(file=any_glossary_file())
    def case(file: tuple[str, bytes]) -> None:
        CASES[name] += 1
        suffix, data = file
        check_glossary_file(write(tmp_path, suffix, data))

    for suffix, data in HOSTILE_FILES:
        CASES[name] += 1
        check_glossary_file(write(tmp_path, suffix, data))
    case()
    report(name)


def test_a_folder_of_random_yaml_files_imports_cleanly_or_fails(tmp_path: Path) -> None:
    name = "yaml folders"

    @settings(max_examples=30, **FUZZ_SETTINGS)
    @given(files=st.lists(st.tuples(st.sampled_from([".yml", ".yaml", ".txt"]), yaml_files()), max_size=4))
    def case(files: list[tuple[str, bytes]]) -> None:
        CASES[name] += 1
        folder = tmp_path / f"folder{next(_counter)}"
        folder.mkdir()
        for suffix, data in files:
            write(folder, suffix, data)
        check_glossary_file(folder)

    case()
    report(name)


# --- pulse data-point files -----------------------------------------------------------------------------

week = st.one_of(
    st.sampled_from(["2026-W48", "2026-w01", "2026-W53", "2020-W53", "2026-W00", "2026-W54", "W48", "2026-48", ""]),
    st.text(max_size=10),
)
pulse_value = st.one_of(
    cell, st.integers(-(2**70), 2**70), st.none(), st.booleans(), st.floats(allow_nan=True), json_value
)
valid_point = st.fixed_dictionaries(
    {
        "week": st.sampled_from(["2026-W48", "2026-W49", "2027-W01", "2026-w50"]),
        "figure": st.text(min_size=1, max_size=10).filter(str.strip),
        "headline": st.text(min_size=1, max_size=60).filter(str.strip),
    },
    optional={
        "detail": st.text(max_size=100),
        "rank": st.integers(1, 10),
        "source_url": st.just("https://example.org/z"),
    },
)
valid_points = st.lists(valid_point, max_size=5, unique_by=lambda point: (point["week"], point.get("rank", 1)))


@st.composite
def valid_pulse_files(draw: st.DrawFn) -> tuple[bool, str]:
    points = draw(valid_points)
    if draw(st.booleans()):
        return False, json.dumps(points)
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=PULSE_FIELDS)
    writer.writeheader()
    writer.writerows(points)
    return True, buffer.getvalue()


pulse_record = st.one_of(
    valid_point,
    st.fixed_dictionaries(
        {"week": week, "figure": cell, "headline": cell},
        optional={
            "detail": cell,
            "source_url": cell,
            "rank": st.one_of(st.integers(-3, 12), st.sampled_from(["1", " 2", "x", "1e3", "", "٣"]), pulse_value),
        },
    ),
    st.dictionaries(st.one_of(st.sampled_from(PULSE_FIELDS), st.text(max_size=8)), pulse_value, max_size=7),
    json_value,
)


@st.composite
def pulse_files(draw: st.DrawFn) -> tuple[bool, str]:
    if draw(st.booleans()):
        document = st.one_of(st.lists(pulse_record, max_size=6), st.lists(valid_point, max_size=4), json_value)
        text = json.dumps(draw(document))
        return False, mutate(draw, text)
    header = draw(st.lists(st.one_of(st.sampled_from(PULSE_FIELDS), st.text(max_size=8)), max_size=8))
    rows = draw(st.lists(st.lists(st.one_of(cell, week, st.integers(-2, 12).map(str)), max_size=8), max_size=6))
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return True, mutate(draw, buffer.getvalue())


def check_points(text: str, *, is_csv: bool) -> list[DataPoint] | None:
    try:
        points = parse_points(text, source="fuzz", is_csv=is_csv)
    except PulseFileError as failure:
        assert failure.problems and all(problem.startswith("fuzz") for problem in failure.problems)
        return None
    slots = [(point.week, point.rank) for point in points]
    assert len(slots) == len(set(slots))
    for point in points:
        assert point_problems(point) == [], point
    return points


@pytest.mark.parametrize(
    ("text", "is_csv"),
    [
        ("[" * 100000, False),
        ('[{"week": "2026-W48", "figure": "1", "headline": "h", "rank": 1e400}]', False),
        ('[{"week": "2026-W48", "figure": "1", "headline": "h", "rank": true}]', False),
        ('[{"week": "2026-W48", "figure": "1", "headline": "h", "rank": 1.5}]', False),
        ("week,figure,headline,rank\n2026-W48,1,h,99999999999999999999999\n", True),
        ('week,figure,headline\n"2026-W48,1\n', True),
        ("week,figure\x00,headline\n", True),
        ("week,week,figure,headline\n2026-W48,2026-W49,1,h\n", True),
        ("week,figure\rheadline\n", True),
        ("week,figure,headline\n2026-W48,1\rx,h\n", True),
    ],
)
def test_hostile_pulse_texts_parse_cleanly_or_fail_with_pulse_file_error(text: str, is_csv: bool) -> None:
    check_points(text, is_csv=is_csv)


@pytest.mark.parametrize(("text", "is_csv"), [("", False), ("", True), ("null", False), ("[]", False)])
def test_empty_pulse_files(text: str, is_csv: bool) -> None:
    check_points(text, is_csv=is_csv)


@sizes()
def test_generated_pulse_files_parse_cleanly_or_fail(tmp_path: Path, examples: int) -> None:
    name = f"pulse files ({examples})"

    @settings(max_examples=examples, **FUZZ_SETTINGS)
    @given(
        file=st.one_of(valid_pulse_files(), pulse_files(), st.tuples(st.booleans(), st.text(max_size=500))),
        raw=st.binary(max_size=500),
    )
    def case(file: tuple[bool, str], raw: bytes) -> None:
        CASES[name] += 1
        is_csv, text = file
        check_points(text, is_csv=is_csv)
        for suffix, data in ((".csv" if is_csv else ".json", text.encode(errors="replace")), (".json", raw)):
            try:
                points = read_points_file(write(tmp_path, suffix, data))
            except PulseFileError as failure:
                assert failure.problems
            else:
                assert all(point_problems(point) == [] for point in points)

    case()
    report(name)


# --- into the database ----------------------------------------------------------------------------------


@pytest.fixture
def runner() -> Iterator[asyncio.Runner]:
    with asyncio.Runner() as runner:
        yield runner


async def database_problems(database: Database) -> list[str]:
    problems: list[str] = []
    integrity = await database.fetch_all("PRAGMA integrity_check")
    if [tuple(row) for row in integrity] != [("ok",)]:
        problems.append(f"integrity_check: {[tuple(row) for row in integrity]}")
    foreign = await database.fetch_all("PRAGMA foreign_key_check")
    if foreign:
        problems.append(f"foreign_key_check: {[tuple(row) for row in foreign]}")
    try:  # the full-text index against the rows it was built from (the import keeps it up itself)
        await database.connection.execute("INSERT INTO term_search (term_search, rank) VALUES ('integrity-check', 1)")
    except sqlite3.DatabaseError as error:
        problems.append(f"term_search integrity-check: {error}")
    return problems


@sizes(120)
@pytest.mark.filterwarnings("ignore::bs4.MarkupResemblesLocatorWarning")
def test_whatever_parses_applies_to_the_store_and_leaves_it_intact(
    tmp_path: Path, runner: asyncio.Runner, examples: int
) -> None:
    """Imports (plain, --replace, --dry-run) and pulse imports of fuzzed files into one seeded database."""
    name = f"imports into the database ({examples})"
    database = runner.run(Database.open(tmp_path / "bot.db"))
    glossary = GlossaryStore(database)
    pulse = PulseStore(database)
    runner.run(glossary.seed(SEED, read_glossary(SEED).entries))
    applied = Counter[str]()

    async def apply(parsed: ParsedGlossary | None, points: list[DataPoint] | None, replace: bool, dry: bool) -> None:
        if parsed is not None:
            before = await glossary.count_terms()
            report_ = await glossary.apply_entries(parsed.entries, mode="import", replace=replace, dry_run=dry)
            applied["glossary"] += 1
            if dry:
                assert await glossary.count_terms() == before
            else:
                assert await glossary.count_terms() == before + len(report_.inserted)
        if points:
            await pulse.save_points(points)
            applied["pulse"] += 1
        assert await database_problems(database) == []
        index = GlossaryIndex.build(await glossary.index_rows())
        for term_id, term, _, _ in (await glossary.index_rows())[:3]:
            assert index.term_for(term) == term_id

    @settings(max_examples=examples, **FUZZ_SETTINGS)
    @given(
        file=st.one_of(
            st.tuples(st.just(".json"), st.lists(valid_entry, max_size=6).map(lambda d: json.dumps(d).encode())),
            st.tuples(st.just(".yaml"), st.lists(valid_entry, max_size=6).map(lambda d: yaml.safe_dump(d).encode())),
            st.tuples(st.just(".csv"), csv_files()),
            st.tuples(st.just(".yaml"), yaml_files()),
        ),
        pulse_file=st.one_of(valid_pulse_files(), pulse_files()),
        replace=st.booleans(),
        dry=st.booleans(),
    )
    def case(file: tuple[str, bytes], pulse_file: tuple[bool, str], replace: bool, dry: bool) -> None:
        CASES[name] += 1
        parsed = check_glossary_file(write(tmp_path, *file))
        is_csv, text = pulse_file
        runner.run(apply(parsed, check_points(text, is_csv=is_csv), replace, dry))

    try:
        case()
    finally:
        runner.run(database.close())
    report(name)
    print(f"fuzz {name}: applied {applied['glossary']} glossary and {applied['pulse']} pulse files")
