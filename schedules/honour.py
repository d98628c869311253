"""The monthly honour list (光荣榜): volunteers, each building's best, cleaners and star buildings.

Posted to every bound group as a picture with the same list as text beside it,
for groups or transports that cannot take pictures.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select

from bot.core.messages import Reply
from schedules import picture
from schedules.registry import JobContext, jobs
from storage import chains
from storage.models import Building, LedgerEntry, Member
from storage.queries import EARNED, bound_rooms, building_ranking, month_bounds, rank_with_ties, top, week_bounds
from storage.ratings import cleaner_ranking, star_rating

STAR_AT_LEAST = 4.0  # a building's average weekly stars over the month that makes it a star building


@dataclass
class HonourList:
    label: str  # 2026年11月
    volunteers: list[tuple[int, str, str, int]] = field(default_factory=list)  # rank, name, building, points
    building_best: list[tuple[str, list[str], int]] = field(default_factory=list)  # building, names, points
    cleaners: list[tuple[int, str, int]] = field(default_factory=list)  # rank, name, thanks
    star_buildings: list[tuple[str, float]] = field(default_factory=list)  # building, average stars
    attendees: list[tuple[int, str, str, int]] = field(default_factory=list)  # rank, name, building, chains attended
    footer: str = ""

    def sections(self) -> list[tuple[str, list[str]]]:
        return [
            ("爱心积分前十名", [f"{rank}. {name}（{building}）{points} 分" for rank, name, building, points in
                          self.volunteers] or [f"{self.label}还没有人上榜"]),
            ("各楼第一名", [f"{building}：{'、'.join(names)} {points} 分" for building, names, points in
                        self.building_best] or [f"{self.label}还没有楼栋上榜"]),
            ("保洁之星", [f"{rank}. {name} 收到点赞 {n} 次" for rank, name, n in top(self.cleaners, 10)]
             or [f"{self.label}还没有保洁员收到点赞"]),
            ("星级楼组", [f"{name} 平均 {stars:.1f} 星" for name, stars in self.star_buildings]
             or [f"{self.label}还没有平均 {STAR_AT_LEAST:g} 星以上的楼栋"]),
            ("活动之星", [f"{rank}. {name}（{building}）参加接龙活动 {n} 次" for rank, name, building, n in self.attendees]
             or [f"{self.label}还没有人签到接龙活动"]),
        ]

    def text(self) -> str:
        lines = [f"【{self.label}光荣榜】"]
        for title, items in self.sections():
            lines.append(f"◆ {title}")
            lines += items
        lines.append("谢谢大家为社区出力！")
        return "\n".join(lines)


async def community_top(ctx: JobContext, start: datetime, end: datetime, places: int = 10):
    """(rank, name, building name, points) earned community-wide in [start, end), the first ``places``
    places; ties share a rank, and all who tie for the last place are in."""
    points = func.sum(LedgerEntry.amount).label("points")
    rows = (await ctx.session.execute(
        select(Member.display_name, Building.name, points).join(LedgerEntry, LedgerEntry.member_id == Member.id)
        .outerjoin(Building, Building.id == Member.building_id)
        .where(LedgerEntry.created_at >= start, LedgerEntry.created_at < end, EARNED)
        .group_by(Member.id, Member.display_name, Building.name).having(func.sum(LedgerEntry.amount) > 0)
        .order_by(points.desc(), Member.id))).all()
    return [(rank, name, building or "未分楼", total)
            for rank, name, building, total in top(rank_with_ties(rows), places)]


async def average_stars(ctx: JobContext, building: Building, start: datetime, end: datetime) -> float:
    """The building's stars averaged over the weeks that begin in [start, end)."""
    tz = ctx.settings.timezone
    monday, next_monday = week_bounds(start, tz)
    if monday < start:
        monday = next_monday
    ratings = []
    while monday < end:
        week_end = week_bounds(monday, tz)[1]
        ratings.append((await star_rating(ctx.session, building, monday, week_end, ctx.settings)).stars)
        monday = week_end
    return sum(ratings) / len(ratings) if ratings else 0.0


async def gather(ctx: JobContext, start: datetime, end: datetime) -> HonourList:
    local = start.astimezone(ctx.settings.timezone)
    honour = HonourList(label=f"{local.year}年{local.month}月",
                        footer=f"{ctx.settings.bot_name} · {ctx.now.astimezone(ctx.settings.timezone):%Y-%m-%d}")
    honour.volunteers = await community_top(ctx, start, end)
    buildings = list(await ctx.session.scalars(select(Building).order_by(Building.name)))
    stars = []
    for building in buildings:
        ranking = await building_ranking(ctx.session, building, start, end)
        best = [member.display_name for rank, member, _ in ranking if rank == 1]
        if best:
            honour.building_best.append((building.name, best, ranking[0][2]))
        average = await average_stars(ctx, building, start, end)
        if average >= STAR_AT_LEAST:
            stars.append((building.name, average))
    honour.star_buildings = sorted(stars, key=lambda item: (-item[1], item[0]))
    honour.cleaners = [(rank, member.display_name, n) for rank, member, n in
                       await cleaner_ranking(ctx.session, start, end)]
    honour.attendees = await chains.attendance_ranking(ctx.session, start, end)
    return honour


@jobs.job("honour_list", at="LOUZU_HONOUR_LIST_AT", default="0 10 1 * *", once_per="month", posts_only=True,
          summary="to every bound group: last month's honour list (光荣榜) as a picture, with the same list as text")
async def honour_list(ctx: JobContext) -> list[Reply]:
    """Last month's honour list (the month before ``now``) to every bound group, picture and text."""
    tz = ctx.settings.timezone
    this_month, _ = month_bounds(ctx.now, tz)
    start, end = month_bounds(this_month - timedelta(days=1), tz)
    rooms = await bound_rooms(ctx.session)
    if not rooms:
        return []
    honour = await gather(ctx, start, end)
    local = start.astimezone(tz)
    data = ctx.settings.data_dir.resolve()
    # Drawing takes a moment of CPU: off the event loop, so replies are not held up meanwhile.
    path = await asyncio.to_thread(picture.render, honour, data / "honour" / f"{local:%Y-%m}.png", data / "fonts")
    text = honour.text()
    return [Reply(room, text, image=path) for room, _ in rooms]
