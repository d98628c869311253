"""The outbox: replies' token bucket, paced posts, quiet hours, resume after a crash, retries — on a fake clock."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.cli.doctor import doctor
from bot.core.messages import Reply
from storage import outbox as store
from storage.models import OutboxMessage
from tests.timekit import make_app

async def keep(app, posts, **kwargs) -> None:
    async with app.transaction() as session:
        await store.enqueue(session, posts, now=app.clock(), **{"batch": "test", **kwargs})


def gaps(times) -> list[float]:
    return [(b - a).total_seconds() for a, b in zip(times, times[1:])]


async def test_replies_burst_then_one_per_second(settings, clock):
    app, transport = await make_app(settings, clock)
    try:
        for n in range(8):
            await app.send(Reply("12号楼群", f"第{n}条"))
        start = transport.times[0]
        offsets = [(t - start).total_seconds() for t in transport.times]
        assert offsets == pytest.approx([0, 0, 0, 0, 0, 1, 2, 3])
        clock.advance(seconds=10)  # the bucket refills, up to the burst
        for n in range(6):
            await app.send(Reply("12号楼群", f"又{n}"))
        assert gaps(transport.times[8:]) == pytest.approx([0, 0, 0, 0, 1])
    finally:
        await app.close()


async def test_replies_at_the_same_time_queue_fairly_for_tokens(settings, clock):
    app, transport = await make_app(settings, clock, reply_burst=2, reply_per_second=2.0)
    try:
        await asyncio.gather(*(app.send(Reply("12号楼群", str(n))) for n in range(6)))
        start = transport.times[0]
        assert sorted((t - start).total_seconds() for t in transport.times) == pytest.approx([0, 0, 0.5, 1, 1.5, 2])
    finally:
        await app.close()


async def test_posts_are_paced_with_jitter_and_replies_do_not_wait_behind_them(settings, clock):
    app, transport = await make_app(settings, clock)
    try:
        await keep(app, [Reply(f"{n}号楼群", "周六大扫除") for n in range(1, 41)], hold_quiet=False)
        drain = asyncio.create_task(app.outbox.drain())
        while len(transport.sent) < 10 and not drain.done():
            await asyncio.sleep(0)
        assert len(transport.sent) >= 10, drain  # a drain that ended early (or failed) does not hang the run
        before = clock()
        for n in range(3):  # residents ask while the broadcast is draining
            await app.send(Reply("12号楼群", f"你的爱心积分：余额 {n} 分"))
        assert clock() == before  # sent at once, not queued behind 30 more posts
        assert not drain.done()
        assert await drain == 40
        posts = [(r, t) for r, t in zip(transport.sent, transport.times) if r.text == "周六大扫除"]
        assert [r.room_id for r, _ in posts] == [f"{n}号楼群" for n in range(1, 41)]
        spacing = gaps([t for _, t in posts])
        assert all(1.5 - 1e-6 <= g <= 3.0 + 1e-6 for g in spacing), spacing
        assert len({round(g, 3) for g in spacing}) > 10  # jittered, not a fixed beat
        replies = [i for i, r in enumerate(transport.sent) if r.text.startswith("你的爱心积分")]
        assert replies[0] < len(transport.sent) - 30  # they went out between posts
    finally:
        await app.close()


async def test_quiet_hours_hold_scheduled_posts_until_morning_but_not_replies(settings, clock):
    clock.set_local("2026-11-25 23:00", settings.timezone)
    app, transport = await make_app(settings, clock)
    try:
        await keep(app, [Reply("12号楼群", "【定时通知】明早倒垃圾")])  # scheduled: held
        await keep(app, [Reply("12号楼群", "【通知】停水")], hold_quiet=False, priority=store.NOW_FIRST)
        await app.send(Reply("12号楼群", "回复不受免打扰限制"))
        assert await app.outbox.drain() == 1
        assert [r.text for r in transport.sent] == ["回复不受免打扰限制", "【通知】停水"]
        assert await app.outbox.seconds_until_due() == pytest.approx(8 * 3600)  # until 07:00
        clock.set_local("2026-11-26 06:59", settings.timezone)
        assert await app.outbox.drain() == 0
        clock.set_local("2026-11-26 07:00", settings.timezone)
        assert await app.outbox.drain() == 1
        assert transport.sent[-1].text == "【定时通知】明早倒垃圾"
    finally:
        await app.close()


class Crash(BaseException):
    """The process dies in the middle of a send (not an error the outbox could handle)."""


async def test_a_broadcast_interrupted_by_a_crash_resumes_with_no_group_twice_and_none_skipped(settings, clock):
    rooms = [f"{n}号楼群" for n in range(1, 31)]
    app, transport = await make_app(settings, clock)
    real_say = transport.say

    async def dies_on_the_thirteenth(reply):
        if len(transport.sent) == 12:
            raise Crash()
        await real_say(reply)

    app.outbox.say = dies_on_the_thirteenth
    await keep(app, [Reply(room, "【通知】全体大会") for room in rooms], hold_quiet=False)
    with pytest.raises(Crash):
        await app.outbox.drain()
    delivered_before = [r.room_id for r in transport.sent]
    await app.close()
    assert delivered_before == rooms[:12]

    restarted, transport2 = await make_app(settings, clock)
    try:
        await restarted.schedules.step()  # the new process takes the lead: what the dead one had taken is due again
        assert await restarted.outbox.drain() == 18
        delivered = delivered_before + [r.room_id for r in transport2.sent]
        assert sorted(delivered) == sorted(rooms) and len(delivered) == len(set(delivered))
        assert await restarted.outbox.drain() == 0
    finally:
        await restarted.close()


async def test_a_cancelled_drain_resumes_where_it_stopped(settings, clock):
    rooms = [f"{n}号楼群" for n in range(1, 21)]
    app, transport = await make_app(settings, clock)
    await keep(app, [Reply(room, "通知") for room in rooms], hold_quiet=False)
    drain = asyncio.create_task(app.outbox.drain())
    while len(transport.sent) < 7 and not drain.done():
        await asyncio.sleep(0)
    assert not drain.done(), drain
    drain.cancel()  # like the process being stopped between two sends
    with pytest.raises(asyncio.CancelledError):
        await drain
    first = [r.room_id for r in transport.sent]
    await app.close()
    again, transport2 = await make_app(settings, clock)
    try:
        await again.outbox.drain()
        delivered = first + [r.room_id for r in transport2.sent]
        assert sorted(delivered) == sorted(rooms) and len(set(delivered)) == len(delivered)
    finally:
        await again.close()


async def test_two_senders_at_once_never_send_one_post_twice(settings, clock):
    rooms = [f"{n}号楼群" for n in range(1, 31)]
    first, transport1 = await make_app(settings, clock, paced=False)
    second, transport2 = await make_app(settings, clock, paced=False)  # a lead changing hands, both still sending
    try:
        await keep(first, [Reply(room, "通知") for room in rooms], hold_quiet=False)
        await asyncio.gather(first.outbox.drain(), second.outbox.drain())
        delivered = [r.room_id for r in transport1.sent + transport2.sent]
        assert sorted(delivered) == sorted(rooms) and len(set(delivered)) == len(delivered)
    finally:
        await first.close()
        await second.close()


async def test_a_failing_send_is_retried_with_backoff_then_recorded_as_failed(settings, clock, caplog):
    app, transport = await make_app(settings, clock, send_attempts=3)
    transport.fail.add("坏群")
    try:
        await keep(app, [Reply("坏群", "通知A"), Reply("12号楼群", "通知B")], hold_quiet=False)
        caplog.set_level(logging.WARNING, logger="bot.core.outbox")
        assert await app.outbox.drain() == 2  # the failure does not hold up the next group
        assert [r.room_id for r in transport.sent] == ["12号楼群"]
        assert await app.outbox.drain() == 0  # not before its backoff
        assert await app.outbox.seconds_until_due() == pytest.approx(5, abs=3.1)
        clock.advance(seconds=5)
        assert await app.outbox.drain() == 1
        clock.advance(seconds=10)
        assert await app.outbox.drain() == 1
        clock.advance(hours=1)
        assert await app.outbox.drain() == 0  # given up after 3 tries
        async with app.transaction() as session:
            row = await session.scalar(select(OutboxMessage).where(OutboxMessage.room_id == "坏群"))
        assert (row.status, row.attempts) == ("failed", 3)
        assert "ConnectionError: cannot reach 坏群" in row.last_error
        assert any("gave up sending outbox message" in r.message for r in caplog.records if r.levelname == "ERROR")
        lines: list[str] = []
        assert await doctor(app.settings, out=lines.append) == 1
        assert any("坏群" in line and "3 次" in line for line in lines)
    finally:
        await app.close()


async def test_a_reply_that_fails_is_kept_and_tried_again(settings, clock):
    app, transport = await make_app(settings, clock)
    transport.fail.add("12号楼群")
    try:
        await app.send(Reply("12号楼群", "C1 已记录", ("张阿姨",)))
        assert transport.sent == []
        transport.fail.clear()
        clock.advance(seconds=5)
        assert await app.outbox.drain() == 1
        assert transport.sent == [Reply("12号楼群", "C1 已记录", ("张阿姨",))]
    finally:
        await app.close()


async def test_the_worker_sends_kept_posts_when_woken(settings, clock):
    app, transport = await make_app(settings, clock, paced=False)
    try:
        said = asyncio.Event()
        real_say = app.outbox.say

        async def say(reply):
            await real_say(reply)
            said.set()

        app.outbox.say = say
        app.outbox.start(poll_seconds=3600)
        await keep(app, [Reply("12号楼群", "早上好")], hold_quiet=False)
        app.outbox.wake()
        await asyncio.wait_for(said.wait(), 10)  # a bound, not a wait: it is set as soon as the worker sends
        assert [r.text for r in transport.sent] == ["早上好"]
    finally:
        await app.close()


def test_backoff_grows_and_is_bounded():
    assert [store.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [5, 10, 20, 40]
    assert store.backoff(30) == timedelta(minutes=10)


async def test_a_post_kept_while_the_worker_looks_goes_out_at_once_not_at_the_next_poll(settings, clock):
    app, transport = await make_app(settings, clock, paced=False)
    looked = app.outbox.seconds_until_due
    kept = []

    async def a_leader_posts_meanwhile():
        due = await looked()
        if not kept:  # after the worker looked and before it waits: the worst moment for a wake-up
            kept.append(True)
            await keep(app, [Reply("12号楼群", "今晚停水")], hold_quiet=False)
            app.outbox.wake()
        return due

    app.outbox.seconds_until_due = a_leader_posts_meanwhile
    app.outbox.start(poll_seconds=600)
    try:
        async def sent() -> None:
            while not transport.sent:
                await asyncio.sleep(0.01)

        await asyncio.wait_for(sent(), 30)  # with the wake-up lost, it would wait for the 600 s poll
        assert [reply.text for reply in transport.sent] == ["今晚停水"]
    finally:
        await app.close()
