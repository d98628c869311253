"""People as the desk shows them: found by name or 门牌号, and one person's balance, ledger, claims, reports, roles, groups."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ROLE_LABELS, Building, RoleName, Claim, Group, LedgerEntry, Member, Report, Resident, RoleGrant
from storage.queries import balance_of


@dataclass(frozen=True)
class Found:
    member: Member
    building: str
    doors: list[str]


async def find_people(session: AsyncSession, text: str, limit: int = 100) -> list[Found]:
    """Members whose name, or whose roster line's name or 门牌号, contains ``text``."""
    text = text.strip()[:64]
    if not text:
        return []
    pattern = f"%{text}%"
    by_roster = select(Resident.member_id).where(Resident.member_id.is_not(None),
                                                 or_(Resident.name.like(pattern), Resident.door.like(pattern)))
    members = list(await session.scalars(select(Member).where(or_(Member.display_name.like(pattern),
                                                                  Member.id.in_(by_roster)))
                                         .order_by(Member.display_name, Member.id).limit(limit)))
    buildings = dict((await session.execute(select(Building.id, Building.name))).all())
    doors: dict[int, list[str]] = {}
    for member_id, door in await session.execute(select(Resident.member_id, Resident.door)
                                                  .where(Resident.member_id.in_([m.id for m in members]))):
        doors.setdefault(member_id, []).append(door)
    return [Found(m, buildings.get(m.building_id or 0, ""), doors.get(m.id, [])) for m in members]


@dataclass(frozen=True)
class Person:
    member: Member
    building: str
    doors: list[str]
    balance: int
    ledger: list[LedgerEntry]
    claims: list[Claim]
    reports: list[Report]
    roles: list[str]  # "12号楼 楼组长"
    groups: list[Group]


async def person(session: AsyncSession, member_id: int) -> Person | None:
    member = await session.get(Member, member_id)
    if member is None:
        return None
    buildings = dict((await session.execute(select(Building.id, Building.name))).all())
    doors = list(await session.scalars(select(Resident.door).where(Resident.member_id == member_id)))
    ledger = list(await session.scalars(select(LedgerEntry).where(LedgerEntry.member_id == member_id)
                                        .order_by(LedgerEntry.id.desc()).limit(200)))
    claims = list(await session.scalars(select(Claim).where(Claim.member_id == member_id)
                                        .order_by(Claim.id.desc()).limit(100)))
    reports = list(await session.scalars(select(Report).where(Report.reporter_id == member_id)
                                         .order_by(Report.id.desc()).limit(100)))
    roles = [f"{buildings.get(grant.building_id, '')} {_role_label(grant.role)}"
             for grant in await session.scalars(select(RoleGrant).where(RoleGrant.member_id == member_id))]
    groups = list(await session.scalars(select(Group).where(Group.building_id == member.building_id))) \
        if member.building_id else []
    return Person(member, buildings.get(member.building_id or 0, ""), doors, await balance_of(session, member_id),
                  ledger, claims, reports, roles, groups)


def _role_label(role: str) -> str:
    try:
        return ROLE_LABELS.get(RoleName(role), role)
    except ValueError:
        return role
