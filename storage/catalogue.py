"""The default activity catalogue, loaded into the database on first start."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Activity

# name, points per unit, unit, auto-approved, daily cap (units), most units in one claim
DEFAULT_ACTIVITIES = (
    ("捡垃圾", 2, "次", True, 3, 3),
    ("清理楼道", 5, "次", True, 2, 2),
    ("门前三包", 2, "次", True, 1, 1),
    ("宣传", 3, "次", True, 2, 2),
    ("志愿服务", 10, "小时", False, None, 8),
)


async def ensure_catalogue(session: AsyncSession) -> int:
    """Load the default activities when the catalogue is empty; returns how many were added."""
    if await session.scalar(select(func.count(Activity.id))):
        return 0
    for name, points, unit, auto, cap, most in DEFAULT_ACTIVITIES:
        session.add(Activity(name=name, points=points, unit=unit, auto_approve=auto, daily_cap=cap,
                             max_quantity=most, active=True))
    return len(DEFAULT_ACTIVITIES)
