"""Benchmark (not a test): messages per second through the whole bot, in-process.

    .venv/bin/python -m tests.bench.pipeline [--pipeline-messages 2000] [--postgres URL]

A building of 64 residents says a mix of what residents say (#我的积分, #打卡 捡垃圾, #排行,
#报修, #点赞, #帮助 and plain chat, a seventh each) to the real App on an in-memory
transport: every message through the dispatcher, its transaction and its replies. Sequential
on SQLite and PostgreSQL, and with 32 messages in flight on PostgreSQL (SQLite has one writer:
in flight there is the same as one after another). Each figure beside its target (issue 17).
On PostgreSQL a scratch database `louzu_bench_pipeline` is made afresh on the server.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

RESIDENTS = 64
SAYINGS = ("#我的积分", "#打卡 捡垃圾", "#排行", "#报修 3楼楼道堆了纸箱", "#点赞 @居民00 楼道扫得真干净", "#帮助",
           "今天谁去买菜？")
TARGETS = {"SQLite": 1000, "PostgreSQL, 32 in flight": 800}


async def throughput(url: str, messages: int, in_flight: int) -> float:
    from bot.app import App
    from bot.core.settings import Settings
    from bot.transport.memory import MemoryTransport

    now = [datetime(2026, 11, 25, 2, 0, tzinfo=timezone.utc)]
    with tempfile.TemporaryDirectory() as data:
        settings = Settings(data_dir=Path(data), database_url=url, admin_ids=frozenset({"王主任"}),
                            commands_per_minute=10_000)
        transport = MemoryTransport(settings.bot_name, admins=settings.admin_ids, clock=lambda: now[0])
        app = App(settings, transport, clock=lambda: now[0])
        await app.start()
        await transport.run(app)

        async def say(line: str) -> None:
            message = transport.parse(line)
            await app.on_message(replace(message, time=now[0]))

        try:
            await say("[12号楼群] 王主任: #绑定 12号楼")
            await say("[12号楼群] 王主任: #设楼组长 @李楼长")
            for n in range(RESIDENTS):
                await say(f"[12号楼群] 居民{n:02d}: 大家好")
            lines = [f"[12号楼群] 居民{n % RESIDENTS:02d}: {SAYINGS[n % len(SAYINGS)]}" for n in range(messages)]
            gate = asyncio.Semaphore(in_flight)

            async def one(line: str) -> None:
                async with gate:
                    await say(line)

            started = time.perf_counter()
            for first in range(0, len(lines), 500):  # the clock moves on a minute every 500 messages
                await asyncio.gather(*(one(line) for line in lines[first:first + 500]))
                now[0] += timedelta(minutes=1)
            return messages / (time.perf_counter() - started)
        finally:
            await app.close()


def _scratch_postgres(server: str) -> str:
    import psycopg
    from sqlalchemy.engine import make_url

    base = make_url(server.replace("postgresql+asyncpg://", "postgresql://"))
    admin = base.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as db:
        db.execute('DROP DATABASE IF EXISTS "louzu_bench_pipeline" WITH (FORCE)')
        db.execute('CREATE DATABASE "louzu_bench_pipeline"')
    return base.set(drivername="postgresql+asyncpg", database="louzu_bench_pipeline").render_as_string(
        hide_password=False)


def run(messages: int, postgres: str | None) -> None:
    print(f"pipeline: {messages} mixed resident messages through the whole bot, in-process", flush=True)
    print("| database | messages/s | target |", flush=True)
    print("|---|---|---|", flush=True)
    with tempfile.TemporaryDirectory() as folder:
        rate = asyncio.run(throughput(f"sqlite+aiosqlite:///{folder}/louzu.db", messages, 1))
    print(f"| SQLite | {rate:.0f} | ≥ {TARGETS['SQLite']} |", flush=True)
    if not postgres:
        print("(PostgreSQL: give --postgres URL or set LOUZU_TEST_POSTGRES_URL)", flush=True)
        return
    for name, in_flight in (("PostgreSQL, one after another", 1), ("PostgreSQL, 32 in flight", 32)):
        rate = asyncio.run(throughput(_scratch_postgres(postgres), messages, in_flight))
        target = f"≥ {TARGETS[name]}" if name in TARGETS else ""
        print(f"| {name} | {rate:.0f} | {target} |", flush=True)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--pipeline-messages", type=int, default=2000,
                        help="pipeline: messages measured per case (default 2000)")


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.pipeline", description=__doc__.splitlines()[0])
    add_arguments(parser)
    parser.add_argument("--postgres", default=os.environ.get("LOUZU_TEST_POSTGRES_URL", ""),
                        help="a PostgreSQL server's URL (default: LOUZU_TEST_POSTGRES_URL)")
    args = parser.parse_args()
    run(args.pipeline_messages, args.postgres or None)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
