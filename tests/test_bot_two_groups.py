"""A building with two groups (3号楼一群, 3号楼二群), and who belongs to which building.

Every message about a person goes to a group that person is in (the one they used last); a
leader's #通知 reaches each of the building's groups once; reminders @-mention only members of
the group they are posted in. Membership comes from the groups and the roster, never from
"the first building where the bot saw them".
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from bot.app import App
from bot.transport.memory import MemoryTransport
from storage.models import Building, Member
from tests.chat import Chat
from tests.test_notices import sent_after

ONE, TWO, NEIGHBOURS = "3号楼一群", "3号楼二群", "3号楼邻里群"


async def said(chat, line: str, **changes) -> list[tuple[str, str]]:
    """(group, what people read there) for each reply to ``line``."""
    return [(r.room_id, chat.transport.render(r)) for r in await chat.send(chat.message(line, **changes))]


async def two_groups(chat, first: str = ONE, second: str = TWO) -> None:
    await chat.setup_building(first, "3号楼", "李楼长")
    assert "本群已绑定 3号楼" in await chat.one(f"[{second}] 王主任: #绑定 3栋")


async def test_a_report_resolved_in_the_other_group_is_announced_where_the_reporter_is(chat):
    """The bug: R1 reported in 二群 and resolved in 邻里群 was announced in 邻里群, where the reporter is not."""
    await two_groups(chat, NEIGHBOURS, TWO)
    assert "R1" in await chat.one(f"[{TWO}] 张阿姨: #报修 楼道灯坏了")
    announced = ("R1（楼道灯坏了）已处理：换了灯泡。请报修人确认：解决了发送 #确认 R1，没解决发送 #未解决 R1 和情况；"
                 "72 小时内没有回复将自动关闭。")
    assert await said(chat, f"[{NEIGHBOURS}] 李楼长: #处理 R1 换了灯泡") == [
        (NEIGHBOURS, f"@李楼长 {announced}（已在 {TWO} 告知）"),
        (TWO, f"@张阿姨 {announced}"),
    ]
    # Resolved in her own group, it is said once, there.
    await chat.one(f"[{TWO}] 张阿姨: #未解决 R1 还是不亮")
    assert [room for room, _ in await said(chat, f"[{TWO}] 李楼长: #处理 R1")] == [TWO]


async def test_a_claim_decided_in_the_other_group_is_told_in_the_claimants(chat):
    await two_groups(chat)
    await chat.one(f"[{TWO}] 张阿姨: #打卡 志愿服务 2")
    assert await said(chat, f"[{ONE}] 李楼长: #通过 C1") == [
        (ONE, f"@李楼长 C1 已通过：志愿服务 2小时，+20 分。（审核：李楼长）（已在 {TWO} 告知）"),
        (TWO, "@张阿姨 C1 已通过：志愿服务 2小时，+20 分。（审核：李楼长）"),
    ]


async def test_a_gift_handed_over_in_the_other_group_is_told_in_the_residents(chat):
    await two_groups(chat)
    await chat.one(f"[{ONE}] 王主任: #加分 @老周 30 帮忙搬东西")
    await chat.one(f"[{TWO}] 老周: #兑换 抽纸")
    assert await said(chat, f"[{ONE}] 李楼长: #发放 X1") == [
        (ONE, f"@李楼长 X1 抽纸 已由 李楼长 发放，谢谢你的付出！（已在 {TWO} 告知）"),
        (TWO, "@老周 X1 抽纸 已由 李楼长 发放，谢谢你的付出！"),
    ]


async def test_an_expired_claim_is_told_once_in_the_group_the_claimant_used_last(chat, clock):
    """The bug: an expiry notice went to both groups of the building."""
    await two_groups(chat)
    await chat.one(f"[{ONE}] 张阿姨: #我的积分")
    await chat.one(f"[{TWO}] 张阿姨: #打卡 志愿服务 2")
    clock.advance(days=8)
    before = len(chat.transport.sent)
    await chat.app.schedules.jobs.run("expire_claims")
    assert await sent_after(chat, before) == [
        f"[{TWO}] @张阿姨 C1（志愿服务 2小时）超过 7 天没有审核，已过期；如确有其事，请重新 #打卡 或联系楼组长。"]


async def test_the_patrol_reminder_mentions_only_the_members_of_each_group(chat):
    """The bug: the daily patrol reminder in one group @-mentioned people who are only in the other."""
    await two_groups(chat)
    await chat.one(f"[{ONE}] 王主任: #设角色 @陈党员 党员")
    await chat.one(f"[{TWO}] 王主任: #设角色 @刘志愿 志愿者")
    await chat.one(f"[{TWO}] 王主任: #设角色 @赵党员 党员")
    await chat.one(f"[{ONE}] 赵党员: #我的积分")  # 赵党员 is in both groups
    before = len(chat.transport.sent)
    await chat.app.schedules.jobs.run("reminder", "daily_patrol")
    lines = await sent_after(chat, before)
    assert sorted(line.split(" 早上好")[0] for line in lines) == [
        f"[{ONE}] @陈党员 @赵党员", f"[{TWO}] @刘志愿 @赵党员"]


async def test_a_leaders_notice_reaches_every_group_of_the_building_once(chat):
    """The bug: a leader's #通知 reached only the group it was typed in."""
    await two_groups(chat)
    await chat.setup_building("5号楼群", "5号楼", "周楼长")
    before = len(chat.transport.sent)
    await chat(f"[{TWO}] 李楼长: #通知 周六上午大扫除")
    assert await sent_after(chat, before) == [
        f"[{TWO}] 【通知】周六上午大扫除\n——李楼长", f"[{ONE}] 【通知】周六上午大扫除\n——李楼长"]


async def test_an_administrator_is_nobodys_member_and_a_leader_counts_in_his_building(chat):
    """The bugs: the administrator counted as a 3号楼 member; a leader first seen in another
    building's group was missing from his own building's participation."""
    await chat.one("[5号楼群] 王主任: #绑定 5号楼")
    await chat.one("[5号楼群] 李楼长: #我的积分")  # first seen in 5号楼's group
    await chat.setup_building(ONE, "3号楼", "李楼长")
    await chat.one(f"[{ONE}] 李楼长: #打卡 捡垃圾")
    assert await chat.one(f"[{ONE}] 李楼长: #排行") == (
        "@李楼长 本周3号楼爱心积分榜：\n1. 李楼长 2 分\n"
        "本楼星级：★★★☆☆（3 星）\n100%的住户参与了，没有人巡查，没有报修，人均 2 分。")
    assert await homes(chat) == {"王主任": None, "李楼长": "3号楼"}


async def test_someone_in_two_buildings_groups_counts_where_they_live(chat, louzu, tmp_path):
    await chat.setup_building(ONE, "3号楼", "李楼长")
    await chat.setup_building("5号楼群", "5号楼", "周楼长")
    await chat.one(f"[{ONE}] 张阿姨: #我的积分")  # first seen in 3号楼's group
    roster = tmp_path / "名册.csv"
    roster.write_text("楼栋,群ID,群名,门牌号,姓名,微信号,角色\n5号楼,,,501,张阿姨,,\n", encoding="utf-8")
    assert (await louzu("roster", "import", roster)).code == 0
    await chat.one("[5号楼群] 张阿姨: #我的积分")  # recognised from the roster: she lives in 5号楼
    await chat.one(f"[{ONE}] 张阿姨: #我的积分")
    assert (await homes(chat))["张阿姨"] == "5号楼"


async def test_an_administrator_taken_off_the_list_is_a_resident_of_the_building_from_his_next_message(
        chat, louzu, settings, restart, tmp_path):
    """王主任 was seen in 3号楼's group as an administrator (no home building), and the roster names him
    3号楼's leader. Off LOUZU_ADMIN_IDS, his next message there makes him a 3号楼 resident and its leader."""
    await chat.setup_building(ONE, "3号楼", "李楼长")
    await chat.one(f"[{ONE}] 王主任: #我的积分")
    roster = tmp_path / "名册.csv"
    roster.write_text("楼栋,群ID,群名,门牌号,姓名,微信号,角色\n3号楼,,,301,王主任,,楼组长\n", encoding="utf-8")
    assert (await louzu("roster", "import", roster)).code == 0
    assert await homes(chat) == {"王主任": None, "李楼长": "3号楼"}
    again = await restart(replace(settings, admin_ids=frozenset()))
    reply = await again.one(f"[{ONE}] 王主任: #审核")
    assert await homes(again) == {"王主任": "3号楼", "李楼长": "3号楼"}
    assert reply == "@王主任 本楼没有待审核的申请，也没有待发放的礼品。"


async def test_a_resident_made_an_administrator_is_nobodys_member_from_her_next_message(chat, settings, restart):
    """张阿姨 counted in 3号楼; once on LOUZU_ADMIN_IDS she is an administrator, who is nobody's member."""
    await chat.setup_building(ONE, "3号楼", "李楼长")
    await chat.one(f"[{ONE}] 张阿姨: #我的积分")
    assert await homes(chat) == {"王主任": None, "李楼长": "3号楼", "张阿姨": "3号楼"}
    again = await restart(replace(settings, admin_ids=frozenset({"王主任", "张阿姨"})))
    await again.one(f"[{ONE}] 张阿姨: #我的积分")
    assert await homes(again) == {"王主任": None, "李楼长": "3号楼", "张阿姨": None}


@pytest.fixture
async def restart(chat, clock):
    """``await restart(settings)``: the bot started again on the same database with ``settings``
    (as after an edit of its configuration); the new chat."""
    started = []

    async def restarted(settings) -> Chat:
        await chat.app.close()
        transport = MemoryTransport(settings.bot_name, admins=settings.admin_ids, clock=clock)
        app = App(settings, transport, clock=clock)
        started.append(app)
        await app.start()
        await transport.run(app)
        return Chat(app, transport)

    yield restarted
    for app in started:
        await app.close()


async def homes(chat) -> dict[str, str | None]:
    """Each person's home building, by name."""
    async with chat.app.sessions() as session:
        rows = await session.execute(select(Member.display_name, Building.name)
                                     .outerjoin(Building, Building.id == Member.building_id))
        return dict(rows.all())
