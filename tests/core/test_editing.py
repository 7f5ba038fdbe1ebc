import pytest

from bot.core.editing import (
    CLEAR_OPTION,
    Change,
    EditRefused,
    EntryForm,
    apply_option,
    build_entry,
    current_lineage,
    describe_change,
    entry_from_snapshot,
    form_from_entry,
    option_problems,
    snapshot,
    split_names,
    with_alias,
    with_related,
)
from bot.core.entry import MAX_ALIASES, MAX_DEFINITION_CHARS, MAX_NAME_CHARS, Entry

RAG = Entry(
    "Retrieval-Augmented Generation",
    "Answering with retrieved documents.",
    "Long **markdown**.",
    ("RAG",),
    ("Large Language Model", "Vector Database"),
    "Techniques",
    "https://example.org/rag",
)


def test_split_names_trims_drops_empties_and_repeats() -> None:
    assert split_names(" RAG , retrieval augmented generation;; rag ,  ", ",;") == (
        "RAG",
        "retrieval augmented generation",
    )
    assert split_names("Bias (ethics, fairness); Variance", ";") == ("Bias (ethics, fairness)", "Variance")
    assert split_names("", ";") == ()


def test_build_entry_from_a_form() -> None:
    form = EntryForm(
        name="  Retrieval-Augmented\nGeneration ",
        definition="Answering with\nretrieved documents. ",
        explanation="\nLong **markdown**.\n",
        aliases="RAG, retrieval augmented generation",
        related="Large Language Model; Vector Database",
        category=" Techniques ",
        url=" https://example.org/rag ",
    )
    entry = build_entry(form)
    assert entry == RAG  # the alias equal to the name (ignoring case and hyphens) is dropped


def test_form_round_trips_an_entry() -> None:
    assert build_entry(form_from_entry(RAG)) == RAG


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        (EntryForm(name="", definition="x"), "the term has no letters or digits"),
        (EntryForm(name="X", definition="  "), "the definition is empty"),
        (EntryForm(name="X" * (MAX_NAME_CHARS + 1), definition="x"), f"the limit is {MAX_NAME_CHARS}"),
        (EntryForm(name="X", definition="d" * (MAX_DEFINITION_CHARS + 1)), f"the limit is {MAX_DEFINITION_CHARS}"),
        (EntryForm(name="X", definition="d", url="ftp://example.org"), "is not an http(s) link"),
        (EntryForm(name="X", definition="d", aliases="!!!"), "alias '!!!' is empty"),
        (EntryForm(name="X", definition="d", aliases="Ex", related="ex"), "is this term itself"),
        (
            EntryForm(name="X", definition="d", aliases=",".join(f"a{i}" for i in range(MAX_ALIASES + 1))),
            f"the limit is {MAX_ALIASES}",
        ),
    ],
)
def test_build_entry_refuses_with_a_reason(form: EntryForm, expected: str) -> None:
    with pytest.raises(EditRefused, match=r"^Not saved: ") as refusal:
        build_entry(form)
    assert expected in str(refusal.value)


def test_refusal_lists_several_problems_but_stays_short() -> None:
    with pytest.raises(EditRefused) as refusal:
        build_entry(EntryForm(name="X", definition="", aliases=";".join("!" * i for i in range(1, 20))))
    message = str(refusal.value)
    assert "the definition is empty" in message and "alias '!' is empty" in message
    assert "more" in message and len(message) < 2000


def test_options_are_checked_and_applied() -> None:
    assert option_problems("Training", "https://example.org") == []
    assert option_problems(CLEAR_OPTION, CLEAR_OPTION) == []
    assert len(option_problems("c" * 65, "javascript:alert(1)")) == 2
    assert apply_option(None, "kept") == "kept"
    assert apply_option(CLEAR_OPTION, "kept") is None
    assert apply_option(" New ", "kept") == "New"


def test_with_alias() -> None:
    assert with_alias(RAG, " RAG pipeline ").aliases == ("RAG", "RAG pipeline")
    for taken in ("rag", "retrieval augmented generation"):
        with pytest.raises(EditRefused, match="already a name"):
            with_alias(RAG, taken)
    with pytest.raises(EditRefused, match="letter or digit"):
        with_alias(RAG, "--")
    full = Entry("X", "d", aliases=tuple(f"a{i}" for i in range(MAX_ALIASES)))
    with pytest.raises(EditRefused, match="already has 25 aliases"):
        with_alias(full, "another")


def test_with_related_appends_one_direction() -> None:
    assert with_related(RAG, "Embedding").related == ("Large Language Model", "Vector Database", "Embedding")
    with pytest.raises(EditRefused, match="already lists"):
        with_related(RAG, "vector databases")


def test_snapshot_round_trip() -> None:
    text = snapshot(RAG)
    assert text is not None and '"term": "Retrieval-Augmented Generation"' in text
    assert entry_from_snapshot(text) == RAG
    assert snapshot(None) is None and entry_from_snapshot(None) is None
    minimal = Entry("X", "d")
    assert entry_from_snapshot(snapshot(minimal)) == minimal


@pytest.mark.parametrize("damaged", ["[]", '{"term": "x"}', '{"term": "x", "definition": "d", "aliases": "a"}'])
def test_damaged_snapshot_is_refused(damaged: str) -> None:
    with pytest.raises(ValueError):
        entry_from_snapshot(damaged)


def test_describe_change() -> None:
    assert describe_change(None, RAG) == ["created"]
    assert describe_change(RAG, None) == ["removed"]
    edited = Entry(
        "RAG Systems", "Answering with retrieved documents.", "", ("RAG", "RAG pipeline"), ("Vector Database",), None
    )
    assert describe_change(RAG, edited) == [
        "renamed from 'Retrieval-Augmented Generation'",
        "explanation cleared",
        "category cleared",
        "source URL cleared",
        "aliases + RAG pipeline",
        "related − Large Language Model",
    ]
    assert describe_change(RAG, RAG) == ["no visible difference"]


def _change(change_id: int, action: str, before: Entry | None, after: Entry | None, **kwargs: int) -> Change:
    return Change(change_id, 7, "X", action, 1, "2025-01-01T00:00:00Z", before, after, **kwargs)  # type: ignore[arg-type]


def test_lineage_stops_at_a_different_term_with_the_same_id() -> None:
    old, new = Entry("Old", "d"), Entry("New", "d")
    added_old, removed_old = _change(1, "add", None, old), _change(2, "remove", old, None)
    edited_new = _change(3, "edit", new, Entry("New", "d2"))  # "New" was imported under the reused id 7
    assert [c.change_id for c in current_lineage([edited_new, removed_old, added_old], exists=True)] == [3]
    assert [c.change_id for c in current_lineage([removed_old, added_old], exists=False)] == [2, 1]
    added_new = _change(3, "add", None, new)  # an editor added "New", which got the reused id 7
    assert [c.change_id for c in current_lineage([added_new, removed_old, added_old], exists=True)] == [3]


def test_lineage_continues_through_a_revert_that_brought_the_term_back() -> None:
    old = Entry("Old", "d")
    added, removed = _change(1, "add", None, old), _change(2, "remove", old, None)
    restored = _change(4, "revert", None, old, reverts=2, reverted_term_id=7)
    assert [c.change_id for c in current_lineage([restored, removed, added], exists=True)] == [4, 2, 1]
    moved = _change(4, "revert", None, old, reverts=2, reverted_term_id=5)  # re-created under a new id
    assert [c.change_id for c in current_lineage([moved, removed, added], exists=True)] == [4]
