"""Services: the rules of each feature, between the thin adapters (cogs, the CLI) and core/store.

A service never imports discord: it takes plain values, returns payloads (`bot.core.render.Reply`) or
data, and says no with `bot.core.refusal.Refusal`, which the central error handler and the CLI show as
they are.
"""
