"""Who is who, remembered from one message to the next while the database says nothing changed.

Every message needs its group, the group's building, the sender and the sender's roles there
(queries.sender): one query, the costliest step of a message that only reads.  The answer
changes rarely (a group bound, a leader appointed, a name changed), and every such change, by
any process or program, counts up the one-row ``directory_version`` (database triggers,
migration 0005).  The processed mark that every message writes first reads that version in the
same statement (queries.mark_processed); when it is the one the remembered answer was read
under, the answer is used again without a query.

What is kept are copies, never the objects a handler was given: a handler that changes its
member and is then refused leaves nothing changed behind here.  A remembered answer joins the
new transaction through ``Session.merge(load=False)``, which copies it in without SQL.
"""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached

from storage import queries
from storage.queries import Sender

T = TypeVar("T")

MOST_REMEMBERED = 5000  # (group, person) pairs; past this, all are forgotten and learned again


def _copy(instance: T) -> T:
    """A detached copy of a loaded instance: its columns, none of its session."""
    mapper = inspect(instance).mapper
    copy = mapper.class_(**{attr.key: getattr(instance, attr.key) for attr in mapper.column_attrs})
    make_transient_to_detached(copy)
    return copy


class Directory:
    """The senders this process has seen, valid for one directory version."""

    def __init__(self) -> None:
        self.version: int | None = None
        self._known: dict[tuple[str, str], Sender] = {}

    async def sender(self, session: AsyncSession, version: int | None, room_id: str, topic: str, wechat_id: str,
                     name: str, now: datetime, *, admin: bool = False) -> Sender:
        """As queries.sender; from memory when ``version`` (read in this transaction) allows."""
        if version is None or version != self.version:
            self._known.clear()
            self.version = version
        key = (room_id, wechat_id)
        known = self._known.get(key)
        if known is not None and (not topic or known.group.topic == topic) and (
                not name or known.member.display_name == name):  # else queries.sender writes the new one down
            merge = session.sync_session.merge
            return Sender(merge(known.group, load=False),
                          merge(known.building, load=False) if known.building is not None else None,
                          merge(known.member, load=False), known.roles)
        who = await queries.sender(session, room_id, topic, wechat_id, name, now, admin=admin)
        if version is not None and who.as_stored:
            if len(self._known) >= MOST_REMEMBERED:
                self._known.clear()
            self._known[key] = Sender(_copy(who.group), _copy(who.building) if who.building is not None else None,
                                      _copy(who.member), who.roles)
        return who
