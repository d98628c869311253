"""Shared fixtures: databases (SQLite always, PostgreSQL when configured), clocks, a chat."""

from __future__ import annotations

import os
import shutil
import socket
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.core.settings import Settings, normalise_database_url
from storage.db import make_engine, upgrade, upgrade_database

PG_URL = normalise_database_url(os.environ.get("LOUZU_TEST_POSTGRES_URL", ""))

pytest_plugins = ["tests.chat", "tests.clikit", "tests.webkit"]


def pytest_configure(config):
    """On CI a missing half is a failure, not a quiet skip."""
    if os.environ.get("CI") and not PG_URL:
        raise pytest.UsageError("CI is set but LOUZU_TEST_POSTGRES_URL is not: the PostgreSQL half would be skipped")


@pytest.fixture(autouse=True)
def _no_outside_network(monkeypatch):
    """A test that reaches past this machine fails loudly."""
    real_connect = socket.socket.connect

    def guarded(sock, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and not (host.startswith("127.") or host in ("localhost", "::1") or "/" in host):
            raise RuntimeError(f"test tried to reach {address!r}; tests stay on this machine")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta) -> None:
        self.current += timedelta(**delta)

    def set_local(self, text_: str, tz) -> None:
        self.current = datetime.fromisoformat(text_).replace(tzinfo=tz).astimezone(timezone.utc)


@pytest.fixture
def clock() -> FakeClock:
    # Wednesday 2026-11-25 10:00 in Shanghai.
    return FakeClock(datetime(2026, 11, 25, 2, 0, tzinfo=timezone.utc))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """One migrated SQLite file; each test gets a copy of it. With LOUZU_TEST_SQLITE_TEMPLATE set (`make mutate`,
    which starts hundreds of short runs), the file there, built by the first run that needs it."""
    import asyncio

    kept = os.environ.get("LOUZU_TEST_SQLITE_TEMPLATE")
    if kept and Path(kept).is_file():
        return Path(kept)
    path = Path(kept) if kept else tmp_path_factory.mktemp("template") / "louzu.db"
    building = tmp_path_factory.mktemp("building") / "louzu.db"  # moved into place whole: never seen half made

    asyncio.run(upgrade_database(f"sqlite+aiosqlite:///{building}"))
    shutil.move(building, path)
    return path


_pg_migrated = False


@pytest.fixture(scope="session")
def postgres_url():
    """A database of this test run's own on the configured server, so parallel runs never collide."""
    import asyncio

    from sqlalchemy.engine import make_url

    if not PG_URL:
        yield ""
        return
    name = f"louzu_test_{os.getpid()}"
    admin = make_engine(PG_URL)

    async def run(statement: str) -> bool:
        try:
            async with admin.connect() as conn:
                await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.execute(text(statement))
            return True
        except Exception:
            return False
        finally:
            await admin.dispose()

    created = asyncio.run(run(f'CREATE DATABASE "{name}"'))
    # Without the right to create databases, use the configured one as it is.
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False) if created else PG_URL
    yield url
    if created:
        asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _reset_postgres(url: str) -> None:
    global _pg_migrated
    engine = make_engine(url)
    try:
        if not _pg_migrated:
            async with engine.begin() as conn:
                await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
                await conn.execute(text("CREATE SCHEMA public"))
            await upgrade(engine)
            _pg_migrated = True
        async with engine.begin() as conn:
            tables = (await conn.execute(text(
                "SELECT tablename FROM pg_tables WHERE schemaname='public' "
                "AND tablename NOT IN ('alembic_version', 'directory_version')"))).scalars()
            names = ", ".join(f'"{t}"' for t in tables)
            if names:
                await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    finally:
        await engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
async def database_url(request, tmp_path, sqlite_template, postgres_url) -> str:
    """Each whole-bot test runs on SQLite, and on PostgreSQL when LOUZU_TEST_POSTGRES_URL is set."""
    if request.param == "sqlite":
        target = tmp_path / "louzu.db"
        shutil.copy(sqlite_template, target)
        return f"sqlite+aiosqlite:///{target}"
    if not PG_URL:
        pytest.skip("PostgreSQL half: set LOUZU_TEST_POSTGRES_URL (make test does when PostgreSQL runs here)")
    await _reset_postgres(postgres_url)
    return postgres_url


@pytest.fixture
async def postgres_database_url(postgres_url) -> str:
    """PostgreSQL only, for what SQLite cannot have (several processes on one database)."""
    if not postgres_url:
        pytest.skip("needs PostgreSQL: set LOUZU_TEST_POSTGRES_URL (make test does when PostgreSQL runs here)")
    await _reset_postgres(postgres_url)
    return postgres_url


@pytest.fixture
def settings(tmp_path, database_url) -> Settings:
    # Whole-bot tests say many commands within one minute of a clock that stands still: the per-person
    # limit is lifted here, and tested where it is the subject (tests/test_bot_limits.py).
    return Settings(data_dir=tmp_path / "data", database_url=database_url, admin_ids=frozenset({"王主任"}),
                    commands_per_minute=10_000)
