"""#门牌: a leader ties a person in the group to their 门牌号 on the committee's roster (名册)."""

from __future__ import annotations

from sqlalchemy import select

from bot.core.context import Context, Refusal
from bot.core.lookup import one_mentioned
from bot.core.parser import normalise
from bot.core.router import Router
from bot.core.rules import leader
from storage import roster
from storage.models import Resident

router = Router("roster", topic="审核")

EXAMPLE = "#门牌 @张阿姨 1201"


@router.command("门牌", "door", permission=leader(), usage="#门牌 @某人 <门牌号> [姓名]", example=EXAMPLE,
                summary="登记某人的门牌号，对上名册（楼组长）")
async def door(ctx: Context, args: str) -> str:
    """Link a member of this group to a roster line of this building (made if there is none)."""
    target = await one_mentioned(ctx, EXAMPLE)
    number, _, name = normalise(args).partition(" ")
    name = name.strip()
    if not number or len(number) > 32:
        raise Refusal(f"请写上门牌号，例如：{EXAMPLE}")
    assert ctx.building is not None
    session, building = ctx.session, ctx.building
    lines = list(await session.scalars(select(Resident).where(
        Resident.building_id == building.id, Resident.door == number).order_by(Resident.id)))
    current = await roster.resident_of(session, target.id)
    if current is not None and current.building_id == building.id and current.door == number:
        return f"{target.display_name} 已经登记为 {building.name} {number}（名册：{current.name}）。"
    free = [line for line in lines if line.member_id is None]
    wanted = name or target.display_name
    chosen = next((line for line in free if line.name == wanted), None)
    if chosen is None and name:
        if any(line.name == name for line in lines):
            raise Refusal(f"{building.name} {number} 的 {name} 已经对应另一位群成员，请先核对名册。")
        raise Refusal(f"名册上 {building.name} {number} 没有 {name}"
                      + (f"，只有：{'、'.join(line.name for line in lines)}。" if lines else "。"))
    if chosen is None and len(free) == 1:
        chosen = free[0]
    if chosen is None and len(free) > 1:
        raise Refusal(f"名册上 {building.name} {number} 有 {'、'.join(line.name for line in free)}，请写上是哪一位，"
                      f"例如：#门牌 @{target.display_name} {number} {free[0].name}")
    if chosen is None:
        if any(line.name == target.display_name for line in lines):
            raise Refusal(f"{building.name} {number} 的 {target.display_name} 已经对应另一位群成员，请先核对名册。")
        chosen = Resident(building_id=building.id, door=number, name=target.display_name, roles="",
                          created_at=ctx.now)
        session.add(chosen)
    if current is not None:
        current.member_id = None  # one roster line per person: the old one is free again
        await session.flush()
    await roster.link(session, chosen, target, ctx.now, granted_by=ctx.message.sender_id)
    named = f"（名册：{chosen.name}）" if chosen.name != target.display_name else ""
    return f"已登记 {target.display_name} 为 {building.name} {number}{named}。"
