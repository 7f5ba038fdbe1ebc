"""Pipe-separated term|HTML files (the Google ML Glossary flashcard deck)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.entry import MAX_DEFINITION_CHARS
from bot.core.normalize import lookup_key
from bot.importers import CSV_FIELD_LIMIT, ImportFailed, read_glossary
from bot.importers.google_csv import GLOSSARY_URL, cut_at_sentence, plain_name, summary

FIXTURE = Path(__file__).parent / "fixtures" / "google" / "glossary.csv"


def test_terms_lose_the_suffix_and_their_html() -> None:
    terms = [entry.term for entry in read_glossary(FIXTURE).entries]
    assert terms == [
        "gradient descent",
        "loss",
        "learning rate",
        "stochastic gradient descent (SGD)",
        "XZ",
        "bias (math)",
        "bias (ethics/fairness)",
        "experimenter's bias",
        "L2 loss",
    ]
    assert plain_name("L<sub>1</sub> loss (Google Machine Learning Glossary)") == "L1 loss"


def test_description_is_discord_markdown() -> None:
    gradient = read_glossary(FIXTURE).entries[0]
    assert gradient.description == (
        f"A technique to minimize [**loss**]({GLOSSARY_URL}#loss) by computing the gradients of loss with "
        "respect to the model's parameters. The step size is the "
        f"[**learning rate**]({GLOSSARY_URL}#learning_rate). In the simplest case the update is defined "
        "as follows:\n\n"
        "`w \\gets w - \\alpha \\frac{\\partial L}{\\partial w}`\n\n"
        "Variants include:\n\n"
        "- batch gradient descent, which uses every example `x_i` per step;\n"
        f"- [stochastic gradient descent]({GLOSSARY_URL}#SGD)."
    )


def test_definition_is_the_first_paragraph_without_links_or_lead_in() -> None:
    by_term = {entry.term: entry for entry in read_glossary(FIXTURE).entries}
    assert by_term["gradient descent"].definition == (
        "A technique to minimize **loss** by computing the gradients of loss with respect to the "
        "model's parameters. The step size is the **learning rate**."
    )
    # A paragraph that only announces a list keeps the list.
    assert by_term["L2 loss"].definition == (
        "Overloaded term with the following meanings:\n\n"
        "- The square of the difference between a prediction and its label.\n"
        "- A loss | usually summed over a batch."
    )


def test_headings_tables_images_sup_and_relative_links() -> None:
    by_term = {entry.term: entry for entry in read_glossary(FIXTURE).entries}
    assert by_term["learning rate"].description.split("\n\n")[1:] == [
        "**Typical values**",
        "```\n| Optimizer | Rate |\n| --- | --- |\n| SGD | 0.01 |\n```",
        f"[Loss curves for three rates]({GLOSSARY_URL}images/rate.svg)",
    ]
    loss = by_term["loss"].description
    assert "x^2 for an error x" in loss
    assert "[crash course](https://developers.google.com/machine-learning/crash-course/)" in loss


def test_cross_links_become_related_terms() -> None:
    by_term = {entry.term: entry for entry in read_glossary(FIXTURE).entries}
    # "#learning_rate" is relative, "#SGD" names the abbreviation in parentheses.
    assert by_term["gradient descent"].related == ("loss", "learning rate", "stochastic gradient descent (SGD)")
    # A link to the abbreviation row "GD" lands on the term it abbreviates.
    assert by_term["loss"].related == ("gradient descent",)
    # "#bias_ethics" is a prefix of one term; "#bias" fits both senses and is left out.
    assert by_term["bias (math)"].related == ("bias (ethics/fairness)",)
    assert by_term["bias (ethics/fairness)"].related == ("experimenter's bias",)
    # The page anchor a term was linked by becomes its link; otherwise the glossary page.
    assert by_term["bias (ethics/fairness)"].url == f"{GLOSSARY_URL}#bias_ethics"
    assert by_term["bias (math)"].url == GLOSSARY_URL


def test_abbreviations_become_aliases_unless_their_target_is_missing() -> None:
    glossary = read_glossary(FIXTURE)
    by_term = {entry.term: entry for entry in glossary.entries}
    assert "GD" not in by_term
    assert by_term["gradient descent"].aliases == ("GD",)
    assert by_term["XZ"].definition == "Abbreviation for **extreme zeta**."
    assert [str(note) for note in glossary.notes] == [
        "glossary.csv, line 1: skipped 'Introduction': the deck's notes, not a term",
        "glossary.csv, line 47: 'XZ' abbreviates 'extreme zeta', which is not a term here: kept as its own entry",
    ]


def test_two_senses_of_a_name_stay_two_entries() -> None:
    keys = {lookup_key(entry.term) for entry in read_glossary(FIXTURE).entries}
    assert {lookup_key("bias (math)"), lookup_key("bias (ethics/fairness)")} <= keys


def test_summary_and_cutting() -> None:
    assert summary("First. Defined as follows:\n\n`x`") == "First."
    assert summary("```\ncode\n```\n\nProse after code.") == "Prose after code."
    text = "One sentence here. " * 100
    cut = cut_at_sentence(text, MAX_DEFINITION_CHARS)
    assert len(cut) <= MAX_DEFINITION_CHARS
    assert cut.endswith("here.")
    assert cut_at_sentence("word " * 300, 50) == "word word word word word word word word word…"


def test_truncated_file_and_stray_space_after_a_quote_are_tolerated(tmp_path: Path) -> None:
    path = tmp_path / "deck.csv"
    path.write_text('a (Google Machine Learning Glossary)|"<p>First.</p>" \nb|"<p>Cut sh')
    glossary = read_glossary(path)
    assert [(e.term, e.definition) for e in glossary.entries] == [("a", "First."), ("b", "Cut sh")]
    assert [str(note) for note in glossary.notes] == [
        "deck.csv, line 2: the last quoted cell is never closed (is the file cut short?): "
        "read it to the end of the file"
    ]


def test_oversized_rows_are_cut_with_notes(tmp_path: Path) -> None:
    links = "".join(f"<a href='#t{n}'>t{n}</a> " for n in range(30))
    rows = [f'big|"<p>Links: {links}.</p><p>{"Long sentence here. " * 1200}</p>"']
    rows += [f"t{n}|<p>Target {n}.</p>" for n in range(30)]
    path = tmp_path / "deck.csv"
    path.write_text("\n".join(rows) + "\n")
    glossary = read_glossary(path)
    big = glossary.entries[0]
    assert big.related == tuple(f"t{n}" for n in range(25))
    assert len(big.description) <= 20_000
    assert big.description.endswith("Long sentence here.")
    assert [note.reason for note in glossary.notes] == [
        "links to 30 terms: kept the first 25",
        "the text is 26,029 characters: cut to 20,000",
    ]


def test_malformed_rows_are_errors_with_lines(tmp_path: Path) -> None:
    path = tmp_path / "deck.csv"
    path.write_text('a|"<p>Fine.</p>"\nb|"<p>x</p>"|extra\nc|\n"d"x"|y\n')
    with pytest.raises(ImportFailed) as caught:
        read_glossary(path)
    assert [str(issue) for issue in caught.value.issues] == [
        "deck.csv, line 4: is not valid pipe-separated CSV: '|' expected after '\"'"
    ]
    path.write_text('a|"<p>Fine.</p>"\nb|"<p>x</p>"|extra\nc|\n')
    with pytest.raises(ImportFailed) as caught:
        read_glossary(path)
    assert [str(issue) for issue in caught.value.issues] == [
        "deck.csv, line 2: has 3 fields, expected term|definition",
        "deck.csv, line 3 'c': the definition is empty",
    ]


def test_the_deck_has_no_categories_so_it_leaves_them_out() -> None:
    assert {entry.left_out for entry in read_glossary(FIXTURE).entries} == {frozenset({"category"})}


def test_a_field_over_the_csv_limit_is_too_long_not_invalid(tmp_path: Path) -> None:
    path = tmp_path / "deck.csv"
    path.write_text(f'a|"<p>Fine.</p>"\nb|"<p>{"x" * CSV_FIELD_LIMIT}</p>"\n', encoding="utf-8")
    with pytest.raises(ImportFailed) as caught:
        read_glossary(path)
    assert [str(issue) for issue in caught.value.issues] == [
        f"deck.csv, line 2: the definition is too long: {CSV_FIELD_LIMIT + 7:,} characters "
        f"(a field may hold at most {CSV_FIELD_LIMIT:,})"
    ]
