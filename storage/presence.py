"""Which WeChat account is in which group, and which accounts' processes are alive (several accounts on one database).

Each bot process keeps its account's row (a heartbeat) and the list of groups the
account is in; the outbox sends a post only through an account in its group, and
`louzu doctor` tells which groups' posts wait for an account that went silent.
"""

from __future__ import annotations

from datetime import datetime
from typing import Iterable

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AccountRoom, BotAccount


async def heartbeat(session: AsyncSession, account: str, name: str, now: datetime) -> None:
    """This account's process is alive now (its row made on the first beat)."""
    row = await session.get(BotAccount, account)
    if row is None:
        session.add(BotAccount(account_id=account, name=name[:64], heartbeat_at=now))
    else:
        row.name, row.heartbeat_at = name[:64], now
    await session.flush()


async def set_rooms(session: AsyncSession, account: str, rooms: Iterable[str], now: datetime) -> int:
    """The account is in exactly these groups (as its gateway lists them at login); returns how many."""
    await session.execute(delete(AccountRoom).where(AccountRoom.account_id == account))
    rows = [AccountRoom(account_id=account, room_id=room, seen_at=now) for room in dict.fromkeys(rooms)]
    session.add_all(rows)
    await session.flush()
    return len(rows)


async def add_room(session: AsyncSession, account: str, room: str, now: datetime) -> None:
    """The account is in this group (it joined, or a message came from there)."""
    row = await session.get(AccountRoom, (account, room))
    if row is None:
        session.add(AccountRoom(account_id=account, room_id=room, seen_at=now))
    else:
        row.seen_at = now
    await session.flush()


async def remove_room(session: AsyncSession, account: str, room: str) -> None:
    await session.execute(delete(AccountRoom).where(AccountRoom.account_id == account, AccountRoom.room_id == room))


def rooms_of(account: str):
    """The groups an account is in, as a subquery (``OutboxMessage.room_id.in_(rooms_of(me))``)."""
    return select(AccountRoom.room_id).where(AccountRoom.account_id == account)


def live_accounts(since: datetime):
    """Accounts whose process beat at or after ``since``, as a subquery."""
    return select(BotAccount.account_id).where(BotAccount.heartbeat_at >= since)


async def live_count(session: AsyncSession, since: datetime) -> int:
    """How many accounts' processes beat at or after ``since`` (0 with one bot on SQLite)."""
    return len(list(await session.scalars(live_accounts(since))))


async def is_account(session: AsyncSession, contact_id: str) -> bool:
    """Whether this WeChat contact is one of the bot's accounts (whose posts the others see in shared groups)."""
    return await session.get(BotAccount, contact_id) is not None


async def answers_in(session: AsyncSession, account: str, room: str, since: datetime) -> bool:
    """Whether this account answers the group's messages: no live account before it (by id) is in the group.

    Every account in a group receives its messages; one of them, the same for all, answers.
    """
    other = await session.scalar(select(AccountRoom.account_id).where(
        AccountRoom.room_id == room, AccountRoom.account_id < account,
        AccountRoom.account_id.in_(live_accounts(since))).limit(1))
    return other is None
