"""Which of several accounts answers in a group: decided in memory, from presence read once a heartbeat.

Every account in a group receives its messages. Who answers changes only at heartbeat
granularity (an account going silent, logging in, joining or leaving a group), so each
process reads the accounts in its own groups once a heartbeat and decides each message
without SQL: of the live accounts there, the one in the group longest answers (ties by
id), and none answers another account's posts. Because a newcomer never takes over, two
processes whose views are a heartbeat apart still agree; a takeover happens only when the
answering account falls silent, within LOUZU_HEARTBEAT_SECONDS × (SILENT_BEATS + 1).
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import AsyncContextManager, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from storage import presence
from storage.presence import Seat

# Senders known not to be an account; forgotten all at once past this many (then each is asked again once).
MAX_REMEMBERED_SENDERS = 100_000


class WhoAnswers:
    """This process's view of the accounts in its account's groups, and the decision made from it."""

    def __init__(self, transaction: Callable[[], AsyncContextManager[AsyncSession]], silent_after: timedelta) -> None:
        self.transaction = transaction
        self.silent_after = silent_after
        self.account: str | None = None
        self._rooms: dict[str, list[Seat]] = {}
        self._fresh: set[str] = set()  # groups learnt of since the last read: read again until the next
        self._accounts: set[str] = set()
        self._not_accounts: set[str] = set()
        self._learning = asyncio.Lock()

    async def refresh(self, session: AsyncSession, account: str) -> None:
        """Read again who is in this account's groups and which contacts are accounts (at each heartbeat)."""
        rooms: dict[str, list[Seat]] = {}
        for seat in await presence.seats(session, presence.rooms_of(account)):
            rooms.setdefault(seat.room_id, []).append(seat)
        self._accounts = await presence.account_ids(session)
        self._not_accounts -= self._accounts
        # A group learnt of while this read ran (a message there, in a transaction of its own) may be missing from
        # it: kept as learnt, and read again at its next message, rather than dropped (then every account answers).
        missed = {room for room in self._fresh if room not in rooms and room in self._rooms} if (
            account == self.account) else set()
        rooms.update((room, self._rooms[room]) for room in missed)
        self.account, self._rooms, self._fresh = account, rooms, missed

    def forget(self, room_id: str) -> None:
        """The account left the group: should it come back, it is read again."""
        self._rooms.pop(room_id, None)

    async def answers(self, account: str, room_id: str, sender_id: str, now: datetime) -> bool:
        """Whether ``account`` answers this message: SQL only for a group or a sender not seen before."""
        if self._to_learn(account, room_id, sender_id):
            async with self._learning:  # two messages at once from a new group: it is written once
                if self._to_learn(account, room_id, sender_id):
                    async with self.transaction() as session:
                        await self._learn(session, account, room_id, sender_id, now)
        if sender_id in self._accounts:
            return False
        return self._first(account, room_id, now)

    def _unknown(self, sender_id: str) -> bool:
        return bool(sender_id) and sender_id not in self._accounts and sender_id not in self._not_accounts

    def _to_learn(self, account: str, room_id: str, sender_id: str) -> bool:
        return (account != self.account or room_id not in self._rooms or room_id in self._fresh
                or self._unknown(sender_id))

    async def _learn(self, session: AsyncSession, account: str, room_id: str, sender_id: str, now: datetime) -> None:
        if account != self.account:
            await self.refresh(session, account)
        if room_id not in self._rooms or room_id in self._fresh:
            # A group new to this view (the account just showed up in it; the only write), or one learnt of
            # since the last heartbeat: an account that showed up in it at the same moment is seen once its
            # own transaction has committed, so both agree from the next message on.
            if room_id not in self._rooms:
                await presence.add_room(session, account, room_id, now)
            self._rooms[room_id] = await presence.seats(session, [room_id])
            self._fresh.add(room_id)
        if self._unknown(sender_id):
            if await presence.is_account(session, sender_id):
                self._accounts.add(sender_id)
            else:
                if len(self._not_accounts) >= MAX_REMEMBERED_SENDERS:
                    self._not_accounts.clear()
                self._not_accounts.add(sender_id)

    def _first(self, account: str, room_id: str, now: datetime) -> bool:
        seats = self._rooms.get(room_id, [])
        mine = next((seat.seen_at for seat in seats if seat.account_id == account), now)
        since = now - self.silent_after
        return not any(seat.account_id != account and seat.heartbeat_at is not None and seat.heartbeat_at >= since
                       and (seat.seen_at, seat.account_id) < (mine, account) for seat in seats)
