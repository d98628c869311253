"""Which WeChat account is in which group, and which accounts' processes are alive (several accounts on one database).

Each bot process keeps its account's row (a heartbeat) and the list of groups the
account is in; the outbox sends a post only through an account in its group, and
`louzu doctor` tells which groups' posts wait for an account that went silent. Which
account answers in a group is decided in memory from what these queries read once a
heartbeat (bot/core/answering.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Iterable, NamedTuple

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


async def set_rooms(session: AsyncSession, account: str, rooms: Iterable[str], now: datetime,
                    live_since: datetime) -> int:
    """The account is in exactly these groups (as its gateway lists them at login); returns how many.

    Call it before this login's heartbeat. An account still live (it beat at or after ``live_since``:
    its process restarted) keeps its place in the groups it stays in; one back from silence comes
    into all of them anew, after the accounts that answered there meanwhile (see AccountRoom).
    """
    wanted = list(dict.fromkeys(rooms))
    kept: set[str] = set()
    row = await session.get(BotAccount, account)
    if row is not None and row.heartbeat_at >= live_since:
        kept = set(await session.scalars(select(AccountRoom.room_id).where(
            AccountRoom.account_id == account, AccountRoom.room_id.in_(wanted))))
    await session.execute(delete(AccountRoom).where(AccountRoom.account_id == account,
                                                    AccountRoom.room_id.not_in(sorted(kept))))
    session.add_all(AccountRoom(account_id=account, room_id=room, seen_at=now) for room in wanted if room not in kept)
    await session.flush()
    return len(wanted)


async def add_room(session: AsyncSession, account: str, room: str, now: datetime) -> None:
    """The account is in this group (it joined, or a message came from there); in it since ``now`` if new."""
    if await session.get(AccountRoom, (account, room)) is None:
        session.add(AccountRoom(account_id=account, room_id=room, seen_at=now))
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


class Seat(NamedTuple):
    """An account in a group: since when, and its process's last heartbeat (None: it never beat)."""

    room_id: str
    account_id: str
    seen_at: datetime
    heartbeat_at: datetime | None


async def seats(session: AsyncSession, rooms) -> list[Seat]:
    """Every account in these groups (a list of ids, or ``rooms_of(account)``), with its heartbeat."""
    rows = await session.execute(
        select(AccountRoom.room_id, AccountRoom.account_id, AccountRoom.seen_at, BotAccount.heartbeat_at)
        .outerjoin(BotAccount, BotAccount.account_id == AccountRoom.account_id)
        .where(AccountRoom.room_id.in_(rooms)))
    return [Seat(*row) for row in rows]


async def account_ids(session: AsyncSession) -> set[str]:
    """Every account the bot has (live or not): the WeChat contacts whose posts are the bot's own."""
    return set(await session.scalars(select(BotAccount.account_id)))
