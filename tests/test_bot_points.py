"""Claims through the chat: the catalogue, quantities, daily caps and one's points."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import Activity, Building, Claim, LedgerEntry
from storage.queries import week_bounds
from storage.ratings import star_rating


async def test_claim_is_auto_approved_and_counts_toward_points(chat):
    await chat.setup_building()
    assert await chat.one("[12号楼群] 张阿姨: #打卡 捡垃圾") == (
        "@张阿姨 C1 已记录：捡垃圾 1次，+2 分，当前积分 2 分。谢谢你为楼里出力！")
    assert "+10 分，当前积分 12 分" in await chat.one("[12号楼群] 张阿姨: #claim 清理楼道 2")
    assert await chat.one("[12号楼群] 张阿姨: #我的积分") == (
        "@张阿姨 你的爱心积分：余额 12 分；本周得 12 分，本月得 12 分；本周在12号楼排第 1 名（共 1 人上榜）。")
    entries = await chat.scalars(select(LedgerEntry).order_by(LedgerEntry.id))
    assert [(e.amount, e.kind, e.ref_type, e.ref_id) for e in entries] == [(2, "claim", "claim", 1),
                                                                          (10, "claim", "claim", 2)]
    assert all(e.author_id is not None and e.reason for e in entries)


async def test_over_the_daily_cap_waits_for_a_leader(chat, clock):
    await chat.setup_building()
    assert "C1 已记录" in await chat.one("[12号楼群] 张阿姨: #打卡 捡垃圾 3")
    reply = await chat.one("[12号楼群] 张阿姨: #打卡 捡垃圾")
    assert reply == ("@张阿姨 C2 已提交：捡垃圾 1次（2 分）。今天的捡垃圾已达每日上限（3次），这一条请楼组长审核。")
    assert [c.status for c in await chat.scalars(select(Claim).order_by(Claim.id))] == ["approved", "pending"]
    assert await chat.count(LedgerEntry) == 1
    clock.advance(days=1)  # a new day, a new cap
    assert "C3 已记录" in await chat.one("[12号楼群] 张阿姨: #打卡 捡垃圾")


async def test_the_day_is_the_community_day_not_utc(chat, clock, settings):
    await chat.setup_building()
    clock.set_local("2026-11-25 23:50", settings.timezone)
    assert "已记录" in await chat.one("[12号楼群] 张阿姨: #打卡 门前三包")
    clock.set_local("2026-11-26 00:10", settings.timezone)  # same UTC day, next local day
    assert "已记录" in await chat.one("[12号楼群] 张阿姨: #打卡 门前三包")


async def test_approval_activity_is_pending(chat):
    await chat.setup_building()
    assert await chat.one("[12号楼群] 张阿姨: #打卡 志愿服务 2小时") == (
        "@张阿姨 C1 已提交：志愿服务 2小时（20 分），等待楼组长审核。")
    assert await chat.count(LedgerEntry) == 0


async def test_bad_quantities_are_refused_and_change_nothing(chat):
    await chat.setup_building()
    for bad in ("0", "-1", "1.5", "4", "零"):
        reply = await chat.one(f"[12号楼群] 张阿姨: #打卡 捡垃圾 {bad}")
        assert reply == "@张阿姨 捡垃圾的数量应为 1 到 3 之间的整数（单位：次），例如：#打卡 捡垃圾 2", bad
    assert "1 到 8 之间" in await chat.one("[12号楼群] 张阿姨: #打卡 志愿服务 9")
    assert "请写上做了几小时" in await chat.one("[12号楼群] 张阿姨: #打卡 志愿服务")
    assert await chat.count(Claim) == 0


async def test_unknown_activity_lists_the_catalogue(chat):
    await chat.setup_building()
    reply = await chat.one("[12号楼群] 张阿姨: #打卡 跳广场舞")
    assert reply.startswith("@张阿姨 没有“跳广场舞”这个活动。可打卡的活动：捡垃圾（2分/次）")
    assert "志愿服务（10分/小时）" in reply
    assert await chat.count(Claim) == 0


async def test_a_claim_without_an_activity_or_with_an_unknown_one_and_a_number_says_what_to_write(chat):
    await chat.setup_building()
    catalogue = "捡垃圾（2分/次）、清理楼道（5分/次）、门前三包（2分/次）、宣传（3分/次）、志愿服务（10分/小时）"
    assert await chat.one("[12号楼群] 张阿姨: #打卡") == (
        f"@张阿姨 请写上做了什么活动，例如：#打卡 捡垃圾。可打卡的活动：{catalogue}")
    assert await chat.one("[12号楼群] 张阿姨: #打卡 跳广场舞 2") == f"@张阿姨 没有“跳广场舞”这个活动。可打卡的活动：{catalogue}"
    assert await chat.count(Claim) == 0


async def test_points_taken_this_week_beyond_what_it_earned_are_said_as_fewer(chat, clock, settings):
    await chat.setup_building()
    clock.set_local("2026-11-16 10:00", settings.timezone)  # the Monday of the week before
    await chat.one("[12号楼群] 李楼长: #加分 @张阿姨 10 帮忙搬运物资")
    clock.set_local("2026-11-25 10:00", settings.timezone)
    await chat.one("[12号楼群] 李楼长: #扣分 @张阿姨 4 重复打卡")
    assert await chat.one("[12号楼群] 张阿姨: #我的积分") == (
        "@张阿姨 你的爱心积分：余额 6 分；本周少了 4 分，本月得 6 分；本周还没有上榜，去 #打卡 吧。")


async def test_a_claim_note_is_kept_to_200_characters(chat):
    await chat.setup_building()
    note = "帮邻居" * 90  # 270 characters
    await chat.one(f"[12号楼群] 张阿姨: #打卡 捡垃圾 {note}")
    assert [c.note for c in await chat.scalars(select(Claim))] == [note[:200]]


async def test_rank_in_the_building_this_week(chat, clock):
    await chat.setup_building()
    await chat.one("[12号楼群] 张阿姨: #打卡 清理楼道")
    await chat.one("[12号楼群] 老周: #打卡 捡垃圾")
    await chat.one("[12号楼群] 小王: #打卡 清理楼道")
    assert "排第 1 名（共 3 人上榜）" in await chat.one("[12号楼群] 张阿姨: #我的积分")
    assert "排第 1 名（共 3 人上榜）" in await chat.one("[12号楼群] 小王: #我的积分")  # ties share a rank
    assert "排第 3 名" in await chat.one("[12号楼群] 老周: #我的积分")
    assert "还没有上榜" in await chat.one("[12号楼群] 新邻居: #我的积分")
    clock.advance(days=5)  # Monday 30 November: a new week, the same month
    assert await chat.one("[12号楼群] 张阿姨: #积分") == (
        "@张阿姨 你的爱心积分：余额 5 分；本周还没得分，本月得 5 分；本周还没有上榜，去 #打卡 吧。")


async def test_points_stay_with_their_building(chat):
    await chat.setup_building("12号楼群", "12号楼")
    await chat.one("[11号楼群] 王主任: #绑定 11号楼")
    await chat.one("[12号楼群] 张阿姨: #打卡 清理楼道")
    assert "还没有上榜" in await chat.one("[11号楼群] 老周: #我的积分")


# Boundaries: each of these was once a changed comparison or constant that no test noticed --------

async def test_a_new_member_is_told_all_zero_not_a_point_from_nowhere(chat):
    await chat.setup_building()
    assert await chat.one("[12号楼群] 新邻居: #我的积分") == (
        "@新邻居 你的爱心积分：余额 0 分；本周还没得分，本月还没得分；本周还没有上榜，去 #打卡 吧。")


async def test_a_claim_at_local_monday_midnight_is_this_weeks_not_last_weeks(chat, clock, settings):
    await chat.setup_building()
    tz = settings.timezone
    clock.set_local("2026-11-29 23:59:59", tz)  # Sunday: the last second of last week
    await chat.one("[12号楼群] 张阿姨: #打卡 捡垃圾")
    clock.set_local("2026-11-30 00:00", tz)  # Monday 00:00: the first moment of this week
    await chat.one("[12号楼群] 老周: #打卡 清理楼道")
    assert await chat.one("[12号楼群] 老周: #我的积分") == (
        "@老周 你的爱心积分：余额 5 分；本周得 5 分，本月得 5 分；本周在12号楼排第 1 名（共 1 人上榜）。")
    assert await chat.one("[12号楼群] 张阿姨: #我的积分") == (
        "@张阿姨 你的爱心积分：余额 2 分；本周还没得分，本月得 2 分；本周还没有上榜，去 #打卡 吧。")
    # Three members have this building (李楼长, 张阿姨, 老周: the administrator 王主任 is nobody's member);
    # one has points this week.
    assert await chat.one("[12号楼群] 老周: #排行") == (
        "@老周 本周12号楼爱心积分榜：\n1. 老周 5 分\n"
        "本楼星级：★★☆☆☆（2 星）\n33%的住户参与了，没有人巡查，没有报修，人均 1.7 分。")
    # Last week's ranking, posted on Monday morning, has only last week's claim.
    clock.set_local("2026-11-30 09:00", tz)
    before = len(chat.transport.sent)
    await chat.app.schedules.jobs.run("weekly_ranking")
    await chat.app.outbox.drain()
    assert [r.text for r in chat.transport.sent[before:]] == [
        "【12号楼 上周爱心积分榜】11月23日–11月29日\n1. 张阿姨 2 分\n"
        # Bound on 25 November: the week before has no stars to compare with, and none is made up.
        "本楼星级：★★☆☆☆（2 星）\n33%的住户参与了，没有人巡查，没有报修，人均 0.7 分。\n"
        "谢谢大家！发送 #排行 可随时查看本周排行。"]


async def test_a_claim_at_local_midnight_counts_toward_that_days_cap(chat, clock, settings):
    await chat.setup_building()
    clock.set_local("2026-11-26 00:00", settings.timezone)
    assert "C1 已记录" in await chat.one("[12号楼群] 张阿姨: #打卡 捡垃圾 3")
    assert await chat.one("[12号楼群] 张阿姨: #打卡 捡垃圾") == (
        "@张阿姨 C2 已提交：捡垃圾 1次（2 分）。今天的捡垃圾已达每日上限（3次），这一条请楼组长审核。")


async def test_one_thanks_is_enough_to_be_ranked_and_to_count_as_taking_part(chat):
    await chat.setup_building()
    await chat.one("[12号楼群] 张阿姨: #点赞 @王师傅 楼道扫得真干净")
    assert await chat.one("[12号楼群] 王师傅: #我的积分") == (
        "@王师傅 你的爱心积分：余额 1 分；本周得 1 分，本月得 1 分；本周在12号楼排第 1 名（共 1 人上榜）。")
    # Three members have this building (李楼长, 张阿姨, 王师傅; not the administrator): one took part.
    assert await chat.one("[12号楼群] 王师傅: #排行") == (
        "@王师傅 本周12号楼爱心积分榜：\n1. 王师傅 1 分\n"
        "本楼星级：★★☆☆☆（2 星）\n33%的住户参与了，没有人巡查，没有报修，人均 0.3 分。")


async def test_when_a_claim_is_decided_is_written_down(chat, clock):
    await chat.setup_building()
    await chat.one("[12号楼群] 张阿姨: #打卡 捡垃圾")  # auto-approved: decided at once
    await chat.one("[12号楼群] 张阿姨: #打卡 志愿服务 2")  # waits for a leader
    rows = [(c.status, c.points, c.decided_at, c.decided_by) for c in await chat.scalars(select(Claim).order_by(Claim.id))]
    assert rows == [("approved", 2, clock(), None), ("pending", 20, None, None)]


async def test_points_awarded_and_deducted_again_this_week_are_not_a_place_in_the_ranking(chat):
    await chat.setup_building()
    await chat.one("[12号楼群] 老周: #打卡 捡垃圾")
    await chat.one("[12号楼群] 李楼长: #加分 @张阿姨 5 帮忙")
    await chat.one("[12号楼群] 李楼长: #扣分 @张阿姨 5 记错了人")  # this week: +5 and -5
    assert await chat.one("[12号楼群] 张阿姨: #我的积分") == (
        "@张阿姨 你的爱心积分：余额 0 分；本周还没得分，本月还没得分；本周还没有上榜，去 #打卡 吧。")
    assert (await chat.one("[12号楼群] 老周: #我的积分")).endswith("本周在12号楼排第 1 名（共 1 人上榜）。")
    ranking = (await chat.one("[12号楼群] 老周: #排行")).split("\n")
    assert ranking[:2] == ["@老周 本周12号楼爱心积分榜：", "1. 老周 2 分"] and ranking[2].startswith("本楼星级：")



async def test_a_week_whose_points_came_to_nothing_is_rated_at_none_each(chat, settings):
    await chat.setup_building()
    await chat.one("[12号楼群] 李楼长: #加分 @张阿姨 5 帮忙")
    await chat.one("[12号楼群] 李楼长: #扣分 @张阿姨 5 记错了人")  # this week's points: +5 and -5, none in all
    # 张阿姨 took part (an entry of points); the two members have 0 points each.
    assert await chat.one("[12号楼群] 张阿姨: #排行") == (
        "@张阿姨 本周12号楼爱心积分榜：\n还没有人上榜，快来 #打卡 吧！\n"
        "本楼星级：★★★☆☆（3 星）\n50%的住户参与了，没有人巡查，没有报修，人均 0 分。")
    async with chat.app.sessions() as session:  # the part the committee's desk charts: none, not a point made up
        [building] = await session.scalars(select(Building))
        rating = await star_rating(session, building, *week_bounds(chat.app.clock(), settings.timezone), settings)
    assert (rating.points, rating.points_each) == (0.0, 0.0)

async def test_december_is_a_month_too_and_a_month_ends_at_the_next_months_first_moment(chat, clock, settings):
    await chat.setup_building()
    tz = settings.timezone
    clock.set_local("2026-11-30 23:59:59", tz)
    await chat.one("[12号楼群] 张阿姨: #打卡 清理楼道")  # November's
    clock.set_local("2026-12-01 00:00", tz)
    await chat.one("[12号楼群] 老周: #打卡 捡垃圾")  # December's
    clock.set_local("2026-12-01 10:00", tz)
    before = len(chat.transport.sent)
    await chat.app.schedules.jobs.run("honour_list")
    await chat.app.outbox.drain()
    assert [r.text for r in chat.transport.sent[before:]] == [
        "【2026年11月光荣榜】\n◆ 爱心积分前十名\n1. 张阿姨（12号楼）5 分\n◆ 各楼第一名\n12号楼：张阿姨 5 分\n"
        "谢谢大家为社区出力！"]  # no cleaner thanked, no star building: those sections are left out, not "nobody"
    clock.set_local("2026-12-31 23:00", tz)  # December's last hour: the month runs to 1 January 2027
    await chat.one("[12号楼群] 老周: #打卡 清理楼道")
    assert await chat.one("[12号楼群] 老周: #我的积分") == (
        "@老周 你的爱心积分：余额 7 分；本周得 5 分，本月得 7 分；本周在12号楼排第 1 名（共 1 人上榜）。")


async def test_a_claim_waiting_for_a_leader_counts_toward_the_daily_cap_and_a_rejected_one_does_not(chat):
    await chat.setup_building()
    async with chat.app.sessions() as session, session.begin():
        entry = await session.scalar(select(Activity).where(Activity.name == "宣传"))
        entry.auto_approve = False  # 宣传: at most 2 a day, each checked by a leader
    assert await chat.one("[12号楼群] 张阿姨: #打卡 宣传 2") == "@张阿姨 C1 已提交：宣传 2次（6 分），等待楼组长审核。"
    assert await chat.one("[12号楼群] 张阿姨: #打卡 宣传") == (
        "@张阿姨 C2 已提交：宣传 1次（3 分）。今天的宣传已达每日上限（2次），这一条请楼组长审核。")
    await chat.one("[12号楼群] 李楼长: #驳回 C1")
    assert await chat.one("[12号楼群] 张阿姨: #打卡 宣传") == "@张阿姨 C3 已提交：宣传 1次（3 分），等待楼组长审核。"


async def test_the_longest_activity_name_the_words_start_with_wins(chat):
    await chat.setup_building()
    async with chat.app.sessions() as session, session.begin():
        session.add(Activity(name="宣传栏布置", points=4, unit="次", auto_approve=True, daily_cap=1, max_quantity=1,
                             active=True))
    assert await chat.one("[12号楼群] 张阿姨: #打卡 宣传栏布置") == (
        "@张阿姨 C1 已记录：宣传栏布置 1次，+4 分，当前积分 4 分。谢谢你为楼里出力！")
