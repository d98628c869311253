"""The love savings bank's leader and gift commands through the Wechaty puppet service."""

from __future__ import annotations

from tests.e2e.harness import mention_text
from tests.e2e.world import ADMIN, LI, R1, ZHANG, said_to


async def test_roles_patrols_reviews_deductions_and_gifts(louzu, residents):
    ask = residents.ask
    await ask(ADMIN, R1, "#绑定 1号楼")
    await ask(ADMIN, R1, "#设楼组长 " + mention_text("张三"), [ZHANG])
    reply = await ask(ADMIN, R1, "#设角色 " + mention_text("3-201 李四", "党员"), [LI])
    assert said_to(reply, "王主任", ADMIN) == "已设 3-201 李四 为 1号楼 的党员。"

    # A party member patrols; volunteer hours wait for the leader, who approves one and rejects one.
    reply = await ask(LI, R1, "#巡查 消防通道畅通")
    assert said_to(reply, "李四", LI) == "已记录巡查（今天第 1 次）：消防通道畅通，+3 分。本周1号楼 7 天里已有 1 天有人巡查。"
    assert "等待楼组长审核" in said_to(await ask(LI, R1, "#打卡 志愿服务 2"), "李四", LI)
    assert "等待楼组长审核" in said_to(await ask(LI, R1, "#打卡 志愿服务 1"), "李四", LI)
    pending = said_to(await ask(ZHANG, R1, "#审核"), "张三", ZHANG)
    assert pending == ("待审核（例如：#通过 C1，#驳回 C1 时长不对）：\n"
                       "C1 3-201 李四 志愿服务 2小时 20分\nC2 3-201 李四 志愿服务 1小时 10分")
    reply = await ask(ZHANG, R1, "#通过 C1")
    assert said_to(reply, "李四", LI) == "C1 已通过：志愿服务 2小时，+20 分。（审核：张三）"
    reply = await ask(ZHANG, R1, "#驳回 C2 和C1是同一次")
    assert said_to(reply, "李四", LI) == "C2（志愿服务 1小时）未通过，原因：和C1是同一次。（审核：张三）"

    # A deduction, then gifts: the catalogue, a redemption cancelled, another handed over.
    reply = await ask(ZHANG, R1, "#扣分 " + mention_text("3-201 李四", "3 重复巡查"), [LI])
    assert said_to(reply, "李四", LI) == "张三 扣除你 3 分：重复巡查。如有疑问请联系楼组长。"
    assert said_to(await ask(LI, R1, "#礼品"), "李四", LI).startswith("爱心积分可兑换（例如：#兑换 抽纸）：\n抽纸 10 分")
    assert said_to(await ask(LI, R1, "#兑换 毛巾"), "李四", LI).startswith("X1 已兑换 毛巾（-20 分，余额 0 分）")
    assert said_to(await ask(LI, R1, "#取消 X1"), "李四", LI) == "X1（毛巾）已取消，20 分已退回，余额 20 分。"
    assert said_to(await ask(LI, R1, "#兑换 抽纸"), "李四", LI).startswith("X2 已兑换 抽纸（-10 分，余额 10 分）")
    reply = await ask(ZHANG, R1, "#发放 X2")
    assert said_to(reply, "李四", LI) == "X2 抽纸 已由 张三 发放，谢谢你的付出！"

    assert louzu.query("SELECT e.kind, e.amount FROM ledger_entries e JOIN members m ON m.id = e.member_id "
                       "WHERE m.wechat_id = ? ORDER BY e.id", LI) == [
        ("patrol", 3), ("claim", 20), ("deduction", -3), ("redemption", -20), ("redemption_reversal", 20),
        ("redemption", -10)]
    assert louzu.query("SELECT id, status FROM claims ORDER BY id") == [(1, "approved"), (2, "rejected")]
    assert louzu.query("SELECT id, status FROM redemptions ORDER BY id") == [(1, "cancelled"), (2, "handed_over")]
