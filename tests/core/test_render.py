from bot.core.render import (
    BUTTON_LABEL_LIMIT,
    BUTTONS_PER_ROW,
    EMBED_DESCRIPTION_LIMIT,
    EMBEDS_TOTAL_LIMIT,
    MAX_BUTTONS,
    ButtonStyle,
    TermView,
    embed_length,
    escape_markdown,
    explanation_beyond,
    render_miss,
    render_plain,
    render_senses,
    render_term,
    source_label,
    truncate_markdown,
)

TERM = TermView(
    term_id=1,
    name="Self-Supervised Learning",
    definition="Models learn from unlabeled data.",
    description="First paragraph.\n\nSecond paragraph.",
    category="Training",
    url="https://en.wikipedia.org/wiki/Self-supervised_learning",
    aliases=("SSL",),
    related=((2, "Fine-Tuning"), (3, "Foundation Model")),
)


def test_definition_first_then_explanation() -> None:
    embed = render_term(TERM).embed
    assert embed is not None
    assert embed["title"] == "Self-Supervised Learning"
    assert str(embed["description"]).startswith("**Models learn from unlabeled data.**\n\nFirst paragraph.")


def test_fields_category_aliases_and_source() -> None:
    embed = render_term(TERM).embed
    assert embed is not None
    fields = {f["name"]: f["value"] for f in embed["fields"]}  # type: ignore[attr-defined]
    assert fields == {
        "Category": "Training",
        "Also known as": "SSL",
        "Source": "[Wikipedia](https://en.wikipedia.org/wiki/Self-supervised_learning)",
    }
    assert embed["url"] == TERM.url


def test_related_buttons_in_order() -> None:
    buttons = render_term(TERM).buttons
    assert [(b.label, b.term_id, b.row) for b in buttons] == [("Fine-Tuning", 2, 0), ("Foundation Model", 3, 0)]


def test_buttons_respect_row_count_label_length_and_uniqueness() -> None:
    related = tuple((i % 40, "Term " + "y" * 100) for i in range(60))
    buttons = render_term(TermView(1, "X", "d", related=related)).buttons
    assert len(buttons) == MAX_BUTTONS
    assert len({b.term_id for b in buttons}) == len(buttons)
    assert all(len(b.label) <= BUTTON_LABEL_LIMIT for b in buttons)
    rows = [b.row for b in buttons]
    assert max(rows) == 4 and all(rows.count(r) == BUTTONS_PER_ROW for r in set(rows))


def test_long_explanation_is_cut_at_a_paragraph_with_ellipsis() -> None:
    description = "\n\n".join(f"Paragraph {i} " + "word " * 60 for i in range(40))
    embed = render_term(TermView(1, "X", "d", description=description)).embed
    assert embed is not None
    text = str(embed["description"])
    assert len(text) <= EMBED_DESCRIPTION_LIMIT
    assert text.endswith("…")
    assert text[:-1].rstrip().endswith("word")


def test_whole_embed_stays_under_6000() -> None:
    term = TermView(1, "N" * 300, "d" * 1000, description="s. " * 3000, category="c" * 64, aliases=("a" * 100,) * 25)
    embed = render_term(term).embed
    assert embed is not None
    assert embed_length(embed) <= EMBEDS_TOTAL_LIMIT
    assert len(str(embed["title"])) <= 256


def test_truncation_prefers_sentences_and_never_splits_a_code_fence() -> None:
    text = "One sentence here. Another one follows. " * 5 + "```\ncode\n" * 50 + "```"
    cut = truncate_markdown(text, 220)
    assert len(cut) <= 220 and cut.endswith("…")
    assert cut.count("```") % 2 == 0
    assert truncate_markdown("short", 10) == "short"
    sentence_cut = truncate_markdown("Alpha beta gamma. Delta epsilon zeta. Eta theta iota kappa.", 45)
    assert sentence_cut == "Alpha beta gamma. Delta epsilon zeta.…"


def test_fuzzy_resolution_says_what_it_shows_and_escapes_user_text() -> None:
    reply = render_term(TERM, resolved_from="slef **supervised** @everyone")
    assert reply.content is not None
    assert reply.content.startswith("Showing results for **Self\\-Supervised Learning**")
    assert "\\*\\*supervised\\*\\*" in reply.content


def test_miss_offers_primary_suggestion_buttons_and_quotes_safely() -> None:
    reply = render_miss("x" * 10_000 + "<@123>", [(5, "Frontier Model")])
    assert reply.content is not None and len(reply.content) < 200
    assert [(b.term_id, b.style) for b in reply.buttons] == [(5, ButtonStyle.PRIMARY)]
    nothing = render_miss("zzz", [])
    assert nothing.buttons == () and nothing.content is not None and "nothing close" in nothing.content


def test_escape_neutralises_mentions_and_links() -> None:
    assert escape_markdown("<@123> [x](http://a)") == "\\<\\@123\\> \\[x\\]\\(http\\://a\\)"


def test_plain_rendering_puts_the_name_alone_on_the_first_line() -> None:
    lines = render_plain(TERM).splitlines()
    assert lines[0] == "Self-Supervised Learning"
    assert "Related: Fine-Tuning, Foundation Model" in lines


def test_no_paragraph_is_shown_twice() -> None:
    google_style = TermView(
        term_id=1,
        name="Example Loss",
        definition="How far a **prediction** is from its label. It is what training makes small.",
        description=(
            "How far a [**prediction**](https://example.org/#prediction) is from its label. It is what training"
            " makes small. For example, as follows:\n\n`loss = (y - y')^2`\n\nSee also the example."
        ),
    )
    embed = render_term(google_style).embed
    assert embed is not None
    assert embed["description"] == (
        "**How far a prediction is from its label. It is what training makes small.**\n\n"
        "For example, as follows:\n\n`loss = (y - y')^2`\n\nSee also the example."
    )
    assert explanation_beyond("Only this.", "Only this.") == ""
    assert explanation_beyond("A definition.", "Something else.\n\nMore.") == "Something else.\n\nMore."


def test_the_bold_definition_line_holds_no_bold_of_its_own() -> None:
    embed = render_term(TermView(1, "Example", "A technique to minimize **loss** by computing gradients.")).embed
    assert embed is not None
    assert embed["description"] == "**A technique to minimize loss by computing gradients.**"


def test_a_source_link_is_named_after_its_source() -> None:
    assert source_label("https://developers.google.com/machine-learning/glossary/#loss") == (
        "Google Machine Learning Glossary"
    )
    assert source_label("https://en.wikipedia.org/wiki/Loss_function") == "Wikipedia"
    assert source_label("https://www.example.org/notes/loss") == "example.org"
    assert source_label("https://developers.google.com/other/page") == "developers.google.com"


def test_senses_offer_a_primary_button_each_and_quote_safely() -> None:
    reply = render_senses("bias <@123>", [(1, "bias (math)"), (2, "bias (ethics/fairness)")])
    assert reply.content is not None and "has 2 senses" in reply.content and "<@123>" not in reply.content
    assert [(b.term_id, b.label, b.style) for b in reply.buttons] == [
        (1, "bias (math)", ButtonStyle.PRIMARY),
        (2, "bias (ethics/fairness)", ButtonStyle.PRIMARY),
    ]
