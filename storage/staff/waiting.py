"""Claims and redemptions as the desk lists them, by status: who, which building, what, since when."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Building, Claim, Member, Redemption

CLAIM_WORDS = {"pending": "待审核", "approved": "已通过", "rejected": "未通过", "expired": "已过期"}
REDEMPTION_WORDS = {"held": "待领取", "handed_over": "已领取", "cancelled": "已取消"}


@dataclass(frozen=True)
class Waiting:
    item: Claim | Redemption
    member: Member
    building: str


async def _listed(session: AsyncSession, model, status: str, limit: int) -> list[Waiting]:
    rows = await session.execute(
        select(model, Member, Building.name).join(Member, Member.id == model.member_id)
        .join(Building, Building.id == model.building_id).where(model.status == status)
        .order_by(model.created_at, model.id).limit(limit))
    return [Waiting(item, member, building) for item, member, building in rows]


async def claims(session: AsyncSession, status: str = "pending", limit: int = 500) -> list[Waiting]:
    """Claims C<n> in ``status``, oldest first (those waiting longest at the top)."""
    return await _listed(session, Claim, status, limit)


async def redemptions(session: AsyncSession, status: str = "held", limit: int = 500) -> list[Waiting]:
    """Redemptions X<n> in ``status``, oldest first."""
    return await _listed(session, Redemption, status, limit)
