"""The SQLite driver offers its cursor both ways SQLAlchemy asks for it (2.0 on Python 3.10, 2.1 later)."""

from __future__ import annotations

from storage import sqlite_driver


async def test_a_cursor_can_be_awaited_as_sqlalchemy_2_0_does_so_python_3_10_can_talk_to_sqlite(tmp_path):
    # Python 3.10 installs SQLAlchemy 2.0 (2.1 needs 3.11), whose adapter does
    # ``await connection.cursor()``: the bot failed its first message there.
    connection = await sqlite_driver.creator(str(tmp_path / "louzu.db"))()
    try:
        cursor = await connection.cursor()
        await cursor.execute("SELECT 1")
        assert await cursor.fetchall() == [(1,)]
    finally:
        await connection.close()


async def test_a_cursor_can_be_entered_as_sqlalchemy_2_1_does(tmp_path):
    connection = await sqlite_driver.creator(str(tmp_path / "louzu.db"))()
    try:
        async with connection.cursor() as cursor:
            await cursor.execute("SELECT 2")
            assert await cursor.fetchone() == (2,)
    finally:
        await connection.close()
