"""What a handler is given: one context per message, and the replies it returns."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.messages import IncomingMessage, Mention, Reply
from bot.core.parser import SPACES, normalise
from bot.core.settings import Settings
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

    def reply(self, text: str, *, mention: tuple[str, ...] | None = None) -> Reply:
        """A reply in this group, @-mentioning the sender unless told otherwise."""
        return Reply(self.message.room_id, text, (self.message.sender_id,) if mention is None else tuple(mention))

    def as_typed(self, text: str) -> str:
        """``text`` (normalised, the end of the command) as the sender typed it.

        The parser reads NFKC-normalised text, so "，" became ","; what residents
        will read again (a report, a notice, a reason) keeps the sender's own
        characters: the end of the raw message that normalises to ``text``, with
        any @-mentions taken out.  Falls back to ``text`` itself.
        """
        text = text.strip()
        if not text:
            return text
        raw = self.message.text
        for mention in self.mentions:
            raw = re.sub("@" + re.escape(mention.name) + r"[\u2005\s]?", " ", raw)
        for start in range(len(raw)):
            if raw[start].isspace():
                continue
            if normalise(raw[start:]) == text:
                return SPACES.sub(" ", raw[start:]).strip()
        return text
