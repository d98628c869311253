"""What the desk draws: each building's stars week by week, this week's order of the buildings, a month's points by building."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Building, LedgerEntry
from storage.queries import EARNED, natural_order, rank_with_ties, week_bounds
from storage.ratings import RatingRules, StarRating, rated_from, star_ratings
from storage.staff.buildings import BuildingLine, list_buildings

# The four parts of a star rating (storage/ratings.py), in the words the committee uses, with what each counts.
PARTS = (("participation", "参与", "本周得了积分的成员占全楼成员的比例"),
         ("patrol", "巡查", "本周有人巡查的天数（满 7 天为 100%）"),
         ("reports", "报修及时", "本周的报修按时处理的比例（没有报修算 100%）"),
         ("points", "人均积分", "本周人均积分占目标的比例"))


@dataclass(frozen=True)
class WeekStars:
    start: datetime
    rating: StarRating

    @property
    def label(self) -> str:
        return f"{self.start.month}/{self.start.day}"


async def star_weeks(session: AsyncSession, building: Building, now: datetime, rules: RatingRules,
                     weeks: int = 12) -> list[WeekStars]:
    """The building's rating for each of the last ``weeks`` weeks, this week last; weeks that ended before the
    building was bound are left out (they have no data, and their stars would say nothing about it)."""
    this_week, _ = week_bounds(now, rules.timezone)
    bound = (await rated_from(session, rules.timezone))[building.id]
    found = []
    for back in range(weeks - 1, -1, -1):
        start, end = week_bounds(this_week - timedelta(days=7 * back) + timedelta(hours=12), rules.timezone)
        if end > bound:
            found.append(WeekStars(start, (await star_ratings(session, start, end, rules, [building.id]))[building.id]))
    return found


@dataclass(frozen=True)
class RankedBuilding:
    rank: int  # by stars this week; equal stars share a rank
    line: BuildingLine
    rating: StarRating


async def buildings_this_week(session: AsyncSession, now: datetime, rules: RatingRules,
                              building_id: int | None = None) -> list[RankedBuilding]:
    """Every building (or the one asked for) with its groups, leaders, this week's stars and its place by them."""
    start, end = week_bounds(now, rules.timezone)
    ratings = await star_ratings(session, start, end, rules)  # every building at once
    rated = [(line, ratings[line.building.id]) for line in await list_buildings(session)]
    rated.sort(key=lambda item: (-item[1].stars, natural_order(item[0].building.name)))
    ranked = [RankedBuilding(rank, line, rating)
              for rank, line, rating, _ in rank_with_ties([(line, rating, rating.stars) for line, rating in rated])]
    return [r for r in ranked if building_id is None or r.line.building.id == building_id]


async def points_by_building(session: AsyncSession, start: datetime, end: datetime) -> list[tuple[str, int]]:
    """Points earned in [start, end) per building (gifts do not count), most first; buildings with none left out."""
    total = func.sum(LedgerEntry.amount)
    sums = (await session.execute(  # by building id first: the sum reads only the ledger's time index
        select(LedgerEntry.building_id, total).where(LedgerEntry.created_at >= start, LedgerEntry.created_at < end,
                                                     EARNED).group_by(LedgerEntry.building_id).having(total > 0))).all()
    names = dict((await session.execute(select(Building.id, Building.name))).all())
    return sorted(((names[number], int(points)) for number, points in sums if number in names),
                  key=lambda item: (-item[1], item[0]))
