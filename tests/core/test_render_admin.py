from bot.core.editing import Change
from bot.core.entry import Entry
from bot.core.index import MAX_CHOICE_CHARS
from bot.core.render import (
    EMBED_DESCRIPTION_LIMIT,
    EMBED_FIELD_VALUE_LIMIT,
    EMBEDS_TOTAL_LIMIT,
    TermView,
    embed_length,
)
from bot.core.render_admin import (
    NO_HISTORY,
    NOTHING_YET,
    Ranked,
    Stats,
    change_choice_label,
    change_headline,
    render_history,
    render_saved,
    render_stats,
)

BEFORE = Entry("Fine-Tuning", "Further training.")
AFTER = Entry("Fine-Tuning", "Further training on a small dataset.", aliases=("FT",))


def _change(change_id: int, name: str = "Fine-Tuning", **kwargs: object) -> Change:
    values: dict[str, object] = {
        "term_id": 3,
        "term_name": name,
        "action": "edit",
        "user_id": 42,
        "at": "2025-11-26T14:25:00Z",
        "before": BEFORE,
        "after": AFTER,
    }
    values.update(kwargs)
    return Change(change_id, **values)  # type: ignore[arg-type]


def test_history_lists_who_when_and_what() -> None:
    embed = render_history("Fine-Tuning", [_change(2), _change(1, action="add", before=None, after=BEFORE)]).embed
    assert embed is not None
    assert embed["title"] == "History of Fine-Tuning"
    description = str(embed["description"])
    assert description.index("**#2**") < description.index("**#1**")
    assert "edited by <@42> · <t:1764167100:R>" in description
    assert "definition changed; aliases + FT" in description
    assert "added by <@42>" in description and "created" in description
    assert "/glossary revert" in embed["footer"]["text"]  # type: ignore[index]


def test_history_of_a_revert_and_empty_history() -> None:
    embed = render_history("X", [_change(5, action="revert", reverts=2)]).embed
    assert embed is not None and "reverted #2 by" in str(embed["description"])
    empty = render_history("X", []).embed
    assert empty is not None and empty["description"] == NO_HISTORY


def test_long_history_stays_within_the_embed_limits() -> None:
    huge = Entry("T" * 100, "d" * 1000, aliases=tuple(f"alias {i} " + "x" * 80 for i in range(25)))
    changes = [_change(i, name="T" * 100, before=None, after=huge) for i in range(100, 0, -1)]
    changes += [_change(i, before=BEFORE, after=huge) for i in range(200, 100, -1)]
    embed = render_history("T" * 300, changes).embed
    assert embed is not None
    assert len(str(embed["title"])) <= 256
    assert len(str(embed["description"])) <= EMBED_DESCRIPTION_LIMIT
    assert embed_length(embed) <= EMBEDS_TOTAL_LIMIT
    assert "older changes" in str(embed["description"])


def test_change_labels() -> None:
    assert change_headline(_change(7)) == "#7 edited Fine-Tuning"
    assert change_headline(_change(8, action="remove", after=None)) == "#8 removed Fine-Tuning"
    assert change_headline(_change(9, action="revert", reverts=7)) == "#9 reverted #7 on Fine-Tuning"
    label = change_choice_label(_change(7))
    assert label == "#7 edited Fine-Tuning · 2025-11-26 14:25 UTC"
    long = change_choice_label(_change(7, after=Entry("N" * 100, "d")))
    assert len(long) <= MAX_CHOICE_CHARS and long.endswith("2025-11-26 14:25 UTC")


def test_saved_shows_notes_and_the_entry() -> None:
    view = TermView(1, "Fine-Tuning", "Further training.", related=((2, "Transfer Learning"),))
    reply = render_saved("Saved **Fine-Tuning** (change #3).", view, ["alias 'FT' left out"])
    assert reply.content == "Saved **Fine-Tuning** (change #3).\nNote: alias 'FT' left out."
    assert reply.embed is not None and reply.embed["title"] == "Fine-Tuning"
    assert [button.label for button in reply.buttons] == ["Transfer Learning"]
    removed = render_saved("Removed.", None)
    assert removed.embed is None and removed.content == "Removed."


def test_stats_fields() -> None:
    stats = Stats(
        week="2025-W48",
        this_week=[Ranked("RAG", 12), Ranked("Fine-*Tuning*", 3)],
        overall=[Ranked(f"Term {i} " + "y" * 90, 1000 - i) for i in range(40)],
        misses=[],
    )
    embed = render_stats(stats).embed
    assert embed is not None
    fields = embed["fields"]
    assert isinstance(fields, list)
    assert fields[0]["name"] == "Most looked up this week (2025-W48)"
    assert fields[0]["value"] == "1. RAG — 12\n2. Fine\\-\\*Tuning\\* — 3"
    assert len(fields[1]["value"]) <= EMBED_FIELD_VALUE_LIMIT
    assert fields[2]["value"] == NOTHING_YET
    assert embed_length(embed) <= EMBEDS_TOTAL_LIMIT
