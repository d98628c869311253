"""Plain data that crosses the transport seam: what people say and what the bot says."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path


@dataclass(frozen=True)
class Mention:
    """One @-mention inside a message: who, and the name shown after the @."""

    id: str
    name: str


@dataclass(frozen=True)
class Attachment:
    """A picture or file that came with a message, saved locally by the transport."""

    path: Path
    kind: str = "image"


@dataclass(frozen=True)
class IncomingMessage:
    """One message in a building group, as every transport hands it to the bot."""

    id: str
    room_id: str
    room_topic: str
    sender_id: str
    sender_name: str
    text: str
    time: datetime
    mentions: tuple[Mention, ...] = ()
    mentions_bot: bool = False
    attachment: Attachment | None = None


@dataclass(frozen=True)
class Reply:
    """A line the bot says in a group, @-mentioning the people in ``mention``."""

    room_id: str
    text: str
    mention: tuple[str, ...] = ()
    image: Path | None = None
