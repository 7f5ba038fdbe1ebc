"""copy-to: every table from one database to another, SQLite and PostgreSQL both ways, counts checked."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.core.entry import Entry
from bot.core.pulse import DataPoint
from bot.core.search import parse_query
from bot.store.copy import CopyRefused, copy_database
from bot.store.db import Database
from bot.store.glossary import GlossaryStore
from bot.store.history import CurationStore
from bot.store.pulse import PulseStore
from bot.store.search import SearchStore
from bot.store.servers import ServerStore
from bot.store.shards import ShardStore
from tests.postgres import BACKENDS, open_empty

NOW = datetime(2026, 11, 27, 9, tzinfo=UTC)
GUILD = 7001
EDITOR = 42
SEED = Path(__file__).parents[1] / "fixtures" / "cli_glossary.yaml"
ENTRIES = [
    Entry("Example Model", "An example model.", aliases=("EM",), category="Examples"),
    Entry("Example Tokenizer", "Splits example text.", related=("Example Model",), category="Examples"),
]


async def fill(database: Database) -> None:
    """A row in every table the bot has: glossary, server glossary, history, stats, pulse, sheet state, meta."""
    glossary, curation, pulse = GlossaryStore(database), CurationStore(database), PulseStore(database)
    await glossary.apply_entries(ENTRIES, mode="import")
    added = await curation.add(Entry("Example Server Term", "Ours.", related=("EM",)), EDITOR, guild_id=GUILD)
    await curation.edit(added.term_id, Entry("Example Server Term", "Ours, edited."), EDITOR)
    await curation.revert((await curation.recent_changes(scopes=(GUILD,)))[0].change_id, EDITOR)
    await ServerStore(database).set_editor_role(GUILD, 555)
    await glossary.record_lookup(added.term_id, NOW)
    await glossary.record_miss("example missing term", GUILD)
    await pulse.save_points([DataPoint("2026-W48", "Example 1", "Example headline")])
    await pulse.subscribe(
        channel_id=4001,
        guild_id=GUILD,
        role_id=None,
        hour=9,
        timezone="UTC",
        created_by=EDITOR,
        next_week="2026-W48",
        next_due_at=NOW,
    )
    await pulse.claim(4001, "2026-W48", "nonce", "0/2", NOW)
    shards = ShardStore(database)
    await shards.renew("0/2", 2, (0,), NOW, timedelta(seconds=20))
    await shards.claim_identify_slot(0, NOW, timedelta(seconds=5))
    await pulse.note_source_failure("https://example.org/sheet.csv", "Example: timed out", NOW)
    await pulse.claim_reminder("2026-W48", 4002, NOW)
    await database.set_meta("seed_digest", "example digest")


async def contents(database: Database) -> dict[str, list[tuple[object, ...]]]:
    """Every table's rows, in the columns both backends hold, in one order."""
    found = {}
    for table in await database.table_names():
        columns = [name for name in await database.column_names(table) if name != "search"]
        rows = await database.fetch_all(f"SELECT {', '.join(sorted(columns))} FROM {table}")
        found[table] = sorted((tuple(row) for row in rows), key=repr)
    return found


@pytest.fixture(params=BACKENDS)
async def target(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """The other database, on each backend (the source is `database`, on each backend too)."""
    if request.param == "postgresql":
        # Not the session's database, which the source may be: a second one of the session's own.
        url = request.getfixturevalue("postgres_server").create()
        database = await open_empty(url)
    else:
        database = await Database.open(tmp_path / "target.db")
    yield database
    await database.close()


async def test_everything_is_copied_and_works_there(database: Database, target: Database) -> None:
    await fill(database)
    report = await copy_database(database, target)
    expected = await contents(database)
    assert all(expected.values()), [table for table, rows in expected.items() if not rows]  # every table filled
    assert await contents(target) == expected
    assert report.counts == {table: len(rows) for table, rows in expected.items()}
    assert "terms: 3" in report.summary()
    # The copy is a working database: search finds, new ids follow the copied ones, names stay unique.
    [hit] = (await SearchStore(target).search(parse_query("tokenizer"))).rows
    assert hit.name == "Example Tokenizer"
    last_change = max(change.change_id for change in await CurationStore(target).recent_changes(scopes=(GUILD,)))
    added = await CurationStore(target).add(Entry("Example New", "New."), EDITOR)
    assert added.change_id > last_change and added.term_id == 4
    [point] = await PulseStore(target).points_for("2026-W48")
    await PulseStore(target).save_points([DataPoint("2026-W49", "Example 2", "Example headline")])
    assert [p.point_id for p in await PulseStore(target).list_points("2026-W49")] == [(point.point_id or 0) + 1]


async def test_a_target_that_holds_data_is_replaced_only_with_force(database: Database, target: Database) -> None:
    await fill(database)
    await GlossaryStore(target).apply_entries([Entry("Example Other", "Other.")], mode="import")
    with pytest.raises(CopyRefused, match=r"already holds data .*--force"):
        await copy_database(database, target)
    assert await GlossaryStore(target).count_terms() == 1  # untouched
    await copy_database(database, target, force=True)
    assert await contents(target) == await contents(database)


async def test_a_database_is_not_copied_onto_itself(database: Database) -> None:
    with pytest.raises(CopyRefused, match="itself"):
        await copy_database(database, database)


def _cli(arguments: list[str], tmp_path: Path, database: Path) -> subprocess.CompletedProcess[str]:
    environment = {"PATH": "/usr/bin:/bin", "DATABASE_PATH": str(database), "SEED_PATH": str(SEED)}
    return subprocess.run(
        [sys.executable, "-m", "bot", *arguments],
        capture_output=True,
        text=True,
        env=environment,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )


def test_copy_to_from_the_command_line(tmp_path: Path) -> None:
    source, copy = tmp_path / "bot.db", tmp_path / "copy.db"
    assert _cli(["import", str(SEED)], tmp_path, source).returncode == 0
    first = _cli(["copy-to", f"sqlite:///{copy}"], tmp_path, source)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("Copied ") and f"rows to SQLite at {copy}; row counts checked" in first.stdout
    assert "  terms: " in first.stdout and "  term_names: " in first.stdout
    refused = _cli(["copy-to", f"sqlite:///{copy}"], tmp_path, source)
    assert refused.returncode == 2 and "--force" in refused.stderr and "Traceback" not in refused.stderr
    assert refused.stderr.startswith("No copy made: SQLite at ") and refused.stderr.count("\n") == 1
    assert _cli(["copy-to", "--force", f"sqlite:///{copy}"], tmp_path, source).returncode == 0
    bad = _cli(["copy-to", "mysql://example.org/db"], tmp_path, source)
    assert bad.returncode == 2 and bad.stderr.startswith("No copy made: mysql://example.org/db is not a database URL")
    unreachable = _cli(["copy-to", "postgresql://bot:secret@127.0.0.1:9/glossary"], tmp_path, source)
    assert unreachable.returncode == 2 and "cannot be reached" in unreachable.stderr
    assert "secret" not in unreachable.stderr and "Traceback" not in unreachable.stderr
