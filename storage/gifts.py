"""The gift catalogue (loaded from a file on first start, edited with `louzu gifts`) and redemptions' holds."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import ledger
from storage.models import Gift, Redemption

DEFAULT_GIFTS = Path(__file__).with_name("default_gifts.json")


class GiftFileError(ValueError):
    pass


def read_gift_file(path: Path) -> list[dict]:
    """Gifts from a JSON list of {"name", "cost", "stock"}; a bad file names what is wrong."""
    try:
        items = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise GiftFileError(f"{path}: {error}") from None
    if not isinstance(items, list):
        raise GiftFileError(f"{path}：应当是礼品的 JSON 列表")
    for index, item in enumerate(items):
        if not (isinstance(item, dict) and isinstance(item.get("name"), str) and item["name"].strip()
                and isinstance(item.get("cost"), int) and item["cost"] > 0
                and isinstance(item.get("stock"), int) and item["stock"] >= 0):
            raise GiftFileError(f"{path}：第 {index + 1} 个礼品要有名称（name）、大于 0 的积分（cost）和不小于 0 的库存（stock）")
    return items


async def ensure_gifts(session: AsyncSession, path: Path = DEFAULT_GIFTS) -> int:
    """Load the default gifts when the catalogue is empty (first start only)."""
    if await session.scalar(select(func.count(Gift.id))):
        return 0
    items = read_gift_file(path)
    for item in items:
        session.add(Gift(name=item["name"].strip(), cost=item["cost"], stock=item["stock"], active=True))
    return len(items)


async def held_of(session: AsyncSession, member_id: int) -> list[Redemption]:
    """A member's redemptions whose points are held (not yet handed over), newest first, locked."""
    return list(await session.scalars(select(Redemption).where(
        Redemption.member_id == member_id, Redemption.status == "held")
        .order_by(Redemption.id.desc()).with_for_update(of=Redemption)))


async def cancel(session: AsyncSession, redemption: Redemption, *, by: int, now: datetime, reason: str,
                 message_id: str | None) -> None:
    """Cancel a held redemption: its points come back (a reversing entry) and the gift goes back in stock."""
    redemption.status, redemption.decided_by, redemption.decided_at = "cancelled", by, now
    await ledger.post(session, member_id=redemption.member_id, building_id=redemption.building_id,
                      amount=redemption.cost, kind="redemption_reversal", reason=reason, author_id=by, now=now,
                      ref=("redemption", redemption.id), message_id=message_id)
    await session.execute(update(Gift).where(Gift.id == redemption.gift_id).values(stock=Gift.stock + 1))
