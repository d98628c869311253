"""`louzu db backup` (a consistent SQLite copy while the bot writes; pg_dump's line for PostgreSQL) and
`louzu db copy --to postgresql://…` (every row, counted table by table, and a bot that goes on there)."""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import replace

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.app import App
from bot.transport.memory import MemoryTransport
from storage.db import make_engine
from tests.chat import Chat
from tests.conftest import PG_URL


async def test_a_backup_taken_while_the_bot_writes_is_whole_and_consistent(chat, louzu, tmp_path, settings):
    if not settings.database_url.startswith("sqlite"):
        ran = await louzu("db", "backup", "louzu.dump")
        assert ran.code == 0
        url = make_url(settings.database_url)
        assert f"pg_dump --format=custom --file=louzu.dump --host={url.host}" in ran.out
        assert f"--dbname={url.database}" in ran.out and (url.password or "\0") not in ran.out
        return
    await chat.setup_building()
    written = 0
    stop = asyncio.Event()

    async def residents_keep_claiming() -> None:
        nonlocal written
        while not stop.is_set():
            await chat(f"[12号楼群] 居民{written}: #打卡 捡垃圾")
            written += 1
            await asyncio.sleep(0)

    writer = asyncio.create_task(residents_keep_claiming())
    while written < 20:  # the bot is busy before the backup starts, and goes on while it runs
        await asyncio.sleep(0.01)
    ran = await louzu("db", "backup", tmp_path / "备份" / "louzu.db")
    stop.set()
    await writer
    assert ran.code == 0, ran.err
    assert ran.lines[0].startswith(f"已备份到 {tmp_path / '备份' / 'louzu.db'}（") and "完整性检查通过" in ran.lines[0]
    copy = sqlite3.connect(tmp_path / "备份" / "louzu.db")
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        claims = copy.execute("SELECT count(*) FROM claims").fetchone()[0]
        entries = copy.execute("SELECT count(*) FROM ledger_entries WHERE kind = 'claim'").fetchone()[0]
        marks = copy.execute("SELECT count(*) FROM processed_messages").fetchone()[0]
    finally:
        copy.close()
    # One snapshot: each claim came with its ledger line and its message's mark, in one transaction.
    assert claims == entries and claims >= 20 and marks == claims + 2  # + #绑定 and #设楼组长
    assert (await louzu("db", "backup", tmp_path / "备份" / "louzu.db")).code == 2  # never over a file by accident


@pytest.fixture
async def empty_postgres():
    """A new, empty PostgreSQL database of this test's own."""
    if not PG_URL:
        pytest.skip("needs PostgreSQL: set LOUZU_TEST_POSTGRES_URL")
    import os

    name = f"louzu_copy_{os.getpid()}"
    admin = make_engine(PG_URL)

    async def run(statement: str) -> None:
        async with admin.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(statement))

    await run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await run(f'CREATE DATABASE "{name}"')
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    await run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.dispose()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the source is the bot's SQLite file
async def test_a_community_moves_from_sqlite_to_postgresql_with_every_row(chat, louzu, settings, clock, tmp_path,
                                                                         empty_postgres):
    from bot.core.messages import Mention

    await chat.setup_building()
    await chat("[12号楼群] 张阿姨: #报修 3楼楼道堆了纸箱")
    await chat("[12号楼群] 老周: #报修 楼道杂物")
    await chat("[12号楼群] 李楼长: #合并 R1 R2")  # R1 points at a later report: copied all the same
    await chat("[12号楼群] 张阿姨: #打卡 捡垃圾")
    await chat("[12号楼群] 李楼长: #加分 @老周 30 搬东西", mentions=(Mention("老周", "老周"),))
    await chat("[12号楼群] 老周: #兑换 抽纸")
    await chat("[12号楼群] 李楼长: #定时 每周六 09:00 大扫除")
    await chat("[12号楼群] 李楼长: #门牌 @张阿姨 1202", mentions=(Mention("张阿姨", "张阿姨"),))
    ran = await louzu("db", "copy", "--to", empty_postgres)
    assert ran.code == 0, ran.err
    assert ran.lines[-2].startswith("已搬到 postgresql+asyncpg://") and ran.lines[-2].endswith("行，逐表核对一致。")
    rows = {cells[0]: cells[1:] for cells in ([c.strip() for c in line.split("│")[1:-1]] for line in ran.lines
                                             if line.count("│") == 5)}
    assert rows["ledger_entries"] == ["3", "3", "✓"]
    assert rows["reports"] == ["2", "2", "✓"] and rows["residents"] == ["1", "1", "✓"]
    assert all(mark == "✓" for *_, mark in rows.values()) and len(rows) >= 19
    # A second copy onto the same database is refused: it is not empty any more.
    again = await louzu("db", "copy", "--to", empty_postgres)
    assert again.code == 2 and "已经有数据" in again.err

    # The bot goes on there: ids carry on where SQLite's stopped, the who-is-who counter still counts.
    moved = replace(settings, database_url=make_url(empty_postgres).set(drivername="postgresql+asyncpg")
                    .render_as_string(hide_password=False))
    transport = MemoryTransport(moved.bot_name, admins=moved.admin_ids, clock=clock)
    app = App(moved, transport, clock=clock)
    await app.start()
    await transport.run(app)
    there = Chat(app, transport)
    try:
        assert (await there.one("[12号楼群] 老周: #打卡 清理楼道")).startswith("@老周 C2 已记录")
        assert (await there.one("[12号楼群] 老周: #报修 楼梯灯坏了")).startswith("@老周 已登记 R3")
        assert "余额" in await there.one("[12号楼群] 张阿姨: #我的积分")
    finally:
        await app.close()
    assert (await louzu("db", "copy", "--to", "mysql://x@y/z")).code == 2
