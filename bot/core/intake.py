"""What comes in is made safe before anything reads it: a length cap, no control characters, names that fit.

One resident's message must never cost the bot more than a bounded amount of work, and
what they typed is stored and shown to others again (replies, #进度, the exports): so
control characters (NUL, BEL, terminal escape sequences) and the marks that turn text
around (U+202E and the other direction overrides) are taken out here, once, for every
transport.  Newlines and tabs stay: they are white space, which the parser collapses.
"""

from __future__ import annotations

from dataclasses import replace

from bot.core.messages import IncomingMessage, Mention
from storage.text import clean

# WeChat itself does not send a text longer than about 16,000 characters; anything longer is
# cut here, before any parsing, so the cost of a message is bounded whatever arrives.
MAX_TEXT = 16_000
CUT_NOTE = "…（消息过长，以下省略）"
# The columns names are kept in (storage/models.py): members.display_name, groups.topic.
MAX_NAME = 128
MAX_TOPIC = 256
MAX_MENTIONS = 100  # @-mentions read from one message; each costs a pass over its text


def clean_name(name: str, limit: int = MAX_NAME) -> str:
    """A shown name or group name, cleaned and cut to the column it is stored in."""
    return clean(name).strip()[:limit]


def capped(text: str, limit: int = MAX_TEXT) -> tuple[str, bool]:
    """``text`` cut to ``limit`` characters (the cut marked), and whether it was cut."""
    if len(text) <= limit:
        return text, False
    return text[: limit - len(CUT_NOTE)] + CUT_NOTE, True


def take_in(message: IncomingMessage) -> tuple[IncomingMessage, bool]:
    """The message as the bot reads and keeps it; and whether its text was cut."""
    text, cut = capped(message.text or "")
    return replace(
        message, text=clean(text), sender_name=clean_name(message.sender_name),
        room_topic=clean_name(message.room_topic, MAX_TOPIC),
        mentions=tuple(Mention(m.id, clean_name(m.name)) for m in message.mentions[:MAX_MENTIONS]),
    ), cut
