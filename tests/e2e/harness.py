"""Drive the Node.js WeChat stand-in (tests/e2e/harness/harness.mjs) from asyncio.

The harness runs the official Wechaty puppet-service gateway over the mock
puppet; a python-wechaty bot connects to it with::

    WECHATY_PUPPET_SERVICE_ENDPOINT=<harness.endpoint>
    WECHATY_PUPPET_SERVICE_TOKEN=insecure_x      (harness.token)

As a real 1.x gateway does, it serves TLS unless made with ``WechatyHarness(tls=False)``
(python-wechaty on its own speaks only plain gRPC), and keeps residents' photos over
20 KB for the client to Download.

Example::

    h = WechatyHarness()
    await h.start({"bot": {"id": "bot", "name": "小助手"},
                   "contacts": [{"id": "u1", "name": "张三"}],
                   "rooms": [{"id": "r1@chatroom", "topic": "1号楼", "memberIdList": ["u1"]}]})
    ...start the bot with h.bot_env()...
    await h.wait_connected()
    await h.say("u1", "r1@chatroom", "ding")
    msg = await h.next_message()        # {"room": "r1@chatroom", "text": "dong", ...}
    await h.stop()

Only the standard library is used here.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import subprocess
import sys
import time
from collections import deque
from pathlib import Path
from typing import Any, Iterable, Optional

HARNESS_DIR = Path(__file__).resolve().parent / "harness"
HARNESS_SCRIPT = HARNESS_DIR / "harness.mjs"
TOKEN = "insecure_x"

# WeChat puts this (U+2005, FOUR-PER-EM SPACE) after "@name" in a mention.
AT_SEPARATOR = "\u2005"

# wechaty-puppet MessageType values that the harness reports in "type"
MESSAGE_TYPE_TEXT = 7
MESSAGE_TYPE_IMAGE = 6
MESSAGE_TYPE_ATTACHMENT = 1


class HarnessError(RuntimeError):
    """The harness refused a command, or died."""


def ensure_node_modules(harness_dir: Path | str = HARNESS_DIR, *, quiet: bool = True) -> None:
    """Run ``npm ci`` in the harness folder when node_modules is missing or stale.

    Stale means older than package-lock.json (npm ci rewrites
    node_modules/.package-lock.json, whose mtime we compare).
    """
    harness_dir = Path(harness_dir)
    lock = harness_dir / "package-lock.json"
    marker = harness_dir / "node_modules" / ".package-lock.json"
    if marker.exists() and marker.stat().st_mtime >= lock.stat().st_mtime:
        return
    npm = shutil.which("npm")
    if npm is None:
        raise HarnessError("npm is not installed: the e2e harness needs Node.js >= 16 and npm")
    cmd = [npm, "ci", "--no-audit", "--no-fund"]
    if quiet:
        cmd.append("--loglevel=error")
    proc = subprocess.run(cmd, cwd=harness_dir, capture_output=True, text=True)
    if proc.returncode != 0:
        raise HarnessError(f"npm ci failed in {harness_dir}:\n{proc.stdout}\n{proc.stderr}")
    marker.touch()


def mention_text(name: str, text: str = "") -> str:
    """The text WeChat shows for "@name rest": ``"@name\\u2005rest"``."""
    return f"@{name}{AT_SEPARATOR}{text}"


class WechatyHarness:
    """An asyncio client of harness.mjs: one WeChat world, one gateway port."""

    def __init__(self, *, node: str = "node", log_level: Optional[str] = None,
                 stderr: Any = None, tls: bool = True, certificate: Optional[tuple[Path, Path]] = None) -> None:
        """``stderr``: where the harness logs go (default: inherit ours).

        ``log_level``: HARNESS_LOG_LEVEL for the wechaty libraries (default "warn").
        ``tls``: False for a gateway started with WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_SERVER=true.
        ``certificate``: (certificate, key) PEM files of the gateway's own, in place of the one
        shipped inside wechaty-puppet-service (WECHATY_PUPPET_SERVICE_TLS_SERVER_CERT and _KEY).
        """
        self.node = node
        self.tls = tls
        self.certificate = certificate
        self.log_level = log_level
        self.stderr = stderr
        self.proc: Optional[asyncio.subprocess.Process] = None
        self.port: Optional[int] = None
        self.setup: Optional[dict] = None
        self.token = TOKEN
        self._seq = 0
        self._pending: dict[int, asyncio.Future] = {}
        self._messages: deque[dict] = deque()
        self._events: deque[dict] = deque()  # login / connected / disconnected
        self._cond: Optional[asyncio.Condition] = None
        self._reader: Optional[asyncio.Task] = None
        self._ready: Optional[asyncio.Future] = None
        self.login_count = 0
        self.connected_count = 0

    # ------------------------------------------------------------ lifecycle

    @property
    def endpoint(self) -> str:
        if self.port is None:
            raise HarnessError("harness not started")
        return f"127.0.0.1:{self.port}"

    def bot_env(self, base: Optional[dict] = None) -> dict:
        """An environment for a python-wechaty bot process pointed at this harness."""
        env = dict(os.environ if base is None else base)
        env["WECHATY_PUPPET_SERVICE_ENDPOINT"] = self.endpoint
        env["WECHATY_PUPPET_SERVICE_TOKEN"] = self.token
        return env

    async def start(self, setup: dict, port: int = 0, timeout: float = 30.0) -> int:
        """Spawn the harness with ``setup``; return (and set ``.port``) once it listens.

        ``port=0`` picks a free port. To restart on the same port: ``await
        h.stop(); await h.start(setup, port=h.port)``.
        """
        if self.proc is not None:
            raise HarnessError("harness already running")
        await asyncio.to_thread(ensure_node_modules)
        loop = asyncio.get_running_loop()
        self.setup = setup
        self._cond = asyncio.Condition()
        self._ready = loop.create_future()
        self._pending.clear()
        self._messages.clear()
        self._events.clear()
        env = dict(os.environ)
        if self.log_level:
            env["HARNESS_LOG_LEVEL"] = self.log_level
        env["WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_SERVER"] = "false" if self.tls else "true"
        for name in ("WECHATY_PUPPET_SERVICE_TLS_SERVER_CERT", "WECHATY_PUPPET_SERVICE_TLS_SERVER_KEY"):
            env.pop(name, None)
        if self.certificate is not None:
            cert, key = self.certificate
            env["WECHATY_PUPPET_SERVICE_TLS_SERVER_CERT"] = Path(cert).read_text(encoding="ascii")
            env["WECHATY_PUPPET_SERVICE_TLS_SERVER_KEY"] = Path(key).read_text(encoding="ascii")
        self.proc = await asyncio.create_subprocess_exec(
            self.node, "--no-deprecation", str(HARNESS_SCRIPT), str(int(port)),
            cwd=str(HARNESS_DIR), env=env,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=self.stderr,
            limit=64 * 1024 * 1024,  # a message event carries a whole file in base64
        )
        self._reader = asyncio.create_task(self._read_events())
        self._write({**setup})
        try:
            self.port = await asyncio.wait_for(asyncio.shield(self._ready), timeout)
        except BaseException:
            await self.stop()
            raise
        return self.port

    async def stop(self, timeout: float = 5.0) -> None:
        """Ask the harness to quit; kill it if it has not gone within ``timeout``."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.returncode is None:
            try:
                proc.stdin.write(b'{"cmd":"quit"}\n')
                await proc.stdin.drain()
                proc.stdin.close()
            except (BrokenPipeError, ConnectionResetError, RuntimeError):
                pass
            try:
                await asyncio.wait_for(proc.wait(), timeout)
            except asyncio.TimeoutError:
                proc.kill()
                await proc.wait()
        if self._reader is not None:
            try:
                await asyncio.wait_for(self._reader, timeout)
            except (asyncio.TimeoutError, asyncio.CancelledError):
                self._reader.cancel()
            self._reader = None
        self._fail_pending(HarnessError("harness stopped"))

    async def restart(self, setup: Optional[dict] = None, timeout: float = 30.0) -> int:
        """Stop, then start again on the same port (with the same setup by default)."""
        port = self.port or 0
        setup = setup if setup is not None else self.setup
        await self.stop()
        return await self.start(setup, port=port, timeout=timeout)

    async def __aenter__(self) -> "WechatyHarness":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.stop()

    # ------------------------------------------------------------ commands

    async def say(self, frm: str, room: Optional[str], text: str,
                  mentions: Iterable[str] = (), timeout: float = 10.0) -> Optional[str]:
        """``frm`` says ``text`` in ``room`` (None: privately to the bot), with real mentions.

        The text goes as is: WeChat's own form of a mention is
        ``mention_text(name, rest)`` = "@name\\u2005rest". Returns the message id.
        """
        return await self._command({"cmd": "say", "from": frm, "room": room, "text": text,
                                    "mentions": list(mentions)}, timeout)

    async def direct(self, frm: str, text: str, timeout: float = 10.0) -> Optional[str]:
        """``frm`` sends ``text`` to the bot privately. Returns the message id."""
        return await self._command({"cmd": "direct", "from": frm, "text": text}, timeout)

    async def image(self, frm: str, room: Optional[str], data: bytes, name: str = "p.png",
                    kind: str = "buffer", timeout: float = 10.0) -> Optional[str]:
        """``frm`` sends a photo (or, by ``name``'s extension, a file) in ``room``.

        ``kind``: the FileBox the puppet hands the gateway: "buffer" (as PadLocal does),
        "base64", or "url" (a link to the harness's own HTTP server on 127.0.0.1).
        """
        return await self._command({"cmd": "image", "from": frm, "room": room,
                                    "b64": base64.b64encode(data).decode("ascii"),
                                    "name": name, "kind": kind}, timeout)

    async def topic(self, room: str, topic: str, by: Optional[str] = None,
                    timeout: float = 10.0) -> None:
        """Change ``room``'s topic (emits room-topic; ``by`` defaults to a member)."""
        cmd = {"cmd": "topic", "room": room, "topic": topic}
        if by:
            cmd["by"] = by
        await self._command(cmd, timeout)

    async def join(self, room: dict | str, by: Optional[str] = None,
                   members: Iterable[str] = (), timeout: float = 10.0) -> None:
        """Create ``room`` ({id, topic, memberIdList[, aliases]}) and add the bot to it
        (emits room-join with the bot as invitee; ``by`` defaults to a member).

        With ``room`` a room id: ``members`` (contact ids) join that existing room.
        """
        cmd: dict = {"cmd": "join", "room": room}
        if isinstance(room, str):
            cmd["members"] = list(members)
        if by:
            cmd["by"] = by
        await self._command(cmd, timeout)

    async def room(self, room: str, timeout: float = 10.0) -> dict:
        """The gateway's own record of ``room``: {"id", "topic", "memberIdList"}."""
        return (await self._send({"cmd": "room", "room": room}, timeout))["result"]

    async def calls(self, timeout: float = 10.0) -> dict[str, int]:
        """How many times the bot made each call of the gateway so far, e.g. {"messageImage": 2, "download": 1}."""
        return (await self._send({"cmd": "calls"}, timeout))["result"]

    # ------------------------------------------------------------ events

    async def next_message(self, timeout: float = 10.0) -> dict:
        """The next message the bot sent: {id, room, to, text, mentions, type, file?, received_at}.

        ``file`` (image/file messages) is {"name", "b64"}; ``data`` is added with
        the decoded bytes.
        """
        async def wait() -> dict:
            async with self._cond:
                await self._cond.wait_for(lambda: self._messages or self._dead())
                if self._messages:
                    return self._messages.popleft()
                raise HarnessError(f"harness exited (code {self._returncode()})")
        try:
            return await asyncio.wait_for(wait(), timeout)
        except asyncio.TimeoutError:
            raise asyncio.TimeoutError(f"no message from the bot within {timeout} s") from None

    async def messages_for(self, seconds: float) -> list[dict]:
        """Every message the bot sends during the next ``seconds`` (plus any queued)."""
        await asyncio.sleep(seconds)
        return self.drain()

    def drain(self) -> list[dict]:
        """Take and return the bot's messages received so far."""
        out = list(self._messages)
        self._messages.clear()
        return out

    async def wait_login(self, timeout: float = 10.0) -> None:
        """Wait for the next login of the bot user (since start or the last wait)."""
        await self._wait_event("login", timeout)

    async def wait_connected(self, timeout: float = 30.0) -> None:
        """Wait until a client's event stream opens: from then on the bot hears what
        residents say. Call after starting the bot (consumes one "connected")."""
        await self._wait_event("connected", timeout)

    async def wait_disconnected(self, timeout: float = 10.0) -> None:
        await self._wait_event("disconnected", timeout)

    # ------------------------------------------------------------ internals

    def _dead(self) -> bool:
        return self.proc is None or self.proc.returncode is not None or self._reader_done

    @property
    def _reader_done(self) -> bool:
        return self._reader is not None and self._reader.done()

    def _returncode(self) -> Optional[int]:
        return None if self.proc is None else self.proc.returncode

    async def _wait_event(self, name: str, timeout: float) -> None:
        async def wait() -> None:
            async with self._cond:
                def found() -> bool:
                    return any(e["event"] == name for e in self._events) or self._dead()
                await self._cond.wait_for(found)
                for i, e in enumerate(self._events):
                    if e["event"] == name:
                        del self._events[i]
                        return
                raise HarnessError(f"harness exited (code {self._returncode()})")
        try:
            await asyncio.wait_for(wait(), timeout)
        except asyncio.TimeoutError:
            raise asyncio.TimeoutError(f"no {name!r} event within {timeout} s") from None

    def _write(self, obj: dict) -> None:
        if self.proc is None or self.proc.stdin is None or self.proc.returncode is not None:
            raise HarnessError("harness not running")
        self.proc.stdin.write(json.dumps(obj, ensure_ascii=False).encode("utf-8") + b"\n")

    async def _command(self, cmd: dict, timeout: float) -> Any:
        """Send ``cmd``; the id its answer carries (of a message it made), if any."""
        return (await self._send(cmd, timeout)).get("id")

    async def _send(self, cmd: dict, timeout: float) -> dict:
        self._seq += 1
        seq = self._seq
        fut = asyncio.get_running_loop().create_future()
        self._pending[seq] = fut
        try:
            self._write({**cmd, "seq": seq})
            await self.proc.stdin.drain()
            return await asyncio.wait_for(fut, timeout)
        finally:
            self._pending.pop(seq, None)

    def _fail_pending(self, exc: Exception) -> None:
        for fut in self._pending.values():
            if not fut.done():
                fut.set_exception(exc)
        self._pending.clear()
        if self._ready is not None and not self._ready.done():
            self._ready.set_exception(exc)
            self._ready.exception()  # retrieved: no "never retrieved" noise

    async def _read_events(self) -> None:
        proc = self.proc
        assert proc is not None and proc.stdout is not None
        try:
            while True:
                line = await proc.stdout.readline()
                if not line:
                    break
                try:
                    ev = json.loads(line)
                except json.JSONDecodeError:
                    print(f"[harness stdout] {line!r}", file=sys.stderr)
                    continue
                await self._dispatch(ev)
        except asyncio.CancelledError:
            # Nobody will read it any more (a test ended without stop()): do not leave it running,
            # or the wait below never ends and the event loop cannot close.
            if proc.returncode is None:
                proc.kill()
            raise
        finally:
            await proc.wait()
            self._fail_pending(HarnessError(f"harness exited (code {proc.returncode})"))
            async with self._cond:
                self._cond.notify_all()

    async def _dispatch(self, ev: dict) -> None:
        kind = ev.get("event")
        if kind == "ready":
            if not self._ready.done():
                self._ready.set_result(int(ev["port"]))
            return
        if kind in ("ack", "error"):
            fut = self._pending.get(ev.get("seq"))
            if fut is not None and not fut.done():
                if kind == "ack":
                    fut.set_result(ev)
                else:
                    fut.set_exception(HarnessError(ev.get("error")))
            elif kind == "error":
                print(f"[harness] error: {ev.get('error')}", file=sys.stderr)
            return
        async with self._cond:
            if kind == "message":
                ev["received_at"] = time.time()  # when it reached us (wall clock, as the bot's schedules use)
                f = ev.get("file")
                if f and f.get("b64") is not None:
                    f["data"] = base64.b64decode(f["b64"])
                self._messages.append(ev)
            elif kind in ("login", "connected", "disconnected"):
                if kind == "login":
                    self.login_count += 1
                elif kind == "connected":
                    self.connected_count += 1
                self._events.append(ev)
            self._cond.notify_all()
