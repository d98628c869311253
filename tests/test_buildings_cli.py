"""`louzu buildings list|rename|merge|remove-empty`: a wrongly created building folds into the right one, every kind of row with it."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select

from bot.core.messages import Mention
from storage.models import Building, LedgerEntry
from storage.staff.buildings import HOLDERS

RIGHT, WRONG = "12号楼群", "12号群"


async def test_merge_moves_every_kind_of_row_in_one_go_and_says_how_many(chat, louzu, clock, tmp_path):
    await chat.setup_building()
    # A second group of the same building bound by mistake to "12楼栋": it gathers records of every kind.
    await chat.setup_building(WRONG, "12楼栋 确认", "李楼长")
    assert "12楼栋" in (await chat.scalars(select(Building.name)))
    said = [
        f"[{WRONG}] 张阿姨: #报修 楼道灯坏了",
        f"[{WRONG}] 张阿姨: #打卡 捡垃圾",
        f"[{WRONG}] 张阿姨: #打卡 志愿服务 2",
        f"[{WRONG}] 老周: #兑换 抽纸",
        f"[{WRONG}] 李楼长: #定时 每周六 09:00 大扫除",
    ]
    for line in said:
        await chat(line)
    await chat(f"[{WRONG}] 李楼长: #加分 @老周 30 帮忙搬东西", mentions=(Mention("老周", "老周"),))
    await chat(f"[{WRONG}] 老周: #兑换 抽纸")
    await chat(f"[{WRONG}] 张阿姨: #点赞 @老周 谢谢", mentions=(Mention("老周", "老周"),))
    await chat(f"[{WRONG}] 王主任: #设角色 @张阿姨 党员", mentions=(Mention("张阿姨", "张阿姨"),))
    await chat(f"[{WRONG}] 张阿姨: #巡查 正常")
    await chat(f"[{WRONG}] 李楼长: #门牌 @张阿姨 1202", mentions=(Mention("张阿姨", "张阿姨"),))
    wrong_id = (await chat.scalars(select(Building.id).where(Building.name == "12楼栋")))[0]
    counts = {model: await chat.count(model, model.building_id == wrong_id) for model, _ in HOLDERS}
    assert all(counts.values()), counts  # every kind of row is there to move
    duplicate_role = 1  # 李楼长 leads both: one grant goes, the other moves
    total = sum(counts.values()) - duplicate_role

    listed = await louzu("buildings", "list")
    assert listed.code == 0 and "12号楼群" in listed.out and "12号群" in listed.out
    ran = await louzu("buildings", "merge", "12楼栋", "12号楼")
    assert ran.code == 0, ran.err
    assert ran.lines == [f"已把 12楼栋 并入 12号楼，共移动 {total} 行（群 1，成员 2，名册居民 1，角色 1，报修 1，打卡申请 2，"
                         f"积分记录 {counts[LedgerEntry]}，兑换 1，点赞 1，巡查 1，定时通知 1），12楼栋 已删除。"]
    assert await chat.count(Building) == 1
    right_id = (await chat.scalars(select(Building.id)))[0]
    for model, _ in HOLDERS:
        assert await chat.count(model, model.building_id != right_id) == 0, model
    # The bot goes on where the rows went: 张阿姨's points and pending claim are 12号楼's now.
    assert "本周在12号楼排第" in await chat.one(f"[{WRONG}] 张阿姨: #我的积分")
    assert "C2" in await chat.one(f"[{RIGHT}] 李楼长: #审核")


async def test_rename_and_remove_empty_and_their_refusals(chat, louzu):
    await chat.setup_building()
    await chat.setup_building("11号楼群", "11号楼", "周楼长")
    assert (await louzu("buildings", "rename", "11", "11号楼（北）")).lines == ["已把 11号楼 改名为 11号楼（北）。"]
    ran = await louzu("buildings", "rename", "12", "11号楼（北）")
    assert ran.code == 2 and ran.err == ("louzu: 已经有叫 11号楼（北） 的楼栋；要把 12号楼 并进去，用 louzu buildings merge "
                                         "12号楼 11号楼（北）\n")
    ran = await louzu("buildings", "merge", "9号楼", "12号楼")
    assert ran.code == 2 and ran.err == "louzu: 没有叫 9号楼 的楼栋（现有：11号楼（北）、12号楼）\n"
    async with chat.app.sessions() as session, session.begin():  # made before re-binding removed such ones itself
        session.add(Building(name="99号楼", created_at=datetime(2026, 11, 1, tzinfo=timezone.utc)))
    assert (await louzu("buildings", "remove-empty")).lines == ["已删除 1 栋空楼栋：99号楼"]
    assert (await louzu("buildings", "remove-empty")).lines == ["没有空楼栋。"]
    assert (await louzu("buildings", "merge", "--help")).code == 0
