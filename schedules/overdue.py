"""Overdue reports: raised with the building's leaders, then escalated to grid leaders and the committee.

Each level is raised once per report (recorded in report_alerts), however often the check runs.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.core.messages import Reply
from bot.core.text import age, headline
from schedules.registry import JobContext, jobs
from storage.models import Building, ReportAlert, RoleName
from storage.queries import role_holders
from storage.reports import open_reports_overdue, room_of

OVERDUE, ESCALATE = "overdue", "escalate"


@jobs.job("overdue_reports", at="LOUZU_OVERDUE_CHECK_AT", default="0 * * * *", aliases=("overdue_check",),
          summary="a report open or assigned for LOUZU_OVERDUE_HOURS is raised in its group, @-mentioning the "
                  "building's leaders; after LOUZU_ESCALATE_HOURS the grid leaders and the committee group")
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
        waited = ctx.now - report.created_at
        level = ESCALATE if waited >= timedelta(hours=settings.escalate_hours) else OVERDUE
        if level in done:
            continue
        room = await room_of(ctx.session, report)
        what = headline(report, 20)
        if level == OVERDUE:
            leaders = await role_holders(ctx.session, report.building_id, (RoleName.LEADER,))
            if room:
                posts.append(Reply(room, f"{what}已{age(waited)}未处理，请楼组长跟进；处理后发送 #处理 R{report.id} [说明]。",
                                   tuple(leaders)))
        else:
            grid = await role_holders(ctx.session, report.building_id, (RoleName.GRID_LEADER,))
            leaders = grid or await role_holders(ctx.session, report.building_id, (RoleName.LEADER,))
            told = [who for who, yes in (("网格长", grid), ("居委会", settings.committee_room)) if yes]
            follow = f"已转{'和'.join(told)}跟进" if told else "请楼组长尽快跟进"
            if room:
                posts.append(Reply(room, f"{what}已{age(waited)}未处理，{follow}；"
                                         f"处理后发送 #处理 R{report.id} [说明]。", tuple(leaders)))
            committee.append(f"{names.get(report.building_id, '?')} {what}已{age(waited)}未处理")
        for record in {OVERDUE, level} - done:
            ctx.session.add(ReportAlert(report_id=report.id, level=record, created_at=ctx.now))
    if committee and settings.committee_room:
        posts.append(Reply(settings.committee_room, "【超时未处理的报修】\n" + "\n".join(committee)))
    return posts

