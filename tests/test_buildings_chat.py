"""Buildings and groups in chat: one name per building, confirmed re-binds, and the administrators' #楼栋列表, #改名, #解绑."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storage.building_names import building_name, canonical_building
from storage.models import Building, Group

NAMES = [
    ("12号楼", "12号楼"),
    ("12", "12号楼"),
    ("12号", "12号楼"),
    ("12栋", "12号楼"),
    ("12幢", "12号楼"),
    ("12楼", "12号楼"),
    ("12号栋", "12号楼"),
    ("12 号楼", "12号楼"),
    ("１２号楼", "12号楼"),
    ("第12栋", "12号楼"),
    ("十二号楼", "12号楼"),
    ("十二栋", "12号楼"),
    ("第十二幢", "12号楼"),
    ("十二", "12号楼"),
    ("一二号楼", "12号楼"),
    ("012号楼", "12号楼"),
    ("三号楼", "3号楼"),
    ("两栋", "2号楼"),
    ("二十三栋", "23号楼"),
    ("十栋", "10号楼"),
    ("一百零八号楼", "108号楼"),
    ("一百二十幢", "120号楼"),
    ("五〇一栋", "501号楼"),
]
NOT_NUMBERS = ["活动中心", "12号楼一群", "A栋", "0号楼", "12345号楼", "百号楼", "号楼", "", "十十栋", "一百十栋"]


@pytest.mark.parametrize(("typed", "name"), NAMES)
def test_a_building_number_in_any_of_the_usual_forms_is_one_name(typed, name):
    assert canonical_building(typed) == name
    assert building_name(typed) == name


@pytest.mark.parametrize("typed", NOT_NUMBERS)
def test_a_name_that_is_no_building_number_is_kept_as_typed(typed):
    assert canonical_building(typed) is None
    assert building_name(typed) == typed.strip()


async def test_twelve_written_four_ways_binds_four_groups_to_one_building(chat):
    """The bug: 十二号楼, 12栋, 第十二幢 and 12号 each made a building beside 12号楼."""
    assert "已绑定 12号楼" in await chat.one("[12号楼群] 王主任: #绑定 12号楼")
    for room, typed in (("一群", "十二号楼"), ("二群", "12栋"), ("三群", "第十二幢"), ("四群", "12号")):
        assert await chat.one(f"[{room}] 王主任: #绑定 {typed}") == (
            "@王主任 本群已绑定 12号楼。居民发送 #帮助 可查看指令；管理员可发 #设楼组长 @李阿姨 指定楼组长（@ 后从名单里点选）。")
    assert await chat.scalars(select(Building.name)) == ["12号楼"]
    assert await chat.count(Group, Group.building_id.is_not(None)) == 5


async def test_a_name_that_is_no_building_number_needs_confirmation(chat):
    assert await chat.one("[活动室群] 王主任: #绑定 活动中心") == (
        "@王主任 “活动中心”不像楼号（例如 12号楼）。确实要用这个名字，请发送：#绑定 活动中心 确认")
    assert await chat.count(Building) == 0
    assert "本群已绑定 活动中心" in await chat.one("[活动室群] 王主任: #绑定 活动中心 确认")
    # Once it exists, another group joins it without being asked again.
    assert "本群已绑定 活动中心" in await chat.one("[活动室二群] 王主任: #绑定 活动中心")


async def test_rebinding_a_bound_group_needs_confirmation(chat):
    """The bug: a typo silently moved a group ("本群已从 5号楼 改绑到 3号楼")."""
    await chat.one("[5号楼群] 王主任: #绑定 5号楼")
    assert await chat.one("[5号楼群] 王主任: #绑定 3号楼") == (
        "@王主任 本群已绑定 5号楼。确实要改绑到 3号楼，请发送：#绑定 3号楼 确认")
    assert await chat.scalars(select(Building.name)) == ["5号楼"]
    assert await chat.one("[5号楼群] 王主任: #绑定 3号楼 确认") == (
        "@王主任 本群已从 5号楼 改绑到 3号楼。5号楼 没有别的群和任何记录，已删除。")
    assert await chat.scalars(select(Building.name)) == ["3号楼"]
    assert await chat.one("[5号楼群] 王主任: #绑定 三号楼") == "@王主任 本群已经绑定 3号楼，无需重复绑定。"
    # A building with records stays when its group moves.
    await chat.one("[5号楼群] 张阿姨: #报修 楼道灯坏了")
    assert await chat.one("[5号楼群] 王主任: #绑定 5号楼 确认") == "@王主任 本群已从 3号楼 改绑到 5号楼。"
    assert sorted(await chat.scalars(select(Building.name))) == ["3号楼", "5号楼"]


async def test_administrators_list_buildings_with_their_groups_and_leaders(chat):
    await chat.setup_building("3号楼一群", "3号楼", "李楼长")
    await chat.one("[3号楼二群] 王主任: #绑定 3栋")
    await chat.one("[5号楼群] 王主任: #绑定 5号楼")
    assert await chat.one("[居委会] 王主任: #楼栋列表") == (
        "@王主任 共 2 栋楼：\n3号楼：3号楼一群、3号楼二群；楼组长 李楼长\n5号楼：5号楼群")
    assert "只有居委会管理员" in await chat.one("[3号楼一群] 李楼长: #楼栋列表")


async def test_administrators_rename_a_building_in_chat(chat):
    await chat.one("[活动室群] 王主任: #绑定 活动中新 确认")
    assert await chat.one("[活动室群] 王主任: #改名 活动中心") == (
        "@王主任 “活动中心”不像楼号（例如 12号楼）。确实要用这个名字，请发送：#改名 活动中心 确认")
    assert await chat.one("[活动室群] 王主任: #改名 活动中心 确认") == "@王主任 已把 活动中新 改名为 活动中心。"
    await chat.one("[12号楼群] 王主任: #绑定 12号楼")
    assert await chat.one("[活动室群] 王主任: #改名 12栋") == (
        "@王主任 已经有叫 12号楼 的楼栋。要把本群归到 12号楼，请发送：#绑定 12号楼 确认")
    assert sorted(await chat.scalars(select(Building.name))) == ["12号楼", "活动中心"]
    assert "只有居委会管理员" in await chat.one("[12号楼群] 张阿姨: #改名 13号楼")


async def test_unbinding_a_wrongly_made_building_removes_it(chat):
    await chat.one("[12号楼群] 王主任: #绑定 12号楼")
    await chat.one("[新群] 王主任: #绑定 12号揚 确认")
    assert await chat.one("[新群] 王主任: #解绑") == (
        "@王主任 本群已解除与 12号揚 的绑定。12号揚 没有别的群和任何记录，已删除。")
    assert await chat.scalars(select(Building.name)) == ["12号楼"]
    # A building with records stays: the group can be bound again.
    await chat.one("[12号楼群] 张阿姨: #报修 楼道灯坏了")
    assert await chat.one("[12号楼群] 王主任: #解绑") == "@王主任 本群已解除与 12号楼 的绑定。重新绑定请发送：#绑定 12号楼"
    assert "还没有绑定楼栋" in await chat.one("[12号楼群] 张阿姨: #报修 又坏了")
    assert "已绑定 12号楼" in await chat.one("[12号楼群] 王主任: #绑定 12号楼")
