"""A bot process for the single-runner test (tests/test_schedules_election.py); not a test itself.

Run as ``python -m tests.owner_probe DATABASE_URL DATA_DIR``: it starts a bot's
background work (leader election, scheduler, outbox) on a memory transport and
prints ``FOLLOWER <pid>`` or ``LEADER <pid> <jobs>`` each time that changes,
until it is killed.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from bot.app import App
from bot.core.settings import Settings
from bot.transport.memory import MemoryTransport


async def main(url: str, data_dir: str) -> None:
    settings = Settings(data_dir=Path(data_dir), database_url=url, scheduler_retry_seconds=0.2)
    app = App(settings, MemoryTransport(settings.bot_name))
    await app.start()
    await app.start_background()
    said = None
    while True:
        scheduler = app.schedules.scheduler
        state = f"LEADER {os.getpid()} {len(scheduler.get_jobs())}" if scheduler else f"FOLLOWER {os.getpid()}"
        if state != said:
            print(state, flush=True)
            said = state
        await asyncio.sleep(0.05)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
