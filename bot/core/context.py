"""What a handler is given: one context per message, and the replies it returns."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.messages import IncomingMessage, Mention, Reply
from bot.core.parser import SPACES, normalise
from bot.core.settings import Settings
from storage import membership
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

    async def tell(self, text: str, people: Iterable[Member | None]) -> list[Reply]:
        """``text`` for ``people``, each @-mentioned in the group of this building they used last.

        A building may have several groups (storage/membership.py): someone who is not in this
        group is told in theirs, and the sender here is told where it went.
        """
        assert self.building is not None
        here = self.message.room_id
        rooms: dict[str, list[str]] = {here: []}
        for person in people:
            if person is not None:
                room = await membership.room_for(self.session, person, self.building.id, here) or here
                if person.wechat_id not in rooms.setdefault(room, []):
                    rooms[room].append(person.wechat_id)
        elsewhere = [room for room in rooms if room != here]
        replies = [Reply(room, text, tuple(rooms[room])) for room in elsewhere]
        if rooms[here] or not elsewhere:
            return [Reply(here, text, tuple(rooms[here])), *replies]
        topics = await self.session.scalars(select(Group.topic).where(Group.room_id.in_(elsewhere)))
        where = "、".join(topic for topic in topics if topic) or "对方所在的群"
        return [Reply(here, f"{text}（已在 {where} 告知）", (self.message.sender_id,)), *replies]

    def as_typed(self, text: str) -> str:
        """``text`` (normalised, the end of the command) as the sender typed it.

        The parser reads NFKC-normalised text, so "，" became ","; what residents
        will read again (a report, a notice, a reason) keeps the sender's own
        characters: the end of the raw message that normalises to ``text``, with
        any @-mentions (the bot's included) taken out.  Falls back to ``text`` itself.
        Linear in the length of the message: it is normalised once, not once per start.
        """
        text = text.strip()
        if not text:
            return text
        raw = self.message.text
        tags = ["@" + self.settings.bot_name] + ["@" + mention.name for mention in self.mentions if mention.name]
        raw = re.sub("|".join(re.escape(tag) + r"[\u2005\s]?" for tag in sorted(set(tags), key=len, reverse=True)),
                     " ", raw)
        start = typed_start(raw, text)
        return text if start is None else SPACES.sub(" ", raw[start:]).strip()


def typed_start(raw: str, text: str) -> int | None:
    """Where the end of ``raw`` that normalises to ``text`` starts, or None when no end of it does.

    Each character is normalised on its own, remembering where its output came from; the
    normalised whole then ends with ``text`` at a place that points back into ``raw``.  NFKC
    of a string is nearly always that of its characters one by one (not where a combining mark
    joins its letter), so the end found is checked once against ``normalise``.
    """
    out: list[str] = []
    origin: list[int] = []
    space = True  # a space at the start would be stripped
    for index, char in enumerate(raw):
        for piece in unicodedata.normalize("NFKC", char) if not char.isascii() else char:
            if SPACES.match(piece):
                if not space:
                    out.append(" ")
                    origin.append(index)
                    space = True
            else:
                out.append(piece)
                origin.append(index)
                space = False
    whole = "".join(out).rstrip(" ")
    if not whole.endswith(text):
        return None
    start = origin[len(whole) - len(text)]
    return start if normalise(raw[start:]) == text else None
