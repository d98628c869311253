"""The outbox: every message the bot sends goes through here.

Two lanes, so that people are never kept waiting behind a broadcast:

* replies to people go out at once, limited only by their own token bucket
  (LOUZU_REPLY_BURST at once, then LOUZU_REPLY_PER_SECOND, the account's rate). When
  replies wait for tokens, they wait in one queue per group, and the groups take turns
  (round-robin): one busy group cannot keep another waiting longer than a turn;
* posts (notices, broadcasts, scheduled posts) are kept in the database first
  (storage/outbox.py) and sent one at a time, LOUZU_PACE_SECONDS apart with
  random jitter, each marked sent as it goes, so a restart resumes a broadcast
  where it stopped. Scheduled posts wait out the quiet hours.

With several WeChat accounts (one bot process each, on one PostgreSQL database),
``account`` is this process's account once it has logged in: the process then
sends only posts to groups that account is in, paced on its own, so the accounts
share a broadcast between them (storage/presence.py keeps who is in which group).

A send that fails is tried again with growing waits, LOUZU_SEND_ATTEMPTS times in
all, then recorded as failed (``louzu doctor`` lists them) and logged.

Time is injected: ``clock`` gives the aware wall-clock time, ``sleep`` waits, so
tests drive both by hand.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import deque
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import AsyncContextManager, Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.messages import Reply
from bot.core.settings import Settings
from bot.core.tasks import cancelled
from storage import outbox as store
from storage.models import OutboxMessage

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Sleep = Callable[[float], Awaitable[None]]
Say = Callable[[Reply], Awaitable[None]]
Transaction = Callable[[], AsyncContextManager[AsyncSession]]


def as_reply(row: OutboxMessage) -> Reply:
    """A kept post as the transport says it."""
    return Reply(row.room_id, row.text, tuple(m for m in row.mention.split("\n") if m),
                 Path(row.image) if row.image else None)


@dataclass(frozen=True)
class AfterCommit:
    """Not a message: returned among a handler's replies, it runs when they are sent, after the commit.

    ``what`` is ``"outbox"`` (posts were kept: send them) or ``"notices"`` (scheduled
    notices changed: bring the scheduler's jobs in line).
    """

    what: str


class TokenBucket:
    """``burst`` sends at once, then ``rate`` per second; a caller past the burst reserves its turn."""

    def __init__(self, burst: int, rate: float, clock: Clock) -> None:
        self.burst, self.rate, self.clock = burst, rate, clock
        self.tokens = float(burst)
        self.updated = clock()

    def _refill(self) -> None:
        now = self.clock()
        elapsed = max(0.0, (now - self.updated).total_seconds())
        self.tokens = min(float(self.burst), self.tokens + elapsed * self.rate)
        self.updated = now

    def reserve(self) -> float:
        """Take a token; the seconds to wait before using it (0 when one was there)."""
        self._refill()
        self.tokens -= 1
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate

    def take_now(self) -> bool:
        """Take a token if one is there now; False (nothing taken) when it would mean waiting."""
        self._refill()
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


def in_quiet_hours(local: datetime, quiet: tuple[time, time] | None) -> bool:
    if quiet is None:
        return False
    start, end = quiet
    now = local.time()
    return start <= now < end if start < end else (now >= start or now < end)


def quiet_end(local: datetime, quiet: tuple[time, time]) -> datetime:
    """The end of the quiet hours that ``local`` is in (the next time the clock shows their end)."""
    end = local.replace(hour=quiet[1].hour, minute=quiet[1].minute, second=0, microsecond=0)
    return end if end > local else (end.replace(tzinfo=None) + timedelta(days=1)).replace(tzinfo=local.tzinfo)


class Outbox:
    def __init__(self, say: Say, transaction: Transaction, settings: Settings, clock: Clock,
                 sleep: Sleep = asyncio.sleep, *, paced: bool = True, rng: random.Random | None = None,
                 by_account: bool = False) -> None:
        self.say = say
        self.transaction = transaction
        self.settings = settings
        self.clock = clock
        self.sleep = sleep
        self.paced = paced
        self.rng = rng or random.Random()
        self.bucket = TokenBucket(settings.reply_burst, settings.reply_per_second, clock)
        self._last_post: datetime | None = None
        # Replies waiting for a token: per group, in arrival order; the groups in turn order.
        self._waiting: dict[str, deque[tuple[Reply, asyncio.Future]]] = {}
        self._turns: deque[str] = deque()
        self._replier: asyncio.Task | None = None
        self._wake = asyncio.Event()
        self._worker: asyncio.Task | None = None
        self._draining = asyncio.Lock()
        self.by_account = by_account  # several accounts: each sends only to its own groups
        self.account: str | None = None  # then: ours, once logged in
        self._in_flight: int | None = None  # the post being sent now (never released as "unfinished")

    # Replies ----------------------------------------------------------------------------

    async def reply(self, reply: Reply) -> None:
        """Send a reply in its group's turn, as soon as a token allows; returns once it is said. Never raises."""
        if not self.paced or (not self._turns and not self._replying() and self.bucket.take_now()):
            await self._say_reply(reply)  # nobody waiting and a token to hand: no turn to wait for
            return
        done = asyncio.get_running_loop().create_future()
        queue = self._waiting.get(reply.room_id)
        if queue is None:
            queue = self._waiting[reply.room_id] = deque()
            self._turns.append(reply.room_id)
        queue.append((reply, done))
        if not self._replying():
            self._replier = asyncio.create_task(self._take_turns(), name="louzu-replies")
        await asyncio.shield(done)  # a caller given up on still has its reply said, in turn

    def _replying(self) -> bool:
        return self._replier is not None and not self._replier.done()

    async def _take_turns(self) -> None:
        """Say waiting replies, one per token: the next group in turn, its oldest reply, then to the back."""
        served: str | None = None  # the group just served, back in the line only when the next one is chosen
        try:
            while self._turns or served is not None:
                # The token first, then whose turn it is: a group that began waiting meanwhile is ahead of
                # the group served last.
                wait = self.bucket.reserve()
                if wait > 0:
                    await self.sleep(wait)
                if served is not None:
                    self._turns.append(served)
                room = self._turns.popleft()
                queue = self._waiting[room]
                reply, done = queue.popleft()
                if queue:
                    served = room
                else:
                    served = None
                    del self._waiting[room]
                await self._say_reply(reply)
                if not done.done():
                    done.set_result(None)
        finally:  # stopped (the bot closing): nobody waits for a reply that will not be said now
            for queue in self._waiting.values():
                for _, done in queue:
                    if not done.done():
                        done.set_result(None)
            self._waiting.clear()
            self._turns.clear()

    async def _say_reply(self, reply: Reply) -> None:
        try:
            await self.say(reply)
        except Exception as error:
            log.warning("could not send a reply to %s (%s); it will be tried again", reply.room_id, error)
            await self._keep_failed_reply(reply, error)

    async def _keep_failed_reply(self, reply: Reply, error: Exception) -> None:
        """A reply that failed once joins the posts, first in line, to be tried again with backoff."""
        now = self.clock()
        try:
            async with self.transaction() as session:
                await store.enqueue(session, [reply], batch="reply", now=now, hold_quiet=False,
                                    priority=store.NOW_FIRST, attempts=1, not_before=now + store.backoff(1),
                                    last_error=f"{type(error).__name__}: {error}")
        except Exception:
            log.exception("could not keep the failed reply to %s: %r", reply.room_id, reply.text[:60])
            return
        self.wake()

    # Posts --------------------------------------------------------------------------------

    def wake(self) -> None:
        """Posts were kept: the worker looks for them now."""
        self._wake.set()

    def quiet_now(self) -> bool:
        return in_quiet_hours(self.clock().astimezone(self.settings.timezone), self.settings.quiet_hours)

    async def recover(self) -> None:
        """On taking over the scheduler (or logging in, with several accounts): posts a stopped sender
        had taken but not marked go out again (with several accounts: those this account had taken)."""
        if self.by_account and self.account is None:
            return  # which posts were ours is known only once logged in (App.on_login recovers them then)
        async with self.transaction() as session:
            count = await store.release_unfinished(session, self.account, keep=self._in_flight)
        if count:
            log.warning("%d post(s) were being sent when the last sender stopped; sending again "
                        "(a group may see one of them twice)", count)

    async def drain(self, may_send: Callable[[], bool] = lambda: True) -> int:
        """Send every post that is due now, paced, while ``may_send()``; returns how many were tried."""
        tried = 0
        account = self.account  # the same all through: an account lost meanwhile fails its sends, which are retried
        if self.by_account and account is None:
            return tried
        async with self._draining:
            while may_send():
                async with self.transaction() as session:
                    if await store.next_due(session, self.clock(), self.quiet_now(), account) is None:
                        return tried
                await self._pace()
                async with self.transaction() as session:
                    row = await store.next_due(session, self.clock(), self.quiet_now(), account, lock=True)
                    # Taken in the database, so two senders (the scheduler changing hands, two accounts in
                    # one group) never send one post twice.
                    taken = row is not None and await store.claim(session, row.id, account)
                if row is None:
                    return tried
                if not taken:
                    continue
                # A stop (cancellation) waits for this one send and its "sent" mark, so a message
                # is either sent and marked or not sent; only a hard crash between the two can
                # repeat it (once) after the restart.
                sending = asyncio.ensure_future(self._send(row))
                self._in_flight = row.id
                try:
                    await asyncio.shield(sending)
                except asyncio.CancelledError:
                    await sending
                    raise
                finally:
                    self._in_flight = None
                tried += 1
        return tried

    async def _pace(self) -> None:
        if not self.paced:
            return
        if self._last_post is not None:
            low, high = self.settings.pace_seconds
            gap = self.rng.uniform(low, high)
            elapsed = max(0.0, (self.clock() - self._last_post).total_seconds())
            if gap > elapsed:
                await self.sleep(gap - elapsed)
        self._last_post = self.clock()

    async def _send(self, row) -> None:
        try:
            await self.say(as_reply(row))
        except Exception as error:
            attempts = row.attempts + 1
            give_up = attempts >= self.settings.send_attempts
            now = self.clock()
            async with self.transaction() as session:
                await store.mark_attempt_failed(session, row.id, f"{type(error).__name__}: {error}", give_up=give_up,
                                                retry_at=now + store.backoff(attempts))
            if give_up:
                log.error("gave up sending outbox message %d (%s) to %s after %d tries: %s",
                          row.id, row.batch, row.room_id, attempts, error)
            else:
                log.warning("outbox message %d to %s failed (try %d of %d): %s",
                            row.id, row.room_id, attempts, self.settings.send_attempts, error)
            return
        async with self.transaction() as session:
            await store.mark_sent(session, row.id, self.clock())

    async def seconds_until_due(self) -> float | None:
        """How long until a pending post becomes due (a retry, or one held by the quiet hours)."""
        now = self.clock()
        quiet = self.quiet_now()
        async with self.transaction() as session:
            sendable = await store.next_not_before(session, quiet, self.account)
            held = await store.next_not_before(session, False, self.account) if quiet else None
        waits = [(sendable - now).total_seconds()] if sendable is not None else []
        if held is not None and self.settings.quiet_hours is not None:
            end = quiet_end(now.astimezone(self.settings.timezone), self.settings.quiet_hours)
            waits.append((max(end, held) - now).total_seconds())
        return max(0.0, min(waits)) if waits else None

    # The worker ---------------------------------------------------------------------------

    def start(self, may_send: Callable[[], bool] = lambda: True, poll_seconds: float = 5.0) -> None:
        """Send kept posts in the background while ``may_send()`` (this process runs the scheduler)."""
        if self._worker is None:
            self._worker = asyncio.create_task(self._work(may_send, poll_seconds), name="louzu-outbox")

    async def _work(self, may_send: Callable[[], bool], poll_seconds: float) -> None:
        while True:
            wait = poll_seconds
            # Cleared before looking, not after: a post kept while we look wakes the wait below.
            self._wake.clear()
            try:
                if may_send():
                    await self.drain(may_send)
                    due = await self.seconds_until_due()
                    wait = poll_seconds if due is None else min(max(due, 0.05), poll_seconds)
            except Exception:
                log.exception("the outbox worker hit an error; trying again in %s s", poll_seconds)
            # Woken early when a post is kept here; other processes' posts are found by polling.
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)

    async def stop(self) -> None:
        """Stop the worker; posts not yet sent stay kept and go out after the next start."""
        self._worker = await cancelled(self._worker)
        self._replier = await cancelled(self._replier)
