"""The bot: settings, database, dispatcher and a transport, started and stopped together."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import stat
from datetime import datetime, timedelta
from pathlib import Path
from typing import AsyncIterator, Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.core.answering import WhoAnswers
from bot.core.clock import utc_now
from bot.core.dispatcher import Dispatcher
from bot.core.intake import MAX_TOPIC, clean_name
from bot.core.messages import IncomingMessage, Reply
from bot.core.outbox import AfterCommit, Outbox
from bot.core.settings import Settings
from bot.core.tasks import cancelled
from bot.transport import Transport
from handlers import build_table
from schedules.scheduler import Schedules
from storage import outbox as outbox_store
from storage import presence, queries
from storage.catalogue import ensure_catalogue
from storage.db import make_engine, make_sessionmaker, upgrade
from storage.gifts import ensure_gifts

log = logging.getLogger(__name__)

# Pacing protects a WeChat account from being restricted. The console and the in-memory
# transport have no account behind them, so their sends are not paced (unless asked).
UNPACED_TRANSPORTS = ("console", "memory")
CLOSE_DRAIN_SECONDS = 10  # at close, posts already due get this long to go out; the rest wait for the next start

# What the bot keeps is residents' data: nobody else on the machine reads it. New files get it from
# the umask (PRIVATE_UMASK, set as the `louzu` command starts); what an older version left readable
# is made private at start.
PRIVATE_UMASK = 0o077
DATA_FOLDERS = ("media", "honour", "wechaty-cache", "fonts")


def keep_private(data_dir: Path) -> None:
    """The data folder, its folders and the database files: readable by this user only (0700 / 0600)."""
    if not data_dir.is_dir():
        return
    paths = [data_dir, *(data_dir / name for name in DATA_FOLDERS), *data_dir.glob("louzu.db*")]
    for path in paths:
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
            if mode & 0o077:
                path.chmod(mode & 0o700)
        except OSError:  # not there, or not ours to change: nothing to do
            continue


def private_files() -> None:
    """From now on, what this process creates is its user's alone (the database, its -wal and -shm,
    photos, exports, the honour pictures)."""
    os.umask(PRIVATE_UMASK)


GREETING = "大家好，我是{bot}。请居委会管理员发送 #绑定 和本群的楼号（例如：#绑定 12号楼）把本群绑定到楼栋，之后发送 #帮助 查看指令。"


class App:
    """One bot process: what a transport talks to."""

    def __init__(self, settings: Settings, transport: Transport, clock: Callable[[], datetime] = utc_now,
                 engine: AsyncEngine | None = None, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 paced: bool | None = None, by_account: bool | None = None) -> None:
        self.settings = settings
        self.transport = transport
        self.clock = clock
        self.sleep = sleep
        self.engine = engine or make_engine(settings.database_url)
        self.sessions = make_sessionmaker(self.engine)
        self.table = build_table()
        # SQLite takes one writer at a time: one lock serialises every transaction of this process
        # (messages, jobs, the outbox and the scheduler's job store) instead of letting them wait on
        # each other's file locks.
        self.db_lock: contextlib.AbstractAsyncContextManager = (
            asyncio.Lock() if self.engine.dialect.name == "sqlite" else contextlib.nullcontext())
        self.dispatcher = Dispatcher(self.table, self.sessions, settings, clock, self.send, transport.bot_id,
                                     db_lock=self.db_lock)
        if paced is None:
            paced = transport.name not in UNPACED_TRANSPORTS
        # Several accounts share a PostgreSQL database, one process each: every process sends the posts
        # of the groups its account is in, and answers in a group only if no account before it does.
        if by_account is None:
            by_account = transport.name not in UNPACED_TRANSPORTS and self.engine.dialect.name == "postgresql"
        self.by_account = by_account
        self.outbox = Outbox(transport.say, self.transaction, settings, clock, sleep, paced=paced,
                             by_account=by_account)
        self.who_answers = WhoAnswers(self.transaction, settings.silent_after)
        self._beating: asyncio.Task | None = None
        self.schedules = Schedules(settings, self.engine, self.db_lock, self.transaction, self.outbox, clock, sleep)
        self._background = False

    async def start(self) -> None:
        """Upgrade the schema and load the default catalogue; safe to run every start."""
        keep_private(self.settings.data_dir)
        self.settings.media_dir.mkdir(parents=True, exist_ok=True)
        await upgrade(self.engine)
        async with self.sessions() as session, session.begin():
            added = await ensure_catalogue(session)
            gifts = await ensure_gifts(session)
        if added:
            log.info("loaded %d activities into the catalogue", added)
        if gifts:
            log.info("loaded the default gift catalogue (%d gifts)", gifts)

    async def run(self) -> None:
        """Start, hand control to the transport until it ends, then close."""
        await self.start()
        try:
            await self.start_background()
            await self.transport.run(self)
        finally:
            await self.close()

    async def start_background(self) -> None:
        """The scheduler (in the process that owns it, see schedules/election.py) and the outbox's sender
        (with several accounts: in every process, once logged in, with its heartbeat)."""
        self._background = True
        self.outbox.start(self.may_send, poll_seconds=self.settings.outbox_poll_seconds)
        if self.by_account:
            self._beating = asyncio.create_task(self._keep_beating(), name="louzu-heartbeat")
        await self.schedules.start()

    def may_send(self) -> bool:
        """Whether this process sends posts now: the scheduler's owner, or (several accounts) once logged in."""
        return self.outbox.account is not None if self.by_account else self.schedules.is_owner()

    async def close(self) -> None:
        owning = self.may_send()
        self._beating = await cancelled(self._beating)
        await self.outbox.stop()
        if self._background and owning:
            # Posts already due get a moment to go out (a piped console script ends right after
            # its last line), still under the scheduler lock; the rest go out after the next start.
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.outbox.drain(), CLOSE_DRAIN_SECONDS)
        self._background = False
        await self.schedules.stop()
        await self.engine.dispose()

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session in one transaction, outside the dispatcher (jobs, the outbox, the scheduler)."""
        async with self.db_lock:
            async with self.sessions() as session, session.begin():
                yield session

    async def send(self, reply: Reply | AfterCommit) -> None:
        """What the dispatcher calls, after the commit, for each reply: through the outbox."""
        if isinstance(reply, AfterCommit):
            if reply.what == "outbox":
                self.outbox.wake()
            elif reply.what == "notices":
                try:
                    await self.schedules.sync_notices()
                except Exception:  # the scheduler's own round (and the job's check of the row) catch up
                    log.exception("could not bring the scheduled notices in line after a change")
            return
        await self.outbox.reply(reply)

    # Several accounts ---------------------------------------------------------

    async def _keep_beating(self) -> None:
        """Say this account is alive; give other groups' posts taken by a dead account back to the others."""
        while True:
            await self.sleep(self.settings.heartbeat_seconds)
            try:
                await self.beat()
            except Exception:  # the next beat tries again; three missed beats and others take over
                log.exception("could not record this account's heartbeat")

    async def beat(self) -> None:
        account = self.outbox.account
        if account is None:
            return
        now = self.clock()
        async with self.transaction() as session:
            await presence.heartbeat(session, account, self.transport.bot_name, now)
            released = await outbox_store.release_silent(session, now - self.settings.silent_after)
            await self.who_answers.refresh(session, account)
        if released:
            log.warning("%d post(s) taken by an account that went silent go out through another account", released)
            self.outbox.wake()

    async def on_login(self, account: str, rooms: list[str]) -> None:
        """The transport logged in to ``account``, which is in ``rooms``: it sends those groups' posts."""
        if not self.by_account:
            return
        now = self.clock()
        async with self.transaction() as session:
            # Its place is kept only while no other process can have taken it for silent: their views are up
            # to a heartbeat old, so one beat less than the silence that makes an account dead.
            kept_since = now - self.settings.silent_after + timedelta(seconds=self.settings.heartbeat_seconds)
            count = await presence.set_rooms(session, account, rooms, now, kept_since)
            await presence.heartbeat(session, account, self.transport.bot_name, now)
            await self.who_answers.refresh(session, account)
        log.info("account %s is in %d group(s); sending their posts", account, count)
        self.outbox.account = account
        await self.outbox.recover()
        self.outbox.wake()

    def on_logout(self) -> None:
        """The transport lost its account (logged out, or the gateway went away): no posts go through it
        until it logs in again; its heartbeat stops, so another account in its groups takes them over."""
        self.outbox.account = None

    async def on_room_leave(self, room_id: str) -> None:
        """The bot's account was removed from a group: its posts go through another account, or wait."""
        if self.by_account and self.outbox.account is not None:
            async with self.transaction() as session:
                await presence.remove_room(session, self.outbox.account, room_id)
            self.who_answers.forget(room_id)

    async def _answers(self, room_id: str, sender_id: str = "") -> bool:
        """Several accounts in one group all receive its messages: one of them answers (bot/core/answering.py),
        and none answers another account's posts. No SQL but for a group or a sender new to this process."""
        account = self.outbox.account
        if not self.by_account or account is None:
            return True
        return await self.who_answers.answers(account, room_id, sender_id, self.clock())

    # What the transport calls -------------------------------------------------

    async def on_message(self, message: IncomingMessage) -> None:
        self.dispatcher.bot_id = self.transport.bot_id
        if not await self._answers(message.room_id, message.sender_id):
            log.debug("message %s in %s: another account in the group answers it, or said it", message.id,
                      message.room_id)
            return
        await self.dispatcher.handle(message)

    async def on_room_join(self, room_id: str, topic: str) -> None:
        """The bot was added to a group: say how to bind it."""
        answers = await self._answers(room_id)  # (with several accounts, also notes that ours is in it now)
        async with self.transaction() as session:
            group = await queries.get_or_create_group(session, room_id, clean_name(topic, MAX_TOPIC))
            bound = group.building_id is not None
        if not bound and answers:
            await self.send(Reply(room_id, GREETING.format(bot=self.settings.bot_name)))

    async def on_room_topic(self, room_id: str, topic: str) -> None:
        """Keep the stored group name current."""
        async with self.transaction() as session:
            await queries.get_or_create_group(session, room_id, clean_name(topic, MAX_TOPIC))
