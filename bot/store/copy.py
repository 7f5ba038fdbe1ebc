"""Everything in one database copied into another, either way between SQLite and PostgreSQL (`copy-to`).

The source is read in one snapshot (a read transaction: the bot may keep running and committing), the
target written in one transaction: the copy is the source as of one moment, and a copy that fails leaves
the target as it was. Every table of the bot's schema is copied, whatever it holds (glossaries, server
glossaries, history, stats, subscriptions, deliveries, sheet state, meta), so a table added later comes
along without a change here. The counts are checked inside the target's transaction before it commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.words import plural
from bot.store.db import Database, Transaction
from bot.store.entry_writer import lift_search_triggers

ROWS_PER_BATCH = 5_000
"""Rows read and written at a time: few round trips, little held in memory."""
PARENT_TABLES = ("terms",)
"""Written first: the other tables' foreign keys and scope checks point at terms."""


class CopyRefused(Exception):
    """Nothing was copied; the message says why."""


@dataclass(frozen=True, slots=True)
class CopyReport:
    target: str
    counts: dict[str, int]
    """Rows per table, the same in the source's snapshot and in the target."""

    def summary(self) -> str:
        rows = sum(self.counts.values())
        lines = [f"Copied {plural(rows, 'row')} to {self.target}; row counts checked, source = target:"]
        lines += [f"  {table}: {count:,}" for table, count in self.counts.items()]
        return "\n".join(lines)


async def copy_database(source: Database, target: Database, *, force: bool = False) -> CopyReport:
    """Copy every row of `source` into `target`; `force` replaces what `target` holds (else: CopyRefused)."""
    if source.describe() == target.describe():
        raise CopyRefused(f"{target.describe()} is the configured database itself: copy it to another one.")
    tables = await source.table_names()
    if sorted(await target.table_names()) != sorted(tables):
        raise CopyRefused(f"{target.describe()} does not have this version's tables: is another program using it?")
    filled = [table for table in tables if await target.fetch_value(f"SELECT 1 FROM {table} LIMIT 1") is not None]
    if filled and not force:
        raise CopyRefused(
            f"{target.describe()} already holds data ({', '.join(filled)}): pass --force to replace all of it."
        )
    order = sorted(tables, key=lambda table: (table not in PARENT_TABLES, table))
    columns = {table: await _shared_columns(source, target, table) for table in order}
    counts: dict[str, int] = {}
    async with source.snapshot() as snapshot, target.transaction() as transaction:
        restore = await _start(target, transaction, order)
        for table in order:
            names = columns[table]
            counts[table] = 0
            # By the first column (the key): a change that reverts another comes after it.
            async for rows in snapshot.fetch_chunks(
                f"SELECT {', '.join(names)} FROM {table} ORDER BY 1", ROWS_PER_BATCH
            ):
                await transaction.insert_rows(table, names, rows)
                counts[table] += len(rows)
        await _finish(target, transaction, restore)
        for table in order:
            in_source = int(await snapshot.fetch_value(f"SELECT count(*) FROM {table}"))
            in_target = int(await transaction.fetch_value(f"SELECT count(*) FROM {table}"))
            if not in_source == counts[table] == in_target:
                raise CopyRefused(
                    f"{table}: {in_source:,} rows in the source, {counts[table]:,} copied, {in_target:,} in the "
                    "target; nothing was changed"
                )
    return CopyReport(target.describe(), counts)


async def _shared_columns(source: Database, target: Database, table: str) -> list[str]:
    """The columns both sides hold data in (PostgreSQL computes its search column, SQLite has none)."""
    in_target = set(await target.column_names(table))
    return [name for name in await source.column_names(table) if name in in_target]


async def _start(target: Database, transaction: Transaction, tables: Sequence[str]) -> list[str]:
    """Empty the target's tables and let it take rows in bulk; returns what `_finish` restores."""
    triggers = await lift_search_triggers(transaction, target.dialect)
    if target.dialect == "postgresql":
        await transaction.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
    else:
        await transaction.execute("PRAGMA defer_foreign_keys = ON")  # checked at COMMIT, whatever the order
        for table in tables:
            await transaction.execute(f"DELETE FROM {table}")
    return triggers


async def _finish(target: Database, transaction: Transaction, triggers: list[str]) -> None:
    if target.dialect == "postgresql":
        # Ids the database assigns (identity columns) continue after the copied ones.
        for table, column in await transaction.fetch_all(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND is_identity = 'YES'"
        ):
            await transaction.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
                f"coalesce((SELECT max({column}) FROM {table}), 0) + 1, false)"
            )
        return
    await transaction.execute("INSERT INTO term_search (term_search) VALUES ('rebuild')")
    for sql in triggers:
        await transaction.execute(sql)
