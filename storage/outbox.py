"""The outbox's records: posts kept before they are sent, marked sent one by one (bot/core/outbox.py sends them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable, Protocol

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import presence
from storage.models import AccountRoom, BotAccount, OutboxMessage


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


def _pending(quiet: bool, account: str | None):
    """Pending posts; not those held for the quiet hours while ``quiet``; with ``account``, to its groups only."""
    where = [OutboxMessage.status == PENDING]
    if quiet:
        where.append(OutboxMessage.hold_quiet.is_(False))
    if account is not None:
        where.append(OutboxMessage.room_id.in_(presence.rooms_of(account)))
    return where


async def next_due(session: AsyncSession, now: datetime, quiet: bool, account: str | None = None, *,
                   lock: bool = False) -> OutboxMessage | None:
    """The next post to send now: highest priority, then oldest; scheduled posts wait while ``quiet``.

    With ``account``, only posts to groups that account is in. ``lock`` (to claim it in the same
    transaction): on PostgreSQL the row is locked, and rows other senders hold locked are passed over.
    """
    query = (select(OutboxMessage).where(*_pending(quiet, account), OutboxMessage.not_before <= now)
             .order_by(OutboxMessage.priority, OutboxMessage.id).limit(1))
    return await session.scalar(query.with_for_update(skip_locked=True, of=OutboxMessage) if lock else query)


async def next_not_before(session: AsyncSession, quiet: bool, account: str | None = None) -> datetime | None:
    """When the earliest pending post not yet due becomes due (held posts excluded while ``quiet``)."""
    return await session.scalar(select(func.min(OutboxMessage.not_before)).where(*_pending(quiet, account)))


async def claim(session: AsyncSession, message_id: int, sender: str | None = None) -> bool:
    """Take a pending post for sending (through ``sender``'s account); False when another sender took it first."""
    result = await session.execute(update(OutboxMessage).where(
        OutboxMessage.id == message_id, OutboxMessage.status == PENDING).values(status=SENDING, sender=sender))
    return result.rowcount == 1


async def release_unfinished(session: AsyncSession, sender: str | None = None, keep: int | None = None) -> int:
    """Posts a stopped sender had taken but not marked: pending again (one of them may go out twice).

    With ``sender``, only the posts that account had taken (the others' senders may be sending them now);
    ``keep`` is a post this process is sending now (an account logging in again mid-send).
    """
    where = [OutboxMessage.status == SENDING]
    if sender is not None:
        where.append(OutboxMessage.sender == sender)
    if keep is not None:
        where.append(OutboxMessage.id != keep)
    result = await session.execute(update(OutboxMessage).where(*where).values(status=PENDING))
    return result.rowcount


async def release_silent(session: AsyncSession, since: datetime) -> int:
    """Posts taken by accounts that have not beaten since ``since`` (their process died): pending again,
    for another account in the same group."""
    result = await session.execute(update(OutboxMessage).where(
        OutboxMessage.status == SENDING,
        OutboxMessage.sender.in_(select(BotAccount.account_id).where(BotAccount.heartbeat_at < since)))
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


@dataclass(frozen=True)
class Silent:
    """An account whose process has not beaten since the cut-off, and what waits for it."""

    account_id: str
    name: str
    heartbeat_at: datetime
    rooms: int  # its groups no live account is in
    posts: int  # posts waiting for those groups


@dataclass(frozen=True)
class Presence:
    live: int  # accounts beating
    live_rooms: int  # groups at least one live account is in
    silent: list[Silent]
    orphan_rooms: int  # groups with posts waiting that no account at all is in
    orphan_posts: int


async def waiting_for_accounts(session: AsyncSession, since: datetime) -> Presence | None:
    """Which accounts are alive (beat at or after ``since``) and which posts wait for one.

    None when no account ever beat (one bot process, or SQLite).
    """
    accounts = list(await session.scalars(select(BotAccount).order_by(BotAccount.account_id)))
    if not accounts:
        return None
    live = select(AccountRoom.room_id).where(AccountRoom.account_id.in_(presence.live_accounts(since)))
    waiting = [OutboxMessage.status == PENDING, OutboxMessage.room_id.not_in(live)]
    silent = []
    for account in accounts:
        if account.heartbeat_at >= since:
            continue
        mine = [*waiting, OutboxMessage.room_id.in_(presence.rooms_of(account.account_id))]
        rooms = await session.scalar(select(func.count(AccountRoom.room_id)).where(
            AccountRoom.account_id == account.account_id, AccountRoom.room_id.not_in(live)))
        posts = await session.scalar(select(func.count(OutboxMessage.id)).where(*mine))
        silent.append(Silent(account.account_id, account.name, account.heartbeat_at, int(rooms or 0), int(posts or 0)))
    anywhere = select(AccountRoom.room_id)
    orphan = [*waiting, OutboxMessage.room_id.not_in(anywhere)]
    orphan_rooms = await session.scalar(select(func.count(func.distinct(OutboxMessage.room_id))).where(*orphan))
    orphan_posts = await session.scalar(select(func.count(OutboxMessage.id)).where(*orphan))
    live_rooms = await session.scalar(select(func.count(func.distinct(AccountRoom.room_id))).where(
        AccountRoom.account_id.in_(presence.live_accounts(since))))
    return Presence(len(accounts) - len(silent), int(live_rooms or 0), silent, int(orphan_rooms or 0),
                    int(orphan_posts or 0))
