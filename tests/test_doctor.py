"""`louzu doctor`: a ✓/✗ table of what the bot needs, with what to do for each ✗."""

from __future__ import annotations

import asyncio
import socket
from dataclasses import replace

from bot.cli.doctor import BAD, NOT_HERE, OK, checks


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_the_gateway_its_tls_mode_and_the_photo_folder(chat, settings, tmp_path):
    found = await checks(settings)
    marks = {c.what: c for c in found.checks}
    assert marks["微信网关"].mark == NOT_HERE and marks["数据库结构"].mark == OK and marks["设置"].mark == OK
    assert found.healthy

    port = free_port()  # nothing listens there
    wechaty = replace(settings, transport="wechaty", puppet_token="insecure_x", puppet_endpoint=f"127.0.0.1:{port}")
    gateway = {c.what: c for c in (await checks(wechaty)).checks}["微信网关"]
    assert gateway.mark == BAD and gateway.result.startswith(f"127.0.0.1:{port} 连不上")
    assert gateway.todo.startswith("启动网关")

    server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", port)
    try:
        gateway = {c.what: c for c in (await checks(wechaty)).checks}["微信网关"]
        assert (gateway.mark, gateway.result) == (
            OK, f"127.0.0.1:{port} 可以连接；WECHATY_PUPPET_SERVICE_TLS=auto：加密优先（网关只会明文时退回明文，并在日志里警告）")
        plain = replace(wechaty, puppet_tls="off")
        gateway = {c.what: c for c in (await checks(plain)).checks}["微信网关"]
        assert gateway.mark == OK and gateway.result.endswith("明文连接（令牌和消息不加密，只适合网关在本机或内网）")
    finally:
        server.close()
        await server.wait_closed()

    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        media = {c.what: c for c in (await checks(replace(settings, data_dir=locked / "data"))).checks}["照片目录"]
        import os
        if os.geteuid() != 0:  # root writes anywhere
            assert media.mark == BAD and media.todo
    finally:
        locked.chmod(0o700)
    nobody = {c.what: c for c in (await checks(replace(settings, admin_ids=frozenset()))).checks}["设置"]
    assert nobody.mark == BAD and "LOUZU_ADMIN_IDS" in nobody.todo


async def test_the_command_prints_the_table_and_exits_1_on_a_cross(chat, louzu, monkeypatch):
    ran = await louzu("doctor")
    assert ran.code == 0, ran.out
    assert "✓ │ 发送" in ran.out and "louzu 体检" in ran.out
    monkeypatch.setenv("LOUZU_ADMIN_IDS", "")
    ran = await louzu("doctor")
    assert ran.code == 1 and "✗ │ 设置" in ran.out
