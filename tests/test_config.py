import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import SettingsError, load_settings

REPO_ROOT = Path(__file__).resolve().parents[1]


def test_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("DISCORD_TOKEN", "DATABASE_PATH", "DEV_GUILD_ID", "EDITOR_USER_IDS", "LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert settings.discord_token is None
    assert settings.database_path == tmp_path / "data" / "bot.db"  # the (test's) project folder
    assert settings.dev_guild_id is None and settings.editor_user_ids == frozenset()
    assert settings.log_level == "INFO"


def test_environment_wins_over_the_env_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("LOG_LEVEL=DEBUG\nEDITOR_USER_IDS=1,2\nDEV_GUILD_ID=\n")
    monkeypatch.setenv("LOG_LEVEL", "warning")
    settings = load_settings()
    assert settings.log_level == "WARNING"
    assert settings.editor_user_ids == frozenset({1, 2})
    assert settings.dev_guild_id is None


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DEV_GUILD_ID", "abc"),
        ("EDITOR_USER_IDS", "12,bob"),
        ("LOG_LEVEL", "LOUD"),
        ("PULSE_REQUESTS_PER_SECOND", "80"),
        ("PULSE_SOURCE_URL", "ftp://example.org/sheet.csv"),
        ("PULSE_SOURCE_URL", "docs.google.com/spreadsheets"),
        ("PULSE_SOURCE_POLL_MINUTES", "0"),
        ("PULSE_EDITORS_CHANNEL_ID", "general"),
        ("SHARD_COUNT", "0"),
        ("SHARD_IDS", "0-1"),  # without SHARD_COUNT
        ("SHARD_IDS", "1-0"),
    ],
)
def test_a_bad_value_names_the_setting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str, value: str) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=name):
        load_settings()


def test_the_pulse_settings_default_to_nothing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    names = ("PULSE_SEED_PATH", "PULSE_SOURCE_URL", "PULSE_SOURCE_POLL_MINUTES", "PULSE_EDITORS_CHANNEL_ID")
    for name in names:
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert settings.pulse_seed_path is None and settings.pulse_source_url is None
    assert settings.pulse_source_poll_minutes == 15 and settings.pulse_editors_channel_id is None
    # An .env written for an earlier version still starts (its PULSE_SEED_PATH names a file that is gone).
    (tmp_path / ".env").write_text("PULSE_SEED_PATH=data/pulse_points.json\nPULSE_SOURCE_URL=\n")
    assert load_settings().pulse_seed_path == tmp_path / "data" / "pulse_points.json"  # the project folder


def run_bot(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    # DISCORD_TOKEN empty (unset) unless given: the environment wins over a developer's .env in the checkout.
    environment = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "DISCORD_TOKEN": "", **env}
    return subprocess.run(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,
        env={**environment, "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_running_without_a_token_prints_a_one_line_hint_and_exits_2(tmp_path: Path) -> None:
    result = run_bot(tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip().count("\n") == 0 and "DISCORD_TOKEN" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bad_setting_stops_the_start_with_its_name(tmp_path: Path) -> None:
    result = run_bot(tmp_path, DISCORD_TOKEN="x", DEV_GUILD_ID="not-a-number")
    assert result.returncode == 2 and "DEV_GUILD_ID" in result.stderr and "Traceback" not in result.stderr


def test_define_piped_into_head_exits_quietly(tmp_path: Path) -> None:
    """Scripts read the entry's name from the first line; closing the pipe early is not an error."""
    environment = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(REPO_ROOT)}
    environment["SEED_PATH"] = str(REPO_ROOT / "data" / "glossary.yaml")
    environment["DATABASE_PATH"] = str(tmp_path / "bot.db")  # the default is the checkout's data/bot.db
    command = f"'{sys.executable}' -m bot define 'self supervised learning' | head -1"
    result = subprocess.run(
        ["bash", "-o", "pipefail", "-c", command],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.stdout == "Self-Supervised Learning\n"
    assert "Traceback" not in result.stderr and result.returncode == 0


def test_relative_paths_from_the_environment_follow_the_current_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A path typed in a shell means what it means there; .env's and the defaults follow the project."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    (tmp_path / ".env").write_text("PULSE_SEED_PATH=points.json\n")
    monkeypatch.delenv("DATABASE_PATH", raising=False)
    monkeypatch.delenv("PULSE_SEED_PATH", raising=False)
    monkeypatch.setenv("SEED_PATH", "mine/glossary.yaml")
    settings = load_settings()
    assert settings.seed_path == elsewhere / "mine" / "glossary.yaml"
    assert settings.database_path == tmp_path / "data" / "bot.db"
    assert settings.pulse_seed_path == tmp_path / "points.json"


@pytest.mark.parametrize("name", ["DATABASE_PATH", "SEED_PATH"])  # an empty PULSE_SEED_PATH is unset
def test_an_empty_path_is_refused_by_name(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.setenv(name, " ")
    with pytest.raises(SettingsError, match=f"^Bad setting: {name}: is empty: give a file name"):
        load_settings()


def test_database_url_wins_over_database_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_PATH", "ignored.db")
    monkeypatch.setenv("DATABASE_URL", "sqlite:///data/other.db")  # relative: to the current folder, as typed
    settings = load_settings()
    assert settings.database_url is None and settings.database_target == tmp_path / "data" / "other.db"
    monkeypatch.setenv("DATABASE_URL", "sqlite:////srv/glossary/bot.db")
    assert load_settings().database_target == Path("/srv/glossary/bot.db")
    monkeypatch.setenv("DATABASE_URL", "postgresql://bot:secret@db.example.org:5432/glossary")
    assert load_settings().database_target == "postgresql://bot:secret@db.example.org:5432/glossary"


@pytest.mark.parametrize("value", ["mysql://example.org/db", "sqlite:///", "/srv/bot.db"])
def test_a_database_url_of_another_kind_is_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("DATABASE_URL", value)
    with pytest.raises(SettingsError, match="DATABASE_URL: must be sqlite:///"):
        load_settings()


def test_shard_ids_must_exist_within_the_shard_count(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SHARD_COUNT", "2")
    monkeypatch.setenv("SHARD_IDS", "1-2")
    with pytest.raises(SettingsError, match=r"SHARD_IDS: shard 2 does not exist with SHARD_COUNT=2"):
        load_settings()
    monkeypatch.setenv("SHARD_IDS", "0,1")
    settings = load_settings()
    assert settings.shard_count == 2 and settings.shard_ids == (0, 1)
    monkeypatch.setenv("SHARD_IDS", "")
    assert load_settings().shard_ids is None
