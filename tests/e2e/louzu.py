"""Run the real bot (`python -m bot run`) as a subprocess pointed at the e2e harness.

The process gets its own data directory (so its own SQLite database and media),
runs in that directory (so no developer's .env is read), and logs to a file whose
lines a test can wait for.  Only the standard library is used here.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sqlite3
import sys
from contextlib import closing
from pathlib import Path
from typing import Any, Mapping, Optional

REPO_ROOT = Path(__file__).resolve().parents[2]

# Settings that keep an end-to-end run about the protocol: no scheduled posts of their own,
# replies not held back by the per-account reply rate nor by the per-person command limit (both
# have tests of their own), posts paced briefly and never held for the night (a test run at 23:00
# must see them go out).
QUIET_SETTINGS = {
    "LOUZU_PACE_SECONDS": "0.05-0.1",
    "LOUZU_QUIET_HOURS": "off",
    "LOUZU_REMINDERS_FILE": "off",
    "LOUZU_WEEKLY_RANKING_AT": "off",
    "LOUZU_HONOUR_LIST_AT": "off",
    "LOUZU_OVERDUE_CHECK_AT": "off",
    "LOUZU_CLAIM_EXPIRY_AT": "off",
    "LOUZU_AUTO_CLOSE_AT": "off",
    "LOUZU_PRUNE_PROCESSED_AT": "off",
    "LOUZU_CHAIN_REMINDERS_AT": "off",
    "LOUZU_CHAIN_CLOSE_AT": "off",
    "LOUZU_REPLY_BURST": "1000",
    "LOUZU_REPLY_PER_SECOND": "1000",
    "LOUZU_COMMANDS_PER_MINUTE": "10000",
}


def louzu_env(harness_env: Mapping[str, str], data_dir: Path, admins: str, **settings: str) -> dict[str, str]:
    """An environment for `louzu run`: the harness's gateway, a fresh data directory, these admins.

    Settings from the outside (LOUZU_*, DATABASE_URL, WECHATY_*, CACHE_DIR) are dropped first,
    so that the run does not depend on the machine it runs on.
    """
    env = {k: v for k, v in harness_env.items()
           if not k.startswith(("LOUZU_", "WECHATY_")) and k not in ("DATABASE_URL", "CACHE_DIR")}
    env.update(WECHATY_PUPPET_SERVICE_ENDPOINT=harness_env["WECHATY_PUPPET_SERVICE_ENDPOINT"],
               WECHATY_PUPPET_SERVICE_TOKEN=harness_env["WECHATY_PUPPET_SERVICE_TOKEN"])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env.update(QUIET_SETTINGS)
    env.update(LOUZU_TRANSPORT="wechaty", LOUZU_DATA_DIR=str(data_dir), LOUZU_ADMIN_IDS=admins,
               LOUZU_LOG_LEVEL="INFO", PYTHONUNBUFFERED="1")
    env.update(settings)
    return env


class LouzuProcess:
    """One `louzu run` process and its log."""

    def __init__(self, env: Mapping[str, str], workdir: Path) -> None:
        self.env = dict(env)
        self.workdir = workdir
        self.data_dir = Path(env["LOUZU_DATA_DIR"])
        self.log_path = workdir / "louzu.log"
        self.lines: list[str] = []
        self.proc: Optional[asyncio.subprocess.Process] = None
        self._reader: Optional[asyncio.Task] = None
        self._changed = asyncio.Condition()

    @property
    def database(self) -> Path:
        return self.data_dir / "louzu.db"

    async def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=str(self.workdir), env=self.env,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        with open(self.log_path, "a", encoding="utf-8") as log:
            while True:
                raw = await self.proc.stdout.readline()
                if not raw:
                    break
                line = raw.decode("utf-8", "replace").rstrip("\n")
                log.write(line + "\n")
                log.flush()
                async with self._changed:
                    self.lines.append(line)
                    self._changed.notify_all()
        await self.proc.wait()
        async with self._changed:
            self._changed.notify_all()

    async def wait_log(self, pattern: str, after: int = 0, timeout: float = 20.0) -> int:
        """Wait for a log line matching ``pattern`` (a regex) among lines[after:]; its index."""
        regex = re.compile(pattern)

        def found() -> Optional[int]:
            return next((i for i in range(after, len(self.lines)) if regex.search(self.lines[i])), None)

        async def wait() -> int:
            async with self._changed:
                await self._changed.wait_for(lambda: found() is not None or self.exited)
                index = found()
                if index is None:
                    raise AssertionError(f"louzu exited (code {self.proc.returncode}) before logging {pattern!r}")
                return index
        try:
            return await asyncio.wait_for(wait(), timeout)
        except asyncio.TimeoutError:
            raise AssertionError(f"louzu logged no {pattern!r} within {timeout} s") from None

    @property
    def exited(self) -> bool:
        return self.proc is None or self.proc.returncode is not None

    async def stop(self, timeout: float = 10.0) -> Optional[int]:
        """SIGTERM (as a service manager stops it), then SIGKILL if it lingers; its exit code."""
        if self.proc is None:
            return None
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), timeout)
            except asyncio.TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        if self._reader is not None:
            await self._reader
        return self.proc.returncode

    async def command(self, *args: str, timeout: float = 60.0) -> tuple[int, str, str]:
        """Another `louzu …` command (e.g. ``jobs run weekly_ranking``) with this bot's settings and
        directory, as staff would run it beside the bot; its exit code, stdout and stderr."""
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", *args, cwd=str(self.workdir), env=self.env,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        try:
            out, err = await asyncio.wait_for(proc.communicate(), timeout)
        except asyncio.TimeoutError:
            proc.kill()
            await proc.wait()
            raise AssertionError(f"louzu {' '.join(args)} did not finish within {timeout} s") from None
        return proc.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")

    def query(self, sql: str, *params: Any) -> list[tuple]:
        """Rows from the bot's SQLite database (readable while the bot runs: WAL)."""
        with closing(sqlite3.connect(self.database, timeout=10)) as db:
            return db.execute(sql, params).fetchall()

    def log_text(self) -> str:
        return "\n".join(self.lines)
