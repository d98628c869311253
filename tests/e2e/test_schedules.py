"""What the bot posts by itself, through the Wechaty puppet service: `louzu run` against the Node.js gateway.

One bot and one WeChat world for the whole module. At the start a building leader schedules
a one-off notice (`#定时`) for the next whole minute (time phrases have minute resolution);
the other tests run meanwhile (a notice to every group, the weekly ranking and the honour
list run by hand with `louzu jobs run` against the running bot's database), and the last
test waits for the notice, which must arrive at its minute. The bot's messages are kept in
an inbox (``Inbox``), since a scheduled post may arrive while another test talks to the bot.

Pacing and quiet hours are the e2e environment's settings (tests/e2e/louzu.py): posts
0.05-0.1 s apart, no quiet hours.
"""

from __future__ import annotations

import asyncio
import io
import math
import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Iterable
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio
from PIL import Image

from tests.e2e.conftest import start_louzu, stop_louzu
from tests.e2e.harness import MESSAGE_TYPE_IMAGE, MESSAGE_TYPE_TEXT, WechatyHarness, mention_text
from tests.e2e.louzu import LouzuProcess
from tests.e2e.world import ADMIN, LI, R1, R2, SETUP, WANG, ZHANG, ZHAO, eventually, said_to

pytestmark = pytest.mark.asyncio(loop_scope="module")

TZ = ZoneInfo("Asia/Shanghai")  # LOUZU_TIMEZONE's default, which the bot runs with here
RC, R3 = "rc@chatroom", "r3@chatroom"  # the committee's group, and a group bound to no building
HERE = {**SETUP, "rooms": [*SETUP["rooms"],
                           {"id": RC, "topic": "居委会工作群", "memberIdList": [ADMIN]},
                           {"id": R3, "topic": "广场舞群", "memberIdList": [ADMIN, ZHANG, WANG]}]}
NOTICE = "今晚8点停水，请提前储水"
MARGIN = 3.0  # seconds the #定时 needs before its minute at least (else it takes the minute after)
ON_TIME = 5.0  # seconds after its minute by which the notice must have arrived


def text_of(message: dict) -> str:
    return message.get("text") or ""


class Inbox:
    """The bot's messages as they arrive, kept until a test takes the ones it is about."""

    def __init__(self, harness: WechatyHarness) -> None:
        self.h = harness
        self.kept: list[dict] = []

    def take_now(self, match: Callable[[dict], bool]) -> list[dict]:
        """Every message that arrived so far and matches, in the order they came."""
        self.kept.extend(self.h.drain())
        taken = [m for m in self.kept if match(m)]
        self.kept = [m for m in self.kept if not match(m)]
        return taken

    async def take(self, match: Callable[[dict], bool], count: int = 1, timeout: float = 15.0) -> list[dict]:
        """The first ``count`` messages that match, waiting for them up to ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        taken = self.take_now(match)
        while len(taken) < count:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{len(taken)} of {count} expected messages within {timeout} s: {taken}; "
                                     f"other messages: {self.kept}")
            try:
                message = await self.h.next_message(timeout=left)
            except asyncio.TimeoutError:
                continue
            (taken if match(message) else self.kept).append(message)
        return taken

    async def ask(self, who: str, room: str, text: str, mentions: Iterable[str] = ()) -> dict:
        """``who`` says ``text`` in ``room``; the bot's answer there (an answer @-mentions someone)."""
        await self.h.say(who, room, text, list(mentions))
        [reply] = await self.take(lambda m: m["room"] == room and bool(m["mentions"]))
        return reply


@dataclass
class World:
    harness: WechatyHarness
    bot: LouzuProcess
    inbox: Inbox
    notice_at: float  # the epoch second of the minute the leader's notice is scheduled for


def shift_to_last_week(bot: LouzuProcess) -> None:
    """The claims made while setting up count as last week's (the Monday ranking is last week's)."""
    with closing(sqlite3.connect(bot.database, timeout=10)) as db:
        for table in ("ledger_entries", "claims"):
            # Stored as naive UTC text ("2026-11-26 04:59:02.552000"): seven days earlier, same format.
            db.execute(f"UPDATE {table} SET created_at = strftime('%Y-%m-%d %H:%M:%S', created_at, '-7 days') "
                       f"|| substr(created_at, 20)")
        db.commit()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(tmp_path_factory):
    """Two bound buildings with a leader and points, the committee's group, an unbound group; a notice due."""
    harness = WechatyHarness()
    await harness.start(HERE)
    bot = None
    try:
        bot = await start_louzu(harness, tmp_path_factory.mktemp("schedules"), LOUZU_COMMITTEE_ROOM=RC)
        await harness.wait_connected(timeout=30)
        await bot.wait_log("logged in to WeChat as")
        inbox = Inbox(harness)
        assert said_to(await inbox.ask(ADMIN, R1, "#绑定 1号楼"), "王主任", ADMIN).startswith("本群已绑定 1号楼。")
        assert said_to(await inbox.ask(ADMIN, R2, "#绑定 2号楼"), "王主任", ADMIN).startswith("本群已绑定 2号楼。")
        await inbox.ask(ADMIN, R1, "#设楼组长 " + mention_text("张三"), [ZHANG])

        # First of all (the other tests run while it waits): the leader's notice for the next minute.
        notice_at = math.ceil((time.time() + MARGIN) / 60) * 60
        moment = datetime.fromtimestamp(notice_at, TZ)
        reply = await inbox.ask(ZHANG, R1, f"#定时 {moment:%Y-%m-%d %H:%M} {NOTICE}")
        said = f"{moment.month}月{moment.day}日 {moment:%H:%M}"  # said back the way residents read times
        assert said_to(reply, "张三", ZHANG).startswith(f"S1 已设定：{said} 在本群发送“{NOTICE}”")

        await inbox.ask(LI, R1, "#打卡 捡垃圾")  # 2 points
        await inbox.ask(ZHAO, R2, "#打卡 清理楼道")  # 5 points
        await inbox.ask(WANG, R3, "#帮助")  # the bot knows this group now; it is bound to no building
        assert bot.query("SELECT building_id FROM groups WHERE room_id = ?", R3) == [(None,)]
        shift_to_last_week(bot)
        yield World(harness, bot, inbox, notice_at)
    finally:
        try:
            if bot is not None:
                await stop_louzu(bot)
        finally:
            await harness.stop()


async def test_a_notice_to_all_groups_reaches_every_bound_group_once(world):
    bot, inbox = world.bot, world.inbox
    reply = await inbox.ask(ADMIN, RC, "#通知 全部 本周六上午9点小区消防演练，请大家配合")
    assert said_to(reply, "王主任", ADMIN).startswith("通知已排队发往 2 个楼组群，逐个发出")

    def fire_drill(message: dict) -> bool:
        return "消防演练" in text_of(message) and not message["mentions"]

    posts = await inbox.take(fire_drill, count=2)
    # The outbox has sent its last one: had anything gone twice, it would have arrived by now.
    await eventually(lambda: bot.query("SELECT COUNT(*) FROM outbox_messages WHERE batch LIKE '通知全部%' "
                                       "AND status <> 'sent'") == [(0,)])
    await asyncio.sleep(0.5)
    posts += inbox.take_now(fire_drill)
    assert sorted(m["room"] for m in posts) == [R1, R2]  # not the committee's group, not the unbound one
    assert {text_of(m) for m in posts} == {"【通知】本周六上午9点小区消防演练，请大家配合\n——王主任"}
    assert bot.query("SELECT room_id, status FROM outbox_messages WHERE batch LIKE '通知全部%' ORDER BY room_id") == [
        (R1, "sent"), (R2, "sent")]


async def test_the_monday_ranking_run_by_hand_is_sent_by_the_running_bot(world):
    bot, inbox = world.bot, world.inbox
    code, out, err = await bot.command("jobs", "run", "weekly_ranking")
    assert code == 0, err
    assert "weekly_ranking 已关闭" in out  # LOUZU_WEEKLY_RANKING_AT=off here: the bot never runs it itself
    assert "3 条消息已放进发件箱，发往：r1@chatroom（1号楼）、r2@chatroom（2号楼）、rc@chatroom（居委会工作群）" \
           "（居委会）。" in out

    posts = await inbox.take(lambda m: "上周爱心积分榜】" in text_of(m) or "【各楼上周星级】" in text_of(m), count=3)
    by_room = {m["room"]: text_of(m).splitlines() for m in posts}
    assert set(by_room) == {R1, R2, RC}
    assert by_room[R1][0].startswith("【1号楼 上周爱心积分榜】") and by_room[R1][1] == "1. 3-201 李四 2 分"
    assert by_room[R2][0].startswith("【2号楼 上周爱心积分榜】") and by_room[R2][1] == "1. 赵六(2-101) 5 分"
    assert by_room[RC][0].startswith("【各楼上周星级】") and by_room[RC][0].endswith("（2 栋）")
    # Found by the bot's poll of the outbox: nothing else tells it that another process kept posts.

    # Run again the same week, by accident: no group gets it twice.
    code, out, err = await bot.command("jobs", "run", "weekly_ranking")
    assert code == 0, err
    assert "已跳过 3 个本周已经发过 weekly_ranking 的群" in out
    assert "没有其他要发的消息" in out
    assert bot.query("SELECT COUNT(*) FROM outbox_messages WHERE batch = 'weekly_ranking'") == [(3,)]


async def test_the_honour_list_is_a_real_picture_then_its_text(world):
    bot, inbox = world.bot, world.inbox
    code, out, err = await bot.command("jobs", "run", "honour_list")
    assert code == 0, err
    month = datetime.now(TZ).replace(day=1) - timedelta(days=1)  # last month's list
    picture = bot.data_dir.resolve() / "honour" / f"{month:%Y-%m}.png"
    title = f"【{month.year}年{month.month}月光荣榜】"

    def honour(message: dict) -> bool:
        return message["type"] == MESSAGE_TYPE_IMAGE or text_of(message).startswith(title)

    posts = await inbox.take(honour, count=4)
    assert sorted(m["room"] for m in posts) == [R1, R1, R2, R2]
    for room in (R1, R2):
        image, text = [m for m in posts if m["room"] == room]  # in the order they arrived
        assert image["type"] == MESSAGE_TYPE_IMAGE and image["file"]["name"] == picture.name
        data = image["file"]["data"]
        with Image.open(io.BytesIO(data)) as png:
            assert png.format == "PNG" and png.width == 1080
            png.load()  # the whole picture decodes
        assert data == picture.read_bytes()  # the file the job drew under the data directory
        assert text["type"] == MESSAGE_TYPE_TEXT and text["received_at"] >= image["received_at"]
        assert text_of(text).startswith(title + "\n◆ 爱心积分前十名\n")


async def test_a_leaders_one_off_notice_arrives_in_its_group_at_its_time(world):
    bot, inbox = world.bot, world.inbox
    wait = world.notice_at - time.time()
    print(f"the notice is due in {wait:.1f} s")
    [notice] = await inbox.take(lambda m: NOTICE in text_of(m), timeout=max(wait, 0) + ON_TIME + 10)
    late = notice["received_at"] - world.notice_at
    print(f"the notice arrived {late:.2f} s after its minute")
    assert notice["room"] == R1 and notice["mentions"] == []
    assert text_of(notice) == f"【定时通知】{NOTICE}"
    assert -0.05 <= late < ON_TIME
    await asyncio.sleep(0.5)
    assert inbox.take_now(lambda m: NOTICE in text_of(m)) == []  # once, and in no other group
    assert bot.query("SELECT status FROM scheduled_notices WHERE id = 1") == [("done",)]
    assert bot.query("SELECT room_id, status FROM outbox_messages WHERE batch = 'S1'") == [(R1, "sent")]
