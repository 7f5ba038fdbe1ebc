"""A bot database holding a generated glossary, as a restarted bot finds it.

The benchmarks need the resulting rows, with lookup counts the import does not set: so the schema comes
from the bot's own migrations (`Database.open`), the rows are written in one transaction with a plain
`executemany` per table (`bulk_insert`, also the baseline of bench/imports.py), and the seed file is then
applied through the store as the bot would, so that a measured start finds nothing left to do. Files are
cached by everything that shapes them (size, seed, migrations, seed file), since writing 100,000 terms
takes a while.
"""

from __future__ import annotations

import asyncio
import hashlib
import shutil
import sqlite3
import tempfile
from pathlib import Path

from bench.data import Glossary, entries
from bot.core.normalize import lookup_key
from bot.importers import read_glossary
from bot.store.db import Database, available_migrations
from bot.store.glossary import GlossaryStore

REPO_ROOT = Path(__file__).resolve().parents[1]
SEED_PATH = REPO_ROOT / "data" / "glossary.yaml"
CACHE_DIR = Path(tempfile.gettempdir()) / "glossary-bot-bench"


def _fingerprint(glossary: Glossary, seed: int) -> str:
    digest = hashlib.sha256()
    digest.update(f"{len(glossary.terms)}:{seed}".encode())
    for number, name, sql in available_migrations():
        digest.update(f"{number}:{name}:{sql}".encode())
    digest.update(SEED_PATH.read_bytes())
    return digest.hexdigest()[:16]


def cached_path(glossary: Glossary, seed: int) -> Path:
    """Where the database holding `glossary` is cached (see `glossary_database`)."""
    return CACHE_DIR / f"glossary-{len(glossary.terms)}-{_fingerprint(glossary, seed)}.db"


def glossary_database(glossary: Glossary, seed: int, target: Path) -> Path:
    """Copy a database holding `glossary` (and the seed file) to `target`, building it if not cached."""
    cached = cached_path(glossary, seed)
    if not cached.exists():
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        building = cached.with_suffix(".building")
        building.unlink(missing_ok=True)
        asyncio.run(create_schema(building))
        bulk_insert(building, glossary, seed)
        asyncio.run(_apply_seed(building))
        building.rename(cached)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(cached, target)
    return target


async def create_schema(path: Path) -> None:
    database = await Database.open(path)
    await database.close()


async def _apply_seed(path: Path) -> None:
    database = await Database.open(path)
    try:
        await GlossaryStore(database).seed(SEED_PATH, read_glossary(SEED_PATH).entries)
    finally:
        await database.close()


def bulk_insert(path: Path, glossary: Glossary, seed: int) -> None:
    rows = entries(glossary, seed)
    owner: dict[str, int] = {}
    for term, entry in zip(glossary.terms, rows, strict=True):
        for text in (entry.term, *entry.aliases):
            owner.setdefault(lookup_key(text), term.term_id)
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA foreign_keys = ON")
        connection.execute("BEGIN")
        connection.executemany(
            "INSERT INTO terms (id, name, definition, description, category, url, origin, lookups) "
            "VALUES (?, ?, ?, ?, ?, ?, 'import', ?)",
            (
                (term.term_id, entry.term, entry.definition, entry.description, entry.category, entry.url, term.lookups)
                for term, entry in zip(glossary.terms, rows, strict=True)
            ),
        )
        connection.executemany(
            "INSERT INTO term_names (key, term_id, text, is_alias, position) VALUES (?, ?, ?, ?, ?)",
            (
                (lookup_key(text), term.term_id, text, int(position > 0), position)
                for term, entry in zip(glossary.terms, rows, strict=True)
                for position, text in enumerate((entry.term, *entry.aliases))
            ),
        )
        relations = []
        for term, entry in zip(glossary.terms, rows, strict=True):
            keys = map(lookup_key, entry.related)
            related = [owner[key] for key in keys if owner.get(key, term.term_id) != term.term_id]
            relations.extend((term.term_id, other, position) for position, other in enumerate(dict.fromkeys(related)))
        connection.executemany("INSERT INTO relations (term_id, related_id, position) VALUES (?, ?, ?)", relations)
        connection.execute("COMMIT")
    finally:
        connection.close()
