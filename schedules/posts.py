"""Jobs that post a text: the configured reminders and leaders' scheduled notices S<n>."""

from __future__ import annotations

import logging

from sqlalchemy import select

from bot.core.messages import Reply
from schedules.jobs import JobContext
from storage import notices as notice_store
from storage.models import Group, Member, RoleGrant

log = logging.getLogger(__name__)


async def bound_rooms(ctx: JobContext) -> list[tuple[str, int]]:
    """(room id, building id) of every group bound to a building."""
    rows = await ctx.session.execute(select(Group.room_id, Group.building_id)
                                     .where(Group.building_id.is_not(None)).order_by(Group.room_id))
    return [(room, building) for room, building in rows]


async def holders(ctx: JobContext, building_id: int, roles) -> list[str]:
    """WeChat ids of the people holding any of ``roles`` in a building."""
    if not roles:
        return []
    rows = await ctx.session.execute(
        select(Member.id, Member.wechat_id).join(RoleGrant, RoleGrant.member_id == Member.id)
        .where(RoleGrant.building_id == building_id, RoleGrant.role.in_([r.value for r in roles]))
        .order_by(Member.id))
    return list(dict.fromkeys(wechat_id for _, wechat_id in rows))


async def reminder(ctx: JobContext, name: str) -> list[Reply]:
    """A configured reminder to every bound group, @-mentioning its roles' holders there."""
    found = next((r for r in ctx.settings.reminders or () if r.name == name), None)
    if found is None:
        log.warning("reminder %r is no longer in the reminders file; nothing posted", name)
        return []
    return [Reply(room, found.text, tuple(await holders(ctx, building, found.mention)))
            for room, building in await bound_rooms(ctx)]


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
