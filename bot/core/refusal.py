"""The one exception a rule raises to say no, in words meant for the user as they are.

Services and core raise it without knowing about Discord; the central error handler shows its message
ephemerally and the CLI prints it (bot/errors.py: `UserFacingError` is a Discord-side kind of it).
"""

from __future__ import annotations


class Refusal(Exception):
    """A request was refused (a bad value, a missing right, nothing to show); nothing was changed."""
