"""Several bot processes on one PostgreSQL: one runs the scheduled jobs; when it dies, another takes over.

Two real OS processes (tests/owner_probe.py). This is the one test that waits on
real time: processes and a database server are involved; every wait is bounded.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


async def start_probe(url: str, data_dir: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.owner_probe", url, str(data_dir), cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(ROOT)})


async def next_line(process: asyncio.subprocess.Process, timeout: float = 30) -> str:
    line = await asyncio.wait_for(process.stdout.readline(), timeout)
    assert line, "the probe process ended"
    return line.decode().strip()


async def test_one_process_runs_the_scheduler_and_another_takes_over_when_it_dies(postgres_database_url, tmp_path):
    database_url = postgres_database_url
    first = await start_probe(database_url, tmp_path / "a")
    second = None
    try:
        state = await next_line(first)
        while not state.startswith("LEADER"):
            state = await next_line(first)
        assert state.split()[1] == str(first.pid) and int(state.split()[2]) >= 5  # built-in jobs stored
        second = await start_probe(database_url, tmp_path / "b")
        assert await next_line(second) == f"FOLLOWER {second.pid}"
        with pytest.raises(asyncio.TimeoutError):  # several retries (every 0.2 s) later it still waits
            await next_line(second, timeout=1.5)
        first.send_signal(signal.SIGKILL)  # the leader dies without a word
        await first.wait()
        assert (await next_line(second)).startswith(f"LEADER {second.pid} ")
    finally:
        for process in (first, second):
            if process is not None and process.returncode is None:
                process.kill()
                await process.wait()
