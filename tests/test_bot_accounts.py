"""Several WeChat accounts on one PostgreSQL database: every post goes out through an account in its group.

Two whole bots (one per account) behind in-memory transports share the database:
account A is in groups 1 and 3, account B in groups 2 and 3.
"""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from collections import Counter
from dataclasses import replace

import pytest
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import App
from bot.cli.doctor import BAD, OK, checks
from bot.core.settings import SILENT_BEATS, Settings
from bot.transport.memory import MemoryTransport
from storage import outbox
from storage.models import OutboxMessage
from tests.chat import Chat

A, B = "account-a", "account-b"
ROOMS = {A: ["1号楼群", "3号楼群"], B: ["2号楼群", "3号楼群"]}


async def start_account(url: str, tmp_path, clock, account: str) -> Chat:
    # Posts a minute apart (paced per account): `#通知 全部` then says how long the accounts together take.
    settings = Settings(data_dir=tmp_path / account, database_url=url, admin_ids=frozenset({"王主任"}),
                        commands_per_minute=10_000, pace_seconds=(60.0, 60.0))
    transport = MemoryTransport(settings.bot_name, admins=settings.admin_ids, clock=clock)
    app = App(settings, transport, clock=clock, by_account=True)
    await app.start()
    await transport.run(app)
    await app.on_login(account, ROOMS[account])
    return Chat(app, transport)


@pytest.fixture
async def accounts(postgres_database_url, tmp_path, clock):
    a = await start_account(postgres_database_url, tmp_path, clock, A)
    b = await start_account(postgres_database_url, tmp_path, clock, B)
    yield a, b
    await a.app.close()
    await b.app.close()


async def bind_all(a: Chat, b: Chat) -> None:
    """Each group bound through an account in it (in group 3, both receive it; A answers)."""
    assert "已绑定" in await a.one("[1号楼群] 王主任: #绑定 1号楼")
    assert "已绑定" in await b.one("[2号楼群] 王主任: #绑定 2号楼")
    assert "已绑定" in await a.one("[3号楼群] 王主任: #绑定 3号楼")


def notices(chat: Chat) -> list[str]:
    return [reply.room_id for reply in chat.transport.sent if "大扫除" in reply.text and not reply.mention]


async def test_a_broadcast_reaches_every_group_once_through_an_account_that_is_in_it(accounts):
    a, b = accounts
    await bind_all(a, b)
    # Three posts a minute apart, shared by two accounts: two minutes, not three.
    assert await a.one("[1号楼群] 王主任: #通知 全部 周六上午大扫除") == \
        "@王主任 通知已排队发往 3 个楼组群，逐个发出，约 2 分钟发完。"

    # B first: it takes group 2 and the shared group 3; A then has only group 1 left.
    assert await b.app.outbox.drain() == 2
    assert await a.app.outbox.drain() == 1
    assert sorted(notices(a)) == ["1号楼群"]
    assert sorted(notices(b)) == ["2号楼群", "3号楼群"]
    rows = await a.scalars(select(OutboxMessage).where(OutboxMessage.batch.like("通知全部%")))
    assert {(row.room_id, row.status, row.sender) for row in rows} == {
        ("1号楼群", "sent", A), ("2号楼群", "sent", B), ("3号楼群", "sent", B)}


async def test_a_group_both_accounts_are_in_is_answered_once_and_by_the_other_when_one_dies(accounts, clock):
    a, b = accounts
    await bind_all(a, b)
    said = a.message("[3号楼群] 张阿姨: #积分")
    # Each account receives the group's message (under an id of its own).
    assert len(await a.send(said)) == 1
    assert await b.send(replace(said, id="b-" + said.id)) == []
    # B's posts in the group reach A as messages from B's account: A does not take them for a resident's.
    assert await a.send(a.message(f"[3号楼群] {B}: #积分")) == []

    clock.advance(seconds=4 * a.app.settings.heartbeat_seconds)  # A's process stopped beating
    await b.app.beat()
    again = b.message("[3号楼群] 张阿姨: #积分")
    assert len(await b.send(again)) == 1


async def test_a_dead_accounts_groups_wait_and_doctor_says_so_and_a_shared_groups_post_goes_through_the_other(
        accounts, clock):
    a, b = accounts
    await bind_all(a, b)
    assert "3 个楼组群" in await a.one("[1号楼群] 王主任: #通知 全部 周六上午大扫除")
    [row] = await a.scalars(select(OutboxMessage).where(OutboxMessage.room_id == "3号楼群"))
    async with a.app.transaction() as session:  # A took group 3's post, then its process died mid-send
        assert await outbox.claim(session, row.id, A)

    clock.advance(seconds=4 * b.app.settings.heartbeat_seconds)
    await b.app.beat()  # B is alive; A is silent: its taken post goes back for B
    assert await b.app.outbox.drain() == 2
    assert sorted(notices(b)) == ["2号楼群", "3号楼群"] and notices(a) == []

    found = await checks(b.app.settings, now=clock())
    rows = [(c.mark, c.result) for c in found.checks if c.what == "微信账号"]
    minutes = int(4 * b.app.settings.heartbeat_seconds // 60) or 1
    assert rows == [(OK, "1 个账号在线，共在 2 个群里"),
                    (BAD, f"账号 {a.app.settings.bot_name}（{A}）已 {minutes} 分钟没有心跳，它所在的 1 个群的消息在等待（1 条）")]
    assert not found.healthy

    # A's process comes back: it sends its group's post, and nothing twice.
    await a.app.on_login(A, ROOMS[A])
    assert await a.app.outbox.drain() == 1
    assert notices(a) == ["1号楼群"]
    sent = Counter(notices(a) + notices(b))
    assert sent == {"1号楼群": 1, "2号楼群": 1, "3号楼群": 1}


async def test_a_post_to_a_group_no_account_is_in_waits_and_doctor_says_so(accounts, clock):
    a, b = accounts
    await bind_all(a, b)
    assert "已绑定" in await a.one("[4号楼群] 王主任: #绑定 4号楼")  # said through A, which then leaves it
    await a.app.on_room_leave("4号楼群")
    assert "4 个楼组群" in await a.one("[1号楼群] 王主任: #通知 全部 周六上午大扫除")
    assert await a.app.outbox.drain() + await b.app.outbox.drain() == 3
    assert "4号楼群" not in notices(a) + notices(b)
    found = await checks(a.app.settings, now=clock())
    assert [(c.mark, c.result) for c in found.checks if c.what == "微信账号"] == [
        (OK, "2 个账号在线，共在 3 个群里"), (BAD, "1 个群里没有任何机器人账号，1 条消息发不出去")]


async def test_an_account_logging_in_again_while_it_sends_a_post_does_not_let_another_send_it_twice(accounts):
    a, b = accounts
    await bind_all(a, b)
    assert "3 个楼组群" in await a.one("[1号楼群] 王主任: #通知 全部 周六上午大扫除")
    await a.app.on_room_leave("1号楼群")  # A's only post is then the shared group's
    said, sending = a.app.outbox.say, asyncio.Event()
    go_on = asyncio.Event()

    async def slow_say(reply):
        sending.set()
        await go_on.wait()
        await said(reply)

    a.app.outbox.say = slow_say
    drain = asyncio.create_task(a.app.outbox.drain())
    await sending.wait()  # A is sending group 3's post when its gateway reconnects
    await a.app.on_login(A, ["3号楼群"])
    assert await b.app.outbox.drain() == 1  # group 2 only
    go_on.set()
    await drain
    assert Counter(notices(a) + notices(b)) == {"2号楼群": 1, "3号楼群": 1}


async def both_hear(a: Chat, b: Chat, line: str) -> tuple[list, list]:
    """A message in a group both accounts are in: each receives it (under an id of its own)."""
    said = a.message(line)
    return await a.send(said), await b.send(replace(said, id="b-" + said.id))


async def test_chat_in_a_shared_group_costs_no_presence_query_per_message(accounts):
    a, b = accounts
    await bind_all(a, b)
    await both_hear(a, b, "[3号楼群] 张阿姨: 大家早上好")  # the resident's first line: who she is is looked up once
    statements: list[str] = []
    for chat in (a, b):
        event.listen(chat.app.engine.sync_engine, "before_cursor_execute",
                     lambda conn, cursor, sql, *rest: statements.append(sql))
    answered = []
    for n in range(20):
        got_a, got_b = await both_hear(a, b, f"[3号楼群] 张阿姨: {'#积分' if n % 5 == 0 else '今天谁去买菜？'}")
        answered += [("A", r.text) for r in got_a] + [("B", r.text) for r in got_b]
    assert [who for who, _ in answered] == ["A"] * 4  # each #积分 answered once, by A
    assert [sql for sql in statements if "account_rooms" in sql or "bot_accounts" in sql] == []


async def test_when_the_answering_account_stops_beating_the_other_answers_after_its_next_heartbeat(accounts, clock):
    a, b = accounts
    await bind_all(a, b)
    heartbeat = a.app.settings.heartbeat_seconds
    for _ in range(2):  # both alive: A answers in the shared group, B stays quiet
        clock.advance(seconds=heartbeat)
        await a.app.beat()
        await b.app.beat()
        got_a, got_b = await both_hear(a, b, "[3号楼群] 张阿姨: #积分")
        assert (len(got_a), len(got_b)) == (1, 0)

    beats = 0  # A's process died: only B beats now
    while not (got := await b.send(b.message("[3号楼群] 张阿姨: #积分"))):
        assert beats <= SILENT_BEATS, "B never took over the group"
        clock.advance(seconds=heartbeat)
        await b.app.beat()
        beats += 1
    assert len(got) == 1 and beats == SILENT_BEATS + 1


async def test_a_new_group_is_answered_at_once_and_an_account_added_later_does_not_take_it_over(accounts, clock):
    a, b = accounts
    await bind_all(a, b)
    assert "已绑定" in await b.one("[5号楼群] 王主任: #绑定 5号楼")  # B was just added to it

    clock.advance(seconds=1)
    await a.app.on_room_join("5号楼群", "5号楼群")  # then A (first by id) is added too: no second greeting
    assert a.transport.sent[-1].room_id != "5号楼群"
    got_a, got_b = await both_hear(a, b, "[5号楼群] 张阿姨: #积分")
    assert (len(got_a), len(got_b)) == (0, 1)


async def test_an_account_restarting_keeps_its_groups_and_one_back_from_silence_leaves_them_to_the_other(
        accounts, clock):
    a, b = accounts
    await bind_all(a, b)
    heartbeat = a.app.settings.heartbeat_seconds
    clock.advance(seconds=heartbeat)
    await b.app.beat()
    await a.app.on_login(A, ROOMS[A])  # A's process restarted within a beat: B's view has not seen it yet
    got_a, got_b = await both_hear(a, b, "[3号楼群] 张阿姨: #积分")
    assert (len(got_a), len(got_b)) == (1, 0)

    clock.advance(seconds=(SILENT_BEATS + 1) * heartbeat)  # A's process was gone long enough: B took over
    await b.app.beat()
    assert len(await b.send(b.message("[3号楼群] 张阿姨: #积分"))) == 1
    clock.advance(seconds=1)
    await a.app.on_login(A, ROOMS[A])  # A is back, before B's next heartbeat: B keeps the group
    got_a, got_b = await both_hear(a, b, "[3号楼群] 张阿姨: #积分")
    assert (len(got_a), len(got_b)) == (0, 1)


async def test_two_messages_at_once_from_a_group_new_to_the_account_are_both_answered(accounts):
    a, b = accounts
    await bind_all(a, b)
    first, second = b.message("[6号楼群] 张阿姨: #帮助"), b.message("[6号楼群] 李大爷: #帮助")
    await asyncio.gather(b.send(first), b.send(second))
    assert sorted(reply.mention for reply in b.transport.sent if reply.room_id == "6号楼群") == [
        ("张阿姨",), ("李大爷",)]


async def test_an_account_that_restarts_slowly_does_not_answer_beside_the_one_that_took_it_for_silent(accounts, clock):
    """The others' views are up to a heartbeat old: an account that comes back after nearly the whole silence that
    makes it dead no longer keeps its place, or both it and the one that took over would answer."""
    a, b = accounts
    await bind_all(a, b)
    settings = a.app.settings
    beat = settings.heartbeat_seconds
    clock.advance(seconds=beat)
    await a.app.beat()  # A's last beat before its process goes away
    await b.app.beat()
    for _ in range(SILENT_BEATS - 1):  # B beats on; A does not
        clock.advance(seconds=beat)
        await b.app.beat()
    clock.advance(seconds=beat - 10)
    await a.app.on_login(A, ROOMS[A])  # A comes back just before it would be dead: B has not read it since
    clock.advance(seconds=15)  # B's view now takes A for silent, until B's next heartbeat
    got_a, got_b = await both_hear(a, b, "[3号楼群] 张阿姨: #积分")
    assert (len(got_a), len(got_b)) == (0, 1)


async def test_a_heartbeat_read_while_a_new_group_is_learnt_does_not_make_both_answer(accounts, clock, monkeypatch):
    """A heartbeat's read may start before a message's transaction writes the group it came from: the read must not
    drop that group from the view (then the account, seeing nobody before it there, answers beside the other)."""
    a, b = accounts
    await bind_all(a, b)
    assert len(await b.send(b.message("[6号楼群] 张阿姨: #帮助"))) == 1  # B is in group 6 first
    clock.advance(seconds=1)
    who = a.app.who_answers
    async with AsyncSession(a.app.engine.execution_options(isolation_level="REPEATABLE READ")) as snapshot, \
            snapshot.begin():
        await snapshot.execute(select(OutboxMessage.id).limit(1))  # the heartbeat's read starts here
        learning = who.transaction

        @asynccontextmanager
        async def then_the_heartbeat_ends(*args):
            async with learning() as session:
                yield session
            await who.refresh(snapshot, A)  # … and ends just after the message's transaction

        monkeypatch.setattr(who, "transaction", then_the_heartbeat_ends)
        said = b.message("[6号楼群] 李大爷: #帮助")
        assert await a.send(replace(said, id="a-" + said.id)) == []  # B is there first: A stays silent
    monkeypatch.setattr(who, "transaction", learning)
    assert await a.send(a.message("[6号楼群] 王奶奶: #帮助")) == []
