"""The gift catalogue as staff edit it: one gift set at a time, or a file of them; each change said once."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.gifts import GiftFileError, read_gift_file
from storage.models import Gift
from storage.staff import CatalogueChange, StaffError

MOST = 1_000_000  # points or pieces: more is a slip of the keyboard


async def list_gifts(session: AsyncSession) -> list[Gift]:
    return list(await session.scalars(select(Gift).order_by(Gift.cost, Gift.id)))


async def set_gift(session: AsyncSession, name: str, *, cost: int | None = None, stock: int | None = None,
                   active: bool | None = None) -> CatalogueChange:
    """Add a gift (cost and stock needed) or change what is given of one."""
    name = name.strip()
    if not name or len(name) > 64:
        raise StaffError("礼品名称要写 1 到 64 个字")
    if cost is not None and not 1 <= cost <= MOST:
        raise StaffError(f"积分要是 1 到 {MOST} 的整数")
    if stock is not None and not 0 <= stock <= MOST:
        raise StaffError(f"库存要是 0 到 {MOST} 的整数")
    gift = await session.scalar(select(Gift).where(Gift.name == name))
    if gift is None:
        if cost is None or stock is None:
            raise StaffError(f"新礼品 {name} 要写上 --cost（积分）和 --stock（库存）")
        session.add(Gift(name=name, cost=cost, stock=stock, active=True if active is None else active))
        said = [f"{cost} 分", f"库存 {stock} 件"] + (["暂不提供兑换"] if active is False else [])
        return CatalogueChange("礼品", name, created=True, changes=said)
    change = CatalogueChange("礼品", name)
    change.set(gift, "cost", cost, "积分")
    change.set(gift, "stock", stock, "库存")
    if active is not None and active != gift.active:
        change.changes.append("恢复兑换" if active else "不再提供兑换")
        gift.active = active
    return change


async def load_gifts(session: AsyncSession, path: Path) -> list[CatalogueChange]:
    """Add or update every gift of a JSON file like storage/default_gifts.json."""
    try:
        items = read_gift_file(path)
    except GiftFileError as error:
        raise StaffError(str(error)) from None
    return [await set_gift(session, item["name"], cost=item["cost"], stock=item["stock"]) for item in items]
