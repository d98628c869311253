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
from storage.queries import EARNED, bound_rooms, building_rankings, month_bounds, natural_order, top, week_bounds
from storage.ratings import cleaner_ranking, rated_from, star_ratings

STAR_AT_LEAST = 4.0  # a building's average weekly stars over the month that makes it a star building
# Buildings a section lists at most: a street has hundreds, and a post of hundreds of lines is read by nobody.
LISTED_BUILDINGS = 20


Line = tuple[int | None, str]  # (place, words): a place is shown as "1." in text and as a medal in the picture


@dataclass
class HonourList:
    label: str  # 2026年11月
    volunteers: list[tuple[int, str, str, int]] = field(default_factory=list)  # rank, name, building, points
    building_best: list[tuple[str, list[str], int]] = field(default_factory=list)  # building, names, points
    cleaners: list[tuple[int, str, int]] = field(default_factory=list)  # rank, name, thanks
    star_buildings: list[tuple[str, float]] = field(default_factory=list)  # building, average stars
    attendees: list[tuple[int, str, str, int]] = field(default_factory=list)  # rank, name, building, chains attended
    footer: str = ""
    community: str = ""  # the community's name (LOUZU_COMMUNITY_NAME), or ""

    def sections(self, own: str | None = None) -> list[tuple[str, list[Line]]]:
        """The sections that have someone on them: an empty one is left out, never printed as "nobody".

        Where more buildings have a best than a section lists, the post to a group (``own``: its
        building) names its own building's best, and the picture says how many there are.
        """
        def best_line(building: str, names: list[str], points: int) -> Line:
            return None, f"{building}：{'、'.join(names)} {points} 分"

        best_title = "各楼第一名"
        if len(self.building_best) > LISTED_BUILDINGS and own is not None:
            best_title = "本楼第一名"
            best = [best_line(*item) for item in self.building_best if item[0] == own]
        else:
            best = [best_line(*item) for item in sorted(self.building_best, key=lambda item: natural_order(item[0]))]
            if len(best) > LISTED_BUILDINGS:
                best = best[:LISTED_BUILDINGS - 1] + [(None, f"……共 {len(best)} 栋楼，本楼的第一名见本群文字消息")]
        stars = [(None, f"{name} 平均 {stars:.1f} 星") for name, stars in
                 sorted(self.star_buildings, key=lambda item: (-round(item[1], 1), natural_order(item[0])))]
        if len(stars) > LISTED_BUILDINGS:
            stars = stars[:LISTED_BUILDINGS - 1] + [(None, f"……共 {len(stars)} 栋楼平均 {STAR_AT_LEAST:g} 星以上")]
        sections: list[tuple[str, list[Line]]] = [
            ("爱心积分前十名", [(rank, f"{name}（{building}）{points} 分")
                         for rank, name, building, points in self.volunteers]),
            (best_title, best),
            ("保洁之星", [(rank, f"{name} 收到点赞 {n} 次") for rank, name, n in top(self.cleaners, 10)]),
            ("星级楼组", stars),
            ("活动之星", [(rank, f"{name}（{building}）参加接龙活动 {n} 次")
                      for rank, name, building, n in self.attendees]),
        ]
        return [(title, lines) for title, lines in sections if lines]

    def title(self) -> str:
        """幸福里社区 2026年11月光荣榜"""
        return f"{self.community} {self.label}光荣榜" if self.community else f"{self.label}光荣榜"

    def text(self, own: str | None = None) -> str:
        """The list as a group reads it (``own``: the group's building)."""
        lines = [f"【{self.title()}】"]
        for title, items in self.sections(own):
            lines.append(f"◆ {title}")
            lines += [f"{rank}. {words}" if rank is not None else words for rank, words in items]
        lines.append("谢谢大家为社区出力！")
        return "\n".join(lines)


async def community_top(ctx: JobContext, start: datetime, end: datetime, places: int = 10):
    """(rank, name, building name, points) earned community-wide in [start, end), the first ``places``
    places; ties share a rank, and all who tie for the last place are in. Ranked in the database."""
    totals = (select(LedgerEntry.member_id.label("member_id"), func.sum(LedgerEntry.amount).label("points"))
              .where(LedgerEntry.created_at >= start, LedgerEntry.created_at < end, EARNED)
              .group_by(LedgerEntry.member_id).having(func.sum(LedgerEntry.amount) > 0).subquery("totals"))
    ranked = select(totals.c.member_id, totals.c.points,
                    func.rank().over(order_by=totals.c.points.desc()).label("rank")).subquery("ranked")
    rows = await ctx.session.execute(
        select(ranked.c.rank, Member.display_name, Building.name, ranked.c.points)
        .join(Member, Member.id == ranked.c.member_id).outerjoin(Building, Building.id == Member.building_id)
        .where(ranked.c.rank <= places).order_by(ranked.c.rank, Member.id))
    return [(int(rank), name, building or "未分楼", int(total)) for rank, name, building, total in rows]


def full_weeks(start: datetime, end: datetime, tz) -> list[tuple[datetime, datetime]]:
    """The Monday-to-Sunday weeks that lie wholly in [start, end)."""
    monday, next_monday = week_bounds(start, tz)
    if monday < start:
        monday = next_monday
    weeks = []
    while (week_end := week_bounds(monday, tz)[1]) <= end:
        weeks.append((monday, week_end))
        monday = week_end
    return weeks


async def gather(ctx: JobContext, start: datetime, end: datetime) -> HonourList:
    tz = ctx.settings.timezone
    local = start.astimezone(tz)
    honour = HonourList(label=f"{local.year}年{local.month}月", community=ctx.settings.community_name,
                        footer=f"{ctx.settings.bot_name} · {ctx.now.astimezone(tz):%Y-%m-%d}")
    honour.volunteers = await community_top(ctx, start, end)
    names = dict((await ctx.session.execute(select(Building.id, Building.name))).all())
    for building_id, ranking in (await building_rankings(ctx.session, start, end, 1)).items():
        honour.building_best.append((names[building_id], [place.name for place in ranking.places],
                                     ranking.places[0].points))
    # Only the month's whole weeks, and of those only the ones a building was bound for all of.
    first_rated = await rated_from(ctx.session, tz)
    stars: dict[int, list[int]] = {building_id: [] for building_id in names}
    for monday, week_end in full_weeks(start, end, tz):
        rated = [building_id for building_id in names if monday >= first_rated[building_id]]
        if rated:
            for building_id, rating in (await star_ratings(ctx.session, monday, week_end, ctx.settings,
                                                           rated)).items():
                stars[building_id].append(rating.stars)
    honour.star_buildings = [(names[building_id], sum(weeks) / len(weeks)) for building_id, weeks in stars.items()
                             if weeks and sum(weeks) / len(weeks) >= STAR_AT_LEAST]
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
    if not honour.sections():
        return []  # nobody to honour: a list of blank sections is not posted
    local = start.astimezone(tz)
    data = ctx.settings.data_dir.resolve()
    # Drawing takes a moment of CPU: off the event loop, so replies are not held up meanwhile.
    path = await asyncio.to_thread(picture.render, honour, data / "honour" / f"{local:%Y-%m}.png", data / "fonts")
    names = dict((await ctx.session.execute(select(Building.id, Building.name))).all())
    texts = {building_id: honour.text(names[building_id]) for building_id in {b for _, b in rooms}}
    return [Reply(room, texts[building_id], image=path) for room, building_id in rooms]
