"""A gateway that hangs (connection open, no answers) is noticed by the transport's ding, not after hours.

The transport runs in this process here, with a short ding interval, against the harness;
SIGSTOP freezes the gateway the way a hung host or a dead NAT mapping would look.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal

from bot.core.settings import Settings
from tests.e2e.world import ADMIN, R1


class Core:
    """Just enough of the bot: keeps what the transport hands on."""

    def __init__(self) -> None:
        self.messages: asyncio.Queue = asyncio.Queue()

    async def on_message(self, message) -> None:
        await self.messages.put(message)

    async def on_room_join(self, room_id: str, topic: str) -> None:
        pass

    async def on_room_topic(self, room_id: str, topic: str) -> None:
        pass

    async def on_login(self, account: str, rooms: list[str]) -> None:
        pass

    def on_logout(self) -> None:
        pass

    async def on_room_leave(self, room_id: str) -> None:
        pass


async def test_a_hung_gateway_is_noticed_and_left_for_a_new_connection(harness, tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("CACHE_DIR", str(tmp_path / "wechaty-cache"))
    from bot.transport.wechaty import WechatyTransport

    settings = Settings.from_mapping({"LOUZU_DATA_DIR": str(tmp_path / "data"), "LOUZU_REMINDERS_FILE": "off",
                                      "WECHATY_PUPPET_SERVICE_TOKEN": harness.token,
                                      "WECHATY_PUPPET_SERVICE_ENDPOINT": harness.endpoint})
    transport, core = WechatyTransport(settings, ping=(0.3, 0.5)), Core()
    running = asyncio.create_task(transport.run(core))
    try:
        await harness.wait_connected()
        await harness.say(ADMIN, R1, "在吗")
        assert (await asyncio.wait_for(core.messages.get(), 10)).text == "在吗"

        os.kill(harness.proc.pid, signal.SIGSTOP)
        try:
            await asyncio.wait_for(_logged(caplog, "no answer to a ding within 0.5 s"), 10)
        finally:
            os.kill(harness.proc.pid, signal.SIGCONT)
        await harness.wait_connected(timeout=15)  # a new event stream: the old one was let go
        await harness.say(ADMIN, R1, "又在了")
        assert (await asyncio.wait_for(core.messages.get(), 10)).text == "又在了"
    finally:
        await transport.stop()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(running, 10)


async def _logged(caplog, text: str) -> None:
    while text not in caplog.text:
        await asyncio.sleep(0.05)
