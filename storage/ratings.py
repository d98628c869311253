"""Weekly star ratings of buildings and the monthly lists: computed one way everywhere."""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, case, distinct, func, literal_column, null, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Building, Group, LedgerEntry, Member, Patrol, Report, RoleGrant, RoleName, Thanks
from storage.queries import EARNED, day_bounds, rank_with_ties


# What each row of star_ratings' one statement is.
_REPORT, _PATROL, _MEMBERS, _EARNED, _BUILDING = range(5)


class RatingRules(Protocol):
    """The settings a star rating is computed with (the bot's Settings has them all)."""

    timezone: ZoneInfo
    report_handling_hours: int
    star_points_target: int
    star_weights: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class StarRating:
    """A building's stars (1–5) for a week, the parts they come from (each 0–1), and those parts as counts."""

    stars: int
    participation: float
    patrol: float
    reports: float
    points: float
    members: int
    patrol_days: int  # days of the week with a #巡查
    reports_made: int
    reports_in_time: int
    points_each: float  # earned points per member

    def bar(self) -> str:
        """★★★☆☆"""
        return "★" * self.stars + "☆" * (5 - self.stars)

    def headline(self) -> str:
        """本楼星级：★★★☆☆（3 星）"""
        return f"本楼星级：{self.bar()}（{self.stars} 星）"

    def detail(self) -> str:
        """What the stars come from, in a resident's words: 25%的住户参与了，2 天有人巡查，没有报修，人均 1.5 分。"""
        patrol = f"{self.patrol_days} 天有人巡查" if self.patrol_days else "没有人巡查"
        reports = (f"报修 {self.reports_made} 件、按时处理 {self.reports_in_time} 件" if self.reports_made
                   else "没有报修")
        each = f"{self.points_each:.1f}".removesuffix(".0")
        return f"{self.participation:.0%}的住户参与了，{patrol}，{reports}，人均 {each} 分。"

    def line(self) -> str:
        if self.members == 0:
            return f"本楼星级：{self.bar()}（{self.stars} 星，本周还没有成员数据）"
        return f"{self.headline()}\n{self.detail()}"


async def star_rating(session: AsyncSession, building: Building, start: datetime, end: datetime,
                      settings: "RatingRules") -> StarRating:
    """The star rating of ``building`` for the week [start, end) (star_ratings, for one building)."""
    return (await star_ratings(session, start, end, settings, [building.id]))[building.id]


async def star_ratings(session: AsyncSession, start: datetime, end: datetime, settings: "RatingRules",
                       building_ids: Collection[int] | None = None) -> dict[int, StarRating]:
    """The star rating of every building (or of ``building_ids``) for the week [start, end), by building id.

    Four parts, each from 0 to 1, weighted by LOUZU_STAR_WEIGHTS: participation
    (members with points this week / members), patrol coverage (days with a
    patrol / 7), reports handled in time (this week's reports resolved within
    LOUZU_REPORT_HANDLING_HOURS / this week's reports; 1 when there were none),
    points per member (earned points / members / LOUZU_STAR_POINTS_TARGET, at
    most 1). Stars = 1 + the weighted average × 4, rounded.

    One statement for all the buildings at once (its grouped parts each read only the week's rows).
    """
    values = {"start": start, "end": end}
    if building_ids is not None:
        values["building_ids"] = list(building_ids)
    ids = list(building_ids) if building_ids is not None else []
    members: dict[int, int] = {}
    earned: dict[int, tuple[int, int]] = {}
    days: dict[int, set] = defaultdict(set)
    in_time = timedelta(hours=settings.report_handling_hours)
    reports: dict[int, list[int]] = defaultdict(lambda: [0, 0])  # made, handled in time
    rows = await session.execute(_rating_statement(building_ids is not None), values)
    for part, building_id, first, second, created, resolved in rows:
        if part == _REPORT:
            counts = reports[building_id]
            counts[0] += 1
            counts[1] += resolved is not None and resolved - created <= in_time
        elif part == _PATROL:
            days[building_id].add(created.astimezone(settings.timezone).date())
        elif part == _MEMBERS:
            members[building_id] = int(first)
        elif part == _EARNED:
            earned[building_id] = (int(first or 0), int(second or 0))
        else:
            ids.append(building_id)
    return {building_id: rate(members.get(building_id, 0), *earned.get(building_id, (0, 0)),
                              len(days.get(building_id, ())), *reports.get(building_id, (0, 0)), settings)
            for building_id in ids}


@functools.cache
def _rating_statement(of_some: bool):
    """star_ratings' one statement, built once (for every building, or for the bound ``building_ids``)."""
    def only(column, stmt):
        return stmt.where(column.in_(bindparam("building_ids", expanding=True))) if of_some else stmt

    start, end = bindparam("start"), bindparam("end")
    none, zero = null(), literal_column("0")
    # The reports' part comes first: the union's columns take their types from it.
    parts = [
        only(Report.building_id, select(literal_column(str(_REPORT)), Report.building_id, zero, zero,
                                         Report.created_at, Report.resolved_at)
             .where(Report.created_at >= start, Report.created_at < end)),
        only(Patrol.building_id, select(literal_column(str(_PATROL)), Patrol.building_id, zero, zero,
                                         Patrol.created_at, none)
             .where(Patrol.created_at >= start, Patrol.created_at < end)),
        only(Member.building_id, select(literal_column(str(_MEMBERS)), Member.building_id, func.count(Member.id), zero,
                                         none, none).group_by(Member.building_id)),
        only(LedgerEntry.building_id, select(
            literal_column(str(_EARNED)), LedgerEntry.building_id,
            func.count(distinct(case((LedgerEntry.amount > 0, LedgerEntry.member_id)))),
            func.coalesce(func.sum(LedgerEntry.amount), 0), none, none)
            .where(LedgerEntry.created_at >= start, LedgerEntry.created_at < end, EARNED)
            .group_by(LedgerEntry.building_id)),
    ]
    if not of_some:
        parts.append(select(literal_column(str(_BUILDING)), Building.id, zero, zero, none, none))
    return union_all(*parts)


def rate(members: int, active: int, total: int, patrol_days: int, reports_made: int, reports_in_time: int,
         settings: "RatingRules") -> StarRating:
    """A week's stars from its counts (star_ratings says how)."""
    if members == 0:
        return StarRating(1, 0.0, 0.0, 0.0, 0.0, 0, 0, 0, 0, 0.0)  # nobody to rate: nothing counted
    parts = {
        "participation": min(1.0, active / members),
        "patrol": min(1.0, patrol_days / 7),
        "reports": reports_in_time / reports_made if reports_made else 1.0,
        "points": min(1.0, max(0, total) / members / settings.star_points_target),
    }
    weights = dict(settings.star_weights)
    score = sum(parts[k] * w for k, w in weights.items()) / sum(weights.values())
    stars = 1 + int(score * 4 + 0.5)
    return StarRating(stars, parts["participation"], parts["patrol"], parts["reports"], parts["points"], members,
                      patrol_days=min(patrol_days, 7), reports_made=reports_made, reports_in_time=reports_in_time,
                      points_each=max(0, total) / members)


async def rated_from(session: AsyncSession, tz) -> dict[int, datetime]:
    """Each building's first rated moment: the start of the local day its group was bound (its creation's, when no
    bound group says). A week counts toward averages and changes only when it begins on or after it: a week
    before the building was bound has no data, and its stars would say nothing about the building."""
    rows = await session.execute(
        select(Building.id, Building.created_at, func.min(Group.bound_at))
        .outerjoin(Group, Group.building_id == Building.id).group_by(Building.id, Building.created_at))
    return {building_id: day_bounds(bound or created, tz)[0] for building_id, created, bound in rows}


async def patrol_days(session: AsyncSession, building_id: int, start: datetime, end: datetime, tz) -> int:
    """How many local days in [start, end) had at least one #巡查 in the building."""
    times = await session.scalars(select(Patrol.created_at).where(
        Patrol.building_id == building_id, Patrol.created_at >= start, Patrol.created_at < end))
    return len({t.astimezone(tz).date() for t in times})


async def cleaner_ranking(session: AsyncSession, start: datetime, end: datetime,
                          building: Building | None = None) -> list[tuple[int, Member, int]]:
    """Cleaners (保洁) ranked by the thanks they received in [start, end); ties share a rank."""
    cleaners = select(RoleGrant.member_id).where(RoleGrant.role == RoleName.CLEANER.value)
    if building is not None:
        cleaners = cleaners.where(RoleGrant.building_id == building.id)
    count = func.count(Thanks.id).label("thanks")
    rows = (await session.execute(
        select(Member, count).join(Thanks, Thanks.receiver_id == Member.id)
        .where(Member.id.in_(cleaners), Thanks.created_at >= start, Thanks.created_at < end)
        .group_by(Member.id).order_by(count.desc(), Member.id))).all()
    return rank_with_ties(rows)
