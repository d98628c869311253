"""Who is who is remembered between messages, and never past a change, whoever makes it."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import delete, select, text, update

from storage.db import make_engine, make_sessionmaker
from storage.models import Building, Claim, DirectoryVersion, Group, LedgerEntry, Member, RoleGrant

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=timezone.utc)


async def version(sessions) -> int:
    async with sessions() as session:
        return await session.scalar(select(DirectoryVersion.version))


async def test_every_change_to_who_is_who_counts_up_the_version_and_nothing_else_does(database_url):
    engine = make_engine(database_url)
    sessions = make_sessionmaker(engine)
    try:
        seen = [await version(sessions)]

        async def change(*statements) -> None:
            async with sessions() as session, session.begin():
                for statement in statements:
                    await session.execute(statement)
            seen.append(await version(sessions))

        await change(text("INSERT INTO buildings (name, created_at) VALUES ('12号楼', '2026-11-25 02:00:00')"))
        async with sessions() as session:
            building_id = await session.scalar(select(Building.id))
        await change(text("INSERT INTO groups (room_id, topic) VALUES ('r1', '12号楼群')"))
        await change(update(Group).values(building_id=building_id))
        await change(text("INSERT INTO members (wechat_id, display_name, created_at) "
                          "VALUES ('w1', '张阿姨', '2026-11-25 02:00:00')"))
        await change(update(Member).values(display_name="张阿姨（3楼）"))
        async with sessions() as session:
            member_id = await session.scalar(select(Member.id))
        await change(text(f"INSERT INTO role_grants (member_id, building_id, role, granted_by, granted_at) "
                          f"VALUES ({member_id}, {building_id}, 'leader', 'x', '2026-11-25 02:00:00')"))
        await change(update(RoleGrant).values(role="volunteer"))
        await change(delete(RoleGrant))
        await change(update(Building).values(name="十二号楼"))

        before = seen[-1]
        async with sessions() as session, session.begin():
            session.add(LedgerEntry(member_id=member_id, building_id=building_id, amount=5, kind="claim",
                                    reason="打卡", created_at=NOW))
        assert await version(sessions) == before  # points move all day; who is who does not

        await change(delete(LedgerEntry), delete(Member))
        await change(delete(Group))
        await change(delete(Building))
        # Each of the 12 changes (insert, update, delete on each of the four tables) counted.
        assert all(after > before for before, after in zip(seen, seen[1:])), seen
    finally:
        await engine.dispose()


async def make_zhang_a_leader_elsewhere(database_url: str) -> None:
    """张阿姨 made 12号楼's leader by a second bot process, or someone at the database."""
    other = make_engine(database_url)
    try:
        async with make_sessionmaker(other)() as session, session.begin():
            member = await session.scalar(select(Member).where(Member.display_name == "张阿姨"))
            building = await session.scalar(select(Building).where(Building.name == "12号楼"))
            session.add(RoleGrant(member_id=member.id, building_id=building.id, role="leader", granted_by="x",
                                  granted_at=NOW))
    finally:
        await other.dispose()


async def test_a_role_given_by_another_program_holds_at_the_very_next_message(chat, database_url):
    await chat.setup_building()
    assert "只有楼组长" in await chat.one("[12号楼群] 张阿姨: #审核")
    assert "爱心积分" in await chat.one("[12号楼群] 张阿姨: #我的积分")  # remembered as a resident

    await make_zhang_a_leader_elsewhere(database_url)
    assert await chat.one("[12号楼群] 张阿姨: #审核") == "@张阿姨 本楼没有待审核的申请，也没有待发放的礼品。"


async def test_a_role_given_by_another_program_holds_whenever_the_next_message_comes(chat, clock, database_url):
    await chat.setup_building()
    await chat.one("[12号楼群] 张阿姨: #我的积分")  # first seen: written down
    clock.advance(minutes=1)
    assert "爱心积分" in await chat.one("[12号楼群] 张阿姨: #我的积分")  # remembered as a resident
    await make_zhang_a_leader_elsewhere(database_url)
    clock.advance(minutes=1)  # her next message, like her last, the first of its minute
    assert await chat.one("[12号楼群] 张阿姨: #审核") == "@张阿姨 本楼没有待审核的申请，也没有待发放的礼品。"


async def test_a_rebound_group_and_a_renamed_member_are_seen_at_once(chat):
    await chat.setup_building()
    assert "已记录" in await chat.one("[12号楼群] 张阿姨: #打卡 捡垃圾")
    assert "本周12号楼爱心积分榜：\n1. 张阿姨 2 分" in await chat.one("[12号楼群] 张阿姨: #排行")
    assert "改绑到 13号楼" in await chat.one("[12号楼群] 王主任: #绑定 13号楼 确认")
    assert "本周13号楼爱心积分榜" in await chat.one("[12号楼群] 张阿姨: #排行")

    await chat.one("[12号楼群] 张阿姨: #我的积分", sender_name="张阿姨（3楼）")
    assert await chat.scalars(select(Member.display_name).where(Member.wechat_id == "张阿姨")) == ["张阿姨（3楼）"]


async def test_a_first_message_that_is_refused_leaves_no_one_half_remembered(chat):
    await chat.setup_building()
    refused = await chat.one("[12号楼群] 小王: #打卡 跳广场舞")  # rolled back, with the new member row
    assert "活动" in refused
    assert await chat.count(Member, Member.wechat_id == "小王") == 0
    assert "已记录" in await chat.one("[12号楼群] 小王: #打卡 捡垃圾")
    owners = await chat.scalars(select(Member.wechat_id).join(Claim, Claim.member_id == Member.id))
    assert owners == ["小王"]
    assert await chat.count(Member, Member.wechat_id == "小王") == 1



async def test_a_new_name_seen_first_in_a_refused_command_is_written_down_at_the_next_message(chat):
    await chat.setup_building()
    await chat.one("[12号楼群] 张阿姨: #我的积分")
    renamed = dict(sender_name="张阿姨（3楼）")
    await chat.send(chat.message("[12号楼群] 张阿姨: #兑换 金条", **renamed))  # refused: rolled back, name too
    await chat.send(chat.message("[12号楼群] 张阿姨: #打卡 捡垃圾", **renamed))
    assert await chat.scalars(select(Member.display_name).where(Member.wechat_id == "张阿姨")) == ["张阿姨（3楼）"]


async def test_a_building_seen_first_in_a_refused_command_is_written_down_at_the_next_message(chat):
    await chat("[新群] 张阿姨: #帮助")  # first seen in a group of no building
    await chat.setup_building()
    await chat.one("[12号楼群] 张阿姨: #兑换 金条")  # refused: rolled back, her building too
    await chat.one("[12号楼群] 张阿姨: #打卡 捡垃圾")
    assert await chat.scalars(select(Building.name).join(Member, Member.building_id == Building.id)
                              .where(Member.wechat_id == "张阿姨")) == ["12号楼"]


async def test_a_group_name_seen_first_in_a_refused_command_is_written_down_at_the_next_message(chat):
    await chat.setup_building()
    await chat.one("[12号楼群] 张阿姨: #我的积分")
    renamed = dict(room_topic="12号楼业主群")
    await chat.send(chat.message("[12号楼群] 张阿姨: #兑换 金条", **renamed))  # refused: rolled back, the name too
    await chat.send(chat.message("[12号楼群] 张阿姨: #打卡 捡垃圾", **renamed))
    assert await chat.scalars(select(Group.topic)) == ["12号楼业主群"]


async def test_a_message_without_a_shown_name_keeps_the_name_already_known(chat):
    await chat.setup_building()
    await chat.one("[12号楼群] 张阿姨: #打卡 清理楼道")
    await chat.send(chat.message("[12号楼群] 张阿姨: #打卡 捡垃圾", sender_name=""))  # WeChat gave no name
    assert await chat.scalars(select(Member.display_name).where(Member.wechat_id == "张阿姨")) == ["张阿姨"]
    assert (await chat.one("[12号楼群] 老周: #排行")).split("\n")[:2] == ["@老周 本周12号楼爱心积分榜：", "1. 张阿姨 7 分"]


async def test_a_member_stays_in_the_building_of_the_group_they_were_first_seen_in(chat):
    await chat.setup_building()
    await chat.setup_building("11号楼群", "11号楼", "周楼长")
    await chat.one("[12号楼群] 张阿姨: #我的积分")
    await chat("[新群] 张阿姨: #帮助")  # a group not bound to any building
    await chat.one("[11号楼群] 张阿姨: #我的积分")  # a group of another building
    assert await chat.scalars(select(Building.name).join(Member, Member.building_id == Building.id)
                              .where(Member.wechat_id == "张阿姨")) == ["12号楼"]
