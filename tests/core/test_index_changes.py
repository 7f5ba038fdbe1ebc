"""Following a change made elsewhere: the index changed in place ends as a fresh build of the same rows."""

from __future__ import annotations

import pytest

from bot.core import index_changes
from bot.core.index import GlossaryIndex, IndexRow
from bot.core.index_changes import IndexChanges, apply_changes, changes_between

BEFORE: list[IndexRow] = [
    (1, "Quokka Protocol", ("QP",), 5),
    (2, "Wombat Layer", (), 9),
    (3, "Numbat Norm", ("NN", "numbat normalisation"), 2),
    (4, "Bilby Loss", (), 7),
]
AFTER: list[IndexRow] = [
    (1, "Quokka Protocol", ("QP", "quokka handshake"), 5),  # an alias added
    (2, "Wombat Stack", (), 9),  # renamed
    (3, "Numbat Norm", ("NN",), 2),  # an alias gone
    (5, "Echidna Embedding", ("EE",), 4),  # new; Bilby Loss gone
]


def test_an_index_built_from_the_same_rows_has_nothing_to_change() -> None:
    changes = changes_between(GlossaryIndex.build(BEFORE), BEFORE)
    assert changes is not None and len(changes) == 0


def test_only_the_terms_that_differ_are_listed() -> None:
    changes = changes_between(GlossaryIndex.build(BEFORE), AFTER)
    assert changes is not None
    assert [row[0] for row in changes.upserts] == [1, 2, 3, 5]
    assert changes.removals == [4]


def test_the_index_changed_in_place_answers_as_a_fresh_build() -> None:
    index, fresh = GlossaryIndex.build(BEFORE), GlossaryIndex.build(AFTER)
    changes = changes_between(index, AFTER)
    assert changes is not None
    assert [len(part) for part in changes.in_parts(2)] == [2, 2, 1]
    for part in changes.in_parts(2):  # as the service does, a turn of the event loop each
        apply_changes(index, part)
    assert sorted(index.term_ids()) == sorted(fresh.term_ids()) == [1, 2, 3, 5]
    for term_id in fresh.term_ids():
        assert (index.name_of(term_id), index.aliases_of(term_id)) == (
            fresh.name_of(term_id),
            fresh.aliases_of(term_id),
        )
    for text in ("quokka handshake", "wombat stack", "Echidna Embedding", "EE", "numbat normalisation", "Bilby Loss"):
        assert index.term_for(text) == fresh.term_for(text), text
    for typed in ("wom", "echid", "quoka"):
        assert [choice.term_id for choice in index.complete(typed)] == [
            choice.term_id for choice in fresh.complete(typed)
        ]
    assert changes_between(index, AFTER) == IndexChanges([], [])


def test_a_new_term_brings_its_popularity_and_a_changed_one_keeps_the_one_counted_here() -> None:
    index = GlossaryIndex.build(BEFORE)
    for _ in range(3):
        index.record_lookup(2)  # counted by this process since the build
    changes = changes_between(index, AFTER)
    assert changes is not None
    apply_changes(index, changes)
    assert index.most_popular() == [2, 1, 5, 3]  # 9 + 3 counted here, 5, 4 from the database, 2


@pytest.mark.parametrize("limit", [3, 4])
def test_more_changes_than_the_limit_call_for_a_build(monkeypatch: pytest.MonkeyPatch, limit: int) -> None:
    index = GlossaryIndex.build(BEFORE)
    assert changes_between(index, AFTER) is not None
    monkeypatch.setattr(index_changes, "MAX_CHANGES_IN_PLACE", limit)  # four upserts and a removal
    assert changes_between(index, AFTER) is None
