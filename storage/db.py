"""The database: engine, sessions and schema upgrades (Alembic)."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import AsyncContextManager, AsyncIterator, Callable

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from storage import sqlite_driver

MIGRATIONS = Path(__file__).with_name("migrations")
BUSY_TIMEOUT = 30.0  # seconds a statement waits for another program's lock on a SQLite database
READING = "louzu_reading"  # the execution option of sessions that only read (reading_sessions)


def make_engine(url: str) -> AsyncEngine:
    """An engine for ``url``; SQLite gets WAL, a wait for others' locks and write-locking transactions."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_async_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    # SQLite on the event loop, waiting for other programs' locks without blocking it (storage/sqlite_driver.py).
    engine = create_async_engine(url, async_creator=sqlite_driver.creator(parsed.database or ":memory:",
                                                                          busy_timeout=BUSY_TIMEOUT))

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection, _record):  # pragma: no cover - driver glue
        # Let us issue BEGIN ourselves, so a transaction takes the write lock at
        # its start and two processes never both read-then-write the same row.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # In WAL mode NORMAL never corrupts the database; a power cut (not a crash of the bot) may
        # lose the last few transactions. It saves a disk flush on every message.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn):  # pragma: no cover - driver glue
        if conn.get_execution_options().get(READING):
            conn.connection.driver_connection.begin_reading()
        else:
            conn.connection.driver_connection.begin_immediate()

    return engine


def missing_database(url: str) -> str | None:
    """Why there is no database at ``url`` to work on (an SQLite file not there: the wrong folder?), or None.

    The bot creates its database at its first start; a command that works on its records, run
    in another folder, would otherwise create and work on a new, empty one without a word.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and not Path(parsed.database).is_file():
        return (f"{parsed.database} 没有数据库：请在机器人运行的目录里执行（用同一个 .env，或与 `louzu run` "
                f"相同的 LOUZU_DATA_DIR / DATABASE_URL）；要新建一个，用 `louzu db upgrade`")
    return None


def insert_for(session: AsyncSession):
    """The dialect's INSERT (it has ON CONFLICT DO NOTHING), for the database ``session`` is on."""
    return pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def reading_sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions whose transactions only read, each one snapshot: on SQLite without the write lock (writers go on
    meanwhile), on PostgreSQL in REPEATABLE READ. For long reads (the jobs that only post) that write afterwards
    in a short transaction of their own."""
    options: dict = {READING: True}
    if engine.dialect.name == "postgresql":
        options["isolation_level"] = "REPEATABLE READ"
    return make_sessionmaker(engine.execution_options(**options))


def reading_transaction(engine: AsyncEngine) -> Callable[[], AsyncContextManager[AsyncSession]] | None:
    """A session in one reading transaction (reading_sessions); None where another connection would not see the
    same database (SQLite in memory)."""
    if engine.dialect.name == "sqlite" and engine.url.database in (None, "", ":memory:"):
        return None
    sessions = reading_sessions(engine)

    @contextlib.asynccontextmanager
    async def reading() -> AsyncIterator[AsyncSession]:
        async with sessions() as session, session.begin():
            yield session

    return reading


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` on this engine's database."""

    def _run(sync_connection) -> None:
        config = alembic_config(engine.url.render_as_string(hide_password=False))
        config.attributes["connection"] = sync_connection
        command.upgrade(config, revision)

    async with engine.begin() as connection:
        await connection.run_sync(_run)


async def upgrade_database(url: str) -> str:
    """Bring the database at ``url`` to the newest schema with an engine of its own; its URL, password hidden."""
    engine = make_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
    return engine.url.render_as_string(hide_password=True)
