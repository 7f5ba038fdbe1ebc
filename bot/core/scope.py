"""Who may curate what: the shared glossary and each server's own, as pure rules.

- Bot editors (EDITOR_USER_IDS, the application's owner or team) curate the shared glossary, and, in a
  server, that server's entries too.
- Server editors (Manage Server, or the role set with /glossary editor-role) curate their server's
  entries only.
- Everyone else curates nothing.

The service layer (bot/services/) asks these rules for every change; cogs only describe the actor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.core.refusal import Refusal
from bot.core.render import escape_markdown

Scope = Literal["server", "global"]
SCOPES: tuple[Scope, ...] = ("server", "global")

NOT_AN_EDITOR = (
    "Only glossary editors can do this. Anyone can look terms up with /define; "
    "to suggest a change, ask one of the editors."
)
SERVER_ONLY = "This only works in a server: each server curates its own entries there."
GLOBAL_REFUSED = (
    "Server editors add entries to this server's glossary only: the shared glossary is curated by the "
    "bot's editors. Leave out `scope` (or pick `server`) to add it here."
)


class CurationRefused(Refusal):
    """The actor may not do this; the message says why, politely, in words meant for them."""


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is asking, and where: what the rules need to know, with no Discord object in sight."""

    user_id: int
    guild_id: int | None
    """The server the command was used in; None in a DM."""
    bot_editor: bool
    server_editor: bool
    """Manage Server, or the server's editor role (always False in a DM)."""

    @property
    def is_editor(self) -> bool:
        return self.bot_editor or self.server_editor


def require_editor(actor: Actor) -> None:
    if not actor.is_editor:
        raise CurationRefused(NOT_AN_EDITOR)


def chosen_scope(actor: Actor, asked: Scope | None) -> int | None:
    """The glossary a command acts on (a guild id; None: the shared one), or a refusal: a new entry's
    home, whose numbers /glossary stats shows. A server editor: always their server's. A bot editor: the
    shared one unless they ask for the server's."""
    require_editor(actor)
    if not actor.bot_editor:  # a server editor: always their server
        if asked == "global":
            raise CurationRefused(GLOBAL_REFUSED)
        return actor.guild_id
    if asked == "server":
        if actor.guild_id is None:
            raise CurationRefused(SERVER_ONLY)
        return actor.guild_id
    return None


def check_curate(actor: Actor, term_guild_id: int | None, name: str) -> None:
    """Refuse unless `actor` may change (or read the history of) an entry of `term_guild_id` called `name`."""
    require_editor(actor)
    if term_guild_id is None:
        if not actor.bot_editor:
            raise CurationRefused(shared_entry_refusal(name))
        return
    if term_guild_id != actor.guild_id:
        # Only reachable with a forged or stale id: entries of another server are never named here.
        raise CurationRefused("That entry belongs to another server.")


def shared_entry_refusal(name: str) -> str:
    shown = escape_markdown(name)
    return (
        f"**{shown}** is in the shared glossary, which only the bot's editors change. To give this server "
        f"its own version, add an entry called **{shown}** with /glossary add: here it then answers instead "
        "of the shared one, with a button to it."
    )


def require_server_editor(actor: Actor) -> int:
    """The actor's server, if they may curate its glossary (import, export); else a refusal."""
    if actor.guild_id is None:
        raise CurationRefused(SERVER_ONLY)
    require_editor(actor)
    return actor.guild_id


def server_full(count: int, limit: int) -> str:
    """Why a server's glossary takes no more entries (SERVER_TERMS_LIMIT)."""
    return (
        f"This server's glossary holds {count:,} entries, and {limit:,} is the most a server may have. "
        "Remove some first (or /glossary wipe to start over)."
    )
