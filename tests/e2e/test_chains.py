"""接龙 through the Wechaty puppet service: a leader starts a chain, five residents sign up, the reminder
arrives @-mentioning them, the leader marks who came, and the points show in #我的积分.

The reminder is the bot's own job (`louzu jobs run chain_reminders` beside the running bot, as staff
would run it; the running bot's outbox sends it). The chain starts a few minutes from now with its
reminder set further ahead than that, so it is due at once; before the attendance the activity is
moved an hour back in the database (the activity is over), as no test waits an hour.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.harness import mention_text
from tests.e2e.world import ADMIN, BOT, LI, R1, WANG, ZHANG, ZHAO, said_to

TZ = ZoneInfo("Asia/Shanghai")  # LOUZU_TIMEZONE's default, which the bot runs with here
SUN, ZHOU = "u-sun", "u-zhou"
NAMES = {ZHANG: "张三", LI: "李四", WANG: "王五", ZHAO: "赵六", SUN: "孙七", ZHOU: "周八"}


@pytest.fixture
def harness_setup() -> dict:
    """One building's group with a leader and five residents."""
    return {"bot": BOT, "contacts": [{"id": ADMIN, "name": "王主任"}, *({"id": i, "name": n} for i, n in NAMES.items())],
            "rooms": [{"id": R1, "topic": "1号楼", "memberIdList": [ADMIN, *NAMES]}]}


async def test_a_chain_from_start_to_points(louzu, residents, harness):
    ask = residents.ask
    await ask(ADMIN, R1, "#绑定 1号楼")
    await ask(ADMIN, R1, "#设楼组长 " + mention_text("张三"), [ZHANG])

    at = datetime.now(TZ) + timedelta(minutes=12)
    day = "今天" if at.date() == datetime.now(TZ).date() else "明天"
    reply = await ask(ZHANG, R1, f"#接龙 {day} {at:%H:%M} 楼道大扫除 限5人 每人5分 提前20分钟")
    when = f"{at.month}月{at.day}日 {at:%H:%M}"
    assert reply["mentions"] == [] and reply["text"] == (
        f"#接龙 J1 {when} 楼道大扫除\n限5人，每人5分。报名：长按这条消息，点“复制”，在最后加一行“1. 你的名字”再发出去；或发送 #报名 J1\n"
        "活动前20分钟提醒报名的人；活动后楼组长发送 #签到 J1 全部 记分。")

    # Five sign-ups, each the way residents do it: the command, a "+1", a copied list with one's name added.
    assert said_to(await ask(LI, R1, "#报名 J1"), "李四", LI).startswith("李四 报名成功，第 1 位。")
    assert said_to(await ask(WANG, R1, "#报名"), "王五", WANG).startswith("王五 报名成功，第 2 位。")
    assert said_to(await ask(ZHAO, R1, "+1"), "赵六", ZHAO).startswith("赵六 报名成功，第 3 位。")
    copied = f"#接龙 J1 {when} 楼道大扫除\n1. 李四\n2. 王五\n3. 赵六\n4. 孙七"
    assert said_to(await ask(SUN, R1, copied), "孙七", SUN).startswith("孙七 报名成功，第 4 位。")
    reply = said_to(await ask(ZHOU, R1, "#报名 J1"), "周八", ZHOU)
    assert reply.endswith("1. 李四\n2. 王五\n3. 赵六\n4. 孙七\n5. 周八")
    assert said_to(await ask(ZHANG, R1, "#报名 J1"), "张三", ZHANG).startswith("J1 已报满（限5人）。")

    # The reminder: one post in the group, @-mentioning the five.
    code, out, err = await louzu.command("jobs", "run", "chain_reminders")
    assert code == 0, (out, err)
    reminder = await harness.next_message(timeout=15)
    assert reminder["room"] == R1 and sorted(reminder["mentions"]) == sorted([LI, WANG, ZHAO, SUN, ZHOU])
    assert f"【接龙提醒】J1 楼道大扫除 {when} 开始，已报名 5 人：李四、王五、赵六、孙七、周八。" in reminder["text"]

    # The activity is over: the leader marks all but one; the one who did not come is told to the leader alone.
    with closing(sqlite3.connect(louzu.database, timeout=10)) as db:
        db.execute("UPDATE chains SET starts_at = strftime('%Y-%m-%d %H:%M:%S', starts_at, '-1 hours') "
                   "|| substr(starts_at, 20)")
        db.commit()
    await harness.say(ZHANG, R1, "#签到 J1 全部 除 " + mention_text("周八"), [ZHOU])
    thanks = await harness.next_message(timeout=15)
    assert thanks["room"] == R1 and sorted(thanks["mentions"]) == sorted([LI, WANG, ZHAO, SUN])
    assert thanks["text"].endswith("J1 楼道大扫除 签到：李四、王五、赵六、孙七 各 +5 分，谢谢大家！")
    private = await harness.next_message(timeout=15)
    assert not private["room"] and private["text"] == "J1 楼道大扫除：报了名没有签到的有 周八（只发给你）。", private

    assert said_to(await ask(SUN, R1, "#我的积分"), "孙七", SUN).startswith("你的爱心积分：余额 5 分；本周得 5 分")
    assert said_to(await ask(ZHOU, R1, "#我的积分"), "周八", ZHOU).startswith("你的爱心积分：余额 0 分")
    assert louzu.query("SELECT kind, amount, ref_type, ref_id FROM ledger_entries ORDER BY id") == [
        ("activity", 5, "chain", 1)] * 4
