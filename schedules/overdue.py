"""Overdue reports: raised with the building's leaders, then escalated to grid leaders and the committee.

Each level is raised once per report (recorded in report_alerts), however often the check runs.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.core.messages import Reply
from bot.core.text import age, headline
from schedules.registry import JobContext, jobs
from storage import membership
from storage.models import Building, ReportAlert, RoleName
from storage.queries import role_holders
from storage.reports import open_reports_overdue, room_of

OVERDUE, ESCALATE = "overdue", "escalate"
MOST_LISTED = 10  # reports listed in one post; the rest are counted
# A late report in a group's post: its number, its line, who is asked to act, whom to @-mention.
Late = tuple[str, str, str, tuple[str, ...]]


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
    # One post per group per run, however many of its reports are late: a resident who opened 300
    # reports in an hour must not make 300 posts @-mentioning the leaders, twice.
    rooms: dict[str, list[Late]] = {}
    committee: list[str] = []
    # Asked once per building (and group) in a run, not once per report: a street's first run may find thousands.
    holders: dict[tuple[int, RoleName], list[str]] = {}
    mentioned: dict[tuple[str, int, tuple[str, ...]], list[str]] = {}

    async def holding(building_id: int, role: RoleName) -> list[str]:
        if (building_id, role) not in holders:
            holders[building_id, role] = await role_holders(ctx.session, building_id, (role,))
        return holders[building_id, role]

    async def in_room(people: list[str], room: str, building_id: int) -> list[str]:
        key = (room, building_id, tuple(people))
        if key not in mentioned:
            mentioned[key] = await membership.in_room(ctx.session, people, room, building_id)
        return mentioned[key]

    for report in reports:
        done = raised.get(report.id, set())
        waited = ctx.now - report.created_at
        level = ESCALATE if waited >= timedelta(hours=settings.escalate_hours) else OVERDUE
        if level in done:
            continue
        room = await room_of(ctx.session, report)
        what = f"{headline(report, 20)}已{age(waited)}未处理"
        if level == OVERDUE:
            leaders = await holding(report.building_id, RoleName.LEADER)
            ask = "请楼组长跟进"
        else:
            grid = await holding(report.building_id, RoleName.GRID_LEADER)
            leaders = grid or await holding(report.building_id, RoleName.LEADER)
            told = [who for who, yes in (("网格长", grid), ("居委会", settings.committee_room)) if yes]
            ask = f"已转{'和'.join(told)}跟进" if told else "请楼组长尽快跟进"
            committee.append(f"{names.get(report.building_id, '?')} {what}")
        if room:
            leaders = await in_room(leaders, room, report.building_id)
            rooms.setdefault(room, []).append((f"R{report.id}", what, ask, tuple(leaders)))
        for record in {OVERDUE, level} - done:
            ctx.session.add(ReportAlert(report_id=report.id, level=record, created_at=ctx.now))
    posts = [_post(room, late) for room, late in rooms.items()]
    if committee and settings.committee_room:
        shown = committee[:MOST_LISTED] + ([f"……还有 {len(committee) - MOST_LISTED} 件"]
                                           if len(committee) > MOST_LISTED else [])
        posts.append(Reply(settings.committee_room, "【超时未处理的报修】\n" + "\n".join(shown)))
    return posts


def _post(room: str, late: list[Late]) -> Reply:
    """One group's late reports in one post: as before for one report, a list for several."""
    mention = tuple(dict.fromkeys(who for *_, leaders in late for who in leaders))
    if len(late) == 1:
        [(number, what, ask, _)] = late
        return Reply(room, f"{what}，{ask}；处理后发送 #处理 {number} 和处理情况，例如：#处理 {number} 已清理。", mention)
    lines = [f"{len(late)} 件报修超时未处理，请楼组长跟进；处理后发送 #处理 和编号，例如：#处理 {late[0][0]} 已清理："]
    lines += [what + ("" if ask == "请楼组长跟进" else f"（{ask}）") for _, what, ask, _ in late[:MOST_LISTED]]
    if len(late) > MOST_LISTED:
        lines.append(f"……还有 {len(late) - MOST_LISTED} 件，楼组长发送 #进度 查看全部。")
    return Reply(room, "\n".join(lines), mention)
