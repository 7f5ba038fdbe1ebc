"""The project's own format: CSV, JSON and YAML reading with precise errors, and the writer."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bot.core.entry import Entry, entry_problems
from bot.core.normalize import lookup_key
from bot.importers import CSV_FIELD_LIMIT, ImportFailed, read_glossary, write_own_format

FIXTURES = Path(__file__).parent / "fixtures" / "own"


def failure(path: Path, text: str) -> list[str]:
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ImportFailed) as caught:
        read_glossary(path)
    return [str(issue) for issue in caught.value.issues]


# --- CSV ----------------------------------------------------------------------------------------------


def test_csv_fixture_reads_every_field() -> None:
    attention, transformer, token = read_glossary(FIXTURES / "glossary.csv").entries
    assert attention == Entry(
        term="Attention",
        definition="Weights how much each token looks at every other token.",
        description='A longer text, with commas; semicolons and "quotes".\n\nSecond paragraph: naïve café, 東京, 🤖.',
        aliases=("self-attention", "attention mechanism"),
        related=("Transformer", "Token"),
        category="Architecture",
        url="https://example.org/attention",
    )
    assert (transformer.description, transformer.aliases, transformer.url) == ("", (), None)
    assert token.category is None
    # A multi-line cell spans lines 2-4, so the next record starts on line 5.
    assert [entry.extra["location"] for entry in (attention, transformer, token)] == ["line 2", "line 5", "line 6"]


def test_csv_columns_in_any_order_and_optional_ones_absent(tmp_path: Path) -> None:
    path = tmp_path / "g.csv"
    path.write_text(" Definition , TERM\nAn offset.,bias\n\nA rate.,learning rate\n")
    assert [(e.term, e.definition) for e in read_glossary(path).entries] == [
        ("bias", "An offset."),
        ("learning rate", "A rate."),
    ]


def test_columns_and_keys_a_file_has_not_are_left_out_unlike_empty_ones(tmp_path: Path) -> None:
    csv_file = tmp_path / "g.csv"
    csv_file.write_text("term,definition,category\nbias,An offset.,\n")
    [from_csv] = read_glossary(csv_file).entries
    assert from_csv.left_out == {"description", "aliases", "related", "url"}  # category: given, empty
    yaml_file = tmp_path / "g.yaml"
    yaml_file.write_text("- {term: bias, definition: An offset., aliases: [], url: null}\n")
    [from_yaml] = read_glossary(yaml_file).entries
    assert from_yaml.left_out == {"description", "related", "category"}


def test_csv_errors_carry_the_line_of_the_record(tmp_path: Path) -> None:
    text = 'term,definition,aliases\na,"spans\ntwo lines",x;;y;\nb,,\n,No term.\nc,C.,a\n'
    assert failure(tmp_path / "g.csv", text) == [
        "g.csv, line 4: the definition is empty",
        "g.csv, line 5: the term has no letters or digits",
        "g.csv, line 6: the alias 'a' has the same lookup key as the term 'a' (line 2)",
    ]


def test_problems_are_reported_in_file_order(tmp_path: Path) -> None:
    # A clash (found last) on line 3 still comes before a shape problem on line 4.
    assert failure(tmp_path / "g.csv", "term,definition\na,A.\nA,Again.\nb,B.,extra\n") == [
        "g.csv, line 3: the term 'A' has the same lookup key as the term 'a' (line 2)",
        "g.csv, line 4: has 3 fields, the header names 2",
    ]


def test_csv_short_rows_are_padded_but_extra_cells_are_an_error(tmp_path: Path) -> None:
    text = "term,definition,category\nbias,An offset.\nrate,A rate.,Training,oops\nloss,A cost.,Training,,\n"
    assert failure(tmp_path / "g.csv", text) == ["g.csv, line 3: has 4 fields, the header names 3"]


def test_csv_header_problems(tmp_path: Path) -> None:
    assert failure(tmp_path / "a.csv", "term,defintion,Tags\nbias,x,y\n") == [
        "a.csv, line 1 (header): unknown column(s) 'defintion', 'tags' "
        "(allowed: term, definition, description, aliases, related, category, url); "
        "missing required column(s) 'definition'"
    ]
    assert failure(tmp_path / "b.csv", "\n\nterm,term,definition\n") == [
        "b.csv, line 3 (header): column(s) 'term' appear more than once"
    ]
    assert failure(tmp_path / "c.csv", "description\nx\n") == [
        "c.csv, line 1 (header): missing required column(s) 'term', 'definition'"
    ]
    assert failure(tmp_path / "d.csv", "\n \n") == ["d.csv: is empty: expected a header row naming the columns"]


def test_malformed_csv_names_the_line(tmp_path: Path) -> None:
    assert failure(tmp_path / "g.csv", 'term,definition\nbias,"An "offset" here"\n') == [
        "g.csv, line 2: is not valid CSV: ',' expected after '\"'"
    ]
    assert failure(tmp_path / "h.csv", 'term,definition\nbias,"never closed\nrate,x\n') == [
        "h.csv, line 3: is not valid CSV: unexpected end of data"
    ]


def test_a_csv_field_over_the_csv_limit_is_too_long_not_invalid(tmp_path: Path) -> None:
    limit = csv.field_size_limit()
    long = "x" * (CSV_FIELD_LIMIT + 1)
    text = f'term,definition,description\nfine,Fine.,\nbig,Fine.,"{long}"\n{long},Fine.,\n'
    assert failure(tmp_path / "g.csv", text) == [
        f"g.csv, line 3: the description is too long: {CSV_FIELD_LIMIT + 1:,} characters "
        f"(a field may hold at most {CSV_FIELD_LIMIT:,})",
        f"g.csv, line 4: the term is too long: {CSV_FIELD_LIMIT + 1:,} characters "
        f"(a field may hold at most {CSV_FIELD_LIMIT:,})",
    ]
    assert csv.field_size_limit() == limit  # the process-wide limit is left as it was


def test_csv_with_only_a_header_is_an_empty_glossary(tmp_path: Path) -> None:
    path = tmp_path / "g.csv"
    path.write_text("term,definition\n")
    assert read_glossary(path).entries == []


# --- JSON ---------------------------------------------------------------------------------------------


def test_json_escapes_spelling_half_a_character_are_refused(tmp_path: Path) -> None:
    text = '[{"term": "ok", "definition": "A \\ud800 half"}, {"term": "x", "definition": "d", "aliases": ["\\udc00"]}]'
    assert failure(tmp_path / "g.json", text) == [
        "g.json, entry 1 'ok' (line 1): the definition holds \\ud800, half of a character (a lone surrogate)",
        "g.json, entry 2 'x' (line 1): the aliases holds \\udc00, half of a character (a lone surrogate)",
    ]


def test_json_errors_name_entry_and_line(tmp_path: Path) -> None:
    text = """[
  {"term": "bias", "definition": "An offset."},
  {"term": 3, "definition": ["not", "text"]},
  "just a string",
  {"term": "rate", "definition": "A rate.", "tags": [], "Category": "x"},
  {"definition": "No term."},
  {"term": "loss", "definition": "A cost.", "aliases": "l; cost", "related": ["ok", 7]},
  {"term": "BIAS", "definition": "Again."}
]"""
    assert failure(tmp_path / "g.json", text) == [
        "g.json, entry 2 (line 3): the term must be text, not a number (put it in quotes)",
        "g.json, entry 2 (line 3): the definition must be text, not a list (put it in quotes)",
        "g.json, entry 3 (line 4): must be a mapping of fields, not str",
        "g.json, entry 4 'rate' (line 5): unknown key(s) 'tags', 'Category' "
        "(allowed: term, definition, description, aliases, related, category, url)",
        "g.json, entry 5 (line 6): missing required key(s) 'term'",
        "g.json, entry 6 'loss' (line 7): the aliases must be a list of text, not str",
        "g.json, entry 6 'loss' (line 7): every item of the related must be text, found a number",
        "g.json, entry 7 'BIAS' (line 8): the term 'BIAS' has the same lookup key as the term 'bias' "
        "(entry 1 'bias' (line 2))",
    ]


def test_malformed_json_names_line_and_column(tmp_path: Path) -> None:
    text = '[\n  {"term": "bias", "definition": "An offset."}\n  {"term": "rate"}\n]'
    assert failure(tmp_path / "g.json", text) == [
        "g.json, line 3, column 3: is not valid JSON: Expecting ',' delimiter"
    ]
    assert failure(tmp_path / "h.json", '{"term": "bias"}') == ["h.json: must hold a list of entries, not a mapping"]
    assert failure(tmp_path / "i.json", "[" * 100_000) == ["i.json: nests lists or objects too deeply to be a glossary"]


def test_json_null_optional_fields_are_absent(tmp_path: Path) -> None:
    path = tmp_path / "g.json"
    path.write_text('[{"term": "bias", "definition": "x", "category": null, "aliases": null, "url": ""}]')
    assert read_glossary(path).entries == [Entry("bias", "x")]


# --- YAML ---------------------------------------------------------------------------------------------


def test_yaml_errors_name_entry_and_line(tmp_path: Path) -> None:
    text = """\
- term: bias
  definition: An offset.
- term: yes
  definition: 1.5
- term: rate
  definition: A rate.
  aliases: [ok, {nested: map}]
  see_also: [bias]
- term: loss
  definition: "   "
"""
    assert failure(tmp_path / "g.yaml", text) == [
        "g.yaml, entry 2 (line 3): the term must be text, not true/false (put it in quotes)",
        "g.yaml, entry 2 (line 3): the definition must be text, not a number (put it in quotes)",
        "g.yaml, entry 3 'rate' (line 5): unknown key(s) 'see_also' "
        "(allowed: term, definition, description, aliases, related, category, url)",
        "g.yaml, entry 4 'loss' (line 9): the definition is empty",
    ]


def test_malformed_yaml_names_the_line(tmp_path: Path) -> None:
    assert failure(tmp_path / "g.yaml", "- term: bias\n  definition: [unclosed\n- term: rate\n") == [
        "g.yaml, line 3, column 7: is not valid YAML: did not find expected ',' or ']' "
        "(while parsing a flow sequence at line 2)"
    ]
    assert failure(tmp_path / "h.yml", "") == ["h.yml: is empty: expected a list of entries"]
    assert failure(tmp_path / "i.yaml", "term: bias\n") == ["i.yaml: must hold a list of entries, not a mapping"]


def test_yaml_is_loaded_safely(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = f"- term: !!python/object/apply:os.system ['touch {marker}']\n  definition: x\n"
    (issue,) = failure(tmp_path / "g.yaml", text)
    assert issue.startswith("g.yaml, line 1, column 9: is not valid YAML: could not determine a constructor")
    assert not marker.exists()


# --- writing and round trips --------------------------------------------------------------------------

TRICKY = [
    Entry(
        term='Quote "marks", commas',
        definition="Line one,\nline two; with semicolons, 'single' and \"double\" quotes.",
        description="Windows\r\nnewlines, a lone\rreturn, tabs\tand unicode: ñ, 東京, 🤖, e\u0301.\n\n- a list",
        aliases=("q, m", 'say "hi"'),
        related=("Commas, inside", "Ünïcödé"),
        category="Odd: yes",
        url="https://example.org/a?b=1&c=2#frag",
    ),
    Entry("yes", "no", description="null", aliases=("1.0", "null", "~ off"), related=("true",), category="123"),
    Entry("Plain", "Nothing special."),
]


@pytest.mark.parametrize("suffix", [".csv", ".json", ".yaml", ".yml"])
def test_round_trip_of_tricky_text(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"export{suffix}"
    assert write_own_format(iter(TRICKY), path) == 3
    assert read_glossary(path).entries == TRICKY
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left behind


@pytest.mark.parametrize("suffix", [".csv", ".json", ".yaml"])
def test_round_trip_of_the_fixture(tmp_path: Path, suffix: str) -> None:
    entries = read_glossary(FIXTURES / "glossary.yaml").entries
    write_own_format(entries, tmp_path / f"out{suffix}")
    assert read_glossary(tmp_path / f"out{suffix}").entries == entries


def test_written_yaml_is_readable_by_people(tmp_path: Path) -> None:
    write_own_format(read_glossary(FIXTURES / "glossary.yaml").entries[:1], tmp_path / "g.yaml")
    text = (tmp_path / "g.yaml").read_text(encoding="utf-8")
    assert "東京" in text  # not \u escapes
    assert "description: |-\n    A longer text" in text


def test_writer_refuses_what_it_cannot_represent(tmp_path: Path) -> None:
    entry = Entry("bias", "An offset.", aliases=("a;b",))
    with pytest.raises(ValueError, match="contains ';'"):
        write_own_format([entry], tmp_path / "g.csv")
    write_own_format([entry], tmp_path / "g.json")  # lists are real lists there
    assert read_glossary(tmp_path / "g.json").entries == [entry]
    with pytest.raises(ValueError, match=r"use \.csv, \.json, \.yaml or \.yml"):
        write_own_format([entry], tmp_path / "g.txt")


def test_an_empty_export_reads_back_empty(tmp_path: Path) -> None:
    for suffix in (".csv", ".json", ".yaml"):
        write_own_format([], tmp_path / f"e{suffix}")
        assert read_glossary(tmp_path / f"e{suffix}").entries == []


def _list_safe(name: str) -> bool:
    """What a name can be in every encoding: CSV cells separate names with ";"."""
    return ";" not in name and bool(lookup_key(name))


# Any unicode text that survives being stripped: readers strip fields, which the writer relies on.
_text = st.text(st.characters(codec="utf-8"), min_size=1, max_size=40).map(str.strip)
_name = _text.filter(_list_safe)
_entry = st.builds(
    Entry,
    term=_name,
    definition=_text.filter(bool),
    description=st.one_of(st.just(""), _text),
    aliases=st.lists(_name, max_size=3).map(tuple),
    related=st.lists(_name, max_size=3).map(tuple),
    category=st.one_of(st.none(), _text.map(lambda text: text[:64].strip()).filter(bool)),
    url=st.one_of(st.none(), st.sampled_from(["https://example.org/x", "http://a.b/c?d=e,f;g"])),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(entries=st.lists(_entry, max_size=4))
def test_round_trip_property(tmp_path: Path, entries: list[Entry]) -> None:
    assume(all(not entry_problems(entry) for entry in entries))
    keys = [
        lookup_key(name)
        for entry in entries
        for name in {lookup_key(n): n for n in (entry.term, *entry.aliases)}.values()
    ]
    assume(len(keys) == len(set(keys)))
    for suffix in (".csv", ".json", ".yaml"):
        path = tmp_path / f"prop{suffix}"
        write_own_format(entries, path)
        assert read_glossary(path).entries == entries, suffix
