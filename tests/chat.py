"""Whole-bot tests read like a group chat: `await chat("[12号楼群] 张阿姨: #报修 …")`."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import func, select

from bot.app import App
from bot.core.messages import IncomingMessage, Reply
from bot.transport.memory import MemoryTransport


class Chat:
    """The whole bot behind an in-memory transport, driven line by line."""

    def __init__(self, app: App, transport: MemoryTransport) -> None:
        self.app = app
        self.transport = transport

    def message(self, line: str, **changes) -> IncomingMessage:
        message = self.transport.parse(line)
        assert message is not None
        return replace(message, time=self.app.clock(), **changes)

    async def send(self, message: IncomingMessage) -> list[Reply]:
        before = len(self.transport.sent)
        await self.app.on_message(message)
        return self.transport.sent[before:]

    async def __call__(self, line: str, **changes) -> list[str]:
        """Say ``line``; returns the bot's replies as people read them ("@张阿姨 …")."""
        replies = await self.send(self.message(line, **changes))
        return [MemoryTransport.render(r) for r in replies]

    async def one(self, line: str, **changes) -> str:
        replies = await self(line, **changes)
        assert len(replies) == 1, replies
        return replies[0]

    async def count(self, model, *where) -> int:
        async with self.app.sessions() as session:
            return int(await session.scalar(select(func.count()).select_from(model).where(*where)))

    async def scalars(self, stmt) -> list:
        async with self.app.sessions() as session:
            return list(await session.scalars(stmt))

    async def setup_building(self, room: str = "12号楼群", building: str = "12号楼", leader: str = "李楼长") -> None:
        assert "已绑定" in await self.one(f"[{room}] 王主任: #绑定 {building}")
        assert "楼组长" in await self.one(f"[{room}] 王主任: #设楼组长 @{leader}")


@pytest.fixture
async def chat(settings, clock):
    transport = MemoryTransport(settings.bot_name, admins=settings.admin_ids, clock=clock)
    app = App(settings, transport, clock=clock)
    await app.start()
    await transport.run(app)
    yield Chat(app, transport)
    await app.close()
