"""Benchmark (not a test): a resident's #我的积分 reply latency, idle vs while a 500-group broadcast drains.

    .venv/bin/python -m tests.bench.outbox_bench [--database-url postgresql://…] [--scale 50]

The whole bot runs on an in-memory transport whose every send takes
``--latency`` seconds (a puppet service's round trip). An administrator's
``#通知 全部`` puts 500 posts into the outbox and its worker drains them, paced;
meanwhile a resident asks ``#我的积分`` ``--rate`` times a second. The same is
measured with no broadcast. Prints p50/p95/p99 of both and the p99 ratio (target
at most 1.2).

``--scale`` speeds the account's limits up by that factor so the run takes
seconds, not the 19 minutes a real 500-group broadcast takes: pacing
1.5–3 s / scale between posts, and the reply bucket's refill 1/s × scale. The
resident stays under the reply bucket's rate, so what is measured is the
interference of the broadcast with replies, not the bucket doing its job.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import func, select, text

from bot.app import App
from bot.messages import Reply
from bot.settings import Settings, normalise_database_url
from bot.transport.memory import MemoryTransport
from storage.models import Building, Group, OutboxMessage

GROUPS = 500


class SlowTransport(MemoryTransport):
    """The memory transport with a round trip per send; paced like the real one (its name is not exempt)."""

    name = "bench"

    def __init__(self, bot_name: str, latency: float, **kwargs) -> None:
        super().__init__(bot_name, **kwargs)
        self.latency = latency

    async def say(self, reply: Reply) -> None:
        await asyncio.sleep(self.latency)
        self.sent.append(reply)


async def prepare(app: App) -> None:
    """500 bound building groups and a resident with a few points."""
    now = datetime.now(timezone.utc)
    async with app.transaction() as session:
        buildings = [Building(name=f"{n}号楼", created_at=now) for n in range(1, GROUPS + 1)]
        session.add_all(buildings)
        await session.flush()
        session.add_all(Group(room_id=f"{b.name}群", topic=f"{b.name}群", building_id=b.id, bound_at=now, bound_by="bench")
                        for b in buildings)
    for line in ("[12号楼群] 张阿姨: #打卡 捡垃圾", "[12号楼群] 张阿姨: #我的积分"):
        await app.on_message(app.transport.parse(line))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


async def measure(app: App, samples: int, rate: float) -> list[float]:
    """Reply latencies (seconds) of ``samples`` #我的积分, one every 1/rate seconds."""
    latencies = []
    interval = 1 / rate
    start = time.perf_counter()
    for n in range(samples):
        message = app.transport.parse("[12号楼群] 张阿姨: #我的积分")
        before = time.perf_counter()
        await app.on_message(message)  # returns once the reply has been said
        latencies.append(time.perf_counter() - before)
        await asyncio.sleep(max(0.0, start + (n + 1) * interval - time.perf_counter()))
    return latencies


async def sent_posts(app: App) -> int:
    async with app.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(OutboxMessage)
                                        .where(OutboxMessage.status == "sent")))


async def run(args) -> None:
    folder = Path(tempfile.mkdtemp(prefix="louzu-bench-"))
    url = normalise_database_url(args.database_url) if args.database_url else ""
    settings = Settings(data_dir=folder, database_url=url, admin_ids=frozenset({"王主任"}),
                        pace_seconds=(1.5 / args.scale, 3.0 / args.scale), reply_burst=5,
                        reply_per_second=1.0 * args.scale, quiet_hours=None, leader_retry_seconds=1.0)
    transport = SlowTransport(settings.bot_name, args.latency, admins=settings.admin_ids)
    app = App(settings, transport)
    if url:  # start from an empty PostgreSQL schema
        async with app.engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    await app.start()
    await transport.run(app)
    await prepare(app)
    app.outbox.start(poll_seconds=1.0)
    try:
        await measure(app, 50, args.rate)  # warm-up: query caches, connections
        idle = await measure(app, args.samples, args.rate)
        await app.on_message(transport.parse("[居委会群] 王主任: #通知 全部 本周六上午9点小区消防演练，请大家配合"))
        await asyncio.sleep(0.5)  # the broadcast is under way
        before = await sent_posts(app)
        began = time.perf_counter()
        busy = await measure(app, args.samples, args.rate)
        during = await sent_posts(app) - before
        seconds = time.perf_counter() - began
    finally:
        await app.close()
    backend = app.engine.dialect.name
    print(f"louzu outbox benchmark ({backend}; {GROUPS} groups; send latency {args.latency * 1000:.0f} ms; "
          f"pacing {settings.pace_seconds[0] * 1000:.0f}–{settings.pace_seconds[1] * 1000:.0f} ms (scale {args.scale:g}); "
          f"{args.samples} × #我的积分 at {args.rate:g}/s)")
    for label, values in (("idle", idle), ("broadcast draining", busy)):
        print(f"  {label:<19} p50 {percentile(values, 50) * 1000:6.1f} ms  p95 {percentile(values, 95) * 1000:6.1f} ms"
              f"  p99 {percentile(values, 99) * 1000:6.1f} ms  mean {statistics.mean(values) * 1000:6.1f} ms")
    print(f"  posts sent while measuring: {during} in {seconds:.1f} s ({during / seconds:.1f}/s)")
    ratio = percentile(busy, 99) / percentile(idle, 99)
    print(f"  p99 ratio (draining / idle): {ratio:.2f}  (target ≤ 1.2: {'met' if ratio <= 1.2 else 'NOT met'})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="", help="a scratch PostgreSQL database, emptied first (default: a fresh SQLite file)")
    parser.add_argument("--scale", type=float, default=25.0, help="speed-up of pacing and reply refill (default 25)")
    parser.add_argument("--latency", type=float, default=0.02, help="seconds each send takes (default 0.02)")
    parser.add_argument("--samples", type=int, default=600, help="replies measured per phase (default 600)")
    parser.add_argument("--rate", type=float, default=20.0, help="#我的积分 per second (default 20)")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
