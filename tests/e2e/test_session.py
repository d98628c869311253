"""A real session through the Wechaty puppet service: `louzu run` against the Node.js gateway.

Residents, a leader and an administrator talk in two building groups as they would in
WeChat (mentions as WeChat writes them); the bot's answers come back over the protocol,
and the database shows what they did.
"""

from __future__ import annotations

import hashlib

from tests.e2e.harness import mention_text
from tests.e2e.world import ADMIN, BOT, LI, R1, R2, ZHANG, ZHAO, eventually, make_png, said_to


async def test_bind_lead_report_claim_and_check_points(louzu, residents):
    ask = residents.ask
    # An administrator binds two groups.
    assert said_to(await ask(ADMIN, R1, "#绑定 1号楼"), "王主任", ADMIN).startswith("本群已绑定 1号楼。")
    assert said_to(await ask(ADMIN, R2, "#绑定 2号楼"), "王主任", ADMIN).startswith("本群已绑定 2号楼。")

    # ... and names a leader by @-mentioning him, as WeChat writes a mention.
    reply = await ask(ADMIN, R1, "#设楼组长 " + mention_text("张三"), [ZHANG])
    assert said_to(reply, "王主任", ADMIN) == "已设 张三 为 1号楼 的楼组长。"

    # A resident whose group nickname has brackets reports a problem by @-mentioning the bot.
    reply = await ask(ZHAO, R2, mention_text(BOT["name"], "报修 2楼楼道堆了纸箱"), [BOT["id"]])
    assert said_to(reply, "赵六", ZHAO).startswith("已登记 R1（楼道堆物）：2楼楼道堆了纸箱")

    # Another reports with '#', then claims points twice and checks them.
    reply = await ask(LI, R1, "#报修 3楼电动车停在楼道里")
    assert said_to(reply, "李四", LI).startswith("已登记 R2（乱停车）：3楼电动车停在楼道里")
    reply = await ask(LI, R1, "#打卡 捡垃圾")
    assert said_to(reply, "李四", LI) == "C1 已记录：捡垃圾 1次，+2 分，当前积分 2 分。谢谢你为楼里出力！"
    reply = await ask(LI, R1, "#打卡 清理楼道")
    assert "+5 分，当前积分 7 分" in said_to(reply, "李四", LI)

    # The leader awards him points: the answer @-mentions the resident, not the leader.
    reply = await ask(ZHANG, R1, "#加分 " + mention_text("3-201 李四", "3 帮忙搬东西"), [LI])
    assert said_to(reply, "李四", LI) == "张三 为你加 3 分：帮忙搬东西。谢谢你！"
    reply = await ask(LI, R1, "#我的积分")
    assert said_to(reply, "李四", LI).startswith("你的爱心积分：余额 10 分；本周得 10 分，本月得 10 分；本周在1号楼排第 1 名")

    # What the database holds afterwards.
    assert louzu.query("SELECT g.room_id, b.name FROM groups g JOIN buildings b ON b.id = g.building_id "
                       "ORDER BY g.room_id") == [(R1, "1号楼"), (R2, "2号楼")]
    assert louzu.query("SELECT m.wechat_id, r.role, b.name FROM role_grants r JOIN members m ON m.id = r.member_id "
                       "JOIN buildings b ON b.id = r.building_id") == [(ZHANG, "leader", "1号楼")]
    assert louzu.query("SELECT wechat_id, display_name FROM members WHERE wechat_id IN (?, ?) ORDER BY wechat_id",
                       LI, ZHAO) == [(LI, "3-201 李四"), (ZHAO, "赵六(2-101)")]
    assert louzu.query("SELECT r.id, b.name, m.wechat_id, r.category, r.room_id, r.status FROM reports r "
                       "JOIN buildings b ON b.id = r.building_id JOIN members m ON m.id = r.reporter_id "
                       "ORDER BY r.id") == [(1, "2号楼", ZHAO, "楼道堆物", R2, "open"),
                                            (2, "1号楼", LI, "乱停车", R1, "open")]
    assert louzu.query("SELECT e.kind, e.amount FROM ledger_entries e JOIN members m ON m.id = e.member_id "
                       "WHERE m.wechat_id = ? ORDER BY e.id", LI) == [("claim", 2), ("claim", 5), ("award", 3)]
    assert louzu.query("SELECT COUNT(*) FROM processed_messages") == [(9,)]


async def test_love_bank_and_a_report_with_a_photo(louzu, residents, harness):
    ask = residents.ask
    await ask(ADMIN, R1, "#绑定 1号楼")
    await ask(LI, R1, "#打卡 捡垃圾 3")  # +6
    await ask(LI, R1, "#打卡 清理楼道 2")  # +10

    reply = await ask(LI, R1, "#点赞 " + mention_text("张三", "楼道扫得真干净"), [ZHANG])
    assert said_to(reply, "张三", ZHANG) == "3-201 李四 为你点赞：楼道扫得真干净！+1 分"
    reply = await ask(LI, R1, "#兑换 抽纸")
    assert said_to(reply, "李四", LI).startswith("X1 已兑换 抽纸（-10 分，余额 6 分）")
    reply = await ask(ZHANG, R1, "#排行")
    ranking = said_to(reply, "张三", ZHANG)
    assert ranking.startswith("本周1号楼爱心积分榜：\n1. 3-201 李四 16 分\n2. 张三 1 分\n"), ranking

    # A photo, then #报修 within two minutes: the report has the photo, kept byte for byte.
    photo = make_png(64, 128, seed=7)
    assert len(photo) > 20 * 1024  # past the 1.x gateway's inline limit: the bot fetches it with Download
    await harness.image(LI, R1, photo, "IMG_0001.png")
    # Ordinary chat gets no answer: the photo's arrival shows in the database. (Sent at once, the
    # #报修 may overtake the photo; the bot then answers "照片已附到 R1" instead, tested elsewhere.)
    await eventually(lambda: louzu.query("SELECT COUNT(*) FROM pending_photos") == [(1,)])
    reply = await ask(LI, R1, "#报修 楼道里有人扔了垃圾袋")
    assert "已附照片 1 张。" in said_to(reply, "李四", LI)
    digest = hashlib.sha256(photo).hexdigest()
    assert louzu.query("SELECT p.report_id, p.sha256, p.path FROM report_photos p") == [(1, digest, f"{digest}.png")]
    assert (louzu.data_dir / "media" / f"{digest}.png").read_bytes() == photo
    assert not list((louzu.data_dir / "media" / "incoming").iterdir())  # the transport's copy is gone
    assert louzu.query("SELECT m.wechat_id, e.kind, e.amount FROM ledger_entries e "
                       "JOIN members m ON m.id = e.member_id ORDER BY e.id") == [
        (LI, "claim", 6), (LI, "claim", 10), (ZHANG, "thanks", 1), (LI, "redemption", -10)]
