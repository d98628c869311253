"""An in-memory transport: messages in by method call, replies recorded (tests, benchmarks)."""

from __future__ import annotations

from bot.core.messages import Reply
from bot.transport import BotCore, render_mentions
from bot.transport.console import ConsoleTransport


class MemoryTransport(ConsoleTransport):
    """Reads console-format lines given by code and keeps what the bot says in ``sent``."""

    name = "memory"

    def __init__(self, bot_name: str, **kwargs) -> None:
        super().__init__(bot_name, **kwargs)
        self.sent: list[Reply] = []
        self.core: BotCore | None = None

    async def run(self, core: BotCore) -> None:
        self.core = core

    async def say(self, reply: Reply) -> None:
        self.sent.append(reply)

    @staticmethod
    def render(reply: Reply) -> str:
        return render_mentions(reply.text, reply.mention, sep=" ")
