"""Benchmark (not a test): a resident's #我的积分 reply latency, idle vs while a 500-group broadcast drains.

    .venv/bin/python -m tests.bench.outbox_bench [--database-url postgresql://…] [--scale 25] [--harness]

Two ways, both run by ``make bench``:

* in-process (default): the whole bot on an in-memory transport whose every send
  takes ``--latency`` seconds (a puppet service's round trip);
* ``--harness``: the real bot (`louzu run`, a subprocess) against the Node.js
  puppet-service gateway of the end-to-end tests (tests/e2e/harness), with 500
  building groups in it; a reply's latency is from the resident's say (as the
  gateway is told) to the bot's answer reaching the gateway.

An administrator's ``#通知 全部`` puts 500 posts into the outbox and its worker drains
them, paced; meanwhile a resident asks ``#我的积分`` ``--rate`` times a second. The same
is measured with no broadcast. Prints p50/p90/p99 of both and the p99 ratio (target at
most 1.2).

``--scale`` speeds the account's limits up by that factor so the run takes
seconds, not the 19 minutes a real 500-group broadcast takes: pacing
1.5–3 s / scale between posts, and the reply bucket's refill 1/s × scale (settings:
LOUZU_PACE_SECONDS, LOUZU_REPLY_PER_SECOND). The resident stays under the reply
bucket's rate, so what is measured is the interference of the broadcast with
replies, not the bucket doing its job.
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
from bot.core.messages import Reply
from bot.core.settings import Settings, normalise_database_url
from bot.transport.memory import MemoryTransport
from storage.db import make_engine, make_sessionmaker, upgrade
from storage.models import Building, Group, OutboxMessage

GROUPS = 500
TARGET = 1.2


class SlowTransport(MemoryTransport):
    """The memory transport with a round trip per send; paced like the real one (its name is not exempt)."""

    name = "bench"

    def __init__(self, bot_name: str, latency: float, **kwargs) -> None:
        super().__init__(bot_name, **kwargs)
        self.latency = latency

    async def say(self, reply: Reply) -> None:
        await asyncio.sleep(self.latency)
        self.sent.append(reply)


async def prepare(app: App, groups: int = GROUPS) -> None:
    """500 (``groups``) bound building groups, "1号楼群" …, and a resident with a few points in 12号楼群."""
    now = datetime.now(timezone.utc)
    async with app.transaction() as session:
        buildings = [Building(name=f"{n}号楼", created_at=now) for n in range(1, groups + 1)]
        session.add_all(buildings)
        await session.flush()
        session.add_all(Group(room_id=f"{b.name}群", topic=f"{b.name}群", building_id=b.id, bound_at=now, bound_by="bench")
                        for b in buildings)
    for line in ("[12号楼群] 张阿姨: #打卡 捡垃圾", "[12号楼群] 张阿姨: #我的积分"):
        await app.on_message(app.transport.parse(line))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def report(title: str, idle: list[float], busy: list[float], during: int, seconds: float) -> float:
    """Print the figures of one run; the p99 ratio."""
    print(title)
    for label, values in (("idle", idle), ("broadcast draining", busy)):
        print(f"  {label:<19} p50 {percentile(values, 50) * 1000:6.1f} ms  p90 {percentile(values, 90) * 1000:6.1f} ms"
              f"  p99 {percentile(values, 99) * 1000:6.1f} ms  mean {statistics.mean(values) * 1000:6.1f} ms")
    print(f"  posts sent while measuring: {during} in {seconds:.1f} s ({during / seconds:.1f}/s)")
    ratio = percentile(busy, 99) / percentile(idle, 99)
    print(f"  p99 ratio (draining / idle): {ratio:.2f}  (target ≤ {TARGET:g}: {'met' if ratio <= TARGET else 'NOT met'})")
    return ratio


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


async def run(args) -> float:
    """In-process: the bot on a slow in-memory transport."""
    folder = Path(tempfile.mkdtemp(prefix="louzu-bench-"))
    url = normalise_database_url(args.database_url) if args.database_url else ""
    settings = Settings(data_dir=folder, database_url=url, admin_ids=frozenset({"王主任"}),
                        pace_seconds=(1.5 / args.scale, 3.0 / args.scale), reply_burst=5,
                        reply_per_second=1.0 * args.scale, quiet_hours=None, scheduler_retry_seconds=1.0,
                        commands_per_minute=10_000)  # one resident asks 20 times a second: no limit here
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
    return report(f"louzu outbox benchmark, in-process ({backend}; {GROUPS} groups; send latency "
                  f"{args.latency * 1000:.0f} ms; pacing {settings.pace_seconds[0] * 1000:.0f}–"
                  f"{settings.pace_seconds[1] * 1000:.0f} ms (scale {args.scale:g}); {args.samples} × #我的积分 at "
                  f"{args.rate:g}/s)", idle, busy, during, seconds)


# Through the puppet service ------------------------------------------------------------------

HOME = "g001@chatroom"  # 1号楼's group, where the residents ask
COMMITTEE = "rc@chatroom"  # the committee's group (bound to no building), where the administrator writes
ADMIN = "u-admin"
RESIDENTS = 20


def harness_world(groups: int) -> dict:
    """The bot in ``groups`` building groups (the residents in the first) and the committee's group."""
    people = [{"id": f"u{i:03d}", "name": f"居民{i:03d}"} for i in range(RESIDENTS)]
    rooms = [{"id": f"g{n:03d}@chatroom", "topic": f"{n}号楼",
              "memberIdList": [ADMIN, *(p["id"] for p in people)] if n == 1 else [ADMIN]}
             for n in range(1, groups + 1)]
    rooms.append({"id": COMMITTEE, "topic": "居委会工作群", "memberIdList": [ADMIN]})
    return {"bot": {"id": "bot-louzu", "name": "楼组小助手"},
            "contacts": [{"id": ADMIN, "name": "王主任"}, *people], "rooms": rooms}


async def seed(data_dir: Path, groups: int) -> None:
    """The groups bound to their buildings before the bot starts (500 × #绑定 would wait on the reply bucket)."""
    engine = make_engine(f"sqlite+aiosqlite:///{data_dir / 'louzu.db'}")
    try:
        await upgrade(engine)
        now = datetime.now(timezone.utc)
        async with make_sessionmaker(engine)() as session, session.begin():
            buildings = [Building(name=f"{n}号楼", created_at=now) for n in range(1, groups + 1)]
            session.add_all(buildings)
            await session.flush()
            session.add_all(Group(room_id=f"g{n:03d}@chatroom", topic=b.name, building_id=b.id, bound_at=now,
                                  bound_by="bench") for n, b in enumerate(buildings, 1))
    finally:
        await engine.dispose()


class Gateway:
    """The harness's messages: a resident's answer is waited for; broadcast posts on the way are counted."""

    def __init__(self, harness) -> None:
        self.h = harness
        self.posts = 0

    async def answer(self, who: str, room: str, timeout: float = 30.0) -> dict:
        while True:
            message = await self.h.next_message(timeout=timeout)
            if message["room"] == room and message["mentions"] == [who]:
                return message
            if (message.get("text") or "").startswith("【通知】"):
                self.posts += 1

    async def measure(self, samples: int, rate: float) -> list[float]:
        """Latencies of ``samples`` #我的积分 in 1号楼's group, residents in turn, one every 1/rate seconds."""
        latencies = []
        start = time.perf_counter()
        for n in range(samples):
            who = f"u{n % RESIDENTS:03d}"
            before = time.perf_counter()
            await self.h.say(who, HOME, "#我的积分")
            reply = await self.answer(who, HOME)
            latencies.append(time.perf_counter() - before)
            if "你的爱心积分" not in (reply.get("text") or ""):
                raise RuntimeError(f"unexpected answer to #我的积分: {reply.get('text')!r}")
            await asyncio.sleep(max(0.0, start + (n + 1) / rate - time.perf_counter()))
        self.posts += sum(1 for m in self.h.drain() if (m.get("text") or "").startswith("【通知】"))
        return latencies


async def run_through_harness(args) -> float:
    """The real bot process against the puppet-service harness with ``GROUPS`` groups."""
    from tests.e2e.harness import WechatyHarness
    from tests.e2e.louzu import LouzuProcess, louzu_env

    pace = (1.5 / args.scale, 3.0 / args.scale)
    with tempfile.TemporaryDirectory(prefix="louzu-bench-") as tmp:
        workdir = Path(tmp)
        await seed(workdir / "data", GROUPS)
        with open(workdir / "harness.log", "wb") as harness_log:
            h = WechatyHarness(stderr=harness_log)
            await h.start(harness_world(GROUPS))
            bot = LouzuProcess(louzu_env(h.bot_env(), workdir / "data", ADMIN, LOUZU_LOG_LEVEL="WARNING",
                                         LOUZU_PACE_SECONDS=f"{pace[0]:g}-{pace[1]:g}", LOUZU_REPLY_BURST="5",
                                         LOUZU_REPLY_PER_SECOND=f"{args.scale:g}", LOUZU_QUIET_HOURS="off",
                                         LOUZU_COMMANDS_PER_MINUTE="10000"),
                               workdir)
            await bot.start()
            try:
                await h.wait_connected(timeout=30)
                gateway = Gateway(h)
                await gateway.measure(50, args.rate)  # warm-up (and the first answer shows the bot is in)
                idle = await gateway.measure(args.samples, args.rate)
                await h.say(ADMIN, COMMITTEE, "#通知 全部 本周六上午9点小区消防演练，请大家配合")
                told = (await gateway.answer(ADMIN, COMMITTEE)).get("text") or ""
                if f"通知已排队发往 {GROUPS} 个楼组群" not in told:
                    raise RuntimeError(f"unexpected answer to #通知 全部: {told!r}")
                await asyncio.sleep(0.5)  # the broadcast is under way
                gateway.posts = sum(1 for m in h.drain() if (m.get("text") or "").startswith("【通知】"))
                before, began = gateway.posts, time.perf_counter()
                busy = await gateway.measure(args.samples, args.rate)
                during, seconds = gateway.posts - before, time.perf_counter() - began
                if gateway.posts >= GROUPS:
                    print("  (the broadcast ended before the measuring did: use a smaller --scale or --samples)")
            finally:
                if bot.proc is not None and bot.proc.returncode is None:
                    bot.proc.kill()  # the rest of the broadcast is not needed
                    await bot.proc.wait()
                await bot.stop()
                await h.stop()
    return report(f"louzu outbox benchmark, through the puppet service (the real bot process, sqlite; {GROUPS} "
                  f"groups in the gateway; pacing {pace[0] * 1000:.0f}–{pace[1] * 1000:.0f} ms (scale "
                  f"{args.scale:g}); {args.samples} × #我的积分 at {args.rate:g}/s)", idle, busy, during, seconds)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database-url", default="", help="in-process: a scratch PostgreSQL database, emptied "
                                                           "first (default: a fresh SQLite file)")
    parser.add_argument("--scale", type=float, default=25.0, help="speed-up of pacing and reply refill (default 25)")
    parser.add_argument("--latency", type=float, default=0.02, help="in-process: seconds each send takes (default 0.02)")
    parser.add_argument("--samples", type=int, default=600, help="replies measured per phase (default 600)")
    parser.add_argument("--rate", type=float, default=20.0, help="#我的积分 per second (default 20)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    parser.add_argument("--harness", action="store_true", help="through the puppet-service harness instead")
    args = parser.parse_args(argv)
    asyncio.run(run_through_harness(args) if args.harness else run(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
