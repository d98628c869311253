"""The outbox's records: posts kept before they are sent, marked sent one by one (bot/core/outbox.py sends them)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Iterable, Protocol

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OutboxMessage

class Post(Protocol):
    """What is kept for sending: a group, a text, whom to @-mention, a picture (the kernel's Reply)."""

    room_id: str
    text: str
    mention: tuple[str, ...]
    image: object | None


PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
NOW_FIRST, IN_TURN = 0, 1  # priorities: a leader's notice and retried replies go before a long broadcast


async def enqueue(session: AsyncSession, posts: Iterable[Post], *, batch: str, now: datetime,
                  hold_quiet: bool = True, priority: int = IN_TURN, attempts: int = 0,
                  not_before: datetime | None = None, last_error: str = "") -> int:
    """Keep posts for the outbox in the caller's transaction; returns how many."""
    rows = [dict(batch=batch[:64], priority=priority, room_id=post.room_id, text=post.text,
                 mention="\n".join(post.mention), image=str(post.image) if post.image else None,
                 hold_quiet=hold_quiet, status=PENDING, attempts=attempts, not_before=not_before or now,
                 last_error=last_error[:2000], created_at=now)
            for post in posts]
    if rows:
        # One statement for them all (a Monday's posts to every group are hundreds), in a short transaction.
        await session.execute(insert(OutboxMessage), rows)
    return len(rows)


def _due(now: datetime, quiet: bool):
    where = [OutboxMessage.status == PENDING, OutboxMessage.not_before <= now]
    if quiet:
        where.append(OutboxMessage.hold_quiet.is_(False))
    return where


async def next_due(session: AsyncSession, now: datetime, quiet: bool) -> OutboxMessage | None:
    """The next post to send now: highest priority, then oldest; scheduled posts wait while ``quiet``."""
    return await session.scalar(select(OutboxMessage).where(*_due(now, quiet))
                                .order_by(OutboxMessage.priority, OutboxMessage.id).limit(1))


async def next_not_before(session: AsyncSession, quiet: bool) -> datetime | None:
    """When the earliest pending post not yet due becomes due (held posts excluded while ``quiet``)."""
    where = [OutboxMessage.status == PENDING]
    if quiet:
        where.append(OutboxMessage.hold_quiet.is_(False))
    return await session.scalar(select(func.min(OutboxMessage.not_before)).where(*where))


async def claim(session: AsyncSession, message_id: int) -> bool:
    """Take a pending post for sending; False when another sender took it first."""
    result = await session.execute(update(OutboxMessage).where(
        OutboxMessage.id == message_id, OutboxMessage.status == PENDING).values(status=SENDING))
    return result.rowcount == 1


async def release_unfinished(session: AsyncSession) -> int:
    """Posts a stopped sender had taken but not marked: pending again (one of them may go out twice)."""
    result = await session.execute(update(OutboxMessage).where(OutboxMessage.status == SENDING)
                                   .values(status=PENDING))
    return result.rowcount


async def mark_sent(session: AsyncSession, message_id: int, now: datetime) -> None:
    await session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id)
                          .values(status=SENT, sent_at=now, attempts=OutboxMessage.attempts + 1))


async def mark_attempt_failed(session: AsyncSession, message_id: int, error: str, *, give_up: bool,
                              retry_at: datetime) -> None:
    """One more failed try: due again at ``retry_at``, or failed for good."""
    await session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(
        status=FAILED if give_up else PENDING, attempts=OutboxMessage.attempts + 1, last_error=error[:2000],
        not_before=retry_at))


async def counts(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))
    return {status: int(n) for status, n in rows}


async def failed(session: AsyncSession, limit: int = 20) -> list[OutboxMessage]:
    """The latest posts the outbox gave up on, newest first."""
    return list(await session.scalars(select(OutboxMessage).where(OutboxMessage.status == FAILED)
                                      .order_by(OutboxMessage.id.desc()).limit(limit)))


def backoff(attempts: int) -> timedelta:
    """Wait before try ``attempts + 1``: 5 s, 10 s, 20 s … at most 10 minutes."""
    return timedelta(seconds=min(600, 5 * 2 ** max(0, attempts - 1)))
