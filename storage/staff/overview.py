"""The desk's overview: the numbers staff look at first, each one the size of a list they can open."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Building, Claim, LedgerEntry, OutboxMessage, Redemption, Report
from storage.queries import EARNED, week_bounds
from storage.ratings import RatingRules

OPEN = ("open", "assigned")


@dataclass(frozen=True)
class BuildingLine:
    id: int
    name: str
    open_reports: int
    overdue_reports: int
    stars: int


@dataclass(frozen=True)
class Overview:
    buildings: list[BuildingLine]
    open_reports: int
    overdue_reports: int
    pending_claims: int
    held_redemptions: int
    week_points: int
    low_star_buildings: int
    failed_sends: int


async def overview(session: AsyncSession, now: datetime, overdue_hours: int, rules: RatingRules,
                   stars: dict[int, int]) -> Overview:
    """The counts at ``now``: a report is overdue when open for more than ``overdue_hours`` (LOUZU_OVERDUE_HOURS).

    ``stars`` are this week's stars by building id (the page takes them: storage/ratings.py star_ratings).
    """
    overdue_before = now - timedelta(hours=overdue_hours)
    open_by = dict((await session.execute(select(Report.building_id, func.count(Report.id))
                                          .where(Report.status.in_(OPEN)).group_by(Report.building_id))).all())
    overdue_by = dict((await session.execute(select(Report.building_id, func.count(Report.id))
                                             .where(Report.status.in_(OPEN), Report.created_at < overdue_before)
                                             .group_by(Report.building_id))).all())
    start, end = week_bounds(now, rules.timezone)
    lines = []
    for building in await session.scalars(select(Building).order_by(Building.name)):
        lines.append(BuildingLine(building.id, building.name, int(open_by.get(building.id, 0)),
                                  int(overdue_by.get(building.id, 0)), stars.get(building.id, 1)))

    async def count(statement) -> int:
        return int(await session.scalar(statement) or 0)

    return Overview(
        buildings=lines,
        open_reports=sum(line.open_reports for line in lines),
        overdue_reports=sum(line.overdue_reports for line in lines),
        pending_claims=await count(select(func.count(Claim.id)).where(Claim.status == "pending")),
        held_redemptions=await count(select(func.count(Redemption.id)).where(Redemption.status == "held")),
        week_points=await count(select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
            LedgerEntry.created_at >= start, LedgerEntry.created_at < end, EARNED)),
        low_star_buildings=sum(1 for line in lines if line.stars < 3),
        failed_sends=await count(select(func.count(OutboxMessage.id)).where(OutboxMessage.status == "failed")),
    )
