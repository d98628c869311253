"""Benchmark (not a test): each page of the committee's web desk on a street-sized database.

    .venv/bin/python -m tests.bench.web_bench [--web-buildings 600] [--web-ledger 2000000] [--web-repeat 5]

The database is made once, seeded (the same figures every time), and kept under
~/.cache/louzu-bench/ for the next run: 600 buildings each with its group, leader and
30 members, 2 million ledger lines over the last year, 20,000 reports (some overdue, a
photo on some), pending claims and held redemptions. The desk is driven in-process
(httpx against the ASGI app, as a signed-in staff member), each page requested
``--web-repeat`` times after one warm-up; the median and the slowest are printed beside the
300 ms each page should stay under. The downloads are timed once each, without a target.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import create_engine, insert

from bot.core.settings import Settings
from storage.db import make_engine, make_sessionmaker, upgrade, upgrade_database
from storage.models import (Activity, Building, Claim, Gift, Group, LedgerEntry, Member, Redemption, Report,
                            ReportEvent, Resident, RoleGrant)
from storage.staff.accounts import add_user
from tests.bench.cache import CACHE, made_once

TARGET_MS = 300
NOW = datetime(2026, 11, 25, 2, 0, tzinfo=timezone.utc)  # a Wednesday, 10:00 in Shanghai
MEMBERS_PER_BUILDING = 30
REPORTS = 20_000
KINDS = (("claim", 10), ("award", 5), ("thanks", 1), ("patrol", 2), ("report_bonus", 3), ("redemption", -10))
PASSWORD = "bench password 1"


def database(buildings: int, ledger: int, seed: int = 16) -> Path:
    """The seeded database (made now when not in the cache yet)."""
    def make(partial: Path) -> None:
        asyncio.run(_migrate(partial))
        _fill(partial, buildings, ledger, random.Random(seed))

    return made_once(CACHE / f"web-{buildings}b-{ledger}l-s{seed}.db", make)


async def _migrate(path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    try:
        await upgrade(engine)
        async with make_sessionmaker(engine)() as session, session.begin():
            await add_user(session, "王主任", PASSWORD, NOW)
    finally:
        await engine.dispose()


def _fill(path: Path, buildings: int, ledger: int, rng: random.Random) -> None:
    engine = create_engine(f"sqlite:///{path}")
    year_ago = NOW - timedelta(days=365)

    def when(days: float = 365) -> datetime:
        return NOW - timedelta(seconds=rng.random() * days * 86400)

    with engine.begin() as db:
        db.exec_driver_sql("PRAGMA journal_mode=OFF")
        db.execute(insert(Building.__table__), [{"id": b, "name": f"{b}号楼", "created_at": year_ago}
                                                  for b in range(1, buildings + 1)])
        db.execute(insert(Group.__table__), [{"room_id": f"room{b}@chatroom", "topic": f"{b}号楼群", "building_id": b,
                                              "bound_at": year_ago, "bound_by": "王主任"} for b in range(1, buildings + 1)])
        members = buildings * MEMBERS_PER_BUILDING
        building_of = {m: (m - 1) // MEMBERS_PER_BUILDING + 1 for m in range(1, members + 1)}
        db.execute(insert(Member.__table__), [{"id": m, "wechat_id": f"wxid_{m:06d}", "display_name": f"居民{m}",
                                               "building_id": building_of[m], "created_at": year_ago}
                                              for m in range(1, members + 1)])
        db.execute(insert(Resident.__table__), [{"building_id": building_of[m], "door": f"{m % 30 + 1:02d}{m % 7 + 1:02d}",
                                                 "name": f"居民{m}", "member_id": m, "roles": "", "created_at": year_ago,
                                                 "linked_at": year_ago} for m in range(1, members + 1)])
        leaders = {b: (b - 1) * MEMBERS_PER_BUILDING + 1 for b in range(1, buildings + 1)}
        db.execute(insert(RoleGrant.__table__), [{"member_id": m, "building_id": b, "role": "leader", "granted_by": "王主任",
                                                  "granted_at": year_ago} for b, m in leaders.items()])
        db.execute(insert(Activity.__table__).prefix_with("OR IGNORE"), [
            {"id": 1, "name": "志愿服务", "points": 10, "unit": "小时", "auto_approve": False, "daily_cap": None,
             "max_quantity": 8, "active": True}])
        db.execute(insert(Gift.__table__).prefix_with("OR IGNORE"), [{"id": 1, "name": "抽纸", "cost": 10, "stock": 50,
                                                                      "active": True}])
        step = 100_000
        for first in range(0, ledger, step):
            rows = []
            for _ in range(min(step, ledger - first)):
                member = rng.randint(1, members)
                kind, amount = rng.choice(KINDS)
                rows.append({"member_id": member, "building_id": building_of[member], "amount": amount, "kind": kind,
                             "reason": kind, "author_id": None, "created_at": when()})
            db.execute(insert(LedgerEntry.__table__), rows)
        reports, events = [], []
        for number in range(1, REPORTS + 1):
            member = rng.randint(1, members)
            opened = when(120)
            status = rng.choice(("open", "assigned", "resolved", "closed", "closed", "closed"))
            reports.append({"id": number, "building_id": building_of[member], "reporter_id": member,
                            "category": rng.choice(("楼道堆物", "乱停车", "垃圾", "卫生")), "description": f"第 {number} 条报修",
                            "status": status, "room_id": f"room{building_of[member]}@chatroom", "created_at": opened,
                            "updated_at": opened, "resolved_at": opened + timedelta(hours=20) if status in ("resolved", "closed") else None})
            events.append({"report_id": number, "action": "opened", "status": "open", "actor_id": member, "note": "",
                           "created_at": opened})
        db.execute(insert(Report.__table__), reports)
        db.execute(insert(ReportEvent.__table__), events)
        db.execute(insert(Claim.__table__), [{"member_id": m, "building_id": building_of[m], "activity_id": 1, "quantity": 2,
                                              "points": 20, "status": "pending", "note": "", "created_at": when(3),
                                              "decision_reason": ""} for m in rng.sample(range(1, members + 1), 500)])
        db.execute(insert(Redemption.__table__), [{"member_id": m, "building_id": building_of[m], "gift_id": 1, "cost": 10,
                                                   "status": "held", "created_at": when(10)}
                                                  for m in rng.sample(range(1, members + 1), 300)])
    engine.dispose()


def pages(buildings: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The pages staff open, and the downloads, on a database of ``buildings`` buildings."""
    member, building = buildings * MEMBERS_PER_BUILDING // 2 + 2, buildings // 2 + 1
    shown = ("/", "/reports", "/reports?status=overdue", f"/reports?building={building}&status=open", "/reports/1234",
             "/people?q=1201", f"/people?q=居民{member}", f"/people/{member}", "/buildings", "/buildings?stars=low",
             f"/buildings/{building}", "/ledger", "/claims?status=pending", "/redemptions?status=held", "/roster",
             "/posts")
    downloads = (f"/reports/export?building={building}&format=xlsx", "/reports/export?status=overdue&format=csv",
                 "/posts/honour.png?month=2026-10")
    return shown, downloads


async def measure(path: Path, buildings: int, repeat: int, downloads: bool) -> list[tuple[str, float, float, bool]]:
    import httpx

    from bot.web import make_app

    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(data_dir=Path(folder), database_url=f"sqlite+aiosqlite:///{path}")
        app = make_app(settings, clock=lambda: NOW, upgrade_schema=False)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://desk") as client:
            page = await client.get("/login")
            csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
            signed = await client.post("/login", data={"name": "王主任", "password": PASSWORD, "csrf": csrf, "next": "/"})
            assert signed.status_code == 303, signed.text[:300]
            found = []
            shown, files = pages(buildings)
            for url in shown + (files if downloads else ()):
                times = []
                # A download is slow by nature and changes nothing: timed once, without a warm-up.
                warm_up = url in shown
                for attempt in range(repeat + 1 if warm_up else 1):
                    started = time.perf_counter()
                    response = await client.get(url)
                    elapsed = (time.perf_counter() - started) * 1000
                    assert response.status_code == 200, f"{url}: {response.status_code}"
                    if attempt or not warm_up:
                        times.append(elapsed)
                found.append((url, statistics.median(times), max(times), url in shown))
                print(f"  {url:<44} {statistics.median(times):8.0f} ms", flush=True)
        await app.state.desk.engine.dispose()
    return found


def table(rows: list[tuple[str, float, float, bool]], buildings: int, ledger: int) -> str:
    lines = [f"web desk at {buildings} buildings, {ledger:,} ledger lines (SQLite; median and slowest of each page)",
             f"  {'page':<44} {'median':>8} {'slowest':>8}  target"]
    for url, median, slowest, is_page in rows:
        verdict = (f"{TARGET_MS} ms " + ("ok" if slowest <= TARGET_MS else "OVER")) if is_page else "(download)"
        lines.append(f"  {url:<44} {median:6.0f} ms {slowest:6.0f} ms  {verdict}")
    over = [url for url, _, slowest, is_page in rows if is_page and slowest > TARGET_MS]
    lines.append(f"  {len(over)} of {sum(1 for r in rows if r[3])} pages over {TARGET_MS} ms" + (f": {', '.join(over)}" if over else ""))
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--web-buildings", type=int, default=600, help="web: buildings (default 600)")
    parser.add_argument("--web-ledger", type=int, default=2_000_000, help="web: ledger lines (default 2,000,000)")
    parser.add_argument("--web-repeat", type=int, default=5, help="web: timed requests per page (default 5)")
    parser.add_argument("--web-no-downloads", action="store_true", help="web: time the pages only")


def run(args) -> None:
    path = database(args.web_buildings, args.web_ledger)
    asyncio.run(upgrade_database(f"sqlite+aiosqlite:///{path}"))  # one cached before the newest migration gets it
    rows = asyncio.run(measure(path, args.web_buildings, args.web_repeat, not args.web_no_downloads))
    print(table(rows, args.web_buildings, args.web_ledger), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    run(parser.parse_args())


if __name__ == "__main__":
    main()
