"""End-to-end fixtures: the Node.js puppet-service harness and the real `louzu run` pointed at it."""

from __future__ import annotations

import os
import shutil

import pytest

from tests.e2e.harness import WechatyHarness
from tests.e2e.louzu import LouzuProcess, louzu_env
from tests.e2e.world import ADMIN, SETUP, Residents

NO_NODE = shutil.which("node") is None or shutil.which("npm") is None
if NO_NODE and os.environ.get("CI"):
    raise RuntimeError("CI is set but node or npm is missing: the end-to-end tests would be skipped")
needs_node = pytest.mark.skipif(NO_NODE, reason="the e2e harness needs node and npm")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.path).replace("\\", "/"):
            item.add_marker(needs_node)


@pytest.fixture
def harness_setup() -> dict:
    """Who is in which group; a test module may override it with a world of its own."""
    return SETUP


@pytest.fixture
def harness_tls() -> bool:
    """Whether the gateway serves TLS, as a 1.x gateway does by default; a module may override it."""
    return True


@pytest.fixture
async def harness(harness_setup, harness_tls):
    h = WechatyHarness(tls=harness_tls)
    await h.start(harness_setup)
    try:
        yield h
    finally:
        await h.stop()


async def start_louzu(harness: WechatyHarness, tmp_path, **settings: str) -> LouzuProcess:
    bot = LouzuProcess(louzu_env(harness.bot_env(), tmp_path / "data", ADMIN, **settings), tmp_path)
    await bot.start()
    return bot


async def stop_louzu(bot: LouzuProcess) -> None:
    """Stop it as a service manager would, and check that it went cleanly, having hit no errors."""
    code = await bot.stop()
    print(f"---- louzu log ({bot.log_path}) ----\n{bot.log_text()}")
    assert code == 0, f"louzu exited with {code}"
    assert "Traceback" not in bot.log_text()
    assert bot.env["WECHATY_PUPPET_SERVICE_TOKEN"] not in bot.log_text()  # logs never show the token


@pytest.fixture
async def louzu(harness, tmp_path):
    """`louzu run` connected and logged in to the harness; stopped (and checked) afterwards."""
    bot = await start_louzu(harness, tmp_path)
    try:
        await harness.wait_connected(timeout=30)
        await bot.wait_log("logged in to WeChat as")
        yield bot
    finally:
        await stop_louzu(bot)


@pytest.fixture
def residents(harness) -> Residents:
    return Residents(harness)
