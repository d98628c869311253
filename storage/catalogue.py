"""The default activity catalogue, loaded into the database on first start; the committee keeps it from then on
(`louzu activities`, storage/staff/activities.py)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Activity

# name, points per unit, unit, auto-approved, daily cap (units), most units in one claim
DEFAULT_ACTIVITIES = (
    ("捡垃圾", 2, "次", True, 3, 3),
    ("清理楼道", 5, "次", True, 2, 2),
    ("门前三包", 2, "次", True, 1, 1),
    ("宣传", 3, "次", True, 2, 2),
    ("志愿服务", 10, "小时", False, None, 8),
    ("巡查", 3, "次", True, 2, 1),  # earned with #巡查, not #打卡
)
PATROL = "巡查"


async def ensure_catalogue(session: AsyncSession) -> int:
    """Load the default activities into an empty catalogue; returns how many were added.

    Once there is a catalogue it is the committee's: what it renamed, changed or disabled stays so.
    Only 巡查, which #巡查 earns its points by, is put back if it is missing altogether.
    """
    present = set(await session.scalars(select(Activity.name)))
    added = 0
    for name, points, unit, auto, cap, most in DEFAULT_ACTIVITIES:
        if name not in present and (not present or name == PATROL):
            session.add(Activity(name=name, points=points, unit=unit, auto_approve=auto, daily_cap=cap,
                                 max_quantity=most, active=True))
            added += 1
    return added
