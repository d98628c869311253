"""The e2e harness works: a python-wechaty bot talks to it as it would to WeChat.

Needs node (>= 16) and npm; ``ensure_node_modules()`` runs ``npm ci`` in
tests/e2e/harness the first time.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import sys
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from tests.e2e.harness import MESSAGE_TYPE_IMAGE, MESSAGE_TYPE_TEXT, WechatyHarness
from tests.e2e.world import make_png

REPO_ROOT = Path(__file__).resolve().parents[2]


BOT = {"id": "bot-louzu", "name": "楼组小助手"}
ROOM = "r1@chatroom"
SETUP = {
    "bot": BOT,
    "contacts": [{"id": "u-zhang", "name": "张三"}, {"id": "u-li", "name": "李四"}],
    "rooms": [{"id": ROOM, "topic": "1号楼", "memberIdList": ["u-zhang", "u-li"]}],
}


@pytest.fixture
def harness_setup() -> dict:
    return SETUP  # a smaller world than conftest's: one room, no administrator


@pytest.fixture
def harness_tls() -> bool:
    return False  # python-wechaty on its own speaks only plain gRPC


@asynccontextmanager
async def dingdong(h: WechatyHarness, tmp_path: Path, *args: str):
    """Run tests/bench/dingdong.py against the harness until the block ends."""
    env = h.bot_env()
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env["CACHE_DIR"] = str(tmp_path / "wechaty-cache")
    log_path = tmp_path / "dingdong.log"
    with open(log_path, "wb") as log:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.bench.dingdong", *args,
            cwd=str(tmp_path), env=env, stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log)
    try:
        await h.wait_connected(timeout=20)
        yield proc
    except BaseException:
        print(log_path.read_text(errors="replace"), file=sys.stderr)
        raise
    finally:
        if proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 5)
            except asyncio.TimeoutError:
                proc.kill()
                await proc.wait()


async def test_ding_gets_dong_in_the_room(harness, tmp_path):
    async with dingdong(harness, tmp_path):
        msg_id = await harness.say("u-zhang", ROOM, "ding")
        assert msg_id
        reply = await harness.next_message(timeout=10)
        assert reply["room"] == ROOM
        assert reply["to"] is None
        assert reply["text"] == "dong"
        assert reply["type"] == MESSAGE_TYPE_TEXT
        # the residents' own messages are never reported
        await harness.say("u-li", ROOM, "not ding")
        assert await harness.messages_for(0.5) == []


async def test_resident_photo_reaches_the_bot_byte_for_byte(harness, tmp_path):
    # Inline as Base64: the only way python-wechaty on its own reads a photo from a 1.x gateway,
    # 20 KB at most (louzu's own client reads the others: tests/e2e/test_gateway.py).
    photo = make_png(48, 48, seed=1)
    assert 5 * 1024 < len(photo) <= 20 * 1024
    async with dingdong(harness, tmp_path, "--sha256"):
        await harness.image("u-zhang", ROOM, photo, "p.png", kind="base64")
        reply = await harness.next_message(timeout=10)
        assert reply["room"] == ROOM
        assert reply["text"] == "sha256:" + hashlib.sha256(photo).hexdigest()


async def test_bot_picture_arrives_as_an_image_with_its_bytes(harness, tmp_path):
    picture = make_png(64, 128, seed=2)
    path = tmp_path / "notice.png"
    path.write_bytes(picture)
    async with dingdong(harness, tmp_path, "--picture", str(path)):
        await harness.say("u-zhang", ROOM, "pic")
        reply = await harness.next_message(timeout=10)
        assert reply["room"] == ROOM
        assert reply["type"] == MESSAGE_TYPE_IMAGE
        assert reply["file"]["name"] == "notice.png"
        assert reply["file"]["data"] == picture


async def test_restart_on_the_same_port(harness, tmp_path):
    port = harness.port
    async with dingdong(harness, tmp_path):
        await harness.say("u-zhang", ROOM, "ding")
        assert (await harness.next_message())["text"] == "dong"
    # python-wechaty only retries 60 s after losing the gateway: a test that
    # restarts the gateway starts a new bot process too.
    await harness.restart()
    assert harness.port == port
    async with dingdong(harness, tmp_path):
        await harness.say("u-zhang", ROOM, "ding")
        assert (await harness.next_message())["text"] == "dong"
