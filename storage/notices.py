"""Leaders' scheduled notices S<n>: the rows are the truth, the scheduler's jobs follow them."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ScheduledNotice
from storage.queries import could_be_id

ACTIVE, DONE, CANCELLED, MISSED = "active", "done", "cancelled", "missed"


async def active(session: AsyncSession, now: datetime, grace: timedelta) -> list[ScheduledNotice]:
    """Notices still to be posted; a one-off whose time passed by more than ``grace`` is marked missed."""
    rows = list(await session.scalars(select(ScheduledNotice).where(ScheduledNotice.status == ACTIVE)
                                      .order_by(ScheduledNotice.id)))
    keep = []
    for notice in rows:
        if notice.run_at is not None and notice.run_at + grace < now:
            notice.status = MISSED
        else:
            keep.append(notice)
    return keep


async def of_room(session: AsyncSession, room_id: str) -> list[ScheduledNotice]:
    return list(await session.scalars(select(ScheduledNotice).where(
        ScheduledNotice.room_id == room_id, ScheduledNotice.status == ACTIVE).order_by(ScheduledNotice.id)))


async def count_of_room(session: AsyncSession, room_id: str) -> int:
    return int(await session.scalar(select(func.count(ScheduledNotice.id)).where(
        ScheduledNotice.room_id == room_id, ScheduledNotice.status == ACTIVE)) or 0)


async def get(session: AsyncSession, number: int, *, lock: bool = False) -> ScheduledNotice | None:
    if not could_be_id(number):
        return None
    stmt = select(ScheduledNotice).where(ScheduledNotice.id == number)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return await session.scalar(stmt)
