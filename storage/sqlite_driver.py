"""SQLite for SQLAlchemy's asyncio engine, run on the event loop, never waiting there for a lock.

SQLAlchemy's ``sqlite+aiosqlite`` dialect expects aiosqlite, which runs SQLite in a thread of
its own and hands every call to it and back.  Each such trip wakes two threads; with the half
dozen a message takes, those trips cost more than the bot's own work for a message (README,
"Performance").  A statement on the small database of one community takes microseconds, so
here it runs where it is called, on the event loop, with the same interface.

What must not happen on the event loop is waiting for another program's lock (``louzu gifts``
or a second bot process writing at that moment): SQLite's own busy timeout would stop the
whole bot, every group included, for as long as the lock is held.  So SQLite is told not to
wait (busy timeout 0), and a statement SQLite finds locked is tried again after an
``asyncio.sleep`` that lets everything else run, until ``busy_timeout`` seconds have passed.
Trying again is what SQLite's busy handler does itself: a locked statement has not begun.
"""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any, Callable, Generator, TypeVar

T = TypeVar("T")

SQLITE_BUSY = 5
RETRY_WAIT = (0.001, 0.05)  # seconds between tries of a locked statement: the first, doubling up to the last


def _locked(error: sqlite3.OperationalError) -> bool:
    code = getattr(error, "sqlite_errorcode", None)  # Python 3.11 and later
    if code is not None:
        return code & 0xFF == SQLITE_BUSY
    return str(error).startswith("database is locked")


async def _when_unlocked(work: Callable[[], T], busy_timeout: float) -> T:
    """``work()``, tried again while the database is locked by someone else, without blocking the loop."""
    deadline, wait = None, RETRY_WAIT[0]
    while True:
        try:
            return work()
        except sqlite3.OperationalError as error:
            now = asyncio.get_running_loop().time()
            deadline = deadline or now + busy_timeout
            if not _locked(error) or now >= deadline:
                raise
        await asyncio.sleep(wait)
        wait = min(wait * 2, RETRY_WAIT[1])


class Cursor:
    """The part of aiosqlite's cursor that SQLAlchemy uses: a statement runs, rows fetched, at once."""

    arraysize = 1

    def __init__(self, connection: "Connection") -> None:
        self._connection = connection
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self._rows: list[Any] = []

    def __await__(self) -> Generator[Any, None, "Cursor"]:
        """``await connection.cursor()`` gives the cursor itself, as with aiosqlite.

        SQLAlchemy 2.0 (what Python 3.10 gets: 2.1 needs 3.11) awaits ``cursor()``; 2.1 calls it
        and enters it with ``async with``.  There is nothing to wait for either way.
        """
        return self
        yield  # makes this a generator, which is what ``await`` needs

    async def __aenter__(self) -> "Cursor":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def execute(self, sql: str, parameters: Any = ()) -> "Cursor":
        return await self._run(lambda db: db.execute(sql, parameters))

    async def executemany(self, sql: str, parameters: Any) -> "Cursor":
        parameters = list(parameters)  # a generator could not be given a second time
        return await self._run(lambda db: db.executemany(sql, parameters))

    async def _run(self, statement: Callable[[sqlite3.Connection], sqlite3.Cursor]) -> "Cursor":
        connection = self._connection

        def once() -> tuple[Any, int, int | None, list[Any]]:
            db = connection._conn
            if connection.begin_pending:
                db.execute(connection.begin_pending)  # where a lock held elsewhere is met, if anywhere
                connection.begin_pending = None
            cursor = statement(db)
            try:
                rows = cursor.fetchall() if cursor.description else []
                return cursor.description, cursor.rowcount, cursor.lastrowid, rows
            finally:
                cursor.close()

        self.description, self.rowcount, self.lastrowid, self._rows = await _when_unlocked(
            once, connection.busy_timeout)
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


class _AtOnce:
    """Stands in for aiosqlite's queue to its thread, which SQLAlchemy uses to set the isolation level."""

    @staticmethod
    def put_nowait(item: tuple[asyncio.Future | None, Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except BaseException as error:  # noqa: BLE001 - handed to whoever awaits it, as aiosqlite does
            if future is not None:
                future.set_exception(error)
        else:
            if future is not None:
                future.set_result(result)


class Connection:
    """The part of an aiosqlite connection that SQLAlchemy uses, over a plain sqlite3 connection."""

    _tx = _AtOnce()

    def __init__(self, connection: sqlite3.Connection, busy_timeout: float) -> None:
        self._connection: sqlite3.Connection | None = connection
        self.busy_timeout = busy_timeout
        self.begin_pending: str | None = None  # the BEGIN to send with the next statement

    def begin_immediate(self) -> None:
        """Open a transaction that holds the write lock from its start, with its first statement.

        A transaction that reads first and writes later could otherwise find that another
        program wrote in between.  Sent with the first statement, BEGIN costs no step of its own.
        """
        self.begin_pending = "BEGIN IMMEDIATE"

    def begin_reading(self) -> None:
        """Open a transaction that only reads: one snapshot of the database (WAL), and no write lock, so writers
        elsewhere go on meanwhile."""
        self.begin_pending = "BEGIN DEFERRED"

    @property
    def _conn(self) -> sqlite3.Connection:
        if self._connection is None:
            raise ValueError("no active connection")
        return self._connection

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    def cursor(self) -> Cursor:
        return Cursor(self)

    async def commit(self) -> None:
        self.begin_pending = None  # nothing was run: nothing to commit
        await _when_unlocked(self._conn.commit, self.busy_timeout)

    async def rollback(self) -> None:
        self.begin_pending = None
        self._conn.rollback()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)

    async def close(self) -> None:
        self.stop()

    def stop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()


def creator(path: str, busy_timeout: float = 30.0) -> Callable[[], Any]:
    """An ``async_creator`` for SQLAlchemy's sqlite+aiosqlite dialect, opening ``path``.

    ``busy_timeout``: seconds a statement waits (asynchronously) for another program's lock.
    """

    async def connect() -> Connection:
        # timeout=0: SQLite itself never waits for a lock (see above). The connection may be
        # closed by the pool's clean-up from another thread; it is never used by two at once.
        return Connection(sqlite3.connect(path, timeout=0, check_same_thread=False), busy_timeout)

    return connect
