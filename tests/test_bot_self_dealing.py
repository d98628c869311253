"""Nobody pays themselves: no report bonus for one's own fix, no handing over one's own gift, no sheltering points."""

from __future__ import annotations

from sqlalchemy import select

from bot.core.messages import Mention
from storage.models import Gift, LedgerEntry, Redemption


async def balance(chat, who: str) -> int:
    reply = await chat.one(f"[12号楼群] {who}: #我的积分")
    return int(reply.split("余额 ")[1].split(" 分")[0])


async def test_a_leader_earns_no_report_bonus_for_a_report_they_resolved_themselves(chat):
    """Regression: #报修, #处理 it oneself, #确认: +2 each round, as often as a leader liked."""
    await chat.setup_building()
    for round_ in range(3):
        assert f"已登记 R{round_ + 1}" in await chat.one(f"[12号楼群] 李楼长: #报修 楼道灯{round_}坏了")
        await chat.one(f"[12号楼群] 李楼长: #处理 R{round_ + 1} 已修好")
        reply = await chat.one(f"[12号楼群] 李楼长: #确认 R{round_ + 1}")
        assert f"R{round_ + 1} 已关闭" in reply and "+2" not in reply and "自己处理的报修不计" in reply, reply
    assert await balance(chat, "李楼长") == 0
    assert await chat.count(LedgerEntry, LedgerEntry.kind == "report_bonus") == 0


async def test_a_report_resolved_by_someone_else_still_earns_the_bonus(chat):
    await chat.setup_building()
    await chat.one("[12号楼群] 王主任: #设楼组长 @赵楼长")
    await chat.one("[12号楼群] 李楼长: #报修 楼道灯坏了")
    await chat.one("[12号楼群] 赵楼长: #处理 R1 已修好")
    assert "有效报修 +2 分" in await chat.one("[12号楼群] 李楼长: #确认 R1")


async def test_a_leader_cannot_hand_over_their_own_redemption(chat):
    """Regression: a leader could #发放 their own X<n>."""
    await chat.setup_building()
    await chat.one("[12号楼群] 王主任: #加分 @李楼长 20 组织楼道清扫", mentions=(Mention("李楼长", "李楼长"),))
    assert "X1 已兑换 抽纸" in await chat.one("[12号楼群] 李楼长: #兑换 抽纸")
    assert await chat.one("[12号楼群] 李楼长: #发放 X1") == "@李楼长 X1 是你自己的兑换，请另一位楼组长或网格长发放。"
    [redemption] = await chat.scalars(select(Redemption))
    assert redemption.status == "held"
    assert "已由 王主任 发放" in await chat.one("[12号楼群] 王主任: #发放 X1")


async def test_a_deduction_takes_points_held_for_a_gift_so_a_cancel_cannot_undo_it(chat):
    """Regression: #兑换 then #取消 sheltered points from #扣分 (held points did not count)."""
    await chat.setup_building()
    await chat.one("[12号楼群] 李楼长: #加分 @张阿姨 20 组织活动")
    assert "X1 已兑换 毛巾" in await chat.one("[12号楼群] 张阿姨: #兑换 毛巾")  # all 20 points held
    reply = await chat.one("[12号楼群] 李楼长: #扣分 @张阿姨 5 重复打卡")
    assert "扣除你 5 分" in reply and "已取消兑换 X1（毛巾）" in reply, reply
    assert await balance(chat, "张阿姨") == 15
    assert "已取消" in await chat.one("[12号楼群] 张阿姨: #取消 X1")  # nothing left to take back
    assert await balance(chat, "张阿姨") == 15
    [towel] = await chat.scalars(select(Gift).where(Gift.name == "毛巾"))
    assert towel.stock == 30  # back in stock once
    kinds = await chat.scalars(select(LedgerEntry.kind).order_by(LedgerEntry.id))
    assert kinds == ["award", "redemption", "redemption_reversal", "deduction"]


async def test_a_deduction_releases_only_the_newest_holds_it_needs_with_the_free_points_first(chat):
    await chat.setup_building()
    await chat.one("[12号楼群] 李楼长: #加分 @张阿姨 30 组织活动")
    for _ in range(2):
        await chat.one("[12号楼群] 张阿姨: #兑换 抽纸")  # X1 and X2 hold 10 each; 10 are free
    assert await chat.one("[12号楼群] 李楼长: #扣分 @张阿姨 15 重复打卡") == (
        "@张阿姨 李楼长 扣除你 15 分：重复打卡。积分不够，已取消兑换 X2（抽纸），退回的积分用于扣分。如有疑问请联系楼组长。")
    assert await chat.scalars(select(Redemption.status).order_by(Redemption.id)) == ["held", "cancelled"]
    assert await balance(chat, "张阿姨") == 5


async def test_a_deduction_bigger_than_all_points_held_or_not_is_refused_and_changes_nothing(chat):
    await chat.setup_building()
    await chat.one("[12号楼群] 李楼长: #加分 @张阿姨 25 组织活动")
    await chat.one("[12号楼群] 张阿姨: #兑换 毛巾")
    assert await chat.one("[12号楼群] 李楼长: #扣分 @张阿姨 30 重复打卡") == (
        "@李楼长 张阿姨 只有 25 分（含兑换中冻结的 20 分），最多扣 25 分。")
    [redemption] = await chat.scalars(select(Redemption))
    assert redemption.status == "held"
    reply = await chat.one("[12号楼群] 李楼长: #扣分 @张阿姨 5 重复打卡")  # the free points cover it: no gift touched
    assert "扣除你 5 分" in reply and "取消兑换" not in reply
    assert (await chat.scalars(select(Redemption.status))) == ["held"]
