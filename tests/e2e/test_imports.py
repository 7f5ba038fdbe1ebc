"""Imported glossaries as a user sees them: `python -m bot import` of two files, then /define in Discord.

The files are small ones of our own in the real formats (tests/fixtures/lossless): an ai-glossary YAML
folder and a Google-style pipe CSV, over a starting glossary where "recall" is an alias.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.cli import EXIT_OK, main
from tests.e2e.rig import Rig, rig_settings, started_rig

LOSSLESS = Path(__file__).resolve().parents[1] / "fixtures" / "lossless"
SHIPPED_SEED = Path(__file__).resolve().parents[2] / "data" / "glossary.yaml"


def labels(message: dict) -> list[str]:  # type: ignore[type-arg]
    return [component["label"] for row in message.get("components") or [] for component in row["components"]]


@pytest.fixture
async def imported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Rig]:
    """A bot started on the starting glossary, stopped, given both files by the CLI, and started again."""
    database = tmp_path / "bot.db"
    monkeypatch.chdir(tmp_path)  # no developer's .env in the way
    monkeypatch.setenv("DATABASE_PATH", str(database))
    monkeypatch.setenv("SEED_PATH", str(LOSSLESS / "start.yaml"))
    async with started_rig(rig_settings(database, seed_path=LOSSLESS / "start.yaml")) as rig:
        await rig.stop()
        for source in (LOSSLESS / "yaml_folder", LOSSLESS / "google.csv"):
            # The operator's command runs beside the test's event loop, as it would in its own process.
            assert await asyncio.to_thread(main, ["import", str(source)]) == EXIT_OK
        await rig.start()
        yield rig


async def test_an_alias_the_first_file_brought_survives_the_second(imported: Rig) -> None:
    result = await imported.define("weight decay")
    [embed] = result.embeds
    assert embed["title"] == "regularization"
    fields = {field["name"]: field["value"] for field in embed["fields"]}
    assert fields["Also known as"] == "weight decay"
    assert fields["Category"] == "Training"
    # The Google text reads once (its one paragraph is the definition), its bold line holds no bold of its
    # own ("**simple**" in the file), and its link names the deck.
    assert embed["description"] == (
        "**A way to keep a model simple so it does well on new data, for example by penalizing large weights."
        " See overfitting.**"
    )
    assert fields["Source"].startswith("[Google Machine Learning Glossary](https://developers.google.com/")


async def test_a_name_that_was_an_alias_is_an_entry_related_to_the_old_one(imported: Rig) -> None:
    recall = await imported.define("recall")
    assert recall.embeds[0]["title"] == "recall"
    assert labels(recall.message or {}) == ["Precision and Recall"]
    assert (await imported.define("sensitivity")).embeds[0]["title"] == "recall"
    pair = await imported.define("Precision and Recall")
    assert "Also known as" not in {field["name"] for field in pair.embeds[0]["fields"]}
    assert labels(pair.message or {}) == ["recall"]


async def test_a_clashing_alias_costs_the_alias_not_the_term(imported: Rig) -> None:
    assert (await imported.define("cross-validation")).embeds[0]["title"] == "cross-validation"
    assert (await imported.define("k-fold validation")).embeds[0]["title"] == "cross-validation"
    assert (await imported.define("CV")).embeds[0]["title"] == "Computer Vision"


async def test_a_changed_seed_file_never_overwrites_an_imported_definition(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed = tmp_path / "glossary.yaml"
    seed.write_bytes(SHIPPED_SEED.read_bytes())
    ours = tmp_path / "moe.csv"
    ours.write_text("term,definition\nMixture of Experts,Example text: experts chosen per token.\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "bot.db"))
    monkeypatch.setenv("SEED_PATH", str(seed))
    async with started_rig(rig_settings(tmp_path / "bot.db", seed_path=seed)) as rig:
        assert await asyncio.to_thread(main, ["import", str(ours)]) == EXIT_OK
        seed.write_text(seed.read_text(encoding="utf-8").replace("a router sends", "a gate sends"), encoding="utf-8")
        await rig.restart()  # the new seed file is applied at start
        [embed] = (await rig.define("MoE")).embeds
        assert embed["title"] == "Mixture of Experts"
        assert embed["description"].startswith("**Example text: experts chosen per token.**")
