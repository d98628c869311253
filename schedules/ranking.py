"""The weekly ranking: each group gets its building's top 10 and stars; the committee the all-building table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from bot.core.messages import Reply
from schedules.registry import JobContext, jobs
from storage.models import Building
from storage.queries import BuildingRanking, Place, bound_rooms, building_rankings, natural_order, week_bounds
from storage.ratings import StarRating, rated_from, star_ratings


@dataclass
class BuildingWeek:
    building: Building
    rating: StarRating
    before: StarRating | None  # None when the week before has no data (the building was not yet bound)
    top: list[Place]
    points: int


def week_label(start: datetime, tz) -> str:
    last = (start + timedelta(days=6)).astimezone(tz)
    first = start.astimezone(tz)
    return f"{first.month}月{first.day}日–{last.month}月{last.day}日"


def change(week: BuildingWeek) -> str:
    """，比前一周多 1 星 / ，与前一周持平; nothing when there is no week before to compare with."""
    if week.before is None:
        return ""
    now, before = week.rating.stars, week.before.stars
    if now == before:
        return "，与前一周持平"
    return f"，比前一周{'多' if now > before else '少'} {abs(now - before)} 星"


async def building_weeks(ctx: JobContext, buildings: list[Building], start: datetime,
                         end: datetime) -> list[BuildingWeek]:
    """The week [start, end) of each of ``buildings``: all of them at once, a few grouped queries in all."""
    tz = ctx.settings.timezone
    before_start, before_end = week_bounds(start - timedelta(days=1), tz)
    ids = [building.id for building in buildings]
    rankings = await building_rankings(ctx.session, start, end, 10, ids)
    ratings = await star_ratings(ctx.session, start, end, ctx.settings, ids)
    first_rated = await rated_from(ctx.session, tz)
    # The week before only of the buildings bound for all of it: the others have nothing to compare with.
    compared = [building_id for building_id in ids if before_start >= first_rated[building_id]]
    before = await star_ratings(ctx.session, before_start, before_end, ctx.settings, compared) if compared else {}
    nobody = BuildingRanking([], 0, 0)
    return [BuildingWeek(building=building, rating=ratings[building.id], before=before.get(building.id),
                         top=ranking.places, points=ranking.points)
            for building in buildings for ranking in (rankings.get(building.id, nobody),)]


def group_text(week: BuildingWeek, label: str) -> str:
    lines = [f"【{week.building.name} 上周爱心积分榜】{label}"]
    lines += [f"{place.rank}. {place.name} {place.points} 分" for place in week.top] or [
        "上周还没有人上榜，这周一起来 #打卡 吧！"]
    if week.rating.members == 0:
        lines.append(week.rating.line())
    else:
        lines += [f"{week.rating.headline()}{change(week)}", week.rating.detail()]
    lines.append("谢谢大家！发送 #排行 可随时查看本周排行。")
    return "\n".join(lines)


def committee_text(weeks: list[BuildingWeek], label: str) -> str:
    ordered = sorted(weeks, key=lambda w: (-w.rating.stars, -w.points, natural_order(w.building.name)))
    lines = [f"【各楼上周星级】{label}（{len(weeks)} 栋）"]
    for week in ordered:
        delta = "" if week.before is None else f"（{week.rating.stars - week.before.stars:+d}）".replace("+0", "持平")
        lines.append(f"{week.building.name} {week.rating.bar()} {week.rating.stars} 星{delta}"
                     f" {week.rating.participation:.0%}的住户参与 {week.rating.patrol_days} 天有巡查"
                     f" 上榜 {len(week.top)} 人 积分 {week.points}")
    return "\n".join(lines)


@jobs.job("weekly_ranking", at="LOUZU_WEEKLY_RANKING_AT", default="0 9 * * mon", once_per="week", posts_only=True,
          summary="to every bound group: last week's top 10 of its building, its star rating and the change "
                  "from the week before; to LOUZU_COMMITTEE_ROOM (if set) the table of all buildings")
async def weekly_ranking(ctx: JobContext) -> list[Reply]:
    """Last week's (Monday to Sunday before ``now``) ranking for every bound group, and the committee table."""
    tz = ctx.settings.timezone
    start, end = week_bounds(ctx.now - timedelta(days=7), tz)
    label = week_label(start, tz)
    rooms = await bound_rooms(ctx.session)
    bound = list(dict.fromkeys(building_id for _, building_id in rooms))
    buildings = list(await ctx.session.scalars(select(Building).where(Building.id.in_(bound)))) if bound else []
    weeks = {week.building.id: week for week in await building_weeks(ctx, buildings, start, end)}
    posts = [Reply(room, group_text(weeks[bid], label)) for room, bid in rooms]
    if ctx.settings.committee_room and weeks:
        posts.append(Reply(ctx.settings.committee_room, committee_text(list(weeks.values()), label)))
    return posts
