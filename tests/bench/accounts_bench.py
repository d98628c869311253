"""Benchmark (not a test): a paced broadcast to N groups through 1 account vs 3 accounts (one bot each, one PostgreSQL).

    .venv/bin/python -m tests.bench.accounts_bench [--database-url postgresql://…] [--groups 150] [--scale 50]

Each account is a whole bot (bot/app.py) on a slow in-memory transport (every send takes
``--latency`` seconds), logged in to its share of the groups (group n to account n mod k;
every tenth group also to the next account, as a group holding two accounts). An
administrator's ``#通知 全部`` keeps one post per group; then every account's outbox drains
at once, each paced on its own (LOUZU_PACE_SECONDS 1.5–3 s, divided by ``--scale``).
Prints the time for 1 and for 3 accounts, the posts each account sent, that each group got
the post once, and the ratio (ideally 3).

Then plain chat (not a command) in a group both of two accounts are in, one message after
another through the answering account's App.on_message: messages per second and SQL
statements per message, with several accounts (by_account) against one bot alone on the same
database; the ratio says what deciding "which account answers here" costs (ideally 1).

Needs PostgreSQL (several processes share one); the database given is emptied first
(default: LOUZU_TEST_POSTGRES_URL).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import event, text

from bot.app import App
from bot.core.settings import Settings, normalise_database_url
from tests.bench.outbox_bench import SlowTransport, prepare


def shares(groups: int, accounts: int) -> list[list[str]]:
    """The groups each account is in: n mod k, and every tenth also in the next account."""
    rooms: list[list[str]] = [[] for _ in range(accounts)]
    for n in range(1, groups + 1):
        rooms[n % accounts].append(f"{n}号楼群")
        if accounts > 1 and n % 10 == 0:
            rooms[(n + 1) % accounts].append(f"{n}号楼群")
    return rooms


async def broadcast(url: str, groups: int, accounts: int, args) -> tuple[float, list[int], Counter]:
    """Seconds for the broadcast to drain through ``accounts`` accounts; posts per account; posts per group."""
    folder = Path(tempfile.mkdtemp(prefix="louzu-bench-accounts-"))
    apps = []
    for k in range(accounts):
        settings = Settings(data_dir=folder / str(k), database_url=url, admin_ids=frozenset({"王主任"}),
                            pace_seconds=(1.5 / args.scale, 3.0 / args.scale), quiet_hours=None,
                            commands_per_minute=10_000)
        transport = SlowTransport(settings.bot_name, args.latency, admins=settings.admin_ids)
        apps.append(App(settings, transport, by_account=True))
    first = apps[0]
    await empty_schema(first)
    try:
        for app in apps:
            await app.start()
            await app.transport.run(app)
        await prepare(first, groups)
        for k, (app, rooms) in enumerate(zip(apps, shares(groups, accounts))):
            await app.on_login(f"account-{k}", rooms)
        there = apps[1 % accounts]  # the account in group 1 (the one that answers there)
        await there.on_message(there.transport.parse("[1号楼群] 王主任: #通知 全部 本周六上午9点小区消防演练"))
        began = time.perf_counter()
        await asyncio.gather(*(app.outbox.drain() for app in apps))
        seconds = time.perf_counter() - began
    finally:
        for app in apps:
            await app.close()
    posts = [[r.room_id for r in app.transport.sent if r.text.startswith("【通知】")] for app in apps]
    return seconds, [len(p) for p in posts], Counter(room for p in posts for room in p)


CHAT_RESIDENTS = 64


async def empty_schema(app: App) -> None:
    async with app.engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))


async def chat(url: str, messages: int, by_account: bool) -> tuple[float, float, float]:
    """Plain chat through account-0's App (account-1 in the same group): messages per second, SQL
    statements per message, and how many of them read or write the accounts' presence."""
    folder = Path(tempfile.mkdtemp(prefix="louzu-bench-chat-"))
    apps = []
    for k in range(2):
        settings = Settings(data_dir=folder / str(k), database_url=url, admin_ids=frozenset({"王主任"}),
                            commands_per_minute=10_000)
        apps.append(App(settings, SlowTransport(settings.bot_name, 0.0, admins=settings.admin_ids),
                        by_account=by_account))
    first = apps[0]
    await empty_schema(first)
    statements: list[str] = []
    try:
        for k, app in enumerate(apps):
            await app.start()
            await app.transport.run(app)
            await app.on_login(f"account-{k}", ["1号楼群"])
        await prepare(first, 1)

        async def say(line: str) -> None:
            await first.on_message(first.transport.parse(line))

        for n in range(CHAT_RESIDENTS):  # each resident once before measuring
            await say(f"[1号楼群] 居民{n:02d}: 大家好")
        event.listen(first.engine.sync_engine, "before_cursor_execute",
                     lambda conn, cursor, sql, *rest: statements.append(sql))
        began = time.perf_counter()
        for n in range(messages):
            await say(f"[1号楼群] 居民{n % CHAT_RESIDENTS:02d}: 今天谁去买菜？")
        seconds = time.perf_counter() - began
    finally:
        for app in apps:
            await app.close()
    presence = [sql for sql in statements if "account_rooms" in sql or "bot_accounts" in sql]
    return messages / seconds, len(statements) / messages, len(presence) / messages


async def run(args) -> float:
    url = normalise_database_url(args.database_url or os.environ.get("LOUZU_TEST_POSTGRES_URL", ""))
    if not url.startswith("postgresql"):
        print("accounts benchmark: needs PostgreSQL (--database-url or LOUZU_TEST_POSTGRES_URL); not run")
        return 0.0
    low, high = 1.5 / args.scale, 3.0 / args.scale
    print(f"louzu several-accounts benchmark: #通知 全部 to {args.groups} groups, pacing {low * 1000:.0f}–"
          f"{high * 1000:.0f} ms per account (scale {args.scale:g}), send latency {args.latency * 1000:.0f} ms")
    times = {}
    for accounts in (1, 3):
        seconds, per_account, per_group = await broadcast(url, args.groups, accounts, args)
        once = len(per_group) == args.groups and set(per_group.values()) == {1}
        times[accounts] = seconds
        print(f"  {accounts} account(s): {seconds:6.2f} s  posts per account {per_account}  "
              f"every group once: {'yes' if once else 'NO'}")
    ratio = times[1] / times[3]
    print(f"  1 account / 3 accounts: {ratio:.2f}× faster (ideally 3; at real pacing 1.5–3 s, "
          f"{args.groups} groups take ~{args.groups * 2.25 / 60:.0f} min on one account)")
    print(f"  plain chat in a shared group, {args.chat_messages} messages one after another:")
    rates = {}
    for by_account, label in ((False, "one bot alone"), (True, "several accounts")):
        rate, per_message, presence = await chat(url, args.chat_messages, by_account)
        rates[by_account] = rate
        print(f"    {label:<16} {rate:7.0f} messages/s  {per_message:5.1f} statements per message, "
              f"{presence:4.1f} of them on the accounts' presence")
    print(f"    several accounts / one bot alone: {rates[True] / rates[False]:.2f} of the speed (ideally 1)")
    return ratio


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--groups", type=int, default=150, help="accounts: groups in the broadcast (default 150)")
    parser.add_argument("--chat-messages", type=int, default=1000,
                        help="accounts: plain chat messages measured (default 1000)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="", help="a scratch PostgreSQL database, emptied first")
    parser.add_argument("--scale", type=float, default=50.0, help="speed-up of pacing (default 50)")
    parser.add_argument("--latency", type=float, default=0.005, help="seconds each send takes (default 0.005)")
    add_arguments(parser)
    asyncio.run(run(parser.parse_args(argv)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
