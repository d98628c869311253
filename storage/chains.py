"""Sign-up chains J<n> (接龙): the list, the waiting list, attendance, and the month's most faithful attendees."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Building, Chain, Claim, ChainAttendance, ChainSignup, Member
from storage.db import insert_for
from storage.queries import could_be_id, rank_with_ties, top

OPEN, CLOSED, CANCELLED, OFFERED = "open", "closed", "cancelled", "offered"
# A chain closes by itself this long after its time: late attendance can still be marked until then.
CLOSES_AFTER = timedelta(days=1)
OFFER_KEPT = timedelta(days=7)  # a WeChat 接龙 no leader took over is forgotten after this


@dataclass(frozen=True)
class Roll:
    """A chain's list as it stands: who is on it, in order, and who waits."""

    signed: list[ChainSignup]
    waiting: list[ChainSignup]


async def get(session: AsyncSession, number: int, *, lock: bool = False) -> Chain | None:
    """J<number>, locked for a change when ``lock`` (sign-ups take turns on it: the limit holds)."""
    if not could_be_id(number):
        return None
    return await session.get(Chain, number, with_for_update=lock or None)


async def open_in_room(session: AsyncSession, room_id: str) -> list[Chain]:
    """The group's open chains, oldest first."""
    return list(await session.scalars(select(Chain).where(Chain.room_id == room_id, Chain.status == OPEN)
                                      .order_by(Chain.id)))


async def offered_in_room(session: AsyncSession, room_id: str) -> Chain | None:
    """The latest WeChat 接龙 seen in the group and not yet taken over."""
    return await session.scalar(select(Chain).where(Chain.room_id == room_id, Chain.status == OFFERED)
                                .order_by(Chain.id.desc()).limit(1))


async def roll(session: AsyncSession, chain_id: int) -> Roll:
    return (await rolls(session, [chain_id]))[chain_id]


async def rolls(session: AsyncSession, chain_ids: list[int]) -> dict[int, Roll]:
    """Each chain's Roll, all in one query (a list of a group's chains reads them together)."""
    found: dict[int, list[ChainSignup]] = {i: [] for i in chain_ids}
    if chain_ids:
        for row in await session.scalars(select(ChainSignup).where(ChainSignup.chain_id.in_(chain_ids))
                                         .order_by(ChainSignup.id)):
            found[row.chain_id].append(row)
    return {i: Roll([r for r in rows if not r.waiting], [r for r in rows if r.waiting]) for i, rows in found.items()}


async def find_signup(session: AsyncSession, chain_id: int, member_id: int | None, proxy_name: str = "") -> ChainSignup | None:
    return await session.scalar(select(ChainSignup).where(
        ChainSignup.chain_id == chain_id, ChainSignup.member_id == member_id, ChainSignup.proxy_name == proxy_name))


async def wechat_ids(session: AsyncSession, member_ids) -> list[str]:
    """The WeChat ids of ``member_ids`` (Nones and repeats left out), in their order: whom a post @-mentions."""
    ids = [i for i in dict.fromkeys(member_ids) if i is not None]
    if not ids:
        return []
    found = dict((await session.execute(select(Member.id, Member.wechat_id).where(Member.id.in_(ids)))).all())
    return [found[i] for i in ids if i in found]


async def attend(session: AsyncSession, chain: Chain, member_id: int, points: int, marked_by: int,
                 now: datetime) -> bool:
    """Record that ``member_id`` came; False when they were already marked (the unique constraint says so,
    also when two leaders mark at once)."""
    stmt = (insert_for(session)(ChainAttendance.__table__)
            .values(chain_id=chain.id, member_id=member_id, points=points, marked_by=marked_by, created_at=now)
            .on_conflict_do_nothing(index_elements=["chain_id", "member_id"]))
    result = await session.execute(stmt)
    return bool(result.rowcount)


async def attended(session: AsyncSession, chain_id: int) -> set[int]:
    return set(await session.scalars(select(ChainAttendance.member_id).where(ChainAttendance.chain_id == chain_id)))


# units_done's one statement, built once: both counts in one round trip.
_UNITS_DONE = select(
    select(func.coalesce(func.sum(Claim.quantity), 0)).where(
        Claim.member_id == bindparam("member_id"), Claim.activity_id == bindparam("activity_id"),
        Claim.status.in_(("approved", "pending")), Claim.created_at >= bindparam("start"),
        Claim.created_at < bindparam("end")).scalar_subquery(),
    select(func.count(ChainAttendance.id)).join(Chain, Chain.id == ChainAttendance.chain_id).where(
        ChainAttendance.member_id == bindparam("member_id"), ChainAttendance.points > 0,
        Chain.activity_id == bindparam("activity_id"), Chain.starts_at >= bindparam("start"),
        Chain.starts_at < bindparam("end")).scalar_subquery())


async def units_done(session: AsyncSession, member_id: int, activity_id: int, start: datetime, end: datetime) -> int:
    """Units of a catalogue activity ``member_id`` has in [start, end) toward its daily cap: claims approved
    or pending, and chains of that activity held then that paid them (one unit each)."""
    claimed, came = (await session.execute(_UNITS_DONE, {
        "member_id": member_id, "activity_id": activity_id, "start": start, "end": end})).one()
    return int(claimed or 0) + int(came or 0)


async def due_reminders(session: AsyncSession, now: datetime) -> list[Chain]:
    """Open chains whose reminder time has come, not yet reminded, whose activity is still ahead."""
    return list(await session.scalars(select(Chain).where(
        Chain.status == OPEN, Chain.reminded_at.is_(None), Chain.remind_at <= now, Chain.starts_at > now)
        .order_by(Chain.id).with_for_update()))


async def due_to_close(session: AsyncSession, now: datetime) -> list[Chain]:
    """Open chains a day past their time, and WeChat 接龙 offered a week ago that no leader took over."""
    return list(await session.scalars(select(Chain).where(or_(
        and_(Chain.status == OPEN, Chain.starts_at <= now - CLOSES_AFTER),
        and_(Chain.status == OFFERED, Chain.created_at <= now - OFFER_KEPT))).order_by(Chain.id).with_for_update()))


async def attendance_ranking(session: AsyncSession, start: datetime, end: datetime,
                             places: int = 10) -> list[tuple[int, str, str, int]]:
    """(rank, name, building name, chains attended) over all buildings, for chains held in [start, end);
    ties share a rank, all who tie for the last place are in."""
    count = func.count(ChainAttendance.id).label("times")
    rows = (await session.execute(
        select(Member.display_name, Building.name, count).join(ChainAttendance, ChainAttendance.member_id == Member.id)
        .join(Chain, Chain.id == ChainAttendance.chain_id).outerjoin(Building, Building.id == Member.building_id)
        .where(Chain.starts_at >= start, Chain.starts_at < end)
        .group_by(Member.id, Member.display_name, Building.name).order_by(count.desc(), Member.id))).all()
    return [(rank, name, building or "未分楼", times) for rank, name, building, times in top(rank_with_ties(rows), places)]
