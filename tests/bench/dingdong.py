"""A minimal python-wechaty bot for the end-to-end harness and benchmarks.

In a room it answers "ding" with "dong". Options add two more behaviours:

* ``--sha256``: a photo (or any file message) is answered, in the same room or
  to the same person, with ``sha256:<hex digest of the bytes it received>``;
* ``--picture PATH``: the text "pic" is answered with
  ``room.say(FileBox.from_file(PATH))``.

It connects like any python-wechaty bot, through the environment::

    WECHATY_PUPPET_SERVICE_ENDPOINT=127.0.0.1:PORT \\
    WECHATY_PUPPET_SERVICE_TOKEN=insecure_x \\
    CACHE_DIR=/tmp/some-dir \\
    python -m tests.bench.dingdong [--sha256] [--picture PATH]

It prints ``dingdong: logged in as <id>`` on stdout once it has logged in.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import logging
import os
import signal
import socket
import sys
import tempfile

from bot.transport.wechaty_compat import load_wechaty


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_bot(sha256: bool = False, picture: str | None = None):
    """Return a ding-dong ``Wechaty`` instance (not started)."""
    wechaty = load_wechaty()
    from wechaty_puppet import FileBox, MessageType

    file_types = {
        MessageType.MESSAGE_TYPE_IMAGE,
        MessageType.MESSAGE_TYPE_ATTACHMENT,
        MessageType.MESSAGE_TYPE_VIDEO,
        MessageType.MESSAGE_TYPE_EMOTICON,
    }

    class DingDong(wechaty.Wechaty):
        async def on_login(self, contact) -> None:
            print(f"dingdong: logged in as {contact.contact_id}", flush=True)

        async def on_message(self, msg) -> None:
            if msg.is_self():
                return
            room = msg.room()
            conversation = room if room is not None else msg.talker()
            if sha256 and msg.type() in file_types:
                box = await msg.to_file_box()
                data = await _file_box_bytes(box)
                await conversation.say(f"sha256:{hashlib.sha256(data).hexdigest()}")
                return
            if room is None:
                return
            text = msg.text().strip()
            if text == "ding":
                await room.say("dong")
            elif picture and text == "pic":
                await room.say(FileBox.from_file(picture))

    # python-wechaty refuses to start its (unused) plugin web server when port
    # 5000 is taken, which aborts its login handler: give it a free port.
    options = wechaty.WechatyOptions(port=int(os.environ.get("DINGDONG_PLUGIN_PORT") or _free_port()))
    return DingDong(options)


async def _file_box_bytes(box) -> bytes:
    """The bytes of a python-wechaty FileBox (base64 ones are what the gateway sends)."""
    import base64

    if getattr(box, "base64", None):
        data = box.base64
        return base64.b64decode(data if isinstance(data, (bytes, str)) else str(data))
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "file")
        await box.to_file(path, overwrite=True)
        with open(path, "rb") as f:
            return f.read()


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.dingdong", description=__doc__.splitlines()[0])
    parser.add_argument("--sha256", action="store_true", help="answer file messages with the sha256 of their bytes")
    parser.add_argument("--picture", help="answer 'pic' in a room with this picture")
    args = parser.parse_args(argv)

    if not os.environ.get("WECHATY_PUPPET_SERVICE_ENDPOINT"):
        parser.error("set WECHATY_PUPPET_SERVICE_ENDPOINT (and WECHATY_PUPPET_SERVICE_TOKEN)")
    os.environ.setdefault("CACHE_DIR", tempfile.mkdtemp(prefix="dingdong-cache-"))
    # python-wechaty logs every message at INFO (to stderr); WECHATY_LOG=info brings it back
    os.environ.setdefault("WECHATY_LOG", "warn")

    bot = build_bot(sha256=args.sha256, picture=args.picture)
    task = asyncio.ensure_future(bot.start())  # runs until the connection ends
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, task.cancel)
    try:
        await task
    except asyncio.CancelledError:
        pass
    finally:
        try:
            await asyncio.wait_for(bot.stop(), 5)
        except Exception:  # noqa: BLE001 - best effort on the way out
            pass


if __name__ == "__main__":
    logging.basicConfig(level=os.environ.get("DINGDONG_LOG_LEVEL", "WARNING"), stream=sys.stderr)
    asyncio.run(main())
