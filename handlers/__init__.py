"""Handlers: one module per capability; all routers are wired together here."""

from __future__ import annotations

from bot.core.router import CommandTable
from handlers import admin, chain_lists, chains, gifts, help, leaders, notices, points, reports, roster, thanks


def build_table() -> CommandTable:
    """Every command the bot knows; clashing keywords fail here, at start-up."""
    table: CommandTable | None = None

    def current() -> CommandTable:
        assert table is not None
        return table

    table = CommandTable([help.make_router(current), reports.router, points.router, thanks.router, gifts.router,
                          leaders.router, roster.router, notices.router, chain_lists.router, chains.router, admin.router])
    return table
