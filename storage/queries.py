"""Queries more than one place needs, named in the community's terms."""

from __future__ import annotations

import functools
import re
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, bindparam, case, delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage import membership, roster
from storage.db import insert_for
from storage.models import (Building, DirectoryVersion, Group, GroupMember, LedgerEntry, Member, ProcessedMessage,
                            RoleGrant, RoleName)

# Entries that move points but are not "earned" (held for a gift and given back).
NOT_EARNED = ("redemption", "redemption_reversal")
# The condition for the rest, written out: an IN list would be re-rendered on every execution.
EARNED = and_(*(LedgerEntry.kind != kind for kind in NOT_EARNED))


# Record numbers (R12, C7, X3, S2) are 32-bit integers on PostgreSQL: a larger one names nothing,
# and is answered as such before it reaches the database (where it would be an error).
LARGEST_ID = 2**31 - 1


def could_be_id(number: int) -> bool:
    """Whether ``number`` can be the id of a record at all."""
    return 0 < number <= LARGEST_ID


# What a processed message was, for the limits (bot/core/dispatcher.py): None for what is not
# counted (a picture sent as chat); a command; a command answered with the limit's one line; a
# command answered with how to bind the group.
COMMAND, LIMITED, UNBOUND = "command", "limited", "unbound"

# Every message runs this: built once per dialect, on the table (an ORM insert costs more). Where
# the database can, it returns in the same statement the directory's version, as the transaction
# sees it, and what the sender's limit needs: their counted messages since ``limit_since`` before
# this one. (Whether they were told of the limit lately is asked only of those over it.)
_DIRECTORY_VERSION = select(DirectoryVersion.version).where(DirectoryVersion.id == 1).scalar_subquery()
_EARLIER = ProcessedMessage.__table__.alias("earlier")
_RECENT = (select(func.count()).select_from(_EARLIER)
           .where(_EARLIER.c.sender_id == bindparam("limit_sender"), _EARLIER.c.kind.is_not(None),
                  _EARLIER.c.processed_at >= bindparam("limit_since"),
                  _EARLIER.c.message_id != bindparam("limit_message")).scalar_subquery())
_TOLD = (select(ProcessedMessage.message_id)
         .where(ProcessedMessage.sender_id == bindparam("limit_sender"), ProcessedMessage.kind == LIMITED,
                ProcessedMessage.processed_at >= bindparam("told_since")).limit(1))
_MARK_PROCESSED = {dialect: insert(ProcessedMessage.__table__).on_conflict_do_nothing(index_elements=["message_id"])
                   for dialect, insert in (("postgresql", pg_insert), ("sqlite", sqlite_insert))}
_MARK_PROCESSED_AND_COUNT = {dialect: stmt.returning(_DIRECTORY_VERSION, _RECENT)
                             for dialect, stmt in _MARK_PROCESSED.items()}


@dataclass(frozen=True)
class FirstTime:
    """A message not handled before, the version of who-is-who (storage/directory.py) now, and the
    sender's counted messages in the limit's window before this one."""

    directory_version: int | None  # None when not known: nothing remembered is used then
    recent: int = 0


async def mark_processed(session: AsyncSession, message_id: str, room_id: str, now: datetime, *,
                         sender_id: str | None = None, kind: str | None = None,
                         limit_since: datetime | None = None) -> FirstTime | None:
    """Record a message id (who sent it, what it was); None when it was already recorded (a redelivery)."""
    values = {"message_id": message_id, "room_id": room_id, "processed_at": now, "sender_id": sender_id,
              "kind": kind}
    dialect = session.bind.dialect
    counts = {"limit_sender": sender_id or "", "limit_since": limit_since or now, "limit_message": message_id}
    if not dialect.insert_returning:  # SQLite before 3.35
        result = await session.execute(_MARK_PROCESSED[dialect.name], values)
        if result.rowcount != 1:
            return None
        return FirstTime(None, int(await session.scalar(select(_RECENT), counts)))
    row = (await session.execute(_MARK_PROCESSED_AND_COUNT[dialect.name], {**values, **counts})).first()
    return None if row is None else FirstTime(row[0], int(row[1]))


async def told_of_limit(session: AsyncSession, sender_id: str, since: datetime) -> bool:
    """Whether this person was given the limit's line since ``since``."""
    return await session.scalar(_TOLD, {"limit_sender": sender_id, "told_since": since}) is not None


# The two-key form of PostgreSQL's advisory locks, so these never meet the one-key locks of the
# scheduler (schedules/election.py) and of the jobs (schedules/jobs.py).
_SENDER_LOCKS = 0x6C7A  # "lz"
_LOCK_SENDER = text("SELECT pg_advisory_xact_lock(:space, :key)")


async def one_at_a_time(session: AsyncSession, sender_id: str) -> None:
    """On PostgreSQL, one person's messages take turns from here to their commit, in every bot process,
    so that each counts the ones before it (its limit holds however fast they come). SQLite's
    transactions take turns already."""
    if session.bind.dialect.name == "postgresql":
        key = zlib.crc32(sender_id.encode()) - 2**31  # into int4
        await session.execute(_LOCK_SENDER, {"space": _SENDER_LOCKS, "key": key})


async def mark(session: AsyncSession, message_id: str, kind: str) -> None:
    """What a processed message turned out to be (the limit's line was its answer; how to bind the group)."""
    await session.execute(update(ProcessedMessage).where(ProcessedMessage.message_id == message_id)
                          .values(kind=kind))


async def answered_unbound(session: AsyncSession, room_id: str, since: datetime) -> bool:
    """Whether this group was told how to bind it since ``since``."""
    return await session.scalar(select(ProcessedMessage.message_id).where(
        # Written out, not bound: only then can the database see that its partial index (of the
        # unbound groups' answers alone) holds every row asked for.
        ProcessedMessage.room_id == room_id, text(f"processed_messages.kind = '{UNBOUND}'"),
        ProcessedMessage.processed_at > since).limit(1)) is not None


async def prune_processed(session: AsyncSession, before: datetime) -> int:
    """Forget the ids of messages handled before ``before`` (a redelivery comes within minutes, not weeks)."""
    result = await session.execute(delete(ProcessedMessage).where(ProcessedMessage.processed_at < before))
    return result.rowcount or 0


async def member_by_wechat_id(session: AsyncSession, wechat_id: str) -> Member | None:
    return await session.scalar(select(Member).where(Member.wechat_id == wechat_id))


async def get_or_create_member(session: AsyncSession, wechat_id: str, name: str, now: datetime,
                               building_id: int | None = None) -> Member:
    """The member with this WeChat id, created on first sight; keeps the shown name current."""
    # Looked up first: on every message but the first, that is the one statement needed.
    member = await member_by_wechat_id(session, wechat_id)
    if member is None:
        stmt = insert_for(session)(Member).values(wechat_id=wechat_id, display_name=name, building_id=building_id,
                                               created_at=now)
        await session.execute(stmt.on_conflict_do_nothing(index_elements=["wechat_id"]))
        member = await member_by_wechat_id(session, wechat_id)
        assert member is not None
        if building_id is not None:  # first seen (speaking, or @-mentioned) in a building's group
            await roster.match_on_sight(session, member, building_id, now)
    _keep_member_current(member, name, building_id)
    return member


def _keep_member_current(member: Member, name: str, building_id: int | None) -> bool:
    """Write down a new shown name, and the building of someone who had none; whether anything changed."""
    changed = False
    if name and member.display_name != name:
        member.display_name, changed = name, True
    if building_id is not None and member.building_id is None:
        member.building_id, changed = building_id, True
    return changed


def _keep_topic_current(group: Group, topic: str) -> bool:
    """Write down the group's new name, if it has one; whether it did."""
    if topic and group.topic != topic:
        group.topic = topic
        return True
    return False


async def get_or_create_group(session: AsyncSession, room_id: str, topic: str) -> Group:
    group = await session.get(Group, room_id)  # first: on every message but the first, that is all
    if group is None:
        stmt = insert_for(session)(Group).values(room_id=room_id, topic=topic)
        await session.execute(stmt.on_conflict_do_nothing(index_elements=["room_id"]))
        group = await session.get(Group, room_id)
        assert group is not None
    _keep_topic_current(group, topic)
    return group


# Statements every message runs are built once: building them is most of their Python cost.
_PLACE_AND_PERSON = (select(Group, Building, Member, GroupMember.member_id, RoleGrant.role).select_from(Group)
                     .outerjoin(Building, Building.id == Group.building_id)
                     .outerjoin(Member, Member.wechat_id == bindparam("wechat_id"))
                     .outerjoin(GroupMember, (GroupMember.room_id == Group.room_id)
                                & (GroupMember.member_id == Member.id))
                     .outerjoin(RoleGrant, (RoleGrant.member_id == Member.id)
                                & (RoleGrant.building_id == Group.building_id))
                     .where(Group.room_id == bindparam("room_id")))


@dataclass(frozen=True)
class Sender:
    """Where a message was said and who said it: what every command is given."""

    group: Group
    building: Building | None  # None while the group is not bound
    member: Member
    roles: frozenset[RoleName]  # in that building
    as_stored: bool = True  # False when finding them wrote something (a first sight, a new name)


async def sender(session: AsyncSession, room_id: str, topic: str, wechat_id: str, name: str,
                 now: datetime, *, admin: bool = False) -> Sender:
    """The group and its building, the member and their roles there: one query, once both are known.

    A group or member seen for the first time is created; the group's topic and the member's
    shown name are kept current, and so are the groups they are in and the one they used last
    (storage/membership.py). A committee ``admin`` takes no home building by being seen.
    """
    rows = (await session.execute(_PLACE_AND_PERSON, {"room_id": room_id, "wechat_id": wechat_id})).all()
    if not rows:  # a group never seen before
        group = await get_or_create_group(session, room_id, topic)
        building, member, in_group, roles, as_stored = None, None, None, frozenset(), False
    else:
        group, building, member, in_group, _ = rows[0]
        roles = frozenset(RoleName(role) for *_, role in rows if role is not None)
        as_stored = not _keep_topic_current(group, topic)
    building_id = building.id if building else None
    home = None if admin else building_id
    if member is None:
        member = await get_or_create_member(session, wechat_id, name, now, home)
        as_stored = False
    elif _keep_member_current(member, name, home):
        as_stored = False
    if building_id is not None:
        if in_group is None:
            await membership.seen_in(session, member, room_id, now, admin=admin)
            as_stored = False
        elif admin and member.building_id is not None:  # counted somewhere before administrators were told apart
            await membership.settle_home(session, member, admin=True)
        if membership.used(member, room_id):
            as_stored = False
    if not as_stored and building_id is not None:
        # Someone new, or under a new name: the roster may know them by that name (storage/roster.py),
        # and give them roles they hold from this very message on. (A member made just now was
        # matched as they were made.)
        await roster.match_on_sight(session, member, building_id, now)
        roles = roles | frozenset(await roster.roles_held(session, member.id, building_id))
    return Sender(group, building, member, roles, as_stored)


async def bound_rooms(session: AsyncSession) -> list[tuple[str, int]]:
    """(room id, building id) of every group bound to a building, in room order."""
    rows = await session.execute(select(Group.room_id, Group.building_id)
                                 .where(Group.building_id.is_not(None)).order_by(Group.room_id))
    return [(room, building) for room, building in rows]


async def role_holders(session: AsyncSession, building_id: int, roles) -> list[str]:
    """WeChat ids of the people holding any of ``roles`` in a building."""
    if not roles:
        return []
    rows = await session.execute(
        select(Member.id, Member.wechat_id).join(RoleGrant, RoleGrant.member_id == Member.id)
        .where(RoleGrant.building_id == building_id, RoleGrant.role.in_([r.value for r in roles]))
        .order_by(Member.id))
    return list(dict.fromkeys(wechat_id for _, wechat_id in rows))


async def rooms_of(session: AsyncSession, building_id: int) -> list[str]:
    """The groups bound to a building (usually one)."""
    return list(await session.scalars(select(Group.room_id).where(Group.building_id == building_id)
                                      .order_by(Group.room_id)))


async def balance_of(session: AsyncSession, member: Member | int) -> int:
    """A member's balance: the sum of their ledger."""
    member_id = member if isinstance(member, int) else member.id
    total = await session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
        LedgerEntry.member_id == member_id))
    return int(total or 0)


def _earned_in(prefix: str):
    inside = (EARNED & (LedgerEntry.created_at >= bindparam(f"{prefix}_start"))
              & (LedgerEntry.created_at < bindparam(f"{prefix}_end")))
    return func.coalesce(func.sum(case((inside, LedgerEntry.amount), else_=0)), 0)


_SUMMARY = (select(func.coalesce(func.sum(LedgerEntry.amount), 0).label("balance"),
                   _earned_in("week").label("week"), _earned_in("month").label("month"))
            .where(LedgerEntry.member_id == bindparam("member_id")).subquery("summary"))
_TOTALS = (select(LedgerEntry.member_id.label("member_id"), func.sum(LedgerEntry.amount).label("points"))
           .where(LedgerEntry.building_id == bindparam("building_id"),
                  LedgerEntry.created_at >= bindparam("week_start"), LedgerEntry.created_at < bindparam("week_end"),
                  EARNED)
           .group_by(LedgerEntry.member_id).having(func.sum(LedgerEntry.amount) > 0).cte("totals"))
_MINE = select(_TOTALS.c.points).where(_TOTALS.c.member_id == bindparam("member_id")).scalar_subquery()
_RANKED = select(func.count()).select_from(_TOTALS).scalar_subquery()
_AHEAD = select(func.count()).select_from(_TOTALS).where(_TOTALS.c.points > _MINE).scalar_subquery()
# Everything #我的积分 says, in one statement: it is asked for often, and each statement costs a trip.
_MY_POINTS = select(_SUMMARY.c.balance, _SUMMARY.c.week, _SUMMARY.c.month, _MINE, _AHEAD, _RANKED)


@dataclass(frozen=True)
class PointsSummary:
    balance: int
    week: int
    month: int
    rank: int | None  # in the building this week; None when not ranked
    ranked: int  # how many are ranked there this week


async def points_summary(session: AsyncSession, member: Member, building: Building,
                         week: tuple[datetime, datetime], month: tuple[datetime, datetime]) -> PointsSummary:
    """Balance, points earned this week and month, and the rank by this week's points in the building.

    The same rules as balance_of and building_rankings (ties share a rank).
    """
    row = (await session.execute(_MY_POINTS, {
        "member_id": member.id, "building_id": building.id, "week_start": week[0], "week_end": week[1],
        "month_start": month[0], "month_end": month[1]})).one()
    balance, this_week, this_month, mine, ahead, ranked = row
    return PointsSummary(int(balance), int(this_week), int(this_month),
                         int(ahead) + 1 if mine is not None else None, int(ranked))


@dataclass(frozen=True)
class Place:
    """One place in a building's ranking: ties share a rank."""

    rank: int
    member_id: int
    name: str
    points: int


@dataclass
class BuildingRanking:
    """A building's ranking for a period: its first places, how many are ranked, and their points together."""

    places: list[Place]
    ranked: int
    points: int


@functools.cache
def _ranking_statement(of_some: bool):
    """building_rankings' statement, built once (for every building, or for the bound ``building_ids``):
    building it again on each #排行 cost as much as running it."""
    period = ((LedgerEntry.created_at >= bindparam("start")) & (LedgerEntry.created_at < bindparam("end")) & EARNED)
    if of_some:
        period = period & LedgerEntry.building_id.in_(bindparam("building_ids", expanding=True))
    totals = (select(LedgerEntry.building_id.label("building_id"), LedgerEntry.member_id.label("member_id"),
                     func.sum(LedgerEntry.amount).label("points"))
              .where(period, LedgerEntry.building_id.is_not(None))
              .group_by(LedgerEntry.building_id, LedgerEntry.member_id).having(func.sum(LedgerEntry.amount) > 0)
              .subquery("totals"))
    ranked = select(
        totals.c.building_id, totals.c.member_id, totals.c.points,
        func.rank().over(partition_by=totals.c.building_id, order_by=totals.c.points.desc()).label("rank"),
        func.count().over(partition_by=totals.c.building_id).label("ranked"),
        func.sum(totals.c.points).over(partition_by=totals.c.building_id).label("together")).subquery("ranked")
    return (select(ranked.c.building_id, ranked.c.rank, ranked.c.member_id, Member.display_name, ranked.c.points,
                   ranked.c.ranked, ranked.c.together)
            .join(Member, Member.id == ranked.c.member_id).where(ranked.c.rank <= bindparam("places"))
            .order_by(ranked.c.building_id, ranked.c.rank, ranked.c.member_id))


async def building_rankings(session: AsyncSession, start: datetime, end: datetime, places: int,
                            building_ids: list[int] | None = None) -> dict[int, BuildingRanking]:
    """Every building's ranking by points earned there in [start, end) (ties share a rank), its
    first ``places`` places with all who tie for the last of them; buildings with no one ranked are left out.

    One grouped query for all the buildings, ranked in the database: only the places shown come back.
    """
    values = {"start": start, "end": end, "places": places}
    if building_ids is not None:
        values["building_ids"] = list(building_ids)
    rows = await session.execute(_ranking_statement(building_ids is not None), values)
    result: dict[int, BuildingRanking] = {}
    for building_id, rank, member_id, name, points, count, together in rows:
        ranking = result.setdefault(building_id, BuildingRanking([], int(count), int(together)))
        ranking.places.append(Place(int(rank), member_id, name, int(points)))
    return result


def rank_with_ties(rows) -> list:
    """(rank, *row) for rows already sorted best first by their last value; equal values share a rank."""
    ranked: list = []
    for index, row in enumerate(rows):
        *rest, total = row
        rank = ranked[-1][0] if ranked and ranked[-1][-1] == total else index + 1
        ranked.append((rank, *rest, int(total)))
    return ranked


@functools.lru_cache(maxsize=4096)  # buildings' names, sorted again for every group's post
def natural_order(name: str) -> tuple:
    """A sort key that puts numbers in number order: 3号楼 before 12号楼, 3-201 before 12-101."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name))


def top(ranked: list, places: int) -> list:
    """The first ``places`` places of a ranking by rank_with_ties: all who tie for the last of them too."""
    return [row for row in ranked if row[0] <= places]


def week_bounds(now: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Monday 00:00 to next Monday 00:00, local time, as aware datetimes."""
    local = now.astimezone(tz)
    start = datetime(local.year, local.month, local.day, tzinfo=tz) - timedelta(days=local.weekday())
    return start, _add_days(start, 7, tz)


def month_bounds(now: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    local = now.astimezone(tz)
    start = datetime(local.year, local.month, 1, tzinfo=tz)
    end = datetime(local.year + local.month // 12, local.month % 12 + 1, 1, tzinfo=tz)
    return start, end


def day_bounds(now: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    local = now.astimezone(tz)
    start = datetime(local.year, local.month, local.day, tzinfo=tz)
    return start, _add_days(start, 1, tz)


def _add_days(moment: datetime, days: int, tz: ZoneInfo) -> datetime:
    naive = moment.replace(tzinfo=None) + timedelta(days=days)
    return naive.replace(tzinfo=tz)
