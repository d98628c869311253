"""Which process owns the scheduler (runs the scheduled jobs, sends the posts): one at a time, taken over when it dies.

On PostgreSQL several bot processes (one per WeChat account) share the
database. The one that holds a session-level advisory lock, on a connection
kept open for the purpose, owns the scheduler; the others try again every
LOUZU_SCHEDULER_RETRY_SECONDS. When the owner dies its connection closes, the
server releases the lock, and the next try of another process wins it.

On SQLite there is one process (the file is the bot's own), so it always owns it.
"""

from __future__ import annotations

import logging

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)

LOCK_KEY = 0x6C6F757A75  # "louzu": the advisory lock that stands for "runs the scheduler"


class Election:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.shared = engine.dialect.name == "postgresql"
        self._connection: AsyncConnection | None = None
        self.held = False

    async def try_acquire(self) -> bool:
        """Own the scheduler if nobody does; True when this process owns it (now or already)."""
        if self.held:
            return True
        if not self.shared:
            self.held = True
            return True
        connection = await self.engine.connect()
        try:
            # Autocommit: the lock belongs to the session, and an open transaction left idle
            # for days could be ended by the server's idle-in-transaction timeout.
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            got = bool(await connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": LOCK_KEY}))
        except Exception:
            await connection.close()
            raise
        if not got:
            await connection.close()
            return False
        self._connection, self.held = connection, True
        return True

    async def still_held(self) -> bool:
        """Whether the lock's connection is still alive (if it died, so did the lock)."""
        if not self.held or not self.shared:
            return self.held
        assert self._connection is not None
        try:
            await self._connection.scalar(text("SELECT 1"))
            return True
        except Exception as error:
            log.warning("lost the scheduler lock's database connection: %s", error)
            await self._forget()
            return False

    async def release(self) -> None:
        if self.shared and self._connection is not None:
            try:
                await self._connection.scalar(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
                await self._connection.close()
            except Exception:
                await self._forget()
        self._connection, self.held = None, False

    async def _forget(self) -> None:
        """Drop the connection for good (never back into the pool with a lock on it)."""
        if self._connection is not None:
            try:
                await self._connection.invalidate()
                await self._connection.close()
            except Exception:  # it is already gone; nothing more to release
                log.debug("closing the lost lock connection failed", exc_info=True)
        self._connection, self.held = None, False
