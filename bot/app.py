"""The bot: settings, database, dispatcher and a transport, started and stopped together."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Callable

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.dispatcher import Dispatcher
from bot.messages import IncomingMessage, Reply
from bot.settings import Settings
from bot.transport import Transport
from handlers import build_table
from storage import queries
from storage.catalogue import ensure_catalogue
from storage.db import make_engine, make_sessionmaker, upgrade

log = logging.getLogger(__name__)

GREETING = "大家好，我是{bot}。请居委会管理员发送 #绑定 <楼号>（例如 #绑定 12号楼）把本群绑定到楼栋，之后发送 #帮助 查看指令。"


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class App:
    """One bot process: what a transport talks to."""

    def __init__(self, settings: Settings, transport: Transport, clock: Callable[[], datetime] = utc_now,
                 engine: AsyncEngine | None = None) -> None:
        self.settings = settings
        self.transport = transport
        self.clock = clock
        self.engine = engine or make_engine(settings.database_url)
        self.sessions = make_sessionmaker(self.engine)
        self.table = build_table()
        self.dispatcher = Dispatcher(self.table, self.sessions, settings, clock, self.send, transport.bot_id)

    async def start(self) -> None:
        """Upgrade the schema and load the default catalogue; safe to run every start."""
        self.settings.media_dir.mkdir(parents=True, exist_ok=True)
        await upgrade(self.engine)
        async with self.sessions() as session, session.begin():
            added = await ensure_catalogue(session)
        if added:
            log.info("loaded the default activity catalogue (%d activities)", added)

    async def run(self) -> None:
        """Start, hand control to the transport until it ends, then close."""
        await self.start()
        try:
            await self.transport.run(self)
        finally:
            await self.close()

    async def close(self) -> None:
        await self.engine.dispose()

    async def send(self, reply: Reply) -> None:
        try:
            await self.transport.say(reply)
        except Exception:
            log.exception("could not send a reply to %s", reply.room_id)

    # What the transport calls -------------------------------------------------

    async def on_message(self, message: IncomingMessage) -> None:
        self.dispatcher.bot_id = self.transport.bot_id
        await self.dispatcher.handle(message)

    async def on_room_join(self, room_id: str, topic: str) -> None:
        """The bot was added to a group: say how to bind it."""
        async with self.sessions() as session, session.begin():
            group = await queries.get_or_create_group(session, room_id, topic)
            bound = group.building_id is not None
        if not bound:
            await self.send(Reply(room_id, GREETING.format(bot=self.settings.bot_name)))

    async def on_room_topic(self, room_id: str, topic: str) -> None:
        """Keep the stored group name current."""
        async with self.sessions() as session, session.begin():
            await queries.get_or_create_group(session, room_id, topic)
