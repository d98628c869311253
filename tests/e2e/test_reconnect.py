"""The gateway goes away and comes back: the same bot process reconnects within seconds, losing nothing.

(python-wechaty on its own waits 60 s after losing the gateway; see bot/transport/wechaty.py.)
"""

from __future__ import annotations

import asyncio
import socket
import time

from tests.e2e.conftest import start_louzu, stop_louzu
from tests.e2e.harness import WechatyHarness
from tests.e2e.world import ADMIN, LI, R1, SETUP, Residents, said_to

# Generous for a loaded CI machine; the bot waits at most 5 s between tries, and usually answers in 1-3 s.
ANSWERS_AGAIN_WITHIN = 15.0


async def test_the_bot_reconnects_when_the_gateway_dies_and_returns(louzu, harness, residents):
    await residents.ask(ADMIN, R1, "#绑定 1号楼")
    assert "当前积分 2 分" in said_to(await residents.ask(LI, R1, "#打卡 捡垃圾"), "李四", LI)
    pid, port = louzu.proc.pid, harness.port

    # The gateway's answer to the bot's last send trails the message the test saw; give it a
    # moment (there is no event for it), or the bot counts that reply as failed and sends it again.
    await asyncio.sleep(0.3)
    harness.proc.kill()  # the gateway crashes, without a goodbye
    await harness.stop()
    lost = await louzu.wait_log("lost the puppet service")
    await louzu.wait_log("cannot reach the puppet service", after=lost)  # ... and keeps trying

    await harness.start(SETUP, port=port)  # back, on the same port
    back = time.monotonic()
    await harness.wait_connected(timeout=ANSWERS_AGAIN_WITHIN)
    await louzu.wait_log("logged in to WeChat as", after=lost)
    reply = await residents.ask(LI, R1, "#打卡 捡垃圾")
    answered_after = time.monotonic() - back
    print(f"answered again {answered_after:.2f} s after the gateway came back")

    # The same process, with its state: the group is still bound and the first claim still counts.
    assert louzu.proc.pid == pid and louzu.proc.returncode is None
    assert "当前积分 4 分" in said_to(reply, "李四", LI)
    assert answered_after < ANSWERS_AGAIN_WITHIN
    assert louzu.query("SELECT COUNT(*) FROM ledger_entries") == [(2,)]


async def test_the_bot_waits_for_a_gateway_that_is_not_there_yet(tmp_path):
    harness = WechatyHarness()
    harness.port = free_port()  # where the gateway will be, once it starts
    bot = await start_louzu(harness, tmp_path)
    try:
        await bot.wait_log("cannot reach the puppet service")
        await harness.start(SETUP, port=harness.port)
        await harness.wait_connected(timeout=ANSWERS_AGAIN_WITHIN)
        await bot.wait_log("logged in to WeChat as")
        reply = await Residents(harness).ask(ADMIN, R1, "#绑定 1号楼")
        assert said_to(reply, "王主任", ADMIN).startswith("本群已绑定 1号楼。")
    finally:
        try:
            await stop_louzu(bot)
        finally:
            await harness.stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
