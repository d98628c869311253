"""What the bot keeps is residents' data: private on disk, and its secrets never in a log."""

from __future__ import annotations

import io
import json
import logging
import os
import stat
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from PIL import Image

from bot.cli import configure_logging
from bot.core import redaction
from bot.core.settings import Settings
from bot.transport import wechaty_gateway
from tests.test_console import run_console


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_data_folder_the_database_photos_and_exports_are_private(tmp_path):
    """Regression: data/ was 0755, the database, its -wal/-shm and the exports 0644 (readable by every user)."""
    photo = tmp_path / "photo.png"
    Image.new("RGB", (8, 8), "red").save(photo)
    old = os.umask(0o022)  # as a shell usually starts the bot
    try:
        result = run_console(tmp_path, "[12号楼群] 王主任: #绑定 12号楼\n"
                                       f"[12号楼群] 张阿姨: [图片 {photo}] #报修 3楼楼道堆了纸箱\n")
        assert result.returncode == 0, result.stderr
        data = tmp_path / "data"
        assert mode(data) == 0o700 and mode(data / "media") == 0o700
        kept = [p for p in data.rglob("*") if p.is_file()]
        assert any(p.name == "louzu.db" for p in kept) and any(p.parent.name == "media" for p in kept)
        assert {p.name: mode(p) for p in kept if mode(p) & 0o077} == {}
        env = {**os.environ, "LOUZU_DATA_DIR": str(data), "DATABASE_URL": ""}
        out = tmp_path / "reports.csv"
        subprocess.run([sys.executable, "-m", "bot", "export", "reports", "--format", "csv", "--since", "2026-01-01",
                        "-o", str(out)], cwd=tmp_path, env=env, check=True, capture_output=True, timeout=120)
        assert mode(out) == 0o600
    finally:
        os.umask(old)


def test_an_older_installs_readable_data_is_made_private_at_start(tmp_path):
    old = os.umask(0o022)
    try:
        assert run_console(tmp_path, "[12号楼群] 王主任: #绑定 12号楼\n").returncode == 0
        data = tmp_path / "data"
        data.chmod(0o755)
        for path in data.glob("louzu.db*"):
            path.chmod(0o644)
        (data / "louzu.db-wal").write_bytes(b"")  # as a crashed run leaves it
        (data / "louzu.db-wal").chmod(0o644)
        assert run_console(tmp_path, "[12号楼群] 张阿姨: #帮助\n").returncode == 0
        assert mode(data) == 0o700
        assert {p.name: oct(mode(p)) for p in data.glob("louzu.db*") if mode(p) & 0o077} == {}
    finally:
        os.umask(old)


TOKEN = "insecure_7f3c2d1e-5b6a-4c8d-9e0f-123456789abc"


@pytest.fixture
def discovery(monkeypatch):
    """Wechaty's token discovery service, played on this machine."""

    class Answer(BaseHTTPRequestHandler):
        def do_GET(self):
            body = json.dumps({"host": "127.0.0.1", "port": 8788}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):  # the server's own lines are not the bot's log
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setattr(wechaty_gateway, "DISCOVERY_URL", f"http://127.0.0.1:{server.server_port}/v0/hosties/{{token}}")
    yield
    server.shutdown()
    server.server_close()


@pytest.fixture
def restore_logging():
    factory = logging.getLogRecordFactory()
    yield
    logging.setLogRecordFactory(factory)
    redaction._installed = False
    redaction._SECRETS.clear()


async def test_the_token_is_in_no_log_at_any_level_urllib3s_included(discovery, restore_logging, caplog):
    """Regression: at DEBUG, urllib3 logged the discovery request as `GET /v0/hosties/<token>`."""
    configure_logging(Settings.from_mapping({"WECHATY_PUPPET_SERVICE_TOKEN": TOKEN, "LOUZU_LOG_LEVEL": "DEBUG"}))
    caplog.set_level(logging.DEBUG)
    assert await wechaty_gateway.discover_endpoint(TOKEN) == "127.0.0.1:8788"
    assert "GET /v0/hosties/***" in caplog.text  # urllib3 said its line, without the token
    logging.getLogger("anything").debug("url %s, again %r", f"/v0/hosties/{TOKEN}", TOKEN)
    try:
        raise ConnectionError(f"cannot reach https://example.invalid/v0/hosties/{TOKEN}")
    except ConnectionError:
        logging.getLogger("bot.transport.wechaty").exception("lost the puppet service")
    assert "lost the puppet service" in caplog.text
    handler = logging.StreamHandler(io.StringIO())
    handler.setFormatter(logging.Formatter("%(message)s"))
    for record in caplog.records:
        assert TOKEN not in handler.format(record), record.getMessage()
    assert TOKEN not in caplog.text


# What the bot keeps only for a while -------------------------------------------------------------

async def test_handled_message_ids_are_pruned_after_the_retention_period(chat, clock):
    """Regression: processed_messages grew by every message, for ever."""
    from storage.models import ProcessedMessage

    await chat.setup_building()
    await chat.one("[12号楼群] 张阿姨: #我的积分")
    old = await chat.count(ProcessedMessage)
    clock.advance(days=29)
    redelivered = chat.message("[12号楼群] 张阿姨: #打卡 捡垃圾")
    assert len(await chat.send(redelivered)) == 1
    clock.advance(days=2)  # the first ones are now 31 days old, the last one 2
    assert await chat.app.schedules.jobs.run("prune_processed") == 0  # it posts nothing
    assert await chat.count(ProcessedMessage) == 1
    assert old >= 3
    assert await chat.send(redelivered) == []  # a recent id still guards against a redelivery


async def test_a_message_id_exactly_as_old_as_the_retention_period_is_still_kept(chat, clock, settings):
    await chat.setup_building()
    clock.advance(days=1)
    redelivered = chat.message("[12号楼群] 张阿姨: #打卡 捡垃圾")
    assert len(await chat.send(redelivered)) == 1
    clock.advance(days=settings.processed_retention_days)
    await chat.app.schedules.jobs.run("prune_processed")
    assert await chat.send(redelivered) == []  # still known: not handled twice
