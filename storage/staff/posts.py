"""Posts the outbox gave up on, and sending one again (the running bot's outbox picks it up at its next look)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OutboxMessage
from storage.outbox import FAILED, PENDING, failed
from storage.staff import StaffError

__all__ = ["failed", "retry"]


async def retry(session: AsyncSession, message_id: int, now: datetime) -> str:
    """A failed post pending again, due now, with its tries counted afresh; refused for any other post."""
    result = await session.execute(update(OutboxMessage).where(
        OutboxMessage.id == message_id, OutboxMessage.status == FAILED).values(
        status=PENDING, attempts=0, not_before=now))
    if result.rowcount != 1:
        raise StaffError(f"消息 {message_id} 不是发送失败的消息（可能已经重发过）")
    return f"消息 {message_id} 已重新排队发送"
