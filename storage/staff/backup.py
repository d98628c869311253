"""Backups and moving house: an SQLite copy taken while the bot writes, the pg_dump line for PostgreSQL,
and a community's whole database copied from SQLite to PostgreSQL with a count check per table."""

from __future__ import annotations

import os
import shlex
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from sqlalchemy import Integer, func, insert, select, text, update
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.models import Base
from storage.staff import StaffError

BATCH = 1000  # rows per insert when copying
# Kept by the target's own migrations, not copied: its one row counts who-is-who changes there.
NOT_COPIED = ("directory_version",)


@dataclass
class Backup:
    path: Path
    size: int
    tables: dict[str, int]


def sqlite_backup(source: Path, target: Path) -> Backup:
    """Copy an SQLite database through SQLite's online backup API: a consistent copy while the bot writes.

    In WAL mode the copy reads one snapshot and the bot's writers go on meanwhile. It is written
    next to the target and renamed into place, so a target file is never half-written.
    """
    if not source.is_file():
        raise StaffError(f"{source} 没有数据库")
    target = target.resolve()
    if target == source.resolve():
        raise StaffError("备份文件不能是数据库本身")
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    # The bot's own wait for locks: another program holding the database briefly is waited out.
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30) as reading, sqlite3.connect(partial) as copy:
        reading.backup(copy)  # all pages in one step: one snapshot
        problems = copy.execute("PRAGMA integrity_check").fetchone()[0]
        if problems != "ok":
            raise StaffError(f"备份的检查没有通过（{problems}），原数据库没有改动；请再试一次")
        names = [row[0] for row in copy.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        tables = {name: copy.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names}
    reading.close()
    copy.close()
    os.replace(partial, target)
    return Backup(target, target.stat().st_size, tables)


def pg_dump_command(url: str | URL, target: str) -> str:
    """The pg_dump line that backs up this PostgreSQL database into ``target`` (custom format; the password,
    if any, is asked for or taken from PGPASSWORD / ~/.pgpass, never written in the line)."""
    parsed = make_url(url)
    parts = ["pg_dump", "--format=custom", f"--file={target}"]
    if parsed.host:
        parts.append(f"--host={parsed.host}")
    if parsed.port:
        parts.append(f"--port={parsed.port}")
    if parsed.username:
        parts.append(f"--username={parsed.username}")
    parts.append(f"--dbname={parsed.database}")
    return " ".join(shlex.quote(part) for part in parts)


@dataclass
class Copied:
    counts: list[tuple[str, int, int]] = field(default_factory=list)  # table, rows in the source, rows in the target

    @property
    def matches(self) -> bool:
        return all(source == target for _, source, target in self.counts)


async def copy_database(source: AsyncEngine, target: AsyncEngine,
                        advance: Callable[[int], None] = lambda n: None) -> Copied:
    """Copy every row of every table from ``source`` to ``target`` (already migrated to the same revision, and
    empty), in one transaction on each side; PostgreSQL's id sequences are moved past the copied ids.

    Nothing is kept on the target unless every table's count matches.
    """
    result = Copied()
    tables = [t for t in Base.metadata.sorted_tables if t.name not in NOT_COPIED]
    async with source.connect() as reading, target.begin() as writing:
        versions = []
        for conn in (reading, writing):
            versions.append(await conn.scalar(text("SELECT version_num FROM alembic_version")))
        if versions[0] != versions[1]:
            raise StaffError(f"两边的数据库结构版本不同（{versions[0]} 和 {versions[1]}）：先对两边都运行 louzu db upgrade")
        for table in tables:
            if await writing.scalar(select(func.count()).select_from(table)):
                raise StaffError(f"目标数据库的 {table.name} 表已经有数据：只能搬到一个新建的空数据库")
        for table in tables:
            # A column pointing at its own table (a report merged into a later one) is filled in afterwards.
            own = [c for c in table.columns if any(fk.column.table is table for fk in c.foreign_keys)]
            key = list(table.primary_key.columns)
            rows = [dict(row._mapping) for row in (await reading.execute(select(table).order_by(*key))).all()]
            for start in range(0, len(rows), BATCH):
                batch = rows[start:start + BATCH]
                await writing.execute(insert(table), [{**row, **{c.name: None for c in own}} for row in batch])
                advance(len(batch))
            for column in own:
                for row in rows:
                    if row[column.name] is not None:
                        await writing.execute(update(table).where(*(k == row[k.name] for k in key))
                                              .values({column.name: row[column.name]}))
            copied = await writing.scalar(select(func.count()).select_from(table))
            result.counts.append((table.name, len(rows), int(copied or 0)))
        if not result.matches:
            await writing.rollback()
            return result
        if target.dialect.name == "postgresql":
            for table in tables:
                if "id" in table.columns and table.columns["id"].primary_key \
                        and isinstance(table.columns["id"].type, Integer):
                    await writing.execute(text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"COALESCE((SELECT MAX(id) FROM \"{table.name}\"), 1), "
                        f"(SELECT MAX(id) FROM \"{table.name}\") IS NOT NULL)"))
    return result


async def count_rows(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return sum([int(await conn.scalar(select(func.count()).select_from(t)) or 0)
                    for t in Base.metadata.sorted_tables if t.name not in NOT_COPIED])
