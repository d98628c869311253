"""What a handler is given: one context per message, and the replies it returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import IncomingMessage, Mention, Reply
from bot.settings import Settings
from storage.models import Building, Group, Member, RoleName


class Refusal(Exception):
    """A command that cannot be done: the text says why and what to type instead.

    Raising it undoes whatever the handler changed; the text is the reply.
    """

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


@dataclass
class Context:
    message: IncomingMessage
    session: AsyncSession
    settings: Settings
    now: datetime
    group: Group
    member: Member
    building: Building | None
    roles: frozenset[RoleName]
    is_admin: bool
    args: str = ""
    keyword: str = ""
    mentions: tuple[Mention, ...] = ()
    extra_replies: list[Reply] = field(default_factory=list)

    def reply(self, text: str, *, mention: tuple[str, ...] | None = None) -> Reply:
        """A reply in this group, @-mentioning the sender unless told otherwise."""
        return Reply(self.message.room_id, text, (self.message.sender_id,) if mention is None else tuple(mention))

    @property
    def local_now(self) -> datetime:
        return self.now.astimezone(self.settings.timezone)
