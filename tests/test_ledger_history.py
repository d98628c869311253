"""#积分明细: a resident's own ledger lines, a page at a time; a leader's look at a person of the building."""

from __future__ import annotations

from bot.core.messages import Mention

ZHANG = (Mention("张阿姨", "张阿姨"),)


async def test_the_last_ten_then_the_ten_before(chat, clock):
    await chat.setup_building()
    assert await chat.one("[12号楼群] 张阿姨: #积分明细") == "@张阿姨 你还没有积分记录，去 #打卡 吧！"
    for n in range(12):
        await chat.one("[12号楼群] 李楼长: #加分 @张阿姨 1 第{}次帮忙".format(n + 1), mentions=ZHANG)
        clock.advance(hours=1)
    first = (await chat.one("[12号楼群] 张阿姨: #积分明细")).splitlines()
    assert first[0] == "@张阿姨 你的积分明细（第 1/2 页，余额 12 分）："
    assert first[1] == "11月25日 21:00 +1 第12次帮忙" and len(first) == 12
    assert first[-1] == "更早的记录：#积分明细 2"
    second = (await chat.one("[12号楼群] 张阿姨: #ledger 2")).splitlines()
    assert second[1:] == ["11月25日 11:00 +1 第2次帮忙", "11月25日 10:00 +1 第1次帮忙"]
    assert await chat.one("[12号楼群] 张阿姨: #积分明细 3") == "@张阿姨 你的积分明细只有 2 页，例如：#积分明细 2"
    assert await chat.one("[12号楼群] 张阿姨: #积分明细 下一页") == "@张阿姨 页码要写数字，例如：#积分明细 2"


async def test_a_leader_looks_at_a_person_of_the_building_and_nobody_else_does(chat):
    await chat.setup_building()
    await chat.setup_building("11号楼群", "11号楼", "周楼长")
    await chat("[12号楼群] 张阿姨: #打卡 捡垃圾")
    reply = await chat.one("[12号楼群] 李楼长: #积分明细 @张阿姨", mentions=ZHANG)
    assert reply.splitlines()[:2] == ["@李楼长 张阿姨的积分明细（第 1/1 页，余额 2 分）：",
                                      "11月25日 10:00 +2 打卡 捡垃圾 1次（自动通过）"]
    assert await chat.one("[12号楼群] 老周: #积分明细 @张阿姨", mentions=ZHANG) == \
        "@老周 只有楼组长可以查看别人的积分明细；发送 #积分明细 查看自己的。"
    assert await chat.one("[11号楼群] 周楼长: #积分明细 @张阿姨", mentions=ZHANG) == \
        "@周楼长 张阿姨 不是11号楼的居民，请在他所在楼栋的群里查看。"


async def test_ten_lines_are_one_page_a_long_reason_is_cut_and_a_leader_is_told_how_to_go_on(chat):
    await chat.setup_building()
    for _ in range(10):
        await chat.one("[12号楼群] 李楼长: #加分 @张阿姨 1 " + "帮" * 40, mentions=ZHANG)
    mine = (await chat.one("[12号楼群] 张阿姨: #积分明细")).splitlines()
    assert mine[0] == "@张阿姨 你的积分明细（第 1/1 页，余额 10 分）：" and len(mine) == 11
    assert set(mine[1:]) == {"11月25日 10:00 +1 " + "帮" * 29 + "…"}  # cut to 30 characters
    await chat.one("[12号楼群] 李楼长: #加分 @张阿姨 1 帮忙", mentions=ZHANG)
    theirs = (await chat.one("[12号楼群] 李楼长: #积分明细 @张阿姨", mentions=ZHANG)).splitlines()
    assert theirs[0] == "@李楼长 张阿姨的积分明细（第 1/2 页，余额 11 分）："
    assert theirs[-1] == "更早的记录：#积分明细 @张阿姨 2"
