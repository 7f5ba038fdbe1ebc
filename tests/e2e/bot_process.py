"""Test support only: run the real `python -m bot` in a subprocess against a FakeDiscord of the test process.

The bot has no switch for "another Discord", on purpose. This script, which only tests start, does in
the child what `point_client_at` does in-process (discord.py's REST base and gateway URL), makes the
client start fast (`FAST_CLIENT_OPTIONS`), and then calls the real `bot.cli.main`::

    FAKE_DISCORD_API=http://127.0.0.1:PORT/api/v10 FAKE_DISCORD_GATEWAY=ws://127.0.0.1:PORT/gateway \\
        python -m tests.e2e.bot_process [VERB ...]

FAKE_DISCORD_SHUTDOWN_GRACE (seconds) shortens the stop's grace for tests of an interaction that hangs;
FAKE_SHARD_LEASE_SECONDS shortens the shard leases (renewed every third of that), so a test of a process
that dies sees its shards taken over in seconds.
Every other setting comes from the environment, as for the bot itself.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import discord.gateway
import discord.http
import yarl

import bot.app
import bot.services.shard_leases
from bot.cli import main
from bot.config import Settings

API_VARIABLE = "FAKE_DISCORD_API"
GATEWAY_VARIABLE = "FAKE_DISCORD_GATEWAY"
GRACE_VARIABLE = "FAKE_DISCORD_SHUTDOWN_GRACE"
LEASE_VARIABLE = "FAKE_SHARD_LEASE_SECONDS"
FAST_CLIENT_OPTIONS: dict[str, Any] = {"guild_ready_timeout": 0.05}
"""As in tests/e2e/fake_discord.py (not imported from there: the fake's schema checks load slowly, and
every crash test starts this script many times)."""


def point_at_fake() -> None:
    discord.http.Route.BASE = os.environ[API_VARIABLE]
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(os.environ[GATEWAY_VARIABLE])
    original_init = bot.app.GlossaryBot.__init__

    def fast_init(self: bot.app.GlossaryBot, settings: Settings, **options: Any) -> None:
        original_init(self, settings, **{**FAST_CLIENT_OPTIONS, **options})

    bot.app.GlossaryBot.__init__ = fast_init  # type: ignore[method-assign]
    if GRACE_VARIABLE in os.environ:
        bot.app.SHUTDOWN_GRACE_SECONDS = float(os.environ[GRACE_VARIABLE])
    if LEASE_VARIABLE in os.environ:
        bot.services.shard_leases.LEASE_SECONDS = float(os.environ[LEASE_VARIABLE])
        bot.services.shard_leases.RENEW_SECONDS = bot.services.shard_leases.LEASE_SECONDS / 3


if __name__ == "__main__":
    point_at_fake()
    raise SystemExit(main(sys.argv[1:]))
