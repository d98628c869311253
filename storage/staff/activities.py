"""The activity catalogue (#打卡) as the committee keeps it: its own activities beside the defaults.

Each change is said once, in the words staff read. A disabled activity leaves #打卡's list; its past
claims and ledger lines stay as they are.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.catalogue import PATROL
from storage.models import Activity
from storage.staff import CatalogueChange, StaffError

MOST_POINTS = 1000  # per unit


def approval_text(auto: bool) -> str:
    return "自动通过" if auto else "楼组长审核"


def cap_text(cap: int | None, unit: str) -> str:
    return "不限" if cap is None else f"{cap}{unit}"


def describe(activity: Activity) -> list[str]:
    return [f"每{activity.unit} {activity.points} 分", approval_text(activity.auto_approve),
            f"每人每天上限 {cap_text(activity.daily_cap, activity.unit)}",
            f"一次最多 {activity.max_quantity}{activity.unit}"]


async def list_activities(session: AsyncSession) -> list[Activity]:
    return list(await session.scalars(select(Activity).order_by(Activity.active.desc(), Activity.id)))


def _check_name(name: str) -> str:
    name = " ".join(name.split())
    if not name or len(name) > 16 or " " in name:
        raise StaffError("活动名称要写 1 到 16 个字，不能有空格（例如 垃圾分类值守）")
    if name.isdigit():
        raise StaffError("活动名称不能只是数字")
    return name


def _check(points: int | None, unit: str | None, daily_cap: int | None, most: int | None) -> None:
    if points is not None and not 1 <= points <= MOST_POINTS:
        raise StaffError(f"积分要是 1 到 {MOST_POINTS} 的整数")
    if unit is not None and (not unit.strip() or len(unit) > 8 or any(ch.isdigit() or ch.isspace() for ch in unit)):
        raise StaffError("单位要写 1 到 8 个字，不含数字和空格（例如 次、小时）")
    if daily_cap is not None and daily_cap < 1:
        raise StaffError("每天上限要是 1 或以上的整数，或 none（不限）")
    if most is not None and most < 1:
        raise StaffError("一次最多要是 1 或以上的整数")


async def _find(session: AsyncSession, name: str) -> Activity:
    activity = await session.scalar(select(Activity).where(Activity.name == name.strip()))
    if activity is None:
        known = "、".join(await session.scalars(select(Activity.name).order_by(Activity.id))) or "还没有"
        raise StaffError(f"没有叫 {name.strip()} 的活动（现有：{known}）；新活动用 louzu activities add")
    return activity


async def add_activity(session: AsyncSession, name: str, *, points: int, unit: str = "次", auto: bool = True,
                       daily_cap: int | None = None, most: int = 1) -> CatalogueChange:
    name = _check_name(name)
    _check(points, unit, daily_cap, most)
    existing = await session.scalar(select(Activity).where(Activity.name == name))
    if existing is not None:
        raise StaffError(f"已经有活动 {name}" + ("（已停用：用 louzu activities set " + name + " --active yes 恢复）"
                                                 if not existing.active else "；要修改用 louzu activities set"))
    activity = Activity(name=name, points=points, unit=unit.strip(), auto_approve=auto, daily_cap=daily_cap,
                        max_quantity=most, active=True)
    session.add(activity)
    await session.flush()
    return CatalogueChange("活动", name, created=True, changes=describe(activity))


UNSET = object()  # "not given" for the daily cap, where None means no cap


async def set_activity(session: AsyncSession, name: str, *, new_name: str | None = None, points: int | None = None,
                       unit: str | None = None, auto: bool | None = None, daily_cap=UNSET, most: int | None = None,
                       active: bool | None = None) -> CatalogueChange:
    activity = await _find(session, name)
    _check(points, unit, None if daily_cap is UNSET else daily_cap, most)
    change = CatalogueChange("活动", activity.name)
    if new_name is not None and _check_name(new_name) != activity.name:
        new_name = _check_name(new_name)
        if activity.name == PATROL:
            raise StaffError(f"{PATROL} 是 #巡查 用的活动，不能改名")
        if await session.scalar(select(Activity.id).where(Activity.name == new_name)):
            raise StaffError(f"已经有活动 {new_name}")
        change.changes.append(f"改名为 {new_name}")
        activity.name = new_name
    change.set(activity, "points", points, "积分", lambda v: f"{v} 分")
    change.set(activity, "unit", unit.strip() if unit else None, "单位")
    change.set(activity, "auto_approve", auto, "审核", approval_text)
    change.set(activity, "max_quantity", most, "一次最多")
    if daily_cap is not UNSET and daily_cap != activity.daily_cap:
        change.changes.append(f"每天上限 {cap_text(activity.daily_cap, activity.unit)} → {cap_text(daily_cap, activity.unit)}")
        activity.daily_cap = daily_cap
    if active is not None and active != activity.active:
        change.changes.append("恢复打卡" if active else "停用（#打卡 里不再出现，已有记录不变）")
        activity.active = active
    return change


async def disable_activity(session: AsyncSession, name: str) -> CatalogueChange:
    return await set_activity(session, name, active=False)
