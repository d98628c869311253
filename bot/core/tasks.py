"""Background tasks of the bot (the outbox's worker, the scheduler's keeper): stopped one way."""

from __future__ import annotations

import asyncio
import contextlib


async def cancelled(task: asyncio.Task | None) -> None:
    """Cancel ``task`` (if any) and wait until it has ended; returns None, for ``self._task = await cancelled(…)``."""
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    return None
