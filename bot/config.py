"""Typed settings from the environment and the project's `.env` (the environment wins).

A bad value stops the start with one line naming the setting; see `.env.example` for each.

The project folder is the checkout the bot runs from (the folder holding `pyproject.toml` and `bot/`);
for a copy installed elsewhere (`pip install .`), the current folder. Its `.env` is read. A relative
path (DATABASE_PATH, SEED_PATH, PULSE_SEED_PATH) is relative to where it was written: the defaults and
`.env`'s values to the project folder, so the CLI finds the bot's database from whatever folder cron or
an operator runs it in; a value set in the environment to the current folder, like any path typed in a
shell.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.core.entry import is_valid_url
from bot.core.sharding import MAX_SHARD_COUNT, ShardPlan, parse_shard_ids

DEFAULT_DATABASE_PATH = Path("data/bot.db")
DEFAULT_SEED_PATH = Path("data/glossary.yaml")
DEFAULT_PULSE_SOURCE_POLL_MINUTES = 15
MAX_PULSE_SOURCE_POLL_MINUTES = 7 * 24 * 60
LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")
PATH_SETTINGS = ("database_path", "seed_path", "pulse_seed_path")
SQLITE_URL_PREFIX = "sqlite:///"
POSTGRES_URL_PREFIXES = ("postgresql://", "postgres://")
CLI_LOG_FORMAT = "%(levelname)s: %(message)s"
"""A chore's warnings read as lines of its output ("WARNING: ..."), without the bot's timestamps."""


class SettingsError(Exception):
    """A setting is missing or malformed; the message names it."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    discord_token: str | None = Field(default=None, description="The bot's token from the Developer Portal.")
    database_path: Path = DEFAULT_DATABASE_PATH
    database_url: str | None = None
    """`sqlite:///path` or `postgresql://user:password@host:port/database`; wins over DATABASE_PATH. After
    loading it holds a PostgreSQL URL or nothing: a SQLite URL has become `database_path`."""
    dev_guild_id: int | None = Field(default=None, gt=0)
    editor_user_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    log_level: str = "INFO"
    seed_path: Path = DEFAULT_SEED_PATH
    pulse_seed_path: Path | None = None
    """Optional data points imported at start whenever the file changes; nothing by default (the bot
    ships no data points: it must never post made-up figures)."""
    pulse_source_url: str | None = None
    """A published sheet (CSV or JSON in the `pulse import` format), fetched at start and every poll."""
    pulse_source_poll_minutes: float = Field(
        default=DEFAULT_PULSE_SOURCE_POLL_MINUTES, gt=0, le=MAX_PULSE_SOURCE_POLL_MINUTES
    )
    pulse_editors_channel_id: int | None = Field(default=None, gt=0)
    """Where the Thursday reminder goes when the coming Friday has fewer than three data points."""
    pulse_grace_hours: float | None = Field(default=None, gt=0, le=24 * 6)
    """How long after its slot a missed Friday post may still go out; unset: until that Friday ends."""
    pulse_requests_per_second: float = Field(default=40, gt=0, le=50)
    """Broadcast pace of the whole bot, under Discord's global 50 requests a second so interactions keep
    headroom. Several processes share it: each paces at this x its shards / SHARD_COUNT."""
    server_terms_limit: int = Field(default=5000, ge=0, le=1_000_000)
    """The most entries one server's own glossary may hold (checked on every way in)."""
    shard_count: int | None = Field(default=None, ge=1, le=MAX_SHARD_COUNT)
    """How many shards the whole bot runs; unset: Discord's recommended count, all in this process."""
    shard_ids: Annotated[tuple[int, ...] | None, NoDecode] = None
    """The shards this process connects (`0-3` or `0,2`); unset with SHARD_COUNT: all of them."""

    @field_validator(
        "discord_token",
        "dev_guild_id",
        "pulse_grace_hours",
        "pulse_seed_path",
        "pulse_source_url",
        "pulse_editors_channel_id",
        "database_url",
        "shard_count",
        "shard_ids",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("pulse_source_url")
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        if value is not None and not is_valid_url(value.strip()):
            raise ValueError("must be an http:// or https:// link, e.g. a Google Sheet published as CSV")
        return value.strip() if value else None

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        if value.startswith(POSTGRES_URL_PREFIXES) or (value.startswith(SQLITE_URL_PREFIX) and value[10:].strip()):
            return value
        raise ValueError("must be sqlite:///path/to/bot.db or postgresql://user:password@host:port/database")

    @model_validator(mode="after")
    def _sqlite_url_names_the_file(self) -> Settings:
        """DATABASE_URL wins over DATABASE_PATH: a SQLite URL becomes the path, so there is one place to look."""
        if self.database_url is not None and self.database_url.startswith(SQLITE_URL_PREFIX):
            self.database_path = Path(self.database_url.removeprefix(SQLITE_URL_PREFIX))
            self.database_url = None
        return self

    @property
    def database_target(self) -> Path | str:
        """What to open: the PostgreSQL URL, or the SQLite file."""
        return self.database_url or self.database_path

    @field_validator("database_path", "seed_path", mode="before")
    @classmethod
    def _named_file(cls, value: Any) -> Any:
        # Path("") is the current folder: an empty value would quietly stand for a folder, not a file.
        if isinstance(value, str) and not value.strip():
            raise ValueError("is empty: give a file name, e.g. data/bot.db")
        return value

    def resolved_against(self, project: Path) -> Settings:
        """These settings with every relative path made absolute (see the module's docstring)."""
        from_environment = {name.lower() for name in os.environ}
        if "database_url" in from_environment:
            from_environment.add("database_path")  # where a sqlite:/// URL's relative path was written
        return self.model_copy(
            update={
                name: (Path.cwd() if name in from_environment else project) / getattr(self, name)
                for name in PATH_SETTINGS
                if getattr(self, name) is not None  # PULSE_SEED_PATH is optional
            }
        )

    @field_validator("shard_ids", mode="before")
    @classmethod
    def _parse_shard_ids(cls, value: Any) -> Any:
        if isinstance(value, str):
            return parse_shard_ids(value) if value.strip() else None
        if isinstance(value, int):
            return (value,)
        return value

    @field_validator("shard_ids")
    @classmethod
    def _shards_within_count(cls, value: tuple[int, ...] | None, info: ValidationInfo) -> tuple[int, ...] | None:
        if value is None:
            return None
        count = info.data.get("shard_count")
        if count is None:
            raise ValueError("needs SHARD_COUNT too (the bot's total number of shards), e.g. SHARD_COUNT=4")
        outside = [shard for shard in value if shard >= count]
        if outside:
            raise ValueError(f"shard {outside[0]} does not exist with SHARD_COUNT={count} (shards are 0-{count - 1})")
        return value

    def shard_plan(self) -> ShardPlan:
        return ShardPlan(self.shard_count, self.shard_ids)

    @field_validator("editor_user_ids", mode="before")
    @classmethod
    def _parse_ids(cls, value: Any) -> Any:
        if isinstance(value, str):
            parts = [part.strip() for part in value.split(",") if part.strip()]
            if not all(part.isdigit() for part in parts):
                raise ValueError("must be Discord user ids separated by commas, e.g. 123,456")
            return frozenset(int(part) for part in parts)
        if isinstance(value, int):
            return frozenset({value})
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _check_level(cls, value: Any) -> Any:
        level = str(value).strip().upper()
        if level not in LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
        return level


def project_folder() -> Path:
    """Where `.env` is read and relative paths point: the checkout holding this package, else the current
    folder (see the module's docstring)."""
    checkout = Path(__file__).resolve().parents[1]
    return checkout if (checkout / "pyproject.toml").is_file() else Path.cwd()


def load_settings(**overrides: Any) -> Settings:
    """Read settings, turning pydantic's report into one line per bad setting."""
    folder = project_folder()
    try:
        return Settings(_env_file=folder / ".env", **overrides).resolved_against(folder)  # type: ignore[call-arg]
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in issue['loc']).upper() or 'settings'}: "
            + issue["msg"].removeprefix("Value error, ")
            for issue in error.errors()
        )
        raise SettingsError(f"Bad setting: {problems}") from None


def configure_logging(level: str, *, chore: bool = False) -> None:
    logging.basicConfig(
        level=getattr(logging, level, logging.INFO),
        format=CLI_LOG_FORMAT if chore else "%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("discord.gateway").setLevel(logging.WARNING)
