"""aiosqlite with one trip to its database thread per statement, instead of four.

aiosqlite runs SQLite in a thread of its own and hands every call to it and back.  For one
statement SQLAlchemy makes four such calls (make a cursor, execute, fetch the rows, close),
and each trip costs a thread wake-up both ways: with the dozen statements a message takes,
that was a third of the bot's time per message (see README, "Performance").  Here the
cursor runs the statement, fetches its rows and closes in the thread, in one call; SQLAlchemy
then reads the rows it would have fetched anyway.  SQLite still never runs on the event
loop, so a slow statement or a lock wait does not stop the bot.
"""

from __future__ import annotations

import sqlite3
from functools import partial
from typing import Any, Callable

import aiosqlite


class Cursor:
    """The part of aiosqlite's cursor that SQLAlchemy uses, each statement in one trip."""

    arraysize = 1

    def __init__(self, connection: "Connection") -> None:
        self._connection = connection
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self._rows: list[Any] = []

    async def __aenter__(self) -> "Cursor":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def execute(self, sql: str, parameters: Any = ()) -> "Cursor":
        return await self._run(lambda db: db.execute(sql, parameters))

    async def executemany(self, sql: str, parameters: Any) -> "Cursor":
        return await self._run(lambda db: db.executemany(sql, parameters))

    async def _run(self, statement: Callable[[sqlite3.Connection], sqlite3.Cursor]) -> "Cursor":
        def in_thread() -> tuple[Any, int, int | None, list[Any]]:
            cursor = statement(self._connection._conn)
            try:
                rows = cursor.fetchall() if cursor.description else []
                return cursor.description, cursor.rowcount, cursor.lastrowid, rows
            finally:
                cursor.close()

        self.description, self.rowcount, self.lastrowid, self._rows = await self._connection._execute(in_thread)
        return self

    async def fetchall(self) -> list[Any]:
        rows, self._rows = self._rows, []
        return rows

    async def fetchone(self) -> Any:
        return self._rows.pop(0) if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        size = size or self.arraysize
        rows, self._rows = self._rows[:size], self._rows[size:]
        return rows

    async def close(self) -> None:
        self._rows = []


class Connection(aiosqlite.Connection):
    """An aiosqlite connection whose cursors are the one-trip kind above."""

    def cursor(self) -> Cursor:  # type: ignore[override]
        return Cursor(self)


def creator(path: str, **connect_args: Any) -> Callable[[], Any]:
    """An ``async_creator`` for SQLAlchemy's sqlite+aiosqlite dialect, opening ``path``."""

    async def connect() -> Connection:
        connection = Connection(partial(sqlite3.connect, path, **connect_args), iter_chunk_size=64)
        # As SQLAlchemy does for aiosqlite's own: the thread does not keep the process alive
        # (before aiosqlite 0.22 the connection itself was the thread).
        getattr(connection, "_thread", connection).daemon = True
        return await connection

    return connect
