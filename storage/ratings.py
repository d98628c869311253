"""Weekly star ratings of buildings and the monthly lists: computed one way everywhere."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import case, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Building, Group, LedgerEntry, Member, Patrol, Report, RoleGrant, RoleName, Thanks
from storage.queries import EARNED, day_bounds, rank_with_ties


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
    patrol_days: int = 0  # days of the week with a #巡查
    reports_made: int = 0
    reports_in_time: int = 0
    points_each: float = 0.0  # earned points per member

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
    """The star rating of ``building`` for the week [start, end).

    Four parts, each from 0 to 1, weighted by LOUZU_STAR_WEIGHTS: participation
    (members with points this week / members), patrol coverage (days with a
    patrol / 7), reports handled in time (this week's reports resolved within
    LOUZU_REPORT_HANDLING_HOURS / this week's reports; 1 when there were none),
    points per member (earned points / members / LOUZU_STAR_POINTS_TARGET, at
    most 1). Stars = 1 + the weighted average × 4, rounded.
    """
    members = int(await session.scalar(select(func.count(Member.id)).where(Member.building_id == building.id)) or 0)
    if members == 0:
        return StarRating(1, 0.0, 0.0, 0.0, 0.0, 0)
    active, total = (await session.execute(
        select(func.count(distinct(case((LedgerEntry.amount > 0, LedgerEntry.member_id)))),
               func.coalesce(func.sum(LedgerEntry.amount), 0))
        .where(LedgerEntry.building_id == building.id, LedgerEntry.created_at >= start,
               LedgerEntry.created_at < end, EARNED))).one()
    active, total = int(active or 0), int(total or 0)
    days = await patrol_days(session, building.id, start, end, settings.timezone)
    reports = list(await session.execute(select(Report.created_at, Report.resolved_at).where(
        Report.building_id == building.id, Report.created_at >= start, Report.created_at < end)))
    in_time = timedelta(hours=settings.report_handling_hours)
    handled = sum(1 for created, resolved in reports if resolved is not None and resolved - created <= in_time)
    parts = {
        "participation": min(1.0, active / members),
        "patrol": min(1.0, days / 7),
        "reports": handled / len(reports) if reports else 1.0,
        "points": min(1.0, max(0, total) / members / settings.star_points_target),
    }
    weights = dict(settings.star_weights)
    score = sum(parts[k] * w for k, w in weights.items()) / sum(weights.values())
    stars = 1 + int(score * 4 + 0.5)
    return StarRating(stars, parts["participation"], parts["patrol"], parts["reports"], parts["points"], members,
                      patrol_days=min(days, 7), reports_made=len(reports), reports_in_time=handled,
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
