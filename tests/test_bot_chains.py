"""接龙 through the chat: a leader starts J<n>, residents sign up (#报名, +1, a copied list), the bot reminds
them, the leader marks who came and each gets the chain's points once. The clock stands at Wednesday
2026-11-25 10:00 in Shanghai, so 周六9点 is 28 November."""

from __future__ import annotations


import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from storage.models import Chain, ChainAttendance, ChainSignup, LedgerEntry, Member
from tests.test_notices import sent_after

START = "[12号楼群] 李楼长: #接龙 周六9点 楼道大扫除 限3人 每人5分"
HEAD = "#接龙 J1 11月28日 09:00 楼道大扫除\n限3人，每人5分。报名：长按这条消息，点“复制”，在最后加一行“{}. 你的名字”再发出去；或发送 #报名 J1"


def head(signed: int = 0) -> str:
    """The list's first two lines, with ``signed`` names on it."""
    return HEAD.format(signed + 1)


async def started(chat, line: str = START) -> str:
    await chat.setup_building()
    return await chat.one(line)


async def say(chat, line: str, text: str) -> list[str]:
    """``line`` names the group and the speaker; ``text`` is the whole message, line breaks and all."""
    return await chat(line, text=text)


async def names_on(chat, number: int = 1) -> list[tuple[str, bool]]:
    rows = await chat.scalars(select(ChainSignup).where(ChainSignup.chain_id == number).order_by(ChainSignup.id))
    return [(row.name, row.waiting) for row in rows]


async def test_a_leader_starts_a_chain_and_it_reads_like_a_jielong(chat):
    assert await started(chat) == head() + "\n活动前1小时提醒报名的人；活动后楼组长发送 #签到 J1 全部 记分。"
    chain = (await chat.scalars(select(Chain)))[0]
    assert (chain.status, chain.places, chain.points, chain.title) == ("open", 3, 5, "楼道大扫除")
    assert chain.remind_at.isoformat() == "2026-11-28T00:00:00+00:00"  # 08:00 in Shanghai


async def test_residents_sign_up_with_and_without_the_number(chat):
    await started(chat)
    assert await chat.one("[12号楼群] 张阿姨: #报名 J1") == f"@张阿姨 张阿姨 报名成功，第 1 位。\n{head(1)}\n1. 张阿姨"
    assert await chat.one("[12号楼群] 王师傅: #报名") == f"@王师傅 王师傅 报名成功，第 2 位。\n{head(2)}\n1. 张阿姨\n2. 王师傅"
    assert await chat.one("[12号楼群] 张阿姨: #join j1") == (
        "@张阿姨 张阿姨 已经在 J1 的名单上了（第 1 位）。不去了请发送 #取消报名 J1")
    assert await chat.one("[12号楼群] 老周: #接龙列表") == (
        "@老周 本群正在报名的接龙（报名请发送 #报名 加上编号，例如 #报名 J1）：\nJ1 11月28日 09:00 楼道大扫除：已报 2/3 人")
    assert await names_on(chat) == [("张阿姨", False), ("王师傅", False)]


async def test_the_list_of_several_chains_gives_each_its_own_count(chat):
    await started(chat, "[12号楼群] 李楼长: #接龙 周六9点 楼道大扫除 限2人")
    await chat.one("[12号楼群] 李楼长: #接龙 周日9点 敬老探访")
    await chat.one("[12号楼群] 李楼长: #接龙 周日14点 垃圾分类值守")
    for name, line in (("张阿姨", "#报名 J1"), ("王师傅", "#报名 J1"), ("老周", "#报名 J1 候补"), ("老周", "#报名 J2")):
        await chat.one(f"[12号楼群] {name}: {line}")
    assert await chat.one("[12号楼群] 小王: #接龙列表") == (
        "@小王 本群正在报名的接龙（报名请发送 #报名 加上编号，例如 #报名 J1）：\n"
        "J1 11月28日 09:00 楼道大扫除：已报 2/2 人，候补 1\n"
        "J2 11月29日 09:00 敬老探访：已报 1 人\n"
        "J3 11月29日 14:00 垃圾分类值守：已报 0 人")


async def test_only_leaders_start_and_only_in_their_own_building(chat):
    await chat.setup_building()
    await chat.setup_building("11号楼群", "11号楼", "周楼长")
    assert await chat.one("[12号楼群] 张阿姨: #接龙 周六9点 楼道大扫除") == (
        "@张阿姨 只有楼组长可以发起接龙；报名请发送 #报名（有几个接龙时写编号，例如 #报名 J3）。")
    assert await chat.one("[12号楼群] 周楼长: #接龙 周六9点 楼道大扫除") == (
        "@周楼长 只有楼组长可以发起接龙；报名请发送 #报名（有几个接龙时写编号，例如 #报名 J3）。")
    assert await chat.count(Chain) == 0
    await chat.one(START)
    assert await chat.one("[11号楼群] 周楼长: #签到 J1 全部") == "@周楼长 本楼没有接龙 J1，发送 #接龙列表 查看本群的接龙。"
    assert await chat.one("[11号楼群] 周楼长: #取消接龙 J1") == "@周楼长 本楼没有接龙 J1，发送 #接龙列表 查看本群的接龙。"
    assert await chat.one("[12号楼群] 张阿姨: #取消接龙 J1") == (
        "@张阿姨 #取消接龙 只有楼组长可以使用。发送 #帮助 查看你可用的指令。")
    assert await chat.one("[11号楼群] 老吴: #报名 J1") == "@老吴 本楼没有接龙 J1，发送 #接龙列表 查看本群的接龙。"
    assert [c.status for c in await chat.scalars(select(Chain))] == ["open"]


@pytest.mark.parametrize("line, refusal", [
    ("#接龙 楼道大扫除", "没看懂活动时间，可以这样写：#接龙 周六9点 楼道大扫除 限20人 每人5分"),
    ("#接龙 周六9点", "请写上活动内容，例如：#接龙 周六9点 楼道大扫除 限20人 每人5分"),
    ("#接龙 每周六 09:00 楼道大扫除", "接龙要写具体哪一天，例如 周六9点、明天 08:30；每周的活动请每周发一次。"
                                 "例如：#接龙 周六9点 楼道大扫除 限20人 每人5分"),
    ("#接龙 今天 08:00 楼道大扫除", "11月25日 08:00 已经过去了，请写一个以后的时间，例如：#接龙 周六9点 楼道大扫除 限20人 每人5分"),
    ("#接龙 周六9点 楼道大扫除 限0人", "人数限制应为 1 到 500 人，例如：限20人"),
    ("#接龙 周六9点 楼道大扫除 每人51分", "每人最多 50 分，例如：每人5分"),
    ("#接龙 周六9点 清理楼道 每人20分", "清理楼道每人最多 10 分，例如：每人5分"),
    ("#接龙 周六9点 楼道大扫除 提前5分钟", "提醒时间应在活动前 10 分钟到 72 小时之间，例如：提前2小时"),
])
async def test_bad_chains_are_refused_and_change_nothing(chat, line, refusal):
    await chat.setup_building()
    assert await chat.one(f"[12号楼群] 李楼长: {line}") == f"@李楼长 {refusal}"
    assert await chat.count(Chain) == 0


async def test_a_catalogue_activity_gives_its_name_and_points(chat):
    reply = await started(chat, "[12号楼群] 李楼长: #接龙 周六9点 清理楼道 限10人 提前2小时")
    assert reply.startswith("#接龙 J1 11月28日 09:00 清理楼道\n限10人，每人5分。")  # for the group: nobody @-ed
    assert "活动前2小时提醒报名的人" in reply
    chain = (await chat.scalars(select(Chain)))[0]
    assert chain.activity_id is not None and chain.remind_at.isoformat() == "2026-11-27T23:00:00+00:00"


async def test_a_full_chain_says_so_and_offers_the_waiting_list(chat):
    await started(chat, "[12号楼群] 李楼长: #接龙 周六9点 楼道大扫除 限2人 每人5分")
    await chat.one("[12号楼群] 张阿姨: #报名")
    await chat.one("[12号楼群] 王师傅: #报名")
    assert await chat.one("[12号楼群] 老周: #报名 J1") == (
        "@老周 J1 已报满（限2人）。想排候补请发送 #报名 J1 候补，有人取消时按顺序补上。")
    assert await names_on(chat) == [("张阿姨", False), ("王师傅", False)]
    assert (await chat.one("[12号楼群] 老周: #报名 J1 候补")).startswith("@老周 老周 已排候补第 1 位。")
    replies = await chat("[12号楼群] 张阿姨: #取消报名 J1")
    assert replies[0].startswith("@张阿姨 张阿姨 已取消报名 J1。") and replies[0].endswith("1. 王师傅\n2. 老周")
    assert replies[1] == "@老周 有人取消，老周 从候补补上了 J1（楼道大扫除，11月28日 09:00），请准时参加。"
    assert await names_on(chat) == [("王师傅", False), ("老周", False)]
    assert await chat.one("[12号楼群] 张阿姨: #取消报名 J1") == "@张阿姨 你不在 J1 的名单上，不用取消。"


async def test_a_long_list_shows_its_newest_names(chat):
    await started(chat, "[12号楼群] 李楼长: #接龙 周六9点 楼道大扫除")
    for n in range(1, 43):
        reply = await chat.one(f"[12号楼群] 居民{n}: #报名")
    lines = reply.splitlines()
    assert lines[0] == "@居民42 居民42 报名成功，第 42 位。" and lines[3] == "……前 2 位略"
    assert lines[4] == "3. 居民3" and lines[-1] == "42. 居民42" and len(lines) == 44


async def test_signing_up_someone_without_wechat(chat):
    await started(chat)
    assert (await chat.one("[12号楼群] 张阿姨: #报名 J1 代 王奶奶")).startswith(
        "@张阿姨 王奶奶（张阿姨代） 报名成功，第 1 位。")
    assert (await chat.one("[12号楼群] 张阿姨: #报名 J1")).endswith("1. 王奶奶（张阿姨代）\n2. 张阿姨")
    assert await chat.one("[12号楼群] 张阿姨: #报名 J1 代") == "@张阿姨 请写上替谁报名，例如：#报名 J1 代 王奶奶"
    assert (await chat.one("[12号楼群] 张阿姨: #取消报名 J1 代 王奶奶")).endswith(f"{head(1)}\n1. 张阿姨")


async def test_plus_one_signs_up_for_the_only_open_chain(chat):
    await chat.setup_building()
    assert await chat("[12号楼群] 张阿姨: +1") == []  # no chain: a "+1" to something else
    await chat.one(START)
    assert (await chat.one("[12号楼群] 张阿姨: +1")).startswith("@张阿姨 张阿姨 报名成功，第 1 位。")
    assert (await chat.one("[12号楼群] 王师傅: 接龙+1 王奶奶")).startswith("@王师傅 王奶奶（王师傅代） 报名成功，第 2 位。")
    await chat.one("[12号楼群] 李楼长: #接龙 周日9点 敬老探访")
    assert await chat.one("[12号楼群] 老周: +1") == (
        "@老周 本群有 2 个接龙（J1 楼道大扫除、J2 敬老探访），请写上编号，例如：#报名 J1")
    assert await chat("[12号楼群] 老周: +10 分太多了") == []
    assert await names_on(chat) == [("张阿姨", False), ("王奶奶（王师傅代）", False)]


COPIED = [
    "#接龙 J1 11月28日 09:00 楼道大扫除\n限3人，每人5分。报名请发送 #报名 J1\n1. 张阿姨\n2. 老周",
    "#接龙 J1 11月28日 09:00 楼道大扫除\n\n1. 张阿姨\n2. 老周\n",
    "#接龙 J1\n1、张阿姨\n2、老周",
    "#接龙 J1\n1.张阿姨\n2.老周",
    "#接龙 J1\n1) 张阿姨\n2) 老周",
    "＃接龙 Ｊ１\n１．张阿姨\n２．老周",  # full-width, as some phones type it
    "#接龙 J1\n①张阿姨\n②老周",
    "#接龙 J1\n1 张阿姨\n2 老周[强]",
    "#接龙 楼道大扫除\n1. 张阿姨\n2. 老周",  # no number: the title says which chain
    "#接龙\n周六楼道大扫除\n1. 张阿姨\n2. 老周。",  # WeChat's own layout around our title
    "接龙 J1\n1. 张阿姨\n2. 老周",  # sent without the #
    "#接龙 J1 11月28日 09:00 楼道大扫除\n限3人，每人5分。\n1. 张阿姨\n2. 老周\n3.",  # an empty next line kept
]


@pytest.mark.parametrize("text", COPIED)
async def test_a_copied_list_with_ones_name_added_signs_one_up(chat, text):
    await started(chat)
    await chat.one("[12号楼群] 张阿姨: #报名 J1")
    replies = await say(chat, "[12号楼群] 老周: x", text)
    assert len(replies) == 1 and replies[0].startswith("@老周 老周 报名成功，第 2 位。"), replies
    assert await names_on(chat) == [("张阿姨", False), ("老周", False)]


async def test_the_latest_reply_copied_whole_with_ones_name_added_signs_one_up(chat):
    # The list says "长按这条消息，复制": the newest list in the group is a sign-up reply, its first line and all.
    await started(chat)
    reply = await chat.one("[12号楼群] 张阿姨: #报名 J1")
    assert (await say(chat, "[12号楼群] 老周: x", reply + "\n2. 老周")) == [
        f"@老周 老周 报名成功，第 2 位。\n{head(2)}\n1. 张阿姨\n2. 老周"]
    left = (await chat("[12号楼群] 张阿姨: #取消报名 J1"))[0]
    assert (await say(chat, "[12号楼群] 王师傅: x", left + "\n2. 王师傅"))[0].startswith("@王师傅 王师傅 报名成功，第 2 位。")
    assert await names_on(chat) == [("老周", False), ("王师傅", False)]
    assert await say(chat, "[12号楼群] 王师傅: x", left + "\n2. 王师傅") == []  # already on it: nothing to say


async def test_a_copied_list_adds_others_as_signed_up_by_the_sender(chat):
    await started(chat)
    await chat.one("[12号楼群] 张阿姨: #报名 J1")
    reply = await chat.one("[12号楼群] 老周: x", text=f"{head(1)}\n1. 张阿姨\n2. 王奶奶\n3. 老周")
    assert reply == f"@老周 王奶奶（老周代） 报名成功，第 2 位。\n老周 报名成功，第 3 位。\n{head(3)}\n" \
                    "1. 张阿姨\n2. 王奶奶（老周代）\n3. 老周"
    assert await say(chat, "[12号楼群] 老周: x", f"{head(3)}\n1. 张阿姨\n2. 王奶奶（老周代）\n3. 老周") == []


async def test_a_copied_list_of_a_full_chain_is_refused_whole(chat):
    await started(chat, "[12号楼群] 李楼长: #接龙 周六9点 楼道大扫除 限1人")
    await chat.one("[12号楼群] 张阿姨: #报名 J1")
    assert await chat.one("[12号楼群] 老周: x", text="#接龙 J1\n1. 张阿姨\n2. 老周") == (
        "@老周 J1 已报满（限1人）。想排候补请发送 #报名 J1 候补，有人取消时按顺序补上。")
    assert await names_on(chat) == [("张阿姨", False)]


async def test_ordinary_chat_that_starts_with_jielong_stays_unanswered(chat):
    await started(chat)
    assert await chat("[12号楼群] 老周: 接龙 好麻烦") == []
    assert await chat("[12号楼群] 老周: 接龙 J1 明天再说") == []


WECHAT = "#接龙\n周六9点 楼道大扫除，自带扫帚\n例 张三\n\n1. 张阿姨\n2. 王奶奶"


async def test_wechats_own_jielong_is_offered_once_and_taken_over(chat):
    await chat.setup_building()
    await chat.one("[12号楼群] 张阿姨: #我的积分")  # a member of this building, by the name she uses
    assert await chat.one("[12号楼群] 小王: x", text=WECHAT) == (
        "看到一条微信接龙“周六9点 楼道大扫除,自带扫帚”（2 人）。楼组长发送 #接龙 接管 周六9点 每人5分（写上活动时间和积分）"
        "可以交给我管理：报名、活动前提醒、签到记分。")
    assert await say(chat, "[12号楼群] 老周: x", WECHAT + "\n3. 老周") == []  # WeChat reposts at every name
    assert await chat.one("[12号楼群] 张阿姨: #接龙 接管") == "@张阿姨 只有楼组长可以接管接龙；报名请发送 #报名。"
    reply = await chat.one("[12号楼群] 李楼长: #接龙 接管 每人5分")
    assert reply == ("已接管为 J1。\n#接龙 J1 11月28日 09:00 楼道大扫除,自带扫帚\n不限人数，每人5分。"
                     "报名：长按这条消息，点“复制”，在最后加一行“4. 你的名字”再发出去；或发送 #报名 J1\n1. 张阿姨\n2. 王奶奶\n3. 老周")
    rows = await chat.scalars(select(ChainSignup).order_by(ChainSignup.id))
    members = {m.id: m.display_name for m in await chat.scalars(select(Member))}
    # 张阿姨 and 老周 have spoken in the group: theirs are their own sign-ups now; 王奶奶 stays a name.
    assert [(r.name, members.get(r.member_id)) for r in rows] == [("张阿姨", "张阿姨"), ("王奶奶", None), ("老周", "老周")]
    # After the take-over, WeChat's next repost with a name added signs that person up here.
    assert (await chat.one("[12号楼群] 小王: x", text=WECHAT + "\n3. 老周\n4. 小王")).startswith(
        "@小王 小王 报名成功，第 4 位。")


async def test_taking_over_needs_a_jielong_and_a_time(chat):
    await chat.setup_building()
    assert await chat.one("[12号楼群] 李楼长: #接龙 接管") == (
        "@李楼长 本群最近没有看到微信接龙。发起新的接龙请发送：#接龙 周六9点 楼道大扫除 限20人 每人5分")
    await chat("[12号楼群] 小王: x", text="#接龙\n敬老探访\n1. 张阿姨")
    assert await chat.one("[12号楼群] 李楼长: #接龙 接管") == (
        "@李楼长 没看懂活动时间，可以这样写：#接龙 接管 周六9点 每人5分（写上“敬老探访”的时间）")
    assert (await chat.one("[12号楼群] 李楼长: #接龙 接管 周日 14点 限5人")).startswith(
        "已接管为 J1。\n#接龙 J1 11月29日 14:00 敬老探访\n限5人，不计积分。")


async def test_a_wechat_jielong_nobody_took_over_is_forgotten_after_a_week(chat, clock):
    await chat.setup_building()
    await chat("[12号楼群] 小王: x", text="#接龙\n敬老探访\n1. 张阿姨")
    clock.advance(days=6)
    await chat.app.schedules.jobs.run("close_chains")
    assert "已接管为 J1" in await chat.one("[12号楼群] 李楼长: #接龙 接管 周日 14点")
    await chat("[12号楼群] 小王: x", text="#接龙\n垃圾分类值守\n1. 张阿姨")
    clock.advance(days=7)
    await chat.app.schedules.jobs.run("close_chains")
    assert await chat.one("[12号楼群] 李楼长: #接龙 接管 周日 14点") == (
        "@李楼长 本群最近没有看到微信接龙。发起新的接龙请发送：#接龙 周六9点 楼道大扫除 限20人 每人5分")


async def test_the_reminder_is_one_post_mentioning_the_signed_up_at_the_time_set(chat, clock):
    await started(chat)
    for name in ("张阿姨", "王师傅"):
        await chat.one(f"[12号楼群] {name}: #报名")
    await chat.one("[12号楼群] 张阿姨: #报名 J1 代 王奶奶")
    before = len(chat.transport.sent)
    await chat.app.schedules.jobs.run("chain_reminders")
    assert await sent_after(chat, before) == []  # not yet
    clock.set_local("2026-11-28 08:00", chat.app.settings.timezone)
    await chat.app.schedules.jobs.run("chain_reminders")
    await chat.app.schedules.jobs.run("chain_reminders")  # once only
    assert await sent_after(chat, before) == [
        "[12号楼群] @张阿姨 @王师傅 【接龙提醒】J1 楼道大扫除 11月28日 09:00 开始，已报名 3 人：张阿姨、王师傅、"
        "王奶奶（张阿姨代）。请准时参加；去不了请发送 #取消报名 J1"]


async def test_a_reminder_in_the_quiet_hours_waits_for_the_morning(chat, clock):
    await started(chat, "[12号楼群] 李楼长: #接龙 周六 8:00 晨练 提前10小时")  # the reminder: Friday 22:00
    await chat.one("[12号楼群] 张阿姨: #报名")
    before = len(chat.transport.sent)
    clock.set_local("2026-11-27 22:05", chat.app.settings.timezone)
    await chat.app.schedules.jobs.run("chain_reminders")
    assert await sent_after(chat, before) == []
    clock.set_local("2026-11-28 07:01", chat.app.settings.timezone)
    said = await sent_after(chat, before)
    assert len(said) == 1 and said[0].startswith("[12号楼群] @张阿姨 【接龙提醒】J1 晨练")


async def signed_up_three(chat, clock) -> None:
    await started(chat)
    for name in ("张阿姨", "王师傅", "老周"):
        await chat.one(f"[12号楼群] {name}: #报名 J1")
    clock.set_local("2026-11-28 11:00", chat.app.settings.timezone)


async def test_attendance_pays_each_attendee_once_and_tells_the_leader_who_did_not_come(chat, clock):
    await signed_up_three(chat, clock)
    sent = await chat.send(chat.message("[12号楼群] 李楼长: #签到 J1 全部 除 @老周"))
    assert [(r.room_id, chat.transport.render(r)) for r in sent] == [
        ("12号楼群", "@张阿姨 @王师傅 J1 楼道大扫除 签到：张阿姨、王师傅 各 +5 分，谢谢大家！"),
        ("李楼长", "J1 楼道大扫除：报了名没有签到的有 老周（只发给你）。")]
    assert await chat("[12号楼群] 李楼长: #签到 J1 @张阿姨 @老周") == [
        "@老周 J1 楼道大扫除 签到：老周 各 +5 分，谢谢大家！", "@李楼长 已经签到过（不重复记分）：张阿姨"]
    entries = await chat.scalars(select(LedgerEntry).order_by(LedgerEntry.id))
    assert [(e.amount, e.kind, e.ref_type, e.ref_id) for e in entries] == [(5, "activity", "chain", 1)] * 3
    assert await chat.one("[12号楼群] 张阿姨: #我的积分") == (
        "@张阿姨 你的爱心积分：余额 5 分；本周得 5 分，本月得 5 分；本周在12号楼排第 1 名（共 3 人上榜）。")


async def test_attendance_is_marked_by_leaders_after_the_time(chat, clock):
    await started(chat)
    await chat.one("[12号楼群] 张阿姨: #报名 J1")
    assert await chat.one("[12号楼群] 李楼长: #签到 J1 全部") == (
        "@李楼长 J1 的活动还没开始（11月28日 09:00），活动开始后再签到。")
    clock.set_local("2026-11-28 11:00", chat.app.settings.timezone)
    assert await chat.one("[12号楼群] 张阿姨: #签到 J1 全部") == "@张阿姨 #签到 只有楼组长可以使用。发送 #帮助 查看你可用的指令。"
    assert await chat.one("[12号楼群] 李楼长: #签到 J1") == (
        "@李楼长 请@来参加的人，例如：#签到 J1 @张阿姨 @王师傅，或 #签到 J1 全部")
    assert await chat.count(LedgerEntry) == 0


async def test_a_leader_does_not_pay_themselves_and_all_but_needs_its_but(chat, clock):
    await signed_up_three(chat, clock)
    await chat.one("[12号楼群] 李楼长: #报名 J1 候补")  # full: the leader waits, like anyone
    await chat("[12号楼群] 老周: #取消报名 J1")  # ... and takes 老周's place
    await chat.one("[12号楼群] 王主任: #设角色 @网格长老陈 网格长")
    assert await chat.one("[12号楼群] 李楼长: #签到 J1 全部 @王师傅") == (
        "@李楼长 请这样写：#签到 J1 全部，或 #签到 J1 全部 除 @李某")
    assert await chat("[12号楼群] 李楼长: #签到 J1 全部") == [
        "@张阿姨 @王师傅 J1 楼道大扫除 签到：张阿姨、王师傅 各 +5 分，谢谢大家！",
        "@李楼长 你自己的签到请另一位楼组长记：#签到 J1 @李楼长"]
    assert (await chat("[12号楼群] 网格长老陈: #签到 J1 @李楼长"))[0] == (
        "@李楼长 J1 楼道大扫除 签到：李楼长 各 +5 分，谢谢大家！")
    assert await chat.count(LedgerEntry) == 3


async def test_one_attendance_per_chain_and_person_is_a_constraint_of_the_database(chat, clock):
    await signed_up_three(chat, clock)
    await chat("[12号楼群] 李楼长: #签到 J1 @张阿姨")
    zhang = (await chat.scalars(select(Member).where(Member.display_name == "张阿姨")))[0]
    with pytest.raises(IntegrityError):
        async with chat.app.sessions() as session, session.begin():
            session.add(ChainAttendance(chain_id=1, member_id=zhang.id, points=5, marked_by=zhang.id,
                                        created_at=chat.app.clock()))


async def test_a_redelivered_sign_up_or_attendance_has_no_second_effect(chat, clock):
    await started(chat)
    message = chat.message("[12号楼群] 张阿姨: +1")
    assert len(await chat.send(message)) == 1
    assert await chat.send(message) == []
    clock.set_local("2026-11-28 11:00", chat.app.settings.timezone)
    marking = chat.message("[12号楼群] 李楼长: #签到 J1 全部")
    await chat.send(marking)
    assert await chat.send(marking) == []
    assert await chat.count(ChainSignup) == 1 and await chat.count(LedgerEntry) == 1


async def test_attendance_keeps_to_the_activitys_daily_cap(chat, clock):
    # 清理楼道: 5 points, 2 a day. 张阿姨 claimed it twice today already.
    await started(chat, "[12号楼群] 李楼长: #接龙 今天 14:00 清理楼道")
    for name in ("张阿姨", "老周"):
        await chat.one(f"[12号楼群] {name}: #报名")
    await chat.one("[12号楼群] 张阿姨: #打卡 清理楼道 2")
    clock.set_local("2026-11-25 15:00", chat.app.settings.timezone)
    assert await chat("[12号楼群] 李楼长: #签到 J1 全部") == [
        "@老周 J1 清理楼道 签到：老周 各 +5 分，谢谢大家！",
        "@李楼长 今天的清理楼道已达每日上限（2次），记了签到没加分：张阿姨"]
    # ... and the chain counts toward the claim's cap the other way round.
    assert "清理楼道每天最多记 2次，多出的 1次已提交为" in await chat.one("[12号楼群] 老周: #打卡 清理楼道 2")


async def test_a_cancelled_chain_tells_everyone_on_it(chat):
    await started(chat)
    await chat.one("[12号楼群] 张阿姨: #报名")
    await chat.one("[12号楼群] 王师傅: #报名 J1 代 王奶奶")
    assert await chat.one("[12号楼群] 李楼长: #取消接龙 J1") == (
        "@张阿姨 @王师傅 J1（11月28日 09:00 楼道大扫除）已取消，报名的各位不用去了。——李楼长")
    assert await chat.one("[12号楼群] 老周: #报名 J1") == (
        "@老周 J1（楼道大扫除）已经取消，发送 #接龙列表 查看本群正在报名的接龙。")
    assert await chat.one("[12号楼群] 老周: #接龙列表") == (
        "@老周 本群现在没有正在报名的接龙。楼组长可以这样发起：#接龙 周六9点 楼道大扫除 限20人 每人5分")


async def test_a_chain_closes_by_itself_a_day_after_its_time(chat, clock):
    await signed_up_three(chat, clock)
    tz = chat.app.settings.timezone
    clock.set_local("2026-11-29 08:59", tz)
    await chat.app.schedules.jobs.run("close_chains")
    assert [c.status for c in await chat.scalars(select(Chain))] == ["open"]
    clock.set_local("2026-11-29 09:00", tz)
    await chat.app.schedules.jobs.run("close_chains")
    assert [c.status for c in await chat.scalars(select(Chain))] == ["closed"]
    assert "本群现在没有正在报名的接龙" in await chat.one("[12号楼群] 老周: #接龙列表")
    assert "已经结束" in await chat.one("[12号楼群] 小王: #报名 J1")
    assert "各 +5 分" in (await chat("[12号楼群] 李楼长: #签到 J1 @张阿姨"))[0]  # late marking still counts


async def test_attendance_counts_toward_the_star_ratings_participation(chat, clock):
    await signed_up_three(chat, clock)
    before = await chat.one("[12号楼群] 张阿姨: #排行")
    assert "0%的住户参与了" in before
    await chat("[12号楼群] 李楼长: #签到 J1 @张阿姨")
    after = await chat.one("[12号楼群] 张阿姨: #排行")
    assert "1. 张阿姨 5 分" in after and "25%的住户参与了" in after  # 1 of 4 members: three and the leader (not the admin)


async def test_the_honour_list_names_the_months_most_faithful_attendees(chat, clock, settings):
    await chat.setup_building()
    await chat.setup_building("11号楼群", "11号楼", "周楼长")
    tz = chat.app.settings.timezone
    for day, leader, room in (("周四", "李楼长", "12号楼群"), ("周五", "李楼长", "12号楼群"), ("周五", "周楼长", "11号楼群")):
        await chat.one(f"[{room}] {leader}: #接龙 {day}9点 捡垃圾")
    await chat.one("[12号楼群] 张阿姨: #报名 J1")
    await chat.one("[12号楼群] 张阿姨: #报名 J2")
    await chat.one("[11号楼群] 老吴: #报名 J3")
    clock.set_local("2026-11-27 12:00", tz)
    for number, room, leader in ((1, "12号楼群", "李楼长"), (2, "12号楼群", "李楼长"), (3, "11号楼群", "周楼长")):
        await chat(f"[{room}] {leader}: #签到 J{number} 全部")
    clock.set_local("2026-12-01 10:00", tz)
    before = len(chat.transport.sent)
    await chat.app.schedules.jobs.run("honour_list")
    text = (await sent_after(chat, before))[0]
    assert "◆ 活动之星\n1. 张阿姨（12号楼）参加接龙活动 2 次\n2. 老吴（11号楼）参加接龙活动 1 次\n" in text
