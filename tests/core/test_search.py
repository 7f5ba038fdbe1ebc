"""Turning user text into a safe FTS5 query, saying why a hit matched, and rendering within limits."""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.render import (
    BUTTON_LABEL_LIMIT,
    BUTTONS_PER_ROW,
    EMBED_DESCRIPTION_LIMIT,
    EMBEDS_TOTAL_LIMIT,
    MAX_BUTTONS,
    ROWS_PER_MESSAGE,
    embed_length,
)
from bot.core.render_discovery import (
    NO_TERMS,
    Explained,
    category_choices,
    clean_echo,
    fit_escaped,
    marked_markdown,
    render_explain,
    render_search,
)
from bot.core.search import (
    HIGHLIGHT_CLOSE,
    HIGHLIGHT_OPEN,
    MAX_CARRIED_QUERY_CHARS,
    MAX_QUERY_WORDS,
    PAGE_SIZE,
    MatchKind,
    SearchPage,
    SearchQuery,
    SearchRow,
    match_reason,
    page_count,
    parse_query,
)

OPEN, CLOSE = HIGHLIGHT_OPEN, HIGHLIGHT_CLOSE

HOSTILE = [
    '"',
    '""',
    '"abc',
    "*",
    "a*",
    "NEAR(a b)",
    "a NEAR b",
    "-a",
    "NOT a",
    "a OR b",
    "name:llm",
    "{name alias}: x",
    "^start",
    "a + b",
    "'; DROP TABLE terms; --",
    "x' OR '1'='1",
    "\\",
    "(",
    ")",
    "%_",
    "@everyone @here <@123> <#1> <@&2>",
    "**bold** __u__ `code` ||spoiler|| > quote # head [x](https://e.com)",
    "l\u200bl\u200dm\ufeff",
    "\u202eevil\u202c",
    "\x00nul\x02\x03",
    "ＬＬＭ",
]


def _fts_table() -> sqlite3.Connection:
    connection = sqlite3.connect(":memory:")
    connection.execute(
        "CREATE VIRTUAL TABLE t USING fts5 (name, body, tokenize = 'porter unicode61 remove_diacritics 2')"
    )
    connection.execute("INSERT INTO t VALUES ('Large Language Model', 'A model of language; evil abc near x')")
    return connection


# ---- query building ---------------------------------------------------------------------------------


def test_words_become_quoted_prefixes_that_must_all_match() -> None:
    query = parse_query("Large  language-Models")
    assert query.words == ("large", "language", "models")
    assert query.fts == '"large"* "language"* "models"*'
    assert query.text == "large language models"


def test_a_single_letter_matches_only_a_whole_word() -> None:
    assert parse_query("a model").fts == '"a" "model"*'


def test_case_width_and_invisible_characters_do_not_matter() -> None:
    assert parse_query("ＬＬＭ").words == ("llm",)
    assert parse_query("l\u200bl\u200dm").words == ("llm",)
    assert parse_query("\u202eevil\u202c").words == ("evil",)


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_never_reaches_fts5_as_syntax(text: str) -> None:
    query = parse_query(text)
    for word in query.words:
        assert word.isalnum()
    connection = _fts_table()
    if query:
        connection.execute("SELECT rowid FROM t WHERE t MATCH ?", (query.fts,)).fetchall()  # must not raise


@pytest.mark.parametrize("text", ["", "   ", "!!!", '"*"', "--", "\u200b\u200b", "()", "@", "<>:"])
def test_no_searchable_words_gives_an_empty_query(text: str) -> None:
    query = parse_query(text)
    assert not query
    assert query.text == ""


def test_fts5_operators_are_searched_as_plain_words() -> None:
    connection = _fts_table()
    hits = connection.execute("SELECT rowid FROM t WHERE t MATCH ?", (parse_query("NEAR abc").fts,)).fetchall()
    assert hits == [(1,)]
    assert parse_query("NOT OR AND").words == ("not", "or", "and")


def test_a_long_query_is_cut_to_what_a_custom_id_can_carry() -> None:
    query = parse_query("retrieval " * 1000)
    assert len(query.text) <= MAX_CARRIED_QUERY_CHARS
    assert query.words[0] == "retrieval"
    giant = parse_query("x" * 10_000)
    assert giant.words == ("x" * MAX_CARRIED_QUERY_CHARS,)
    assert len(parse_query(" ".join("ab" for _ in range(50))).words) == MAX_QUERY_WORDS


def test_the_short_form_counts_utf16_units_as_discord_does() -> None:
    astral = "\U00020000" * 40  # CJK extension B: letters, two UTF-16 units each
    query = parse_query(astral)
    assert len(query.text.encode("utf-16-le")) // 2 <= MAX_CARRIED_QUERY_CHARS


@given(st.text(max_size=300))
def test_any_text_gives_a_bounded_query_that_parses_back_to_itself(text: str) -> None:
    query = parse_query(text)
    assert len(query.text.encode("utf-16-le")) // 2 <= MAX_CARRIED_QUERY_CHARS
    assert parse_query(query.text) == query
    assert all('"' not in word and "*" not in word for word in query.words)


# ---- why a hit matched ------------------------------------------------------------------------------


def _row(
    name: str = "Large Language Model", aliases: str = "LLM\nFoundation LM", definition: str = "", description: str = ""
) -> SearchRow:
    return SearchRow(1, name, name, aliases, definition or "A model.", description or "About it.")


def test_reason_prefers_name_then_alias_then_definition_then_explanation() -> None:
    assert match_reason(_row(name=f"Large {OPEN}Language{CLOSE} Model")).kind is MatchKind.NAME
    alias = match_reason(_row(aliases=f"{OPEN}LLM{CLOSE}\nFoundation LM"))
    assert (alias.kind, alias.marked) == (MatchKind.ALIAS, f"{OPEN}LLM{CLOSE}")
    definition = match_reason(_row(definition=f"A {OPEN}model{CLOSE}."))
    assert definition.kind is MatchKind.DEFINITION
    assert match_reason(_row(description=f"…the {OPEN}weights{CLOSE}…")).kind is MatchKind.DESCRIPTION


def test_several_matching_aliases_are_all_named() -> None:
    reason = match_reason(_row(aliases=f"{OPEN}LLM{CLOSE}\nFoundation {OPEN}LM{CLOSE}\nOther"))
    assert reason.marked == f"{OPEN}LLM{CLOSE}, Foundation {OPEN}LM{CLOSE}"


# ---- rendering ----------------------------------------------------------------------------------------


def test_highlights_become_bold_and_everything_else_is_escaped() -> None:
    assert marked_markdown(f"use *{OPEN}RAG{CLOSE}* @everyone", 200) == r"use \***RAG**\* \@everyone"
    assert marked_markdown(f"{OPEN}a{CLOSE}{OPEN}b", 200) == "**a**b"  # a stray mark is dropped, not shown


def test_marked_text_is_cut_within_its_limit_without_breaking_bold() -> None:
    text = " ".join(f"{OPEN}word{CLOSE}" if i % 3 == 0 else "*x*" for i in range(200))
    for limit in range(5, 120):
        out = marked_markdown(text, limit)
        assert len(out) <= limit
        assert out.count("**") % 2 == 0
        assert not out.rstrip("…").endswith("\\")


def test_fit_escaped_never_splits_an_escape() -> None:
    for limit in range(2, 30):
        out = fit_escaped("*" * 50, limit)
        assert len(out) <= limit
        assert out.endswith("…")
        assert (len(out) - 1) % 2 == 0


def test_clean_echo_drops_invisible_and_direction_characters() -> None:
    assert clean_echo("\u202eevil\u200b cat\n\negory", 60) == "evil cat egory"


def _page(total: int, page: int = 1, rows: int | None = None, **row: str) -> SearchPage:
    count = min(PAGE_SIZE, total - (page - 1) * PAGE_SIZE) if rows is None else rows
    hits = tuple(
        SearchRow(
            i + 1,
            row.get("name", f"Term {i}"),
            row.get("marked_name", f"{OPEN}Term{CLOSE} {i}"),
            row.get("aliases", ""),
            row.get("definition", "Def."),
            row.get("description", "Desc."),
        )
        for i in range(count)
    )
    return SearchPage(parse_query("term"), page, total, hits)


def test_a_result_page_lists_hits_with_buttons_and_a_pager() -> None:
    answer = render_search(_page(23, page=2))
    embed = answer.reply.embed
    assert embed is not None
    assert str(embed["description"]).splitlines()[0] == "**11. Term 0** · name"
    assert embed["footer"] == {"text": "Page 2 of 3 · 23 results"}
    labels = [button.label for button in answer.reply.buttons]
    assert labels[0] == "11. Term 0" and len(labels) == PAGE_SIZE
    assert {button.row for button in answer.reply.buttons} == {0, 1}
    assert answer.pager is not None
    assert (answer.pager.page, answer.pager.pages, answer.pager.query) == (2, 3, "term")
    assert answer.pager.has_previous and answer.pager.has_next
    assert answer.pager.row == 2


def test_a_single_page_has_no_pager_and_an_empty_search_says_so() -> None:
    assert render_search(_page(3)).pager is None
    empty = render_search(SearchPage(parse_query("zebra"), 1, 0, ()))
    assert empty.reply.embed is None and empty.reply.buttons == ()
    assert empty.reply.content == "Nothing in the glossary matches “zebra”. Try fewer or shorter words."


def test_a_page_of_huge_hostile_hits_stays_within_discord_limits() -> None:
    huge = "@everyone **x** " * 2000
    answer = render_search(
        _page(
            1000,
            name=huge,
            marked_name=huge,
            aliases=f"{OPEN}{huge}{CLOSE}\n{huge}",
            definition=huge,
            description=huge,
        )
    )
    embed = answer.reply.embed
    assert embed is not None
    assert len(str(embed["description"])) <= EMBED_DESCRIPTION_LIMIT
    assert embed_length(embed) <= EMBEDS_TOTAL_LIMIT
    assert all(len(button.label) <= BUTTON_LABEL_LIMIT for button in answer.reply.buttons)
    assert "@everyone" not in str(embed["description"]).replace("\\@everyone", "")
    rows = {button.row for button in answer.reply.buttons} | {answer.pager.row if answer.pager else 0}
    assert max(rows) < ROWS_PER_MESSAGE


def test_page_count() -> None:
    assert [page_count(n) for n in (0, 1, PAGE_SIZE, PAGE_SIZE + 1)] == [1, 1, 1, 2]
    assert not SearchQuery(())


# ---- Explain terms ------------------------------------------------------------------------------------


def test_explain_lists_terms_with_what_the_message_said_when_it_differs() -> None:
    reply = render_explain(
        [
            Explained(1, "Large Language Model", "A model trained on lots of text.", "LLMs"),
            Explained(2, "Fine-Tuning", "Further training.", "fine tuning"),
        ]
    )
    assert reply.embed is not None
    lines = str(reply.embed["description"]).splitlines()
    assert lines == [
        "**Large Language Model** (“LLMs”) — A model trained on lots of text.",
        "**Fine\\-Tuning** — Further training.",
    ]
    assert [(button.term_id, button.label) for button in reply.buttons] == [
        (1, "Large Language Model"),
        (2, "Fine-Tuning"),
    ]


def test_explain_with_nothing_found_is_a_friendly_note() -> None:
    assert render_explain([]).content == NO_TERMS


def test_explaining_many_long_terms_stays_within_limits() -> None:
    long = "word " * 3000
    items = [Explained(i, f"Term {i} {long}", long, f"said {long}") for i in range(40)]
    reply = render_explain(items)
    assert reply.embed is not None
    assert len(str(reply.embed["description"])) <= EMBED_DESCRIPTION_LIMIT
    assert embed_length(reply.embed) <= EMBEDS_TOTAL_LIMIT
    assert len(reply.buttons) == MAX_BUTTONS
    assert max(button.row for button in reply.buttons) == MAX_BUTTONS // BUTTONS_PER_ROW - 1
    assert all(len(button.label) <= BUTTON_LABEL_LIMIT for button in reply.buttons)


# ---- /random's categories -----------------------------------------------------------------------------


def test_category_choices_filter_prefix_first_and_fit_discord() -> None:
    categories = [("Safety & Alignment", 3), ("AI Safety", 1), ("Training", 12), ("x" * 101, 1)]
    assert category_choices(categories, "saf") == [
        ("Safety & Alignment (3 terms)", "Safety & Alignment"),
        ("AI Safety (1 term)", "AI Safety"),
    ]
    everything = category_choices([(f"Category {i}", i) for i in range(40)], "")
    assert len(everything) == 25
    assert all(len(label) <= 100 and len(value) <= 100 for label, value in everything)
    assert category_choices(categories, "x") == []  # too long to be a choice value
