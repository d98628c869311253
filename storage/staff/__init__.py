"""Staff operations: what the committee does at its PC, as plain functions over a session.

`louzu …` (bot/cli/) calls them, and so will the web desk: each takes a session (or an
engine, for whole-database work), does one thing in the caller's transaction, and returns
what it did, with the Chinese words staff read. A refusal is a StaffError whose text says
why, in one line.
"""

from __future__ import annotations


class StaffError(ValueError):
    """An operation that cannot be done; the text (Chinese) says why and what to do instead."""
