"""The one clock: timezone-aware UTC now (tests give the bot a clock of their own)."""

from __future__ import annotations

from datetime import datetime, timezone


def utc_now() -> datetime:
    return datetime.now(timezone.utc)
