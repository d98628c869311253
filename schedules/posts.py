"""Jobs that post a text: the configured reminders and leaders' scheduled notices S<n> (and their triggers)."""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.date import DateTrigger

from bot.core.cron import cron_trigger
from bot.core.messages import Reply
from schedules.registry import JobContext, jobs
from storage import membership
from storage import notices as notice_store
from storage.models import ScheduledNotice
from storage.queries import bound_rooms, role_holders

log = logging.getLogger(__name__)


@jobs.job("reminder", summary="a reminder from LOUZU_REMINDERS_FILE, at the time the file gives it")
async def reminder(ctx: JobContext, name: str) -> list[Reply]:
    """A configured reminder to every bound group, @-mentioning its roles' holders who are in that group."""
    found = next((r for r in ctx.settings.reminders or () if r.name == name), None)
    if found is None:
        log.warning("reminder %r is no longer in the reminders file; nothing posted", name)
        return []
    return [Reply(room, found.text, tuple(await membership.in_room(
                ctx.session, await role_holders(ctx.session, building, found.mention), room, building)))
            for room, building in await bound_rooms(ctx.session)]


@jobs.job("notice", summary="a leader's scheduled notice S<n>, at the time set with #定时")
async def notice(ctx: JobContext, number: int) -> list[Reply]:
    """S<n> in its group; a cancelled or already posted one-off is skipped (the row decides, not the job)."""
    row = await notice_store.get(ctx.session, number, lock=True)
    if row is None or row.status != notice_store.ACTIVE:
        log.info("S%d is %s; not posting it", number, row.status if row else "gone")
        return []
    row.last_posted_at = ctx.now
    if row.run_at is not None:
        row.status = notice_store.DONE
    return [Reply(row.room_id, f"【定时通知】{row.text}")]


def trigger(notice: ScheduledNotice, tz: ZoneInfo) -> BaseTrigger:
    """The scheduler's own trigger for a notice: cron for a repeating one, date for a one-off."""
    if notice.cron:
        return cron_trigger(notice.cron, tz)
    assert notice.run_at is not None
    return DateTrigger(run_date=notice.run_at.astimezone(tz), timezone=tz)


def next_time(notice: ScheduledNotice, now: datetime, tz: ZoneInfo) -> datetime | None:
    """When a notice posts next, after ``now``; None when never again."""
    return trigger(notice, tz).get_next_fire_time(None, now.astimezone(tz))
