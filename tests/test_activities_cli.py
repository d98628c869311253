"""`louzu activities list|add|set|disable`: the committee's own activities, claimed in chat at once."""

from __future__ import annotations


async def test_a_committee_adds_its_own_activities_and_residents_claim_them(chat, louzu):
    await chat.setup_building()
    ran = await louzu("activities", "add", "垃圾分类值守", "--points", "3", "--daily-cap", "1")
    assert ran.lines == ["已添加活动 垃圾分类值守：每次 3 分，自动通过，每人每天上限 1次，一次最多 1次。"]
    ran = await louzu("activities", "add", "敬老探访", "--points", "5", "--unit", "小时", "--approval", "leader",
                      "--most", "3")
    assert ran.lines == ["已添加活动 敬老探访：每小时 5 分，楼组长审核，每人每天上限 不限，一次最多 3小时。"]
    assert "垃圾分类值守" in await chat.one("[12号楼群] 张阿姨: #打卡 帮忙")  # the catalogue in the refusal
    assert "+3 分" in await chat.one("[12号楼群] 张阿姨: #打卡 垃圾分类值守")
    assert "已达每日上限" in await chat.one("[12号楼群] 张阿姨: #打卡 垃圾分类值守")
    assert "等待楼组长审核" in await chat.one("[12号楼群] 张阿姨: #打卡 敬老探访 2")

    ran = await louzu("activities", "set", "宣传", "--name", "反诈宣传", "--points", "4", "--daily-cap", "none")
    assert ran.lines == ["已修改活动 宣传：改名为 反诈宣传，积分 3 分 → 4 分，每天上限 2次 → 不限。"]
    assert "+4 分" in await chat.one("[12号楼群] 老周: #打卡 反诈宣传")
    assert (await louzu("activities", "set", "反诈宣传", "--points", "4")).lines == ["活动 反诈宣传 没有变化。"]
    assert (await louzu("activities", "disable", "垃圾分类值守")).lines == [
        "已修改活动 垃圾分类值守：停用（#打卡 里不再出现，已有记录不变）。"]
    refused = await chat.one("[12号楼群] 老周: #打卡 垃圾分类值守")
    assert refused == "@老周 没有“垃圾分类值守”这个活动，相近的有：捡垃圾。例如：#打卡 捡垃圾"
    listed = await louzu("activities", "list")
    row = next(line for line in listed.lines if "垃圾分类值守" in line)
    assert [c.strip() for c in row.split("│")[1:-1]] == ["垃圾分类值守", "3", "次", "自动通过", "1", "1", "否"]
    assert (await louzu("activities", "set", "垃圾分类值守", "--active", "yes")).lines == [
        "已修改活动 垃圾分类值守：恢复打卡。"]


async def test_refusals_say_why_and_change_nothing(chat, louzu):
    await chat.setup_building()
    for argv, message in [
        (("add", "捡垃圾", "--points", "2"), "louzu: 已经有活动 捡垃圾；要修改用 louzu activities set\n"),
        (("add", "新活动"), "louzu: 新活动要写 --points（每个单位多少积分）\n"),
        (("add", "新 活动", "--points", "2"), "louzu: 活动名称要写 1 到 16 个字，不能有空格（例如 垃圾分类值守）\n"),
        (("set", "跳舞", "--points", "2"), "louzu: 没有叫 跳舞 的活动（现有：捡垃圾、清理楼道、门前三包、宣传、志愿服务、巡查）；"
                                            "新活动用 louzu activities add\n"),
        (("set", "巡查", "--name", "巡逻"), "louzu: 巡查 是 #巡查 用的活动，不能改名\n"),
    ]:
        ran = await louzu("activities", *argv)
        assert ran.code == 2 and ran.err == message, ran
    ran = await louzu("activities", "set", "捡垃圾", "--daily-cap", "0")
    assert ran.code == 2 and "--daily-cap 的值不对：0 要写 1 或以上的整数，或 none（不限）" in ran.err
    assert "+2 分" in await chat.one("[12号楼群] 张阿姨: #打卡 捡垃圾")


async def test_a_renamed_default_is_not_put_back_at_the_next_start(chat, louzu):
    from storage.catalogue import ensure_catalogue
    from storage.models import Activity

    assert (await louzu("activities", "set", "宣传", "--name", "反诈宣传")).code == 0
    async with chat.app.sessions() as session, session.begin():
        assert await ensure_catalogue(session) == 0  # what the bot does at every start
    names = await chat.scalars(Activity.__table__.select().with_only_columns(Activity.name))
    assert "宣传" not in names and "反诈宣传" in names
