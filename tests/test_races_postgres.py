"""Two messages at once on PostgreSQL: the row locks keep each rule (SQLite takes one writer at a time).

Two bot processes share the database (the chat fixture's App and a second App on its own engine).
Both messages are let into their handlers together: each waits, inside its transaction, until
the other has arrived too, so that the two really are in flight at once. Then one takes the
row lock and the other waits for its commit; without the lock (ledger.lock_member, or the call
to it in the handler, taken away) both read the same state and both pass, and each test fails.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Awaitable, Callable

import pytest
from sqlalchemy import select, text

from bot.app import App
from bot.transport.memory import MemoryTransport
from storage.db import make_engine
from storage.models import ChainSignup, Claim, Gift, LedgerEntry, Redemption, Thanks


@pytest.fixture
async def database_url(postgres_database_url) -> str:
    """PostgreSQL only: there the row locks are real (and the chat fixture's bot uses it too)."""
    return postgres_database_url


class Together:
    """Lets ``parties`` coroutines on only when all of them have arrived (asyncio.Barrier is 3.11+).

    One person's own messages take turns (the dispatcher's per-person advisory lock on PostgreSQL),
    so those never meet: the first goes on alone as soon as the database shows the other waiting
    for that lock (``waiting``), and ``met`` stays False. No clock decides either way.
    """

    def __init__(self, waiting: Callable[[], Awaitable[bool]], parties: int = 2) -> None:
        self.parties = parties
        self.arrived = 0
        self.everyone = asyncio.Event()
        self.waiting = waiting
        self.went_alone = False

    async def arrive(self) -> None:
        """Wait for the others, or go on alone once another message waits for the per-person lock."""
        self.arrived += 1
        if self.arrived == self.parties:
            self.everyone.set()
        for _ in range(3000):  # looks again every 20 ms; a minute of neither is a hang, not an answer
            if self.everyone.is_set():
                return
            if await self.waiting():
                self.went_alone = True
                return
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.everyone.wait(), 0.02)
        raise AssertionError("neither did the other message arrive nor did it wait for the per-person lock")

    @property
    def met(self) -> bool:
        """Whether the two transactions were open at the same time."""
        return self.everyone.is_set() and not self.went_alone


async def someone_waits_for_a_person(engine) -> bool:
    """Whether a transaction waits for a per-person lock (queries.one_at_a_time's advisory lock)."""
    async with engine.connect() as connection:
        return bool(await connection.scalar(text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")))


def meet_before_the_handler(app: App, together: Together) -> None:
    """The message's transaction has begun and knows who is who; it waits for the other one there."""
    context = app.dispatcher._context

    async def met(*args, **kwargs):
        ctx = await context(*args, **kwargs)
        if ctx.keyword:  # a command (not a picture)
            await together.arrive()
        return ctx

    app.dispatcher._context = met


@contextlib.asynccontextmanager
async def two_bots(chat, settings):
    """The chat fixture's bot and a second process's, on the same database, met before each handler."""
    engine = make_engine(settings.database_url)
    transport = MemoryTransport(settings.bot_name, admins=settings.admin_ids, clock=chat.app.clock)
    second = App(settings, transport, clock=chat.app.clock, engine=engine)
    try:
        await second.on_message(transport.parse("[12号楼群] 老周: #礼品"))  # connected before the race
        together = Together(lambda: someone_waits_for_a_person(engine))
        meet_before_the_handler(chat.app, together)
        meet_before_the_handler(second, together)
        second.together = together
        yield second, transport
    finally:
        await engine.dispose()


async def at_once(chat, second, transport, first_line: str, second_line: str) -> list[str]:
    """Both lines said at the same moment, one to each bot; the two replies, as people read them."""
    first_sent, second_sent = len(chat.transport.sent), len(transport.sent)
    await asyncio.gather(chat.send(chat.message(first_line)), second.on_message(transport.parse(second_line)))
    replies = chat.transport.sent[first_sent:] + transport.sent[second_sent:]
    return sorted(MemoryTransport.render(r) for r in replies)


async def test_two_deductions_racing_one_balance_on_postgres_take_it_once(chat, settings):
    await chat.setup_building()
    await chat.one("[12号楼群] 王主任: #设角色 @网格长老陈 网格长")
    await chat.one("[12号楼群] 李楼长: #加分 @张阿姨 30 组织活动")
    async with two_bots(chat, settings) as (second, transport):
        replies = await at_once(chat, second, transport, "[12号楼群] 李楼长: #扣分 @张阿姨 30 重复登记",
                                "[12号楼群] 网格长老陈: #扣分 @张阿姨 30 重复登记")
        assert second.together.met  # two leaders: both transactions were open at once
    assert len(replies) == 2
    told = [r for r in replies if r.startswith("@张阿姨 ")]
    refused = [r for r in replies if not r.startswith("@张阿姨 ")]
    assert len(told) == 1 and told[0].endswith("扣除你 30 分：重复登记。如有疑问请联系楼组长。")
    assert len(refused) == 1 and refused[0].endswith(" 张阿姨 现在没有积分，扣不了分。")
    assert [e.amount for e in await chat.scalars(select(LedgerEntry).order_by(LedgerEntry.id))] == [30, -30]


async def test_two_thanks_racing_the_daily_cap_on_postgres_give_one(chat, settings):
    await chat.setup_building()
    await chat.one("[12号楼群] 张阿姨: #点赞 @王师傅")
    await chat.one("[12号楼群] 张阿姨: #点赞 @刘师傅")  # 2 of 3 today
    for name in ("小李", "小赵"):  # seen before: a first sight writes who-is-who, which would serialise them anyway
        await chat.one(f"[12号楼群] {name}: #我的积分")
    async with two_bots(chat, settings) as (second, transport):
        replies = await at_once(chat, second, transport, "[12号楼群] 张阿姨: #点赞 @小李 帮我提菜",
                                "[12号楼群] 张阿姨: #点赞 @小赵 帮我修灯")
        assert not second.together.met  # one person's two messages take turns even in two processes
    thanked = [r for r in replies if "为你点赞" in r]
    assert len(thanked) == 1 and thanked[0] in ("@小李 张阿姨 为你点赞：帮我提菜！+1 分", "@小赵 张阿姨 为你点赞：帮我修灯！+1 分")
    assert [r for r in replies if r not in thanked] == ["@张阿姨 每人每天最多点赞 3 次，今天的已用完，明天再来吧。"]
    assert await chat.count(Thanks) == 3 and await chat.count(LedgerEntry) == 3


async def test_two_claims_racing_the_daily_cap_on_postgres_approve_one(chat, settings):
    await chat.setup_building()
    await chat.one("[12号楼群] 张阿姨: #打卡 捡垃圾 2")  # 2 of 3 today
    async with two_bots(chat, settings) as (second, transport):
        replies = await at_once(chat, second, transport, "[12号楼群] 张阿姨: #打卡 捡垃圾",
                                "[12号楼群] 张阿姨: #打卡 捡垃圾")
        assert not second.together.met  # one person's two messages take turns even in two processes
    assert len(replies) == 2
    assert len([r for r in replies if "已记录：捡垃圾 1次，+2 分，当前积分 6 分。" in r]) == 1, replies
    assert len([r for r in replies if "今天的捡垃圾已达每日上限（3次），这一条请楼组长审核。" in r]) == 1, replies
    claims = [(c.status, c.quantity) for c in await chat.scalars(select(Claim))]
    assert sorted(claims) == [("approved", 1), ("approved", 2), ("pending", 1)]
    assert [e.amount for e in await chat.scalars(select(LedgerEntry).order_by(LedgerEntry.id))] == [4, 2]


async def test_two_people_redeeming_the_last_one_on_postgres_only_one_gets_it(chat, settings):
    await chat.setup_building()
    async with chat.app.sessions() as session, session.begin():
        gift = await session.scalar(select(Gift).where(Gift.name == "抽纸"))
        gift.stock = 1
    for name in ("张阿姨", "老周"):
        await chat.one(f"[12号楼群] 李楼长: #加分 @{name} 10 组织活动")
    async with two_bots(chat, settings) as (second, transport):
        replies = await at_once(chat, second, transport, "[12号楼群] 张阿姨: #兑换 抽纸", "[12号楼群] 老周: #兑换 抽纸")
    won = [r for r in replies if " 已兑换 抽纸（-10 分，余额 0 分）" in r]  # X1 or X2: a sequence never goes back
    assert len(won) == 1, replies
    assert [r for r in replies if r not in won] == [
        f"@{'老周' if won[0].startswith('@张阿姨') else '张阿姨'} 抽纸已经兑完了，发送 #礼品 看看别的。"]
    assert [g.stock for g in await chat.scalars(select(Gift).where(Gift.name == "抽纸"))] == [0]
    assert await chat.count(Redemption) == 1
    assert sorted(e.amount for e in await chat.scalars(select(LedgerEntry))) == [-10, 10, 10]


async def test_two_people_racing_for_the_last_place_of_a_chain_on_postgres_only_one_gets_it(chat, settings):
    await chat.setup_building()
    await chat.one("[12号楼群] 李楼长: #接龙 周六9点 楼道大扫除 限2人 每人5分")
    await chat.one("[12号楼群] 张阿姨: #报名 J1")
    await chat.one("[12号楼群] 小王: #我的积分")  # seen before: a first sight writes who-is-who
    async with two_bots(chat, settings) as (second, transport):  # 老周 is seen by the second bot's warm-up
        replies = await at_once(chat, second, transport, "[12号楼群] 小王: #报名 J1", "[12号楼群] 老周: #报名 J1")
        assert second.together.met  # two people: both transactions were open at once
    won = [r for r in replies if "报名成功，第 2 位。" in r]
    assert len(won) == 1, replies
    loser = "老周" if won[0].startswith("@小王") else "小王"
    assert [r for r in replies if r not in won] == [
        f"@{loser} J1 已报满（限2人）。想排候补请发送 #报名 J1 候补，有人取消时按顺序补上。"]
    assert [s.waiting for s in await chat.scalars(select(ChainSignup))] == [False, False]


async def test_two_leaders_marking_one_attendee_at_once_on_postgres_pay_once(chat, settings, clock):
    await chat.setup_building()
    await chat.one("[12号楼群] 王主任: #设角色 @网格长老陈 网格长")
    await chat.one("[12号楼群] 李楼长: #接龙 今天 10:30 楼道大扫除 每人5分")
    await chat.one("[12号楼群] 张阿姨: #报名 J1")
    clock.advance(hours=1)
    async with two_bots(chat, settings) as (second, transport):
        replies = await at_once(chat, second, transport, "[12号楼群] 李楼长: #签到 J1 @张阿姨",
                                "[12号楼群] 网格长老陈: #签到 J1 @张阿姨")
        assert second.together.met
    assert len(replies) == 2 and replies[0] == "@张阿姨 J1 楼道大扫除 签到：张阿姨 各 +5 分，谢谢大家！", replies
    assert replies[1] in ("@李楼长 已经签到过（不重复记分）：张阿姨", "@网格长老陈 已经签到过（不重复记分）：张阿姨")
    assert [e.amount for e in await chat.scalars(select(LedgerEntry))] == [5]
