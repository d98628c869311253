"""The desk's posts: scheduled jobs and notices with their next run, the honour list's picture for any month,
and the sends the outbox gave up on, each with a button to send it again (audited).

The jobs are schedules/'s own list (``entries``, as `louzu jobs list` shows them), their next run
computed from the settings' times; the picture is drawn by schedules/honour.py and picture.py
exactly as the monthly post draws it, on demand, and never posted from here.
"""

from __future__ import annotations

import asyncio
import tempfile
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.core.cron import cron_trigger
from bot.web.desk import asked_month, changed, checked_form, desk_of, month_of, staff_page
from schedules import picture
from schedules.honour import gather
from schedules.jobs import entries
from schedules.posts import next_time
from schedules.registry import JobContext
from storage import notices
from storage.models import Building
from storage.queries import month_bounds
from storage.staff import StaffError, accounts
from storage.staff.posts import failed, retry

# What each job does, in the committee's words (the registry's summaries are for developers).
JOB_WORDS = {"weekly_ranking": "每周一发各群上周积分排行和星级", "honour_list": "每月初发上个月的光荣榜（图片和文字）",
             "overdue_reports": "提醒楼组长超时未办的报修", "expire_claims": "过期未审的积分申请自动退回",
             "close_unconfirmed": "处理后久未确认的报修自动关闭", "prune_processed": "清理旧的消息去重记录"}


@staff_page
async def posts(request: Request, *, error: str = "", status_code: int = 200):
    desk = desk_of(request)
    tz, now = desk.settings.timezone, desk.clock()
    jobs = []
    for entry in entries(desk.settings):
        upcoming = cron_trigger(entry.cron, tz).get_next_fire_time(None, now.astimezone(tz)) if entry.cron else None
        words = JOB_WORDS.get(entry.name) or next((f"提醒：{r.text}" for r in desk.settings.reminders or ()
                                                   if r.name == entry.name), entry.name)
        jobs.append((entry, words, upcoming))
    grace = timedelta(hours=desk.settings.misfire_grace_hours)
    async with desk.sessions() as session:  # read only: never committed (a passed one-off is not marked here)
        waiting = await notices.active(session, now, grace)
        buildings = {b.id: b.name for b in await session.scalars(select(Building))}
        scheduled = [(n, buildings.get(n.building_id, ""), next_time(n, now, tz)) for n in waiting]
        lines = await failed(session, limit=200)
        audit = await accounts.audit_of(session, "posts")
    last_month = (month_bounds(now, tz)[0] - timedelta(days=1)).strftime("%Y-%m")
    # The picture is drawn only when a month is asked for: at a street's size drawing takes a while.
    asked = month_of(request.query_params.get("month", ""))
    month = f"{asked[0]}-{asked[1]:02d}" if asked else last_month
    return desk.render(request, "posts.html", status_code, jobs=jobs, scheduled=scheduled, lines=lines, audit=audit,
                       error=error, month=month, draw=asked is not None)


@staff_page
async def honour_picture(request: Request):
    """The honour list of ?month=YYYY-MM drawn now, as the monthly post draws it."""
    desk = desk_of(request)
    _, start, end = asked_month(request)
    async with desk.sessions() as session:
        honour = await gather(JobContext(session, desk.settings, desk.clock()), start, end)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "honour.png"
        # Drawing takes a moment of CPU: off the event loop, so other pages are not held up meanwhile.
        await asyncio.to_thread(picture.render, honour, path, desk.settings.data_dir.resolve() / "fonts")
        data = path.read_bytes()
    return Response(data, media_type="image/png", headers={"Cache-Control": "private, no-store"})


@staff_page
async def retry_post(request: Request):
    desk = desk_of(request)
    await checked_form(request)
    number = request.path_params["number"]
    try:
        async with desk.sessions() as session, session.begin():
            said = await retry(session, number, desk.clock())
            await accounts.audit(session, request.session["staff"], "posts", said, desk.clock())
    except StaffError as error:
        return await posts.__wrapped__(request, error=str(error), status_code=400)
    return changed(request, said, "/posts?status=failed")


def routes() -> list[Route]:
    return [Route("/posts", posts, methods=["GET"]),
            Route("/posts/honour.png", honour_picture, methods=["GET"]),
            Route("/posts/{number:int}/retry", retry_post, methods=["POST"])]
