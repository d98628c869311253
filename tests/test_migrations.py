"""The Alembic migrations build exactly the models, on SQLite and PostgreSQL, and go back down."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from storage.db import make_engine, upgrade
from storage.models import Base


async def test_migrations_match_the_models(database_url):
    engine = make_engine(database_url)
    try:
        await upgrade(engine)
        async with engine.connect() as conn:
            diff = await conn.run_sync(lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata))
        assert diff == []
    finally:
        await engine.dispose()


async def test_downgrade_to_nothing_and_back(tmp_path):
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    try:
        await upgrade(engine)
        await upgrade_to(engine, "base")
        await upgrade(engine)
    finally:
        await engine.dispose()


async def upgrade_to(engine, revision):
    from alembic import command

    from storage.db import alembic_config

    def run(sync_connection):
        config = alembic_config(str(engine.url))
        config.attributes["connection"] = sync_connection
        command.downgrade(config, revision)

    async with engine.begin() as conn:
        await conn.run_sync(run)


async def test_0010_learns_who_is_in_which_group_from_what_was_already_seen(tmp_path):
    """Migration 0010 fills group_members from the handled messages and the reports, and each person's last group."""
    from datetime import datetime, timedelta, timezone

    from sqlalchemy import insert, select

    from storage.models import Building, Group, GroupMember, Member, ProcessedMessage, Report, RoleGrant

    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    start = datetime(2026, 11, 1, tzinfo=timezone.utc)
    try:
        await upgrade(engine, "0009")
        async with engine.begin() as conn:
            await conn.execute(insert(Building.__table__).values(id=1, name="3号楼", created_at=start))
            await conn.execute(insert(Building.__table__).values(id=2, name="5号楼", created_at=start))
            for room in ("一群", "二群", "未绑群"):
                await conn.execute(insert(Group.__table__).values(room_id=room, topic=room,
                                                                  building_id=None if room == "未绑群" else 1))
            for number, who in ((1, "张阿姨"), (2, "老周"), (3, "李楼长")):
                await conn.execute(insert(Member.__table__).values(id=number, wechat_id=who, display_name=who,
                                                                   building_id=1, created_at=start))
            # 李楼长 was first seen in 3号楼's group, but leads 5号楼.
            await conn.execute(insert(RoleGrant.__table__).values(member_id=3, building_id=2, role="leader",
                                                                  granted_by="王主任", granted_at=start))
            for minutes, room, who in ((1, "一群", "张阿姨"), (2, "二群", "张阿姨"), (3, "未绑群", "张阿姨"),
                                       (4, "一群", "张阿姨"), (5, "一群", "老周")):
                await conn.execute(insert(ProcessedMessage.__table__).values(
                    message_id=f"m{minutes}", room_id=room, sender_id=who, kind="command",
                    processed_at=start + timedelta(minutes=minutes)))
            await conn.execute(insert(Report.__table__).values(
                id=1, building_id=1, reporter_id=2, category="其他", description="灯坏了", status="open", room_id="二群",
                created_at=start, updated_at=start))
        await upgrade(engine)
        async with engine.connect() as conn:
            seen = (await conn.execute(select(GroupMember.room_id, GroupMember.member_id)
                                       .order_by(GroupMember.member_id, GroupMember.room_id))).all()
            last = (await conn.execute(select(Member.display_name, Member.last_room_id, Member.building_id)
                                       .order_by(Member.id))).all()
        assert seen == [("一群", 1), ("二群", 1), ("一群", 2), ("二群", 2)]
        assert last == [("张阿姨", "一群", 1), ("老周", "一群", 1), ("李楼长", None, 2)]
    finally:
        await engine.dispose()
