"""The roster (名册) meets the chat: a resident known by name is linked to the member who speaks under that name.

The committee imports residents with `louzu roster import` (storage/staff/roster.py); those
without a WeChat id are linked here, when someone first speaks in their building's group
under that name (their group nickname), or by a leader's #门牌 when the name alone is
ambiguous. A linked member has the resident's building as their home, a 门牌号, and the
roles the roster gives them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Member, Resident, RoleGrant, RoleName

GRANTED_BY = "名册"  # RoleGrant.granted_by of roles that came from the roster


def roles_of(resident: Resident) -> list[RoleName]:
    return [RoleName(value) for value in resident.roles.split(",") if value]


async def resident_of(session: AsyncSession, member_id: int) -> Resident | None:
    return await session.scalar(select(Resident).where(Resident.member_id == member_id))


async def unlinked_named(session: AsyncSession, building_id: int, name: str) -> list[Resident]:
    return list(await session.scalars(select(Resident).where(
        Resident.building_id == building_id, Resident.name == name, Resident.member_id.is_(None))
        .order_by(Resident.id)))


async def link(session: AsyncSession, resident: Resident, member: Member, now: datetime,
               granted_by: str = GRANTED_BY) -> list[RoleName]:
    """Link ``resident`` to ``member``: their home building, and the roster's roles there; the roles added."""
    resident.member_id = member.id
    resident.linked_at = now
    if resident.wechat_id is None:
        resident.wechat_id = member.wechat_id
    if member.building_id != resident.building_id:
        member.building_id = resident.building_id
    return await grant_roles(session, member.id, resident.building_id, roles_of(resident), now, granted_by)


async def roles_held(session: AsyncSession, member_id: int, building_id: int) -> list[RoleName]:
    return [RoleName(role) for role in await session.scalars(select(RoleGrant.role).where(
        RoleGrant.member_id == member_id, RoleGrant.building_id == building_id))]


async def grant_roles(session: AsyncSession, member_id: int, building_id: int, roles: list[RoleName],
                      now: datetime, granted_by: str = GRANTED_BY) -> list[RoleName]:
    held = set(await session.scalars(select(RoleGrant.role).where(
        RoleGrant.member_id == member_id, RoleGrant.building_id == building_id)))
    added = [role for role in roles if role.value not in held]
    for role in added:
        session.add(RoleGrant(member_id=member_id, building_id=building_id, role=role.value,
                              granted_by=granted_by, granted_at=now))
    if added:
        await session.flush()
    return added


async def match_on_sight(session: AsyncSession, member: Member, building_id: int,
                         now: datetime) -> list[RoleName] | None:
    """Link a member seen under a new name (or for the first time) in a building's group to the one
    unlinked resident of that building with that name; the roles it gave them, or None when there is
    no such resident, or more than one (a leader decides with #门牌), or the member is linked already."""
    if not member.display_name:
        return None
    candidates = await unlinked_named(session, building_id, member.display_name)
    if len(candidates) != 1 or await resident_of(session, member.id) is not None:
        return None
    return await link(session, candidates[0], member, now)
