"""What a real 1.x gateway does to the bot: photos of every size and kind, TLS, a group renamed by the bot.

The harness behaves as a 1.x gateway does: TLS by default, photos up to 20 KB handed over as
JSON and bigger ones kept in the gateway; residents' photos come as PadLocal hands them over
(Buffer), as Base64, or as a link to a local HTTP server.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import start_louzu, stop_louzu
from tests.e2e.harness import WechatyHarness
from tests.e2e.world import ADMIN, BOT, R1, eventually, make_png, said_to

RESIDENTS = [f"u-p{i}" for i in range(1, 8)]
SETUP = {
    "bot": BOT,
    "contacts": [{"id": ADMIN, "name": "王主任"}] + [{"id": r, "name": f"居民{r[-1]}"} for r in RESIDENTS],
    "rooms": [{"id": R1, "topic": "1号楼", "memberIdList": [ADMIN, *RESIDENTS]}],
}
KB, MB = 1024, 1024 * 1024


@pytest.fixture
def harness_setup() -> dict:
    return SETUP


def noise_png(about: int, seed: int) -> bytes:
    """A PNG of noise (it does not compress) of about ``about`` bytes."""
    width = max(8, int(math.sqrt(about / 3)))
    return make_png(width, max(8, round(about / 3 / width)), seed=seed)


async def report_with_photo(louzu, harness, who: str, photo: bytes, name: str, kind: str) -> tuple[str, float]:
    """``who`` sends ``photo`` and then reports; the bot's answer, and how long the photo took to be kept."""
    kept = louzu.query("SELECT COUNT(*) FROM pending_photos")[0][0]
    started = time.monotonic()
    await harness.image(who, R1, photo, name, kind=kind)
    await eventually(lambda: louzu.query("SELECT COUNT(*) FROM pending_photos")[0][0] > kept, timeout=60, every=0.02)
    took = time.monotonic() - started
    await harness.say(who, R1, f"#报修 楼道里堆了东西（{name}）")
    reply = await harness.next_message(timeout=15)
    return said_to(reply, f"居民{who[-1]}", who), took


async def test_photos_of_every_size_and_kind_reach_their_reports_byte_for_byte_over_tls(harness, tmp_path):
    bot = await start_louzu(harness, tmp_path, WECHATY_PUPPET_SERVICE_TLS="on")
    try:
        await harness.wait_connected(timeout=30)
        await bot.wait_log(r"logged in to WeChat as .* \(TLS\)")
        await harness.say(ADMIN, R1, "#绑定 1号楼")
        assert "本群已绑定 1号楼" in (await harness.next_message())["text"]

        photos = [("buffer", 5 * KB), ("buffer", 60 * KB), ("buffer", 2 * MB),
                  ("base64", 5 * KB), ("base64", 60 * KB), ("base64", 2 * MB), ("url", 60 * KB)]
        sent = {}
        for number, ((kind, size), who) in enumerate(zip(photos, RESIDENTS), start=1):
            photo = noise_png(size, seed=number)
            name = f"IMG_{kind}_{len(photo) // KB}K.png"
            answer, took = await report_with_photo(bot, harness, who, photo, name, kind)
            print(f"{kind:6} {len(photo):>9,} bytes: kept {took:.2f} s after it was sent")
            assert answer.startswith(f"已登记 R{number}") and "已附照片 1 张。" in answer, (name, answer)
            sent[number] = photo

        for number, photo in sent.items():
            digest = hashlib.sha256(photo).hexdigest()
            assert bot.query("SELECT sha256, path FROM report_photos WHERE report_id = ?", number) == [
                (digest, f"{digest}.png")]
            assert (bot.data_dir / "media" / f"{digest}.png").read_bytes() == photo
        calls = await harness.calls()
        # The ways a 1.x gateway hands photos over, each taken: Buffer up to 20 KB only as a stream
        # (its MessageImage fails), Base64 up to 20 KB inline, anything bigger through Download.
        assert calls["messageImage"] == 7 and calls["messageImageStream"] == 1 and calls["download"] == 4, calls
        assert "could not read the photo" not in bot.log_text()
    finally:
        await stop_louzu(bot)


@pytest.mark.parametrize("harness_tls", [False])
async def test_a_plain_gateway_still_works_with_auto_and_the_log_says_it_is_not_encrypted(harness, tmp_path):
    bot = await start_louzu(harness, tmp_path)  # WECHATY_PUPPET_SERVICE_TLS=auto, the default
    try:
        await harness.wait_connected(timeout=30)
        await bot.wait_log(r"logged in to WeChat as .* \(not encrypted\)")
        assert "speaks only plain gRPC: connected WITHOUT encryption" in bot.log_text()
        await harness.say(ADMIN, R1, "#绑定 1号楼")
        assert "本群已绑定 1号楼" in (await harness.next_message())["text"]
        photo = noise_png(60 * KB, seed=11)
        answer, _ = await report_with_photo(bot, harness, RESIDENTS[0], photo, "IMG_plain.png", "buffer")
        assert "已附照片 1 张。" in answer
        digest = hashlib.sha256(photo).hexdigest()
        assert (bot.data_dir / "media" / f"{digest}.png").read_bytes() == photo
    finally:
        await stop_louzu(bot)


@pytest.mark.parametrize("harness_tls", [False])
async def test_on_refuses_a_plain_gateway_with_one_clear_line(harness, tmp_path):
    bot = await start_louzu(harness, tmp_path, WECHATY_PUPPET_SERVICE_TLS="on")
    try:
        line = bot.lines[await bot.wait_log("cannot reach the puppet service")]
        assert (f"cannot reach the puppet service at {harness.endpoint} (it does not speak TLS "
                in line and "WECHATY_PUPPET_SERVICE_TLS=on refuses a plain link; set "
                "WECHATY_PUPPET_SERVICE_TLS=auto to allow one); still trying" in line), line
        await asyncio.sleep(2)  # it keeps trying (every 0.5 to 5 s), never plain
        assert await harness.calls() == {} and harness.connected_count == 0
    finally:
        await stop_louzu(bot)


async def test_a_certificate_for_another_name_is_refused_not_bypassed(harness, tmp_path):
    bot = await start_louzu(harness, tmp_path, WECHATY_PUPPET_SERVICE_TLS_SERVER_NAME="gateway.example.org")
    try:
        line = bot.lines[await bot.wait_log("cannot reach the puppet service")]
        assert "its TLS certificate is not trusted for the name 'gateway.example.org'" in line, line
        await asyncio.sleep(2)
        assert await harness.calls() == {}  # auto does not go plain for a certificate it cannot trust
    finally:
        await stop_louzu(bot)


async def test_a_token_the_gateway_refuses_is_said_without_showing_it(harness, tmp_path):
    bot = await start_louzu(harness, tmp_path, WECHATY_PUPPET_SERVICE_TOKEN="insecure_wrong-0123")
    try:
        await bot.wait_log(r"cannot reach the puppet service at .* \(it does not accept the token "
                           r"\(WECHATY_PUPPET_SERVICE_TOKEN\)\)")
    finally:
        await stop_louzu(bot)  # which checks that the token is nowhere in the log


async def test_regression_a_group_renamed_by_the_bot_is_renamed_at_the_gateway(harness, tmp_path, monkeypatch):
    # python-wechaty wrote the new topic where a 1.x gateway does not look, and reported success.
    monkeypatch.setenv("CACHE_DIR", str(tmp_path / "wechaty-cache"))
    from bot.core.settings import Settings
    from bot.transport.wechaty import WechatyTransport

    renamed = []

    class Core:
        async def on_message(self, message) -> None: ...

        async def on_room_join(self, room_id, topic) -> None: ...

        async def on_room_topic(self, room_id, topic) -> None:
            renamed.append((room_id, topic))

        async def on_login(self, account, rooms) -> None: ...

        def on_logout(self) -> None: ...

        async def on_room_leave(self, room_id) -> None: ...

    settings = Settings.from_mapping({"LOUZU_DATA_DIR": str(tmp_path / "data"), "LOUZU_REMINDERS_FILE": "off",
                                      "WECHATY_PUPPET_SERVICE_TOKEN": harness.token,
                                      "WECHATY_PUPPET_SERVICE_ENDPOINT": harness.endpoint})
    transport = WechatyTransport(settings)
    running = asyncio.create_task(transport.run(Core()))
    try:
        await asyncio.wait_for(transport.logged_in.wait(), 30)
        room = transport._bot.Room.load(R1)
        assert await room.topic("1号楼（东门）") == "1号楼（东门）"
        assert (await harness.room(R1))["topic"] == "1号楼（东门）"  # the gateway's own record
        await eventually(lambda: renamed == [(R1, "1号楼（东门）")])  # and its room-topic event came back
    finally:
        await transport.stop()
        await asyncio.wait_for(running, 10)


CERTS = Path(__file__).resolve().parent / "certs"  # a self-signed certificate for louzu-gateway.test (until 2126)


@pytest.fixture
async def own_gateway():
    """A gateway with a certificate of its own, as the README tells how to give it one."""
    h = WechatyHarness(certificate=(CERTS / "louzu-gateway.test.crt", CERTS / "louzu-gateway.test.key"))
    await h.start(SETUP)
    try:
        yield h
    finally:
        await h.stop()


async def test_a_gateway_with_its_own_certificate_is_reached_with_that_certificate_only(own_gateway, tmp_path):
    # Trusting only the community's root (the defaults), the bot refuses it, and does not go plain.
    bot = await start_louzu(own_gateway, tmp_path / "defaults")
    try:
        line = bot.lines[await bot.wait_log("cannot reach the puppet service")]
        assert "its TLS certificate is not trusted for the name 'insecure'" in line, line
        assert await own_gateway.calls() == {}
    finally:
        await stop_louzu(bot)
    # Told which certificate and name to expect, it connects (and on never falls back to plain).
    bot = await start_louzu(own_gateway, tmp_path / "own", WECHATY_PUPPET_SERVICE_TLS="on",
                            WECHATY_PUPPET_SERVICE_TLS_CA_CERT=str(CERTS / "louzu-gateway.test.crt"),
                            WECHATY_PUPPET_SERVICE_TLS_SERVER_NAME="louzu-gateway.test")
    try:
        await own_gateway.wait_connected(timeout=30)
        await bot.wait_log(r"logged in to WeChat as .* \(TLS\)")
        await own_gateway.say(ADMIN, R1, "#绑定 1号楼")
        assert "本群已绑定 1号楼" in (await own_gateway.next_message())["text"]
    finally:
        await stop_louzu(bot)
