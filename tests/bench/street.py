"""Benchmark (not a test): the Monday ranking, the honour list and #我的积分 on a whole street.

    .venv/bin/python -m tests.bench.street [--seed 1] [--postgres URL]

A generated street, the same for a seed: 600 buildings, 60,000 members, 1.98 million ledger
lines over 20 weeks, a patrol in every building every other day, reports and thanks. It is
made once and kept under ~/.cache/louzu-bench, keyed by seed and schema (an SQLite file; on
PostgreSQL a database of that name), so a second run starts at once.

Each job runs as ``louzu jobs run`` runs it, in a process of its own (whose peak memory is the
job's), timed whole, with how long it held the write transaction. Then #我的积分 and #排行,
in-process, for members picked at random: their p50 and p99. Each figure is printed beside
its target (issue 17).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import os
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.bench.cache import CACHE, made_once

BUILDINGS, MEMBERS, LEDGER_LINES, WEEKS = 600, 60_000, 1_980_000, 20
TZ = ZoneInfo("Asia/Shanghai")
FIRST_DAY = date(2026, 7, 13)  # a Monday; the street's 20 weeks end on Sunday 29 November 2026
MONDAY_RANKING = datetime(2026, 11, 30, 9, 0, tzinfo=TZ)  # last week: 23–29 November
HONOUR_DAY = datetime(2026, 12, 1, 10, 0, tzinfo=TZ)  # last month: November
TARGETS = {"weekly_ranking": 1.0, "honour_list": 2.0, "memory_mb": 150, "lock_ms": 100, "points_p99_ms": 5}
ACTIVITIES = (("捡垃圾", 2), ("清理楼道", 5), ("志愿服务", 10), ("点赞", 1))


def schema_head() -> str:
    from alembic.script import ScriptDirectory

    from storage.db import MIGRATIONS, alembic_config
    config = alembic_config("sqlite://")
    config.set_main_option("script_location", str(MIGRATIONS))
    head = "-".join(sorted(ScriptDirectory.from_config(config).get_heads()))
    # The migrations' text as well as the head's name: two branches' 0013 are different schemas.
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in sorted(Path(MIGRATIONS, "versions").glob("*.py"))))
    return f"{head}-{digest.hexdigest()[:8]}"


def moment(day: date, seconds: int) -> datetime:
    """A moment of a local day, in UTC, as the database keeps it."""
    return (datetime(day.year, day.month, day.day, tzinfo=TZ) + timedelta(seconds=seconds)).astimezone(timezone.utc)


def rows(seed: int):
    """The street's rows, table by table: (table, columns, iterable of tuples)."""
    rng = random.Random(seed)
    bound = moment(FIRST_DAY, 8 * 3600)
    days = [FIRST_DAY + timedelta(days=n) for n in range(WEEKS * 7)]
    yield "buildings", ("id", "name", "created_at"), [(b, f"{b}号楼", bound) for b in range(1, BUILDINGS + 1)]
    yield "groups", ("room_id", "topic", "building_id", "bound_at", "bound_by"), [
        (f"room{b}@chatroom", f"{b}号楼群", b, bound, "admin") for b in range(1, BUILDINGS + 1)]
    per_building = MEMBERS // BUILDINGS
    building_of = {m: (m - 1) // per_building + 1 for m in range(1, MEMBERS + 1)}
    yield "members", ("id", "wechat_id", "display_name", "building_id", "created_at"), [
        (m, f"wxid_{m}", f"居民{m}", building_of[m], bound) for m in range(1, MEMBERS + 1)]
    cleaners = {b: (b - 1) * per_building + 1 for b in range(1, BUILDINGS + 1)}  # each building's first member
    yield "role_grants", ("member_id", "building_id", "role", "granted_by", "granted_at"), [
        (m, b, "cleaner", "admin", bound) for b, m in cleaners.items()]
    yield "patrols", ("member_id", "building_id", "note", "created_at"), [
        (cleaners[b] + 1, b, "正常", moment(day, 8 * 3600 + rng.randrange(3600)))
        for b in range(1, BUILDINGS + 1) for day in days[b % 2::2]]
    yield "reports", ("building_id", "reporter_id", "category", "description", "status", "created_at", "updated_at",
                      "resolved_at"), [
        (b, cleaners[b] + 2, "楼道堆物", "楼道堆了纸箱", "resolved", at, at, at + timedelta(hours=rng.choice((5, 30, 60))))
        for b in range(1, BUILDINGS + 1) for week in range(WEEKS)
        for at in [moment(days[week * 7 + rng.randrange(7)], 9 * 3600 + rng.randrange(36000))]]
    thanks = []
    for b, cleaner in cleaners.items():
        for week in range(WEEKS):
            for _ in range(rng.randrange(4)):
                giver = cleaner + 3 + rng.randrange(per_building - 3)
                thanks.append((giver, cleaner, b, "楼道扫得真干净",
                               moment(days[week * 7 + rng.randrange(7)], 9 * 3600 + rng.randrange(36000))))
    yield "thanks", ("giver_id", "receiver_id", "building_id", "reason", "created_at"), thanks

    def ledger():
        per_day = LEDGER_LINES // len(days)
        for day in days:
            for _ in range(per_day):
                member = rng.randrange(1, MEMBERS + 1)
                name, points = ACTIVITIES[rng.randrange(len(ACTIVITIES))]
                yield (member, building_of[member], points, "claim", name, None, "claim", None, None,
                       moment(day, 7 * 3600 + rng.randrange(14 * 3600)))
    yield "ledger_entries", ("member_id", "building_id", "amount", "kind", "reason", "author_id", "ref_type", "ref_id",
                             "message_id", "created_at"), ledger()


def sqlite_street(seed: int) -> str:
    """The street in an SQLite file, made if missing; its URL."""
    def make(partial: Path) -> None:
        from storage.db import upgrade_database
        asyncio.run(upgrade_database(f"sqlite+aiosqlite:///{partial}"))
        with contextlib.closing(sqlite3.connect(partial)) as db:
            for table, columns, values in rows(seed):
                values = ((v.strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(v, datetime) else v for v in row)
                          for row in values)
                db.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                               (tuple(row) for row in values))
            db.commit()  # no ANALYZE: the bot never runs one, so the plans measured are the ones it gets

    path = made_once(CACHE / f"street-{seed}-{schema_head()}.sqlite", make)
    return f"sqlite+aiosqlite:///{path}"


def postgres_street(seed: int, server: str) -> str:
    """The street in a PostgreSQL database on ``server`` (a URL of any database there), made if missing; its URL."""
    import psycopg
    from sqlalchemy.engine import make_url

    from storage.db import upgrade_database

    name = f"louzu_street_{seed}_{schema_head()}".replace("-", "_")
    base = make_url(server.replace("postgresql+asyncpg://", "postgresql://"))
    admin = base.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as db:
        exists = db.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        complete = exists and name in _complete(db)
        if not complete:
            db.execute(f'DROP DATABASE IF EXISTS "{name}"')
            db.execute(f'CREATE DATABASE "{name}"')
    url = base.set(drivername="postgresql", database=name).render_as_string(hide_password=False)
    if not complete:
        asyncio.run(upgrade_database(url.replace("postgresql://", "postgresql+asyncpg://", 1)))
        started = time.perf_counter()
        with psycopg.connect(url) as db:
            for table, columns, values in rows(seed):
                with db.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in values:
                        copy.write_row(row)
            for table in ("buildings", "members", "reports", "patrols", "thanks", "role_grants", "ledger_entries"):
                db.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            db.execute(f"COMMENT ON DATABASE \"{name}\" IS 'louzu bench street: complete'")
            db.commit()
        with psycopg.connect(url, autocommit=True) as db:
            db.execute("VACUUM ANALYZE")
        print(f"  (made database {name} in {time.perf_counter() - started:.0f} s)", flush=True)
    return url.replace("postgresql://", "postgresql+asyncpg://", 1)


def _complete(db) -> set[str]:
    return {name for name, in db.execute(
        "SELECT datname FROM pg_database d JOIN pg_shdescription s ON s.objoid = d.oid "
        "WHERE s.description = 'louzu bench street: complete'")}


# One job, in a process of its own ------------------------------------------------------------

async def _one_job(url: str, job: str, at: str, data_dir: str) -> dict:
    """Run ``job`` as ``louzu jobs run`` does; seconds in all and the longest write transaction."""
    from sqlalchemy import text
    from sqlalchemy.orm import configure_mappers

    from bot.cli.jobs import standalone_runner
    from bot.core.settings import Settings
    from storage.db import make_engine

    settings = Settings(database_url=url, data_dir=Path(data_dir), committee_room="committee@chatroom",
                        community_name="幸福里社区")
    engine = make_engine(url)
    # What a running bot has done long before its Monday morning: the models' mappings set up, a
    # connection open. (``louzu jobs run`` does them too, before the job: about 0.2 s.)
    configure_mappers()
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
    now = datetime.fromisoformat(at)
    runner = standalone_runner(settings, engine, lambda: now)
    held: list[float] = []
    writing = runner.transaction

    @contextlib.asynccontextmanager
    async def timed():
        started = time.perf_counter()
        try:
            async with writing() as session:
                yield session
        finally:
            held.append(time.perf_counter() - started)

    runner.transaction = timed
    started = time.perf_counter()
    result = await runner.run_now(job, again=True)
    seconds = time.perf_counter() - started
    await engine.dispose()
    return {"seconds": seconds, "lock": max(held, default=0.0), "kept": result.kept, "failed": result.failed,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def run_job(url: str, job: str, at: datetime) -> dict:
    with tempfile.TemporaryDirectory(prefix="louzu-street-") as folder:
        out = subprocess.run([sys.executable, "-m", "tests.bench.street", "--job", job, "--url", url,
                              "--at", at.isoformat(), "--data", folder], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


# #我的积分 and #排行, in-process -------------------------------------------------------------------

async def reads(url: str, seed: int, asks: int = 300) -> dict[str, list[float]]:
    from bot.core.settings import Settings
    from storage import queries
    from storage.db import make_engine, make_sessionmaker
    from storage.models import Building, Member
    from storage.ratings import star_rating

    settings = Settings(database_url=url)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    rng = random.Random(seed + 1)
    now = datetime(2026, 11, 27, 10, 0, tzinfo=TZ)  # a Friday of the street's last week
    week = queries.week_bounds(now, TZ)
    month = queries.month_bounds(now, TZ)
    times: dict[str, list[float]] = {"#我的积分": [], "#排行": []}
    for n in range(asks + 20):
        member_id = rng.randrange(1, MEMBERS + 1)
        async with sessions() as session:
            member = await session.get(Member, member_id)
            building = await session.get(Building, member.building_id)
            started = time.perf_counter()
            await queries.points_summary(session, member, building, week, month)
            points = time.perf_counter() - started
            started = time.perf_counter()
            await queries.building_rankings(session, *week, 10, [building.id])
            await star_rating(session, building, *week, settings)
            ranking = time.perf_counter() - started
        if n >= 20:  # the first ones warm the caches
            times["#我的积分"].append(points)
            times["#排行"].append(ranking)
    await engine.dispose()
    return times


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98]


def measure(name: str, url: str, seed: int) -> list[str]:
    lines = []
    for job, at in (("weekly_ranking", MONDAY_RANKING), ("honour_list", HONOUR_DAY)):
        result = run_job(url, job, at)
        assert not result["failed"], f"{job} failed on {name}"
        lines.append(f"| {name} | `{job}` | {result['seconds']:.2f} s (< {TARGETS[job]:g} s) | "
                     f"{result['lock'] * 1000:.0f} ms (< {TARGETS['lock_ms']} ms) | "
                     f"{result['peak_mb']:.0f} MB (< {TARGETS['memory_mb']} MB) | {result['kept']} posts |")
        print(lines[-1], flush=True)
    times = asyncio.run(reads(url, seed))
    for what, values in times.items():
        lines.append(f"| {name} | `{what}` | p50 {statistics.median(values) * 1000:.2f} ms, "
                     f"p99 {p99(values) * 1000:.2f} ms (< {TARGETS['points_p99_ms']} ms) | | | |")
        print(lines[-1], flush=True)
    return lines


def run(seed: int, postgres: str | None) -> None:
    print("street: 600 buildings, 60,000 members, 1.98 million ledger lines over 20 weeks", flush=True)
    print("| database | what | time | write lock held | peak memory | |", flush=True)
    print("|---|---|---|---|---|---|", flush=True)
    measure("SQLite", sqlite_street(seed), seed)
    if postgres:
        measure("PostgreSQL", postgres_street(seed, postgres), seed)
    else:
        print("(PostgreSQL: give --postgres URL or set LOUZU_TEST_POSTGRES_URL)", flush=True)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=int, default=1, help="street: the generated street's seed (default 1)")
    parser.add_argument("--postgres", default=os.environ.get("LOUZU_TEST_POSTGRES_URL", ""),
                        help="street: a PostgreSQL server's URL (default: LOUZU_TEST_POSTGRES_URL)")


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.street", description=__doc__.splitlines()[0])
    add_arguments(parser)
    parser.add_argument("--job", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--at", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.job:
        print(json.dumps(asyncio.run(_one_job(args.url, args.job, args.at, args.data))))
        return 0
    run(args.seed, args.postgres or None)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
