"""Transports: the chat network behind a small interface (console, wechaty, memory)."""

from __future__ import annotations

from typing import Protocol, Sequence

from bot.core.messages import IncomingMessage, Reply


class BotCore(Protocol):
    """What a transport calls when something happens in a group."""

    async def on_message(self, message: IncomingMessage) -> None: ...

    async def on_room_join(self, room_id: str, topic: str) -> None: ...

    async def on_room_topic(self, room_id: str, topic: str) -> None: ...

    # Several accounts (bot/app.py): which groups this transport's account is in, and when it is lost.
    async def on_login(self, account: str, rooms: list[str]) -> None: ...

    def on_logout(self) -> None: ...

    async def on_room_leave(self, room_id: str) -> None: ...


class Transport(Protocol):
    """A chat network as the bot sees it."""

    name: str
    bot_id: str
    bot_name: str

    async def run(self, core: BotCore) -> None:
        """Deliver events to ``core`` until stopped or the input ends."""

    async def say(self, reply: Reply) -> None:
        """Send one line (and/or picture) to a group, @-mentioning ``reply.mention``."""

    async def stop(self) -> None: ...


def render_mentions(text: str, names: Sequence[str], sep: str = "\u2005") -> str:
    """Text as a person reads it: the @-names first, as WeChat shows a mention."""
    prefix = "".join(f"@{name}{sep}" for name in names)
    return prefix + text
