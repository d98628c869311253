"""Who is in which group, which building is a person's home, and in which group to speak about them.

A building may have several groups (3号楼一群, 3号楼二群). Someone is in a group once the bot
has seen them there: they used it there, or were @-mentioned there (WeChat lets one @ only a
group's members). Messages about a person go to the group of that building they used last,
and reminders @-mention a person only in the groups they are in.

Home building (Member.building_id, what rankings and star ratings count a person in): where
the roster says they live; else, for a committee administrator, none; else the building they
lead; else the first building whose group they were seen in.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import roster
from storage.db import insert_for
from storage.models import Group, GroupMember, Member, RoleGrant, RoleName

HOME_ROLES = (RoleName.LEADER.value, RoleName.GRID_LEADER.value)  # leaders live in the building they lead


async def seen_in(session: AsyncSession, member: Member, room_id: str, now: datetime, *, admin: bool = False) -> None:
    """Write down that ``member`` is in group ``room_id`` (once), and settle their home building."""
    result = await session.execute(insert_for(session)(GroupMember).values(room_id=room_id, member_id=member.id,
                                                                          seen_at=now)
                                   .on_conflict_do_nothing(index_elements=["room_id", "member_id"]))
    if result.rowcount:
        await settle_home(session, member, admin=admin)


def used(member: Member, room_id: str) -> bool:
    """Write down the group ``member`` used the bot in last; whether that changed anything."""
    if member.last_room_id == room_id:
        return False
    member.last_room_id = room_id
    return True


async def settle_home(session: AsyncSession, member: Member, *, admin: bool = False) -> None:
    """Set ``member``'s home building from the roster, their administrator's standing, their roles and groups."""
    resident = await roster.resident_of(session, member.id)
    if resident is not None:
        home = resident.building_id
    elif admin:
        home = None
    else:
        led = list(await session.scalars(select(RoleGrant.building_id).where(
            RoleGrant.member_id == member.id, RoleGrant.role.in_(HOME_ROLES)).order_by(RoleGrant.id)))
        seen = list(await session.scalars(
            select(Group.building_id).join(GroupMember, GroupMember.room_id == Group.room_id)
            .where(GroupMember.member_id == member.id, Group.building_id.is_not(None))
            .order_by(GroupMember.seen_at, Group.room_id)))
        choices = led or seen
        home = member.building_id if member.building_id in choices or not choices else choices[0]
    if member.building_id != home:
        member.building_id = home


async def room_for(session: AsyncSession, member: Member | None, building_id: int, fallback: str | None) -> str | None:
    """Where to speak about ``member`` in a building's matter: the group of that building they used last,
    else one of its groups they are in, else ``fallback`` (the group the matter came up in)."""
    if member is None:
        return fallback
    rooms = list(await session.scalars(
        select(GroupMember.room_id).join(Group, Group.room_id == GroupMember.room_id)
        .where(GroupMember.member_id == member.id, Group.building_id == building_id)
        .order_by(GroupMember.seen_at.desc(), GroupMember.room_id)))
    if member.last_room_id in rooms:
        return member.last_room_id
    if fallback in rooms or not rooms:
        return fallback
    return rooms[0]


async def in_room(session: AsyncSession, wechat_ids: list[str], room_id: str, building_id: int) -> list[str]:
    """Those of ``wechat_ids`` to @-mention in group ``room_id``: the ones seen there, and the ones seen in
    none of the building's groups (nothing says they are elsewhere). Order kept."""
    if not wechat_ids:
        return []
    rows = await session.execute(
        select(Member.wechat_id, GroupMember.room_id).join(GroupMember, GroupMember.member_id == Member.id)
        .join(Group, Group.room_id == GroupMember.room_id)
        .where(Member.wechat_id.in_(wechat_ids), Group.building_id == building_id))
    rooms: dict[str, set[str]] = {}
    for wechat_id, room in rows:
        rooms.setdefault(wechat_id, set()).add(room)
    return [wechat_id for wechat_id in wechat_ids if wechat_id not in rooms or room_id in rooms[wechat_id]]
