"""The points ledger: entries are only ever added; a balance never goes below zero."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import LedgerEntry, Member
from storage.queries import balance_of

__all__ = ["NotEnoughPoints", "balance_of", "history", "lock_member", "post"]


class NotEnoughPoints(Exception):
    """An entry would take a balance below zero."""

    def __init__(self, balance: int) -> None:
        super().__init__(balance)
        self.balance = balance


async def lock_member(session: AsyncSession, member_id: int) -> None:
    """Serialise changes to one person's points (a row lock on PostgreSQL; SQLite locks the file)."""
    if session.bind.dialect.name == "sqlite":
        return  # every transaction began with BEGIN IMMEDIATE: it holds the database's write lock already
    await session.execute(select(Member.id).where(Member.id == member_id).with_for_update())


async def post(session: AsyncSession, *, member_id: int, building_id: int | None, amount: int, kind: str,
               reason: str, author_id: int | None, now: datetime, ref: tuple[str, int] | None = None,
               message_id: str | None = None) -> None:
    """Add one entry; a negative one is refused with NotEnoughPoints if the balance cannot cover it."""
    if amount < 0:
        await lock_member(session, member_id)
        balance = await balance_of(session, member_id)
        if balance + amount < 0:
            raise NotEnoughPoints(balance)
    # One INSERT, not an ORM object and a flush: nothing reads the entry back in the same transaction.
    await session.execute(_POST, {"member_id": member_id, "building_id": building_id, "amount": amount, "kind": kind,
                                  "reason": reason, "author_id": author_id, "ref_type": ref[0] if ref else None,
                                  "ref_id": ref[1] if ref else None, "message_id": message_id, "created_at": now})


_POST = insert(LedgerEntry)


async def history(session: AsyncSession, member_id: int, page: int = 1,
                  per_page: int = 10) -> tuple[list[LedgerEntry], int]:
    """One page of a member's ledger, newest first (page 1: the latest ``per_page``), and how many entries in all."""
    total = int(await session.scalar(select(func.count(LedgerEntry.id)).where(LedgerEntry.member_id == member_id)) or 0)
    rows = await session.scalars(select(LedgerEntry).where(LedgerEntry.member_id == member_id)
                                 .order_by(LedgerEntry.created_at.desc(), LedgerEntry.id.desc())
                                 .offset((page - 1) * per_page).limit(per_page))
    return list(rows), total
