"""SQLite runs on the event loop: another program's lock must delay a message, never stall the bot."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from contextlib import closing

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from storage import db
from storage.models import Claim


@pytest.fixture
def sqlite_file(tmp_path, sqlite_template):
    path = tmp_path / "louzu.db"
    shutil.copy(sqlite_template, path)
    return path


@pytest.fixture
def database_url(sqlite_file) -> str:
    """SQLite only: its file locks are what this module is about (the chat fixture uses this)."""
    return f"sqlite+aiosqlite:///{sqlite_file}"


def hold_write_lock(path) -> sqlite3.Connection:
    """Another program (``louzu gifts``, a second bot process) in the middle of a write."""
    other = sqlite3.connect(path, isolation_level=None, timeout=0)
    other.execute("BEGIN IMMEDIATE")
    return other


async def test_a_message_waits_for_another_programs_lock_while_the_bot_goes_on(chat, sqlite_file):
    await chat.setup_building()
    other = hold_write_lock(sqlite_file)
    try:
        claim = asyncio.create_task(chat("[12号楼群] 张阿姨: #打卡 捡垃圾"))
        # Meanwhile the event loop serves everything else. Were it stuck in SQLite's own wait for
        # the lock, these 20 short turns would take the whole busy timeout (30 s).
        loop = asyncio.get_running_loop()
        started = loop.time()
        for _ in range(20):
            await asyncio.sleep(0.005)
        assert loop.time() - started < db.BUSY_TIMEOUT / 3, "the event loop stalled while the lock was held"
        assert not claim.done()
        with closing(sqlite3.connect(sqlite_file)) as reader:  # readers are never held up by a writer (WAL)
            assert reader.execute("SELECT count(*) FROM claims").fetchone() == (0,)
    finally:
        other.rollback()
        other.close()
    replies = await asyncio.wait_for(claim, 10)
    assert len(replies) == 1 and "已记录：捡垃圾 1次" in replies[0]
    assert await chat.count(Claim) == 1


async def test_a_lock_that_is_never_released_fails_the_statement_after_the_busy_timeout(sqlite_file, monkeypatch):
    monkeypatch.setattr(db, "BUSY_TIMEOUT", 0.2)
    engine = db.make_engine(f"sqlite+aiosqlite:///{sqlite_file}")
    other = hold_write_lock(sqlite_file)
    loop = asyncio.get_running_loop()
    try:
        started = loop.time()
        with pytest.raises(OperationalError, match="database is locked"):
            async with engine.begin() as connection:
                await connection.execute(text("SELECT 1"))
        assert loop.time() - started >= 0.2
    finally:
        other.rollback()
        other.close()
        await engine.dispose()
    # Once the other program is done, the same engine works again.
    engine = db.make_engine(f"sqlite+aiosqlite:///{sqlite_file}")
    async with engine.begin() as connection:
        assert (await connection.execute(text("SELECT 1"))).scalar() == 1
    await engine.dispose()


async def test_the_monday_ranking_holds_the_write_lock_only_to_keep_its_posts(chat, sqlite_file):
    """Making a street's posts takes a while; a resident's #打卡 (another process's write) must not wait for it."""
    await chat.setup_building()
    await chat.one("[12号楼群] 张阿姨: #打卡 捡垃圾")
    runner = chat.app.schedules.jobs
    ranking = runner.table["weekly_ranking"]
    written_meanwhile = []

    async def ranking_while_another_program_writes(ctx):
        posts = await ranking(ctx)
        other = sqlite3.connect(sqlite_file, isolation_level=None, timeout=0)  # it would fail if the lock were held
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("UPDATE groups SET topic = '12号楼群（新）' WHERE room_id = '12号楼群'")
            other.execute("COMMIT")
            written_meanwhile.append(True)
        finally:
            other.close()
        return posts

    runner.table["weekly_ranking"] = ranking_while_another_program_writes
    assert await runner.run("weekly_ranking") == 1
    assert written_meanwhile == [True]
