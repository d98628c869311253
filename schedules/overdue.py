"""Overdue reports: raised with the building's leaders, then escalated to grid leaders and the committee.

Each level is raised once per report (recorded in report_alerts), however often the check runs.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.core.messages import Reply
from schedules.jobs import JobContext
from schedules.posts import holders
from storage import queries
from storage.models import Building, Report, ReportAlert, RoleName
from storage.reports import open_reports_overdue

OVERDUE, ESCALATE = "overdue", "escalate"


def short(text: str, limit: int = 20) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def age_text(delta: timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    return f"{hours // 24} 天" if hours >= 48 else f"{hours} 小时"


async def overdue_reports(ctx: JobContext) -> list[Reply]:
    """Reports open past LOUZU_OVERDUE_HOURS (leaders) and past LOUZU_ESCALATE_HOURS (grid leaders, committee)."""
    settings = ctx.settings
    reports = await open_reports_overdue(ctx.session, ctx.now, settings.overdue_hours)
    if not reports:
        return []
    raised: dict[int, set[str]] = {}
    for report_id, level in await ctx.session.execute(
            select(ReportAlert.report_id, ReportAlert.level).where(ReportAlert.report_id.in_([r.id for r in reports]))):
        raised.setdefault(report_id, set()).add(level)
    names = {b.id: b.name for b in await ctx.session.scalars(select(Building))}
    posts: list[Reply] = []
    committee: list[str] = []
    for report in reports:
        done = raised.get(report.id, set())
        age = ctx.now - report.created_at
        level = ESCALATE if age >= timedelta(hours=settings.escalate_hours) else OVERDUE
        if level in done:
            continue
        room = await room_of(ctx, report)
        what = f"R{report.id}（{report.category}：{short(report.description)}）"
        if level == OVERDUE:
            leaders = await holders(ctx, report.building_id, (RoleName.LEADER,))
            if room:
                posts.append(Reply(room, f"{what}已 {age_text(age)}未处理，请楼组长跟进；处理后发送 #处理 R{report.id} [说明]。",
                                   tuple(leaders)))
        else:
            grid = await holders(ctx, report.building_id, (RoleName.GRID_LEADER,))
            leaders = grid or await holders(ctx, report.building_id, (RoleName.LEADER,))
            told = [who for who, yes in (("网格长", grid), ("居委会", settings.committee_room)) if yes]
            follow = f"已转{'和'.join(told)}跟进" if told else "请楼组长尽快跟进"
            if room:
                posts.append(Reply(room, f"{what}已 {age_text(age)}未处理，{follow}；"
                                         f"处理后发送 #处理 R{report.id} [说明]。", tuple(leaders)))
            committee.append(f"{names.get(report.building_id, '?')} {what}已 {age_text(age)}未处理")
        for record in {OVERDUE, level} - done:
            ctx.session.add(ReportAlert(report_id=report.id, level=record, created_at=ctx.now))
    if committee and settings.committee_room:
        posts.append(Reply(settings.committee_room, "【超时未处理的报修】\n" + "\n".join(committee)))
    return posts


async def room_of(ctx: JobContext, report: Report) -> str | None:
    if report.room_id:
        return report.room_id
    rooms = await queries.rooms_of(ctx.session, report.building_id)
    return rooms[0] if rooms else None
