"""Rankings of a week or a month for the committee's files: the whole community, each building, and (for a week)
each building's stars. The same queries as #排行, the Monday post and the honour list (storage.queries, storage.ratings)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Building, LedgerEntry, Member, Resident
from storage.queries import EARNED, building_rankings, natural_order, rank_with_ties
from storage.ratings import RatingRules, StarRating, star_ratings
from storage.staff.sheets import fill, new_book, write_csv
from storage.staff.trends import PARTS

NO_BUILDING = "未分楼"
EVERY_PLACE = 2**31 - 1  # the file lists every ranked person, not only the first places


@dataclass
class Rankings:
    label: str  # 2026年第48周（11月23日–11月29日）, 2026年11月
    community: list[tuple[int, str, str, str, int]] = field(default_factory=list)  # rank, name, door, building, points
    buildings: list[tuple[str, int, str, str, int]] = field(default_factory=list)  # building, rank, name, door, points
    stars: list[tuple[str, StarRating]] = field(default_factory=list)  # a week only


async def rankings(session: AsyncSession, start: datetime, end: datetime, label: str,
                   rules: RatingRules | None = None) -> Rankings:
    """Points earned in [start, end) (gifts do not count), ties sharing a rank; stars when ``rules`` are given."""
    doors = dict((await session.execute(select(Resident.member_id, Resident.door)
                                        .where(Resident.member_id.is_not(None)))).all())
    points = func.sum(LedgerEntry.amount).label("points")
    rows = (await session.execute(
        select(Member.id, Member.display_name, Building.name, points).join(LedgerEntry, LedgerEntry.member_id == Member.id)
        .outerjoin(Building, Building.id == Member.building_id)
        .where(LedgerEntry.created_at >= start, LedgerEntry.created_at < end, EARNED)
        .group_by(Member.id, Member.display_name, Building.name).having(func.sum(LedgerEntry.amount) > 0)
        .order_by(points.desc(), Member.id))).all()
    result = Rankings(label)
    result.community = [(rank, name, doors.get(member_id, ""), building or NO_BUILDING, total)
                        for rank, member_id, name, building, total in rank_with_ties(rows)]
    ranked = await building_rankings(session, start, end, EVERY_PLACE)
    ratings = await star_ratings(session, start, end, rules) if rules is not None else {}
    for building in sorted(await session.scalars(select(Building)), key=lambda b: natural_order(b.name)):
        for place in ranked[building.id].places if building.id in ranked else ():
            result.buildings.append((building.name, place.rank, place.name, doors.get(place.member_id, ""),
                                     place.points))
        if rules is not None:
            result.stars.append((building.name, ratings[building.id]))
    return result


def write_rankings(data: Rankings, path: Path) -> None:
    head = ["楼栋", "名次", "姓名", "门牌号", "积分"]
    if path.suffix.lower() == ".csv":
        write_csv(path, head, data.buildings)
        return
    book = new_book()
    fill(book.create_sheet("全社区"), ["名次", "姓名", "门牌号", "楼栋", "积分"], data.community,
         title_lines=[f"{data.label} 爱心积分排行（全社区）"])
    fill(book.create_sheet("各楼"), head, data.buildings, title_lines=[f"{data.label} 爱心积分排行（各楼）"])
    if data.stars:
        parts = [f"{word}：{meaning}" for _, word, meaning in PARTS]  # what each part counts, in plain words
        fill(book.create_sheet("星级"), ["楼栋", "星级", "星", *parts, "成员"],
             [(name, r.bar(), r.stars, round(r.participation, 2), round(r.patrol, 2), round(r.reports, 2),
               round(r.points, 2), r.members) for name, r in data.stars],
             title_lines=[f"{data.label} 各楼星级"])
        for row in book["星级"].iter_rows(min_row=3, min_col=4, max_col=7):
            for cell in row:
                cell.number_format = "0%"
    book.save(path)
