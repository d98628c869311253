"""The WeChat side of the end-to-end tests: who is in which group, and a way to talk to the bot."""

from __future__ import annotations

import asyncio
import random
import struct
import time
import zlib
from typing import Callable, Iterable

from tests.e2e.harness import WechatyHarness

BOT = {"id": "bot-louzu", "name": "楼组小助手"}
ADMIN, ZHANG, LI, WANG, ZHAO = "u-admin", "u-zhang", "u-li", "u-wang", "u-zhao"
R1, R2 = "r1@chatroom", "r2@chatroom"

SETUP = {
    "bot": BOT,
    "contacts": [
        {"id": ADMIN, "name": "王主任"},
        {"id": ZHANG, "name": "张三"},
        {"id": LI, "name": "李四"},
        {"id": WANG, "name": "王五"},
        {"id": ZHAO, "name": "赵六"},
    ],
    "rooms": [
        # Group nicknames as residents set them; one with brackets, which python-wechaty's own
        # mention_text() would read as a regular expression.
        {"id": R1, "topic": "1号楼", "memberIdList": [ADMIN, ZHANG, LI], "aliases": {LI: "3-201 李四"}},
        {"id": R2, "topic": "2号楼", "memberIdList": [ADMIN, WANG, ZHAO], "aliases": {ZHAO: "赵六(2-101)"}},
    ],
}


class Residents:
    """Residents talking to the bot through the harness, one question and one answer at a time."""

    def __init__(self, harness: WechatyHarness) -> None:
        self.h = harness

    async def ask(self, who: str, room: str, text: str, mentions: Iterable[str] = (), timeout: float = 15) -> dict:
        """``who`` says ``text`` in ``room``; the bot's answer there (which must @-mention someone)."""
        await self.h.say(who, room, text, list(mentions))
        reply = await self.h.next_message(timeout=timeout)
        assert reply["room"] == room, reply
        return reply


def said_to(reply: dict, name: str, contact_id: str) -> str:
    """The reply's text after its "@name " — asserting that it @-mentions exactly that contact."""
    assert reply["mentions"] == [contact_id], reply
    prefix = f"@{name} "
    assert reply["text"].startswith(prefix), reply
    return reply["text"][len(prefix):]


async def eventually(check: Callable[[], bool], timeout: float = 10.0, every: float = 0.05) -> None:
    """Wait until ``check()`` holds, for state that no event announces (a row the bot writes)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"still not true after {timeout} s: {check}")
        await asyncio.sleep(every)


def make_png(width: int, height: int, seed: int = 0) -> bytes:
    """An RGB PNG of noise (so it does not compress: 64x128 is ~24 KB)."""
    rng = random.Random(seed)
    raw = b"".join(b"\x00" + rng.randbytes(width * 3) for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9))
            + chunk(b"IEND", b""))
