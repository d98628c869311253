"""Buildings as staff tidy them: list, rename, merge a wrongly created one into the right one, remove empty ones."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.building_names import building_name
from storage.models import (Building, Claim, Group, LedgerEntry, Member, Patrol, Redemption, Report, Resident,
                            RoleGrant, RoleName, ScheduledNotice, Thanks)
from storage.staff import StaffError

# Every table that points at a building, and how staff call its rows. A merge moves them all.
HOLDERS = (
    (Group, "群"), (Member, "成员"), (Resident, "名册居民"), (RoleGrant, "角色"), (Report, "报修"), (Claim, "打卡申请"),
    (LedgerEntry, "积分记录"), (Redemption, "兑换"), (Thanks, "点赞"), (Patrol, "巡查"), (ScheduledNotice, "定时通知"),
)


@dataclass
class BuildingLine:
    building: Building
    groups: list[str]  # 群名（群ID）, as staff at the PC need them
    topics: list[str]  # the groups' names alone, as they are read in chat
    members: int
    residents: int
    leaders: list[str]


async def list_buildings(session: AsyncSession) -> list[BuildingLine]:
    buildings = list(await session.scalars(select(Building).order_by(Building.name)))
    groups: dict[int, list[str]] = {}
    topics: dict[int, list[str]] = {}
    for room_id, topic, building_id in await session.execute(
            select(Group.room_id, Group.topic, Group.building_id).where(Group.building_id.is_not(None))
            .order_by(Group.room_id)):
        groups.setdefault(building_id, []).append(f"{topic}（{room_id}）" if topic and topic != room_id else room_id)
        topics.setdefault(building_id, []).append(topic or room_id)
    members = dict((await session.execute(select(Member.building_id, func.count()).group_by(Member.building_id))).all())
    residents = dict((await session.execute(select(Resident.building_id, func.count())
                                            .group_by(Resident.building_id))).all())
    leaders: dict[int, list[str]] = {}
    for building_id, name in await session.execute(
            select(RoleGrant.building_id, Member.display_name).join(Member, Member.id == RoleGrant.member_id)
            .where(RoleGrant.role.in_((RoleName.LEADER.value, RoleName.GRID_LEADER.value))).order_by(Member.id)):
        if name not in leaders.setdefault(building_id, []):
            leaders[building_id].append(name)
    return [BuildingLine(b, groups.get(b.id, []), topics.get(b.id, []), members.get(b.id, 0), residents.get(b.id, 0),
                         leaders.get(b.id, [])) for b in buildings]


async def _named(session: AsyncSession, name: str) -> Building:
    # As written first: a building made under another spelling before names were read one way (12栋).
    building = await session.scalar(select(Building).where(Building.name == name.strip())) or await session.scalar(
        select(Building).where(Building.name == building_name(name)))
    if building is None:
        known = "、".join(await session.scalars(select(Building.name).order_by(Building.name))) or "还没有"
        raise StaffError(f"没有叫 {building_name(name)} 的楼栋（现有：{known}）")
    return building


async def rename(session: AsyncSession, old: str, new: str) -> str:
    building = await _named(session, old)
    name = building_name(new)
    if not name or len(name) > 32:
        raise StaffError("新楼名要写 1 到 32 个字")
    if name == building.name:
        return f"{name} 没有变化。"
    if await session.scalar(select(Building.id).where(Building.name == name)):
        raise StaffError(f"已经有叫 {name} 的楼栋；要把 {building.name} 并进去，用 louzu buildings merge {building.name} {name}")
    before, building.name = building.name, name
    return f"已把 {before} 改名为 {name}。"


@dataclass
class Merged:
    source: str
    target: str
    moved: dict[str, int]

    def text(self) -> str:
        parts = [f"{label} {n}" for label, n in self.moved.items() if n]
        total = sum(self.moved.values())
        return (f"已把 {self.source} 并入 {self.target}，共移动 {total} 行" + (f"（{'，'.join(parts)}）" if parts else "")
                + f"，{self.source} 已删除。")


async def merge(session: AsyncSession, source_name: str, target_name: str) -> Merged:
    """Move every row of ``source`` to ``target`` and delete ``source``, in the caller's transaction."""
    source, target = await _named(session, source_name), await _named(session, target_name)
    if source.id == target.id:
        raise StaffError("要合并的是同一栋楼")
    moved: dict[str, int] = {}
    # Roles held in both: the source's copy goes (a person holds a role in a building once).
    for grant in list(await session.scalars(select(RoleGrant).where(RoleGrant.building_id == source.id))):
        twin = await session.scalar(select(RoleGrant.id).where(
            RoleGrant.building_id == target.id, RoleGrant.member_id == grant.member_id, RoleGrant.role == grant.role))
        if twin is not None:
            await session.delete(grant)
    # The same resident on both rosters: one row, keeping whichever is linked to a member.
    for resident in list(await session.scalars(select(Resident).where(Resident.building_id == source.id))):
        twin = await session.scalar(select(Resident).where(
            Resident.building_id == target.id, Resident.door == resident.door, Resident.name == resident.name))
        if twin is not None:
            member_id, resident.member_id = resident.member_id, None
            await session.flush()
            if twin.member_id is None and member_id is not None:
                twin.member_id, twin.linked_at, twin.wechat_id = member_id, resident.linked_at, resident.wechat_id
            await session.delete(resident)
            moved["名册居民"] = moved.get("名册居民", 0) + 1
    await session.flush()
    for model, label in HOLDERS:
        result = await session.execute(update(model).where(model.building_id == source.id)
                                       .values(building_id=target.id).execution_options(synchronize_session=False))
        moved[label] = moved.get(label, 0) + (result.rowcount or 0)
    await session.execute(delete(Building).where(Building.id == source.id))
    return Merged(source.name, target.name, moved)


async def remove_if_empty(session: AsyncSession, building: Building) -> bool:
    """Delete ``building`` when nothing points at it (no group, member, record or roster line); whether it did."""
    await session.flush()
    for model, _ in HOLDERS:
        if await session.scalar(select(model.building_id).where(model.building_id == building.id).limit(1)):
            return False
    await session.delete(building)
    await session.flush()
    return True


async def remove_empty(session: AsyncSession) -> list[str]:
    """Delete the buildings nothing points at; their names."""
    return [building.name for building in list(await session.scalars(select(Building).order_by(Building.name)))
            if await remove_if_empty(session, building)]
