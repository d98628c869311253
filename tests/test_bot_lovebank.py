"""The love savings bank through the chat: approvals, awards, thanks, patrols, gifts, rankings."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import Activity, Claim, Gift, LedgerEntry, Member, Patrol, Redemption, Thanks


async def pending_claim(chat, who="张阿姨", hours=2) -> str:
    reply = await chat.one(f"[12号楼群] {who}: #打卡 志愿服务 {hours}")
    assert "等待楼组长审核" in reply
    return reply.split()[1]  # "C1"


async def balance(chat, who="张阿姨") -> str:
    reply = await chat.one(f"[12号楼群] {who}: #我的积分")
    return reply.split("余额 ")[1].split(" 分")[0]


# Claims: review, approve, reject ---------------------------------------------

async def test_leader_reviews_and_approves_a_claim(chat):
    await chat.setup_building()
    await pending_claim(chat)
    assert await chat.one("[12号楼群] 李楼长: #审核") == (
        "@李楼长 待审核（例如：#通过 C1，#驳回 C1 时长不对）：\nC1 张阿姨 志愿服务 2小时 20分")
    assert await chat.one("[12号楼群] 李楼长: #通过 C1") == (
        "@张阿姨 C1 已通过：志愿服务 2小时，+20 分。（审核：李楼长）")
    assert await balance(chat) == "20"
    assert await chat.one("[12号楼群] 李楼长: #通过 c1") == "@李楼长 C1 已通过，不能再审核。"
    assert await chat.one("[12号楼群] 李楼长: #驳回 C1") == "@李楼长 C1 已通过，不能再审核。"
    assert await chat.count(LedgerEntry) == 1
    assert await chat.one("[12号楼群] 李楼长: #审核") == "@李楼长 本楼没有待审核的申请，也没有待发放的礼品。"


async def test_reject_tells_the_claimant_why(chat):
    await chat.setup_building()
    await pending_claim(chat)
    assert await chat.one("[12号楼群] 李楼长: #驳回 C1 时长对不上") == (
        "@张阿姨 C1（志愿服务 2小时）未通过，原因：时长对不上。（审核：李楼长）")
    assert await chat.count(LedgerEntry) == 0
    assert [c.status for c in await chat.scalars(select(Claim))] == ["rejected"]


async def test_claim_refusals(chat):
    await chat.setup_building()
    await chat.one("[11号楼群] 王主任: #绑定 11号楼")
    await chat.one("[11号楼群] 王主任: #设楼组长 @周楼长")
    await pending_claim(chat)
    assert "只有楼组长" in await chat.one("[12号楼群] 张阿姨: #通过 C1")
    assert await chat.one("[11号楼群] 周楼长: #通过 C1") == "@周楼长 本楼没有申请 C1，发送 #审核 查看待审核的申请。"
    assert await chat.one("[12号楼群] 李楼长: #通过 C99") == "@李楼长 本楼没有申请 C99，发送 #审核 查看待审核的申请。"
    assert await chat.one("[12号楼群] 李楼长: #通过") == "@李楼长 请写上申请编号，例如：#通过 C5"
    await pending_claim(chat, who="李楼长")
    assert await chat.one("[12号楼群] 李楼长: #通过 C2") == "@李楼长 C2 是你自己的申请，请另一位楼组长或网格长审核。"
    assert [c.status for c in await chat.scalars(select(Claim).order_by(Claim.id))] == ["pending", "pending"]


async def test_grid_leader_and_admin_may_approve(chat):
    await chat.setup_building()
    await chat.one("[12号楼群] 王主任: #设角色 @网格长老陈 网格长")
    await pending_claim(chat)
    await pending_claim(chat, who="老周", hours=1)
    assert "C1 已通过" in await chat.one("[12号楼群] 网格长老陈: #approve C1")
    assert "C2 已通过" in await chat.one("[12号楼群] 王主任: #通过 2")


# Awards and deductions ---------------------------------------------------------

async def test_award_and_deduct_with_reasons(chat):
    await chat.setup_building()
    assert await chat.one("[12号楼群] 李楼长: #加分 @张阿姨 5 帮忙清理楼道") == (
        "@张阿姨 李楼长 为你加 5 分：帮忙清理楼道。谢谢你！")
    assert await chat.one("[12号楼群] 李楼长: #扣分 @张阿姨 2 重复打卡") == (
        "@张阿姨 李楼长 扣除你 2 分：重复打卡。如有疑问请联系楼组长。")
    entries = await chat.scalars(select(LedgerEntry).order_by(LedgerEntry.id))
    assert [(e.amount, e.kind, e.reason) for e in entries] == [(5, "award", "帮忙清理楼道"), (-2, "deduction", "重复打卡")]
    assert await balance(chat) == "3"


async def test_award_refusals_change_nothing(chat):
    await chat.setup_building()
    cases = {
        "#加分 @张阿姨 5": "@李楼长 请写上原因，例如：#加分 @张阿姨 5 帮忙清理楼道",
        "#加分 @张阿姨 0 好": "@李楼长 分数应为 1 到 50 之间的整数，例如：#加分 @张阿姨 5 帮忙清理楼道",
        "#加分 @张阿姨 51 好": "@李楼长 分数应为 1 到 50 之间的整数，例如：#加分 @张阿姨 5 帮忙清理楼道",
        "#加分 @张阿姨 -3 好": "@李楼长 分数应为 1 到 50 之间的整数，例如：#加分 @张阿姨 5 帮忙清理楼道",
        "#加分 @张阿姨 五十一 好": "@李楼长 分数应为 1 到 50 之间的整数，例如：#加分 @张阿姨 5 帮忙清理楼道",
        "#加分 5 好": "@李楼长 请@一位群成员（先打 @，再从名单里点选这个人），例如：#加分 @张阿姨 5 帮忙清理楼道",
        "#加分 @李楼长 5 辛苦": "@李楼长 不能给自己加分或扣分，请另一位楼组长操作。",
        "#扣分 @张阿姨 5 违规停车": "@李楼长 张阿姨 现在没有积分，扣不了分。",
    }
    for line, expected in cases.items():
        assert await chat.one(f"[12号楼群] 李楼长: {line}") == expected, line
    assert "只有楼组长" in await chat.one("[12号楼群] 张阿姨: #加分 @老周 5 好人")
    assert await chat.count(LedgerEntry) == 0


async def test_deduction_never_takes_a_balance_below_zero(chat):
    await chat.setup_building()
    await chat.one("[12号楼群] 张阿姨: #打卡 捡垃圾")  # 2 points
    assert await chat.one("[12号楼群] 李楼长: #扣分 @张阿姨 3 错误") == "@李楼长 张阿姨 只有 2 分，最多扣 2 分。"
    assert "扣除你 2 分" in await chat.one("[12号楼群] 李楼长: #扣分 @张阿姨 2 错误")
    assert await balance(chat) == "0"


# Thanks ------------------------------------------------------------------------

async def test_thanks_gives_a_point_with_limits(chat, clock):
    await chat.setup_building()
    assert await chat.one("[12号楼群] 张阿姨: #点赞 @王师傅 楼道扫得真干净") == (
        "@王师傅 张阿姨 为你点赞：楼道扫得真干净！+1 分")
    assert await chat.one("[12号楼群] 张阿姨: #点赞 @王师傅 又扫了一遍") == (
        "@张阿姨 你今天已经为 王师傅 点过赞了，明天再来吧。")
    assert await chat.one("[12号楼群] 张阿姨: #点赞 @张阿姨") == "@张阿姨 不能给自己点赞哦，去感谢一下帮过你的邻居吧。"
    assert await chat.one("[12号楼群] 张阿姨: #点赞 谢谢大家") == "@张阿姨 请@一位群成员（先打 @，再从名单里点选这个人），例如：#点赞 @王师傅 楼道扫得真干净"
    assert "+1 分" in await chat.one("[12号楼群] 张阿姨: #thanks @小李")
    assert "+1 分" in await chat.one("[12号楼群] 张阿姨: #点赞 @小赵")
    assert await chat.one("[12号楼群] 张阿姨: #点赞 @小钱") == (
        "@张阿姨 每人每天最多点赞 3 次，今天的已用完，明天再来吧。")
    assert await chat.count(Thanks) == 3 and await chat.count(LedgerEntry) == 3
    clock.advance(days=1)
    assert "+1 分" in await chat.one("[12号楼群] 张阿姨: #点赞 @王师傅")
    assert await balance(chat, "王师傅") == "2"


# Patrols -----------------------------------------------------------------------

async def test_patrol_by_party_members_and_volunteers(chat, clock):
    await chat.setup_building()
    assert await chat.one("[12号楼群] 张阿姨: #巡查") == (
        "@张阿姨 #巡查 只有党员、志愿者或楼组长可以使用。发送 #帮助 查看你可用的指令。")
    assert "已设 老党员 为 12号楼 的党员" in await chat.one("[12号楼群] 王主任: #设角色 @老党员 党员")
    assert await chat.one("[12号楼群] 老党员: #巡查 消防通道畅通") == (
        "@老党员 已记录巡查（今天第 1 次）：消防通道畅通，+3 分。本周12号楼 7 天里已有 1 天有人巡查。")
    assert "第 2 次" in await chat.one("[12号楼群] 老党员: #patrol")
    assert await chat.one("[12号楼群] 老党员: #巡查") == (
        "@老党员 已记录巡查（今天第 3 次）。巡查每天最多加 2 次分，这次不加分，记录照样留着。本周12号楼 7 天里已有 1 天有人巡查。")
    clock.advance(days=1)
    assert "7 天里已有 2 天有人巡查" in await chat.one("[12号楼群] 李楼长: #巡查")
    assert await chat.count(Patrol) == 4
    assert await balance(chat, "老党员") == "6"
    assert "巡查请发送 #巡查" in await chat.one("[12号楼群] 老党员: #打卡 巡查")


# Gifts -------------------------------------------------------------------------

async def test_gift_catalogue_redeem_hand_over(chat):
    await chat.setup_building()
    assert await chat.one("[12号楼群] 张阿姨: #礼品") == (
        "@张阿姨 爱心积分可兑换（例如：#兑换 抽纸）：\n抽纸 10 分（剩 50 件）\n环保购物袋 15 分（剩 50 件）\n"
        "毛巾 20 分（剩 30 件）\n洗洁精 30 分（剩 20 件）")
    assert await chat.one("[12号楼群] 张阿姨: #兑换 抽纸") == "@张阿姨 抽纸需要 10 分，你现在有 0 分，还差 10 分。"
    await chat.one("[12号楼群] 李楼长: #加分 @张阿姨 12 组织楼道清扫")
    assert await chat.one("[12号楼群] 张阿姨: #兑换 抽纸") == (
        "@张阿姨 X1 已兑换 抽纸（-10 分，余额 2 分），请找楼组长领取；领取前可发 #取消 X1。")
    assert "X1 张阿姨 抽纸" in await chat.one("[12号楼群] 李楼长: #审核")
    assert "只有楼组长" in await chat.one("[12号楼群] 张阿姨: #发放 X1")
    assert await chat.one("[12号楼群] 李楼长: #发放 X1") == "@张阿姨 X1 抽纸 已由 李楼长 发放，谢谢你的付出！"
    assert await chat.one("[12号楼群] 张阿姨: #取消 X1") == "@张阿姨 X1 已发放，不能再操作。"
    assert await balance(chat) == "2"
    assert [g.stock for g in await chat.scalars(select(Gift).where(Gift.name == "抽纸"))] == [49]


async def test_cancel_gives_the_points_and_the_stock_back(chat):
    await chat.setup_building()
    await chat.one("[12号楼群] 李楼长: #加分 @张阿姨 30 组织活动")
    await chat.one("[12号楼群] 张阿姨: #兑换 毛巾")
    assert await chat.one("[12号楼群] 老周: #取消 X1") == "@老周 X1 不是你的兑换，只有本人或楼组长可以取消。"
    assert await chat.one("[12号楼群] 张阿姨: #取消 X1") == "@张阿姨 X1（毛巾）已取消，20 分已退回，余额 30 分。"
    assert await chat.one("[12号楼群] 张阿姨: #取消 X1") == "@张阿姨 X1 已取消，不能再操作。"
    assert await chat.one("[12号楼群] 张阿姨: #取消 X9") == "@张阿姨 本楼没有兑换 X9，发送 #审核 查看待发放的礼品。"
    entries = await chat.scalars(select(LedgerEntry.kind).order_by(LedgerEntry.id))
    assert entries == ["award", "redemption", "redemption_reversal"]
    assert [g.stock for g in await chat.scalars(select(Gift).where(Gift.name == "毛巾"))] == [30]
    # Holding and returning points is not "earning": this week's points stay 30.
    assert "本周得 30 分" in await chat.one("[12号楼群] 张阿姨: #我的积分")


async def test_out_of_stock_and_unknown_gift(chat):
    await chat.setup_building()
    async with chat.app.sessions() as session, session.begin():
        gift = await session.scalar(select(Gift).where(Gift.name == "抽纸"))
        gift.stock = 0
    await chat.one("[12号楼群] 李楼长: #加分 @张阿姨 50 组织活动")
    assert await chat.one("[12号楼群] 张阿姨: #兑换 抽纸") == "@张阿姨 抽纸已经兑完了，发送 #礼品 看看别的。"
    assert (await chat.one("[12号楼群] 张阿姨: #兑换 金条")).startswith("@张阿姨 没有“金条”这个礼品。")
    assert await chat.count(Redemption) == 0
    assert await balance(chat) == "50"


# Rankings and stars ------------------------------------------------------------

async def test_weekly_ranking_with_ties_and_stars(chat):
    await chat.setup_building()
    assert await chat.one("[12号楼群] 张阿姨: #排行") == (
        "@张阿姨 本周12号楼爱心积分榜：\n还没有人上榜，快来 #打卡 吧！\n"
        "本楼星级：★★☆☆☆（2 星）\n0%的住户参与了，没有人巡查，没有报修，人均 0 分。")
    await chat.one("[12号楼群] 张阿姨: #打卡 清理楼道")
    await chat.one("[12号楼群] 老周: #打卡 清理楼道")
    await chat.one("[12号楼群] 小王: #打卡 捡垃圾")
    reply = await chat.one("[12号楼群] 小王: #rank")
    assert reply.startswith("@小王 本周12号楼爱心积分榜：\n1. 张阿姨 5 分\n1. 老周 5 分\n3. 小王 2 分\n本楼星级：")


async def test_everyone_tied_for_tenth_place_is_on_the_rankings(chat, clock):
    await chat.setup_building()
    tz = chat.app.settings.timezone
    clock.set_local("2026-11-24 10:00", tz)  # a Tuesday: the week and the month hold every claim
    for n in range(8):
        await chat.one(f"[12号楼群] 居民{n}: #打卡 清理楼道")  # 5 points each: places 1 to 8
    for n in range(8, 12):
        await chat.one(f"[12号楼群] 居民{n}: #打卡 捡垃圾")  # 2 points each: all four share 9th place
    ranking = (await chat.one("[12号楼群] 居民0: #排行")).split("\n")
    assert ranking[1:13] == [f"1. 居民{n} 5 分" for n in range(8)] + [f"9. 居民{n} 2 分" for n in range(8, 12)]

    clock.set_local("2026-12-01 10:00", tz)
    before = len(chat.transport.sent)
    await chat.app.schedules.jobs.run("honour_list")
    await chat.app.outbox.drain()
    text = chat.transport.sent[before].text
    assert "\n".join(f"9. 居民{n}（12号楼）2 分" for n in range(8, 12)) + "\n◆ 各楼第一名" in text


# Boundaries: each of these was once a changed comparison or constant that no test noticed --------

async def test_the_last_one_in_stock_is_shown_and_can_be_redeemed(chat):
    await chat.setup_building()
    async with chat.app.sessions() as session, session.begin():
        gift = await session.scalar(select(Gift).where(Gift.name == "抽纸"))
        gift.stock = 1
    await chat.one("[12号楼群] 李楼长: #加分 @张阿姨 25 组织活动")
    assert await chat.one("[12号楼群] 张阿姨: #礼品") == (
        "@张阿姨 爱心积分可兑换（例如：#兑换 抽纸）：\n抽纸 10 分（剩 1 件）\n环保购物袋 15 分（剩 50 件）\n"
        "毛巾 20 分（剩 30 件）\n洗洁精 30 分（剩 20 件）")
    assert await chat.one("[12号楼群] 张阿姨: #兑换 抽纸") == (
        "@张阿姨 X1 已兑换 抽纸（-10 分，余额 15 分），请找楼组长领取；领取前可发 #取消 X1。")
    assert [g.stock for g in await chat.scalars(select(Gift).where(Gift.name == "抽纸"))] == [0]
    assert (await chat.one("[12号楼群] 张阿姨: #礼品")).split("\n")[1] == "抽纸 10 分（已兑完）"
    assert await chat.one("[12号楼群] 张阿姨: #兑换 抽纸") == "@张阿姨 抽纸已经兑完了，发送 #礼品 看看别的。"
    assert await balance(chat) == "15"


async def test_a_gift_name_followed_by_more_words_is_that_gift(chat):
    await chat.setup_building()
    await chat.one("[12号楼群] 李楼长: #加分 @张阿姨 12 组织活动")
    assert await chat.one("[12号楼群] 张阿姨: #兑换 抽纸 一包") == (
        "@张阿姨 X1 已兑换 抽纸（-10 分，余额 2 分），请找楼组长领取；领取前可发 #取消 X1。")


async def test_the_longest_gift_name_the_words_start_with_wins(chat):
    await chat.setup_building()
    async with chat.app.sessions() as session, session.begin():
        session.add(Gift(name="毛巾礼盒", cost=25, stock=5, active=True))
    await chat.one("[12号楼群] 李楼长: #加分 @张阿姨 50 组织活动")
    assert await chat.one("[12号楼群] 张阿姨: #兑换 毛巾礼盒 一个") == (
        "@张阿姨 X1 已兑换 毛巾礼盒（-25 分，余额 25 分），请找楼组长领取；领取前可发 #取消 X1。")
    assert await chat.one("[12号楼群] 张阿姨: #兑换 毛巾") == (
        "@张阿姨 X2 已兑换 毛巾（-20 分，余额 5 分），请找楼组长领取；领取前可发 #取消 X2。")


async def test_the_smallest_and_the_largest_award_and_deduction_work(chat):
    await chat.setup_building()
    assert await chat.one("[12号楼群] 李楼长: #加分 @张阿姨 1 帮忙搬东西") == (
        "@张阿姨 李楼长 为你加 1 分：帮忙搬东西。谢谢你！")
    assert await chat.one("[12号楼群] 李楼长: #加分 @张阿姨 50 组织义诊") == (
        "@张阿姨 李楼长 为你加 50 分：组织义诊。谢谢你！")
    assert await chat.one("[12号楼群] 李楼长: #扣分 @张阿姨 1 多记了一次") == (
        "@张阿姨 李楼长 扣除你 1 分：多记了一次。如有疑问请联系楼组长。")
    assert await chat.one("[12号楼群] 李楼长: #扣分 @张阿姨 50 重复登记") == (
        "@张阿姨 李楼长 扣除你 50 分：重复登记。如有疑问请联系楼组长。")
    assert [e.amount for e in await chat.scalars(select(LedgerEntry).order_by(LedgerEntry.id))] == [1, 50, -1, -50]
    assert await balance(chat) == "0"


async def test_a_patrol_note_is_kept_to_500_characters_and_named_in_the_ledger(chat):
    await chat.setup_building()
    await chat.one("[12号楼群] 王主任: #设角色 @老党员 党员")
    note = "楼道" * 300  # 600 characters
    assert await chat.one(f"[12号楼群] 老党员: #巡查 {note}", id="m-patrol-1") == (
        f"@老党员 已记录巡查（今天第 1 次）：{note[:500]}，+3 分。本周12号楼 7 天里已有 1 天有人巡查。")
    assert await chat.one("[12号楼群] 老党员: #巡查", id="m-patrol-2") == (
        "@老党员 已记录巡查（今天第 2 次），+3 分。本周12号楼 7 天里已有 1 天有人巡查。")
    assert [p.note for p in await chat.scalars(select(Patrol).order_by(Patrol.id))] == [note[:500], ""]
    entries = await chat.scalars(select(LedgerEntry).order_by(LedgerEntry.id))
    # Each line names the chat message that earned it: a committee checking a month can find it.
    assert [(e.amount, e.kind, e.reason, e.ref_type, e.ref_id, e.message_id) for e in entries] == [
        (3, "patrol", f"巡查：{note[:500]}", "patrol", 1, "m-patrol-1"), (3, "patrol", "巡查", "patrol", 2, "m-patrol-2")]


async def test_a_thanks_reason_is_kept_to_200_characters_and_named_in_the_ledger(chat):
    await chat.setup_building()
    reason = "谢谢" * 150  # 300 characters
    assert await chat.one(f"[12号楼群] 张阿姨: #点赞 @王师傅 {reason}") == (
        f"@王师傅 张阿姨 为你点赞：{reason[:200]}！+1 分")
    assert await chat.one("[12号楼群] 老周: #点赞 @王师傅") == "@王师傅 老周 为你点赞！+1 分"
    assert [t.reason for t in await chat.scalars(select(Thanks).order_by(Thanks.id))] == [reason[:200], ""]
    entries = await chat.scalars(select(LedgerEntry).order_by(LedgerEntry.id))
    assert [(e.amount, e.kind, e.reason, e.ref_type, e.ref_id) for e in entries] == [
        (1, "thanks", f"张阿姨 点赞：{reason[:200]}", "thanks", 1), (1, "thanks", "老周 点赞", "thanks", 2)]


async def test_a_rejection_without_a_reason_says_whom_to_ask_and_the_reason_is_kept(chat):
    await chat.setup_building()
    await pending_claim(chat)
    await pending_claim(chat, who="老周", hours=1)
    assert await chat.one("[12号楼群] 李楼长: #驳回 C1") == (
        "@张阿姨 C1（志愿服务 2小时）未通过，如有疑问请联系楼组长。（审核：李楼长）")
    await chat.one("[12号楼群] 李楼长: #驳回 C2 时长不对")
    rows = [(c.status, c.decision_reason) for c in await chat.scalars(select(Claim).order_by(Claim.id))]
    assert rows == [("rejected", ""), ("rejected", "时长不对")]


async def test_awards_and_deductions_count_in_this_buildings_ranking(chat):
    await chat.setup_building()
    await chat.one("[12号楼群] 李楼长: #加分 @张阿姨 8 组织活动")
    await chat.one("[12号楼群] 李楼长: #扣分 @张阿姨 3 重复登记")
    await chat.one("[12号楼群] 老周: #打卡 清理楼道")
    assert (await chat.one("[12号楼群] 老周: #排行")).split("\n")[1:3] == ["1. 张阿姨 5 分", "1. 老周 5 分"]
    entries = await chat.scalars(select(LedgerEntry).order_by(LedgerEntry.id))
    assert [(e.amount, e.kind, e.building_id) for e in entries] == [(8, "award", 1), (-3, "deduction", 1), (5, "claim", 1)]


async def test_a_balance_of_exactly_the_cost_redeems_the_gift(chat):
    await chat.setup_building()
    await chat.one("[12号楼群] 李楼长: #加分 @张阿姨 10 组织活动")
    assert await chat.one("[12号楼群] 张阿姨: #兑换 抽纸") == (
        "@张阿姨 X1 已兑换 抽纸（-10 分，余额 0 分），请找楼组长领取；领取前可发 #取消 X1。")
    assert await chat.one("[12号楼群] 张阿姨: #兑换 抽纸") == "@张阿姨 抽纸需要 10 分，你现在有 0 分，还差 10 分。"


async def test_thanks_and_patrols_at_local_midnight_count_toward_that_days_limits(chat, clock, settings):
    await chat.setup_building()
    await chat.one("[12号楼群] 王主任: #设角色 @老党员 党员")
    clock.set_local("2026-11-26 00:00", settings.timezone)
    for name in ("王师傅", "小李", "小赵"):
        assert "+1 分" in await chat.one(f"[12号楼群] 张阿姨: #点赞 @{name}")
    assert await chat.one("[12号楼群] 张阿姨: #点赞 @小钱") == (
        "@张阿姨 每人每天最多点赞 3 次，今天的已用完，明天再来吧。")
    for _ in range(2):
        await chat.one("[12号楼群] 老党员: #巡查")
    assert await chat.one("[12号楼群] 老党员: #巡查") == (
        "@老党员 已记录巡查（今天第 3 次）。巡查每天最多加 2 次分，这次不加分，记录照样留着。本周12号楼 7 天里已有 1 天有人巡查。")


async def test_a_patrol_at_monday_midnight_is_a_day_of_that_week_and_not_of_the_week_before(chat, clock, settings):
    await chat.setup_building()
    await chat.one("[12号楼群] 王主任: #设角色 @老党员 党员")
    clock.set_local("2026-11-30 00:00", settings.timezone)  # Monday
    assert await chat.one("[12号楼群] 老党员: #巡查") == (
        "@老党员 已记录巡查（今天第 1 次），+3 分。本周12号楼 7 天里已有 1 天有人巡查。")
    # Recorded late by the clock, say (another process, a clock put right): a Sunday's patrol counts only its week.
    clock.set_local("2026-11-29 23:59", settings.timezone)
    assert await chat.one("[12号楼群] 老党员: #巡查") == (
        "@老党员 已记录巡查（今天第 1 次），+3 分。本周12号楼 7 天里已有 1 天有人巡查。")


async def test_a_patrol_earns_per_the_catalogue_uncapped_without_a_cap_and_nothing_when_switched_off(chat):
    await chat.setup_building()
    await chat.one("[12号楼群] 王主任: #设角色 @老党员 党员")
    async with chat.app.sessions() as session, session.begin():
        entry = await session.scalar(select(Activity).where(Activity.name == "巡查"))
        entry.daily_cap = None
    for n in (1, 2, 3):
        assert await chat.one("[12号楼群] 老党员: #巡查") == (
            f"@老党员 已记录巡查（今天第 {n} 次），+3 分。本周12号楼 7 天里已有 1 天有人巡查。")
    async with chat.app.sessions() as session, session.begin():
        entry = await session.scalar(select(Activity).where(Activity.name == "巡查"))
        entry.active = False
    assert await chat.one("[12号楼群] 老党员: #巡查 楼道通畅") == (
        "@老党员 已记录巡查（今天第 4 次）：楼道通畅。本周12号楼 7 天里已有 1 天有人巡查。")
    assert await chat.count(Patrol) == 4 and await chat.count(LedgerEntry) == 3


async def test_tenth_place_is_on_the_rankings_and_eleventh_is_not(chat, clock):
    await chat.setup_building()
    clock.set_local("2026-11-24 10:00", chat.app.settings.timezone)  # a Tuesday: the week holds every claim
    for n in range(9):
        await chat.one(f"[12号楼群] 居民{n}: #打卡 清理楼道 2")  # 10 points each: 1st to 9th
    await chat.one("[12号楼群] 居民9: #打卡 清理楼道")  # 5 points: 10th
    await chat.one("[12号楼群] 居民10: #打卡 捡垃圾")  # 2 points: 11th
    ranking = (await chat.one("[12号楼群] 居民0: #排行")).split("\n")
    assert ranking[1:12] == [f"1. 居民{n} 10 分" for n in range(9)] + ["10. 居民9 5 分", ranking[11]]
    assert ranking[11].startswith("本楼星级：")


async def test_an_unknown_gift_is_answered_with_the_catalogue_and_none_offered_is_said(chat):
    await chat.setup_building()
    assert await chat.one("[12号楼群] 张阿姨: #兑换 金条") == (
        "@张阿姨 没有“金条”这个礼品。可兑换：抽纸、环保购物袋、毛巾、洗洁精；发送 #礼品 看所需积分。")
    assert await chat.one("[12号楼群] 张阿姨: #兑换") == (
        "@张阿姨 请写上礼品名称，例如：#兑换 抽纸。可兑换：抽纸、环保购物袋、毛巾、洗洁精")
    async with chat.app.sessions() as session, session.begin():
        for gift in await session.scalars(select(Gift)):
            gift.active = False  # the committee offers none for now
    assert await chat.one("[12号楼群] 张阿姨: #礼品") == "@张阿姨 暂时没有可兑换的礼品，请留意居委会通知。"
    assert await chat.one("[12号楼群] 张阿姨: #兑换 抽纸") == "@张阿姨 暂时没有可兑换的礼品，请留意居委会通知。"


async def test_who_decided_and_when_is_written_down_with_each_decision(chat, clock):
    await chat.setup_building()
    await pending_claim(chat)  # C1
    await pending_claim(chat, who="老周", hours=1)  # C2
    await chat.one("[12号楼群] 李楼长: #加分 @张阿姨 40 组织活动")
    await chat.one("[12号楼群] 张阿姨: #兑换 抽纸")  # X1
    await chat.one("[12号楼群] 张阿姨: #兑换 毛巾")  # X2
    clock.advance(hours=1)
    for line in ("#通过 C1", "#驳回 C2 时长不对", "#发放 X1", "#取消 X2"):
        await chat.one(f"[12号楼群] 李楼长: {line}")
    [leader] = await chat.scalars(select(Member.id).where(Member.wechat_id == "李楼长"))
    decided = [(c.status, c.decided_by, c.decided_at) for c in await chat.scalars(select(Claim).order_by(Claim.id))]
    assert decided == [("approved", leader, clock()), ("rejected", leader, clock())]
    handed = [(r.status, r.decided_by, r.decided_at) for r in await chat.scalars(select(Redemption).order_by(Redemption.id))]
    assert handed == [("handed_over", leader, clock()), ("cancelled", leader, clock())]
    [zhang] = await chat.scalars(select(Member.id).where(Member.wechat_id == "张阿姨"))
    entries = await chat.scalars(select(LedgerEntry).order_by(LedgerEntry.id))
    assert [(e.amount, e.kind, e.reason, e.ref_type, e.ref_id, e.author_id) for e in entries][1:] == [
        (-10, "redemption", "兑换 抽纸", "redemption", 1, zhang), (-20, "redemption", "兑换 毛巾", "redemption", 2, zhang),
        (20, "claim", "打卡 志愿服务 2小时（李楼长 审核通过）", "claim", 1, leader),
        (20, "redemption_reversal", "取消兑换 X2 毛巾", "redemption", 2, leader)]


ALIASES = [("打卡", "claim"), ("打卡", "积分申请"), ("我的积分", "积分"), ("我的积分", "points"), ("排行", "排行榜"),
           ("排行", "rank"), ("点赞", "thanks"), ("礼品", "gifts"), ("兑换", "redeem"), ("取消", "cancel"),
           ("发放", "handover"), ("审核", "pending"), ("通过", "approve"), ("驳回", "reject"), ("加分", "award"),
           ("扣分", "deduct")]  # as the README's command table has them (#巡查's patrol is tested with its record)


async def test_each_alias_of_a_points_gifts_or_leaders_command_answers_as_its_keyword(chat):
    await chat.setup_building()
    for keyword, alias in ALIASES:
        assert await chat(f"[12号楼群] 李楼长: #{alias}") == await chat(f"[12号楼群] 李楼长: #{keyword}"), alias


async def test_what_is_missing_for_a_gift_is_the_cost_less_the_balance(chat):
    await chat.setup_building()
    await chat.one("[12号楼群] 李楼长: #加分 @张阿姨 3 帮忙")
    assert await chat.one("[12号楼群] 张阿姨: #兑换 抽纸") == "@张阿姨 抽纸需要 10 分，你现在有 3 分，还差 7 分。"


async def test_the_review_lists_claims_and_gifts_together_and_a_decided_claim_says_how(chat):
    await chat.setup_building()
    await pending_claim(chat)  # C1
    await pending_claim(chat, who="老周", hours=1)  # C2
    await chat.one("[12号楼群] 李楼长: #加分 @张阿姨 15 组织活动")
    await chat.one("[12号楼群] 张阿姨: #兑换 抽纸")  # X1
    assert await chat.one("[12号楼群] 李楼长: #审核") == (
        "@李楼长 待审核（例如：#通过 C1，#驳回 C1 时长不对）：\nC1 张阿姨 志愿服务 2小时 20分\nC2 老周 志愿服务 1小时 10分\n"
        "待发放礼品（例如：#发放 X1）：\nX1 张阿姨 抽纸")
    await chat.one("[12号楼群] 李楼长: #驳回 C2 时长不对")
    assert await chat.one("[12号楼群] 李楼长: #通过 C2") == "@李楼长 C2 已驳回，不能再审核。"
