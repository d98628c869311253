"""Two WeChat accounts, two gateways, one PostgreSQL database: a broadcast reaches every group once,
each post through an account that is in its group.

Account A (gateway A) is in groups 1 and 3, account B (gateway B) in groups 2 and 3: each
gateway is a WeChat world of its own, and group 3 stands in both. A `louzu run` process per
account shares the database (the PostgreSQL half's, LOUZU_TEST_POSTGRES_URL). A gateway
refuses a post to a group its account is not in, so a post sent through the wrong account
would fail (and be retried) instead of arriving.
"""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from sqlalchemy import text

from bot.cli.doctor import BAD, OK, checks
from bot.core.settings import Settings
from storage.db import make_engine
from tests.e2e.conftest import start_louzu, stop_louzu
from tests.e2e.harness import WechatyHarness
from tests.e2e.world import ADMIN, ZHANG, said_to

R1, R2, R3 = "r1@chatroom", "r2@chatroom", "r3@chatroom"
CONTACTS = [{"id": ADMIN, "name": "王主任"}, {"id": ZHANG, "name": "张三"}]
GROUPS = {R1: "1号楼", R2: "2号楼", R3: "3号楼"}


def world(bot_id: str, rooms: list[str]) -> dict:
    return {"bot": {"id": bot_id, "name": "楼组小助手"}, "contacts": CONTACTS,
            "rooms": [{"id": room, "topic": GROUPS[room], "memberIdList": [ADMIN, ZHANG]} for room in rooms]}


ACCOUNTS = {"bot-a": [R1, R3], "bot-b": [R2, R3]}
BEATS = {"LOUZU_HEARTBEAT_SECONDS": "1"}  # an account silent for 3 beats (3 s) is taken as gone
SILENT = 3.0


async def rows(url: str, sql: str) -> list[tuple]:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            return [tuple(row) for row in await conn.execute(text(sql))]
    finally:
        await engine.dispose()


async def all_sent(url: str, but: int = 0, timeout: float = 30.0) -> None:
    """Wait until the outbox has nothing (``but`` posts) left to send (rows no event announces)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while await rows(url, "SELECT COUNT(*) FROM outbox_messages WHERE status <> 'sent'") != [(but,)]:
        assert asyncio.get_running_loop().time() < deadline, await rows(url, "SELECT * FROM outbox_messages")
        await asyncio.sleep(0.1)


async def ask(harness: WechatyHarness, room: str, line: str) -> str:
    await harness.say(ADMIN, room, line)
    reply = await harness.next_message(timeout=20)
    assert reply["room"] == room, reply
    return said_to(reply, "王主任", ADMIN)


@pytest.fixture
async def gateways():
    started: list[WechatyHarness] = []
    try:
        for account, rooms in ACCOUNTS.items():
            harness = WechatyHarness()
            started.append(harness)
            await harness.start(world(account, rooms))
        yield dict(zip(ACCOUNTS, started))
    finally:
        for harness in started:
            await harness.stop()


async def test_a_broadcast_over_two_accounts_reaches_every_group_once_through_an_account_in_it(
        gateways, postgres_database_url, tmp_path):
    """And when account A's bot stops: group 3's posts go through B, group 1's wait (louzu doctor says so)
    until A is back."""
    url = postgres_database_url
    bots = []
    try:
        # One after the other: the first one to start upgrades the schema and owns the scheduler.
        for account, harness in gateways.items():
            bot = await start_louzu(harness, tmp_path / account, DATABASE_URL=url, **BEATS)
            bots.append(bot)
            await harness.wait_connected(timeout=30)
            await bot.wait_log(rf"account {account} is in 2 group\(s\)", timeout=30)
        a, b = gateways["bot-a"], gateways["bot-b"]

        assert "已绑定" in await ask(a, R1, "#绑定 1号楼")
        assert "已绑定" in await ask(b, R2, "#绑定 2号楼")
        assert "已绑定" in await ask(a, R3, "#绑定 3号楼")
        assert (await ask(a, R1, "#通知 全部 周六上午9点大扫除")).startswith("通知已排队发往 3 个楼组群")

        await all_sent(url)
        await asyncio.sleep(0.5)  # had anything gone twice, it would have arrived by now
        got = {account: [m["room"] for m in harness.drain() if "大扫除" in (m.get("text") or "")]
               for account, harness in gateways.items()}
        for account, rooms in got.items():
            assert set(rooms) <= set(ACCOUNTS[account]), (account, rooms)  # only through an account in the group
        assert Counter(got["bot-a"] + got["bot-b"]) == {R1: 1, R2: 1, R3: 1}, got
        sent = await rows(url, "SELECT room_id, status, attempts, sender FROM outbox_messages ORDER BY room_id")
        assert [row[:3] for row in sent] == [(R1, "sent", 1), (R2, "sent", 1), (R3, "sent", 1)]
        assert {row[0]: row[3] for row in sent} == {R1: "bot-a", R2: "bot-b", R3: "bot-a" if R3 in got["bot-a"]
                                                    else "bot-b"}

        await stop_louzu(bots.pop(0))  # account A's bot stops
        await asyncio.sleep(SILENT + 0.5)
        assert (await ask(b, R2, "#通知 全部 周日上午停水")).startswith("通知已排队发往 3 个楼组群")
        await all_sent(url, but=1)
        await asyncio.sleep(0.5)
        assert sorted(m["room"] for m in b.drain()) == [R2, R3]  # the shared group through B
        assert await rows(url, "SELECT room_id FROM outbox_messages WHERE status <> 'sent'") == [(R1,)]
        settings = Settings.from_mapping({"DATABASE_URL": url, "LOUZU_DATA_DIR": str(tmp_path / "doctor"), **BEATS})
        found = await checks(settings)
        assert [(c.mark, c.result) for c in found.checks if c.what == "微信账号"] == [
            (OK, "1 个账号在线，共在 2 个群里"),
            (BAD, "账号 楼组小助手（bot-a）已 1 分钟没有心跳，它所在的 1 个群的消息在等待（1 条）")]

        bots.insert(0, await start_louzu(a, tmp_path / "bot-a", DATABASE_URL=url, **BEATS))  # A is back
        await all_sent(url)
        await asyncio.sleep(0.5)
        assert [(m["room"], "停水" in m["text"]) for m in a.drain()] == [(R1, True)]
        assert b.drain() == []
    finally:
        for bot in bots:
            await stop_louzu(bot)
