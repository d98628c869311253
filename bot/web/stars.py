"""This week's stars of every building, kept a few minutes, so that no page waits for 600 ratings.

A rating reads a week of each building's ledger, patrols and reports (storage/ratings.py):
for a street of 600 buildings that is seconds, while stars move slowly. The desk keeps the
week's ratings for FRESH_SECONDS, and `louzu web` (uvicorn, with its lifespan) refreshes them
in the background before they go stale, so staff never wait; a new week starts afresh.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime

from storage.queries import week_bounds
from storage.staff.trends import RankedBuilding, buildings_this_week

FRESH_SECONDS = 300
log = logging.getLogger(__name__)


class WeekStars:
    def __init__(self, desk, monotonic=time.monotonic) -> None:
        self.desk = desk
        self.monotonic = monotonic
        self.ranked: list[RankedBuilding] | None = None
        self.week: datetime | None = None
        self.taken_at = 0.0
        self.lock = asyncio.Lock()

    def _fresh(self, week: datetime) -> bool:
        return self.ranked is not None and self.week == week and self.monotonic() - self.taken_at < FRESH_SECONDS

    async def get(self) -> list[RankedBuilding]:
        """Every building with this week's stars and its place by them (at most FRESH_SECONDS old)."""
        week = week_bounds(self.desk.clock(), self.desk.settings.timezone)[0]
        if not self._fresh(week):
            async with self.lock:
                if not self._fresh(week):  # another page may have just taken them
                    await self.refresh()
        assert self.ranked is not None
        return self.ranked

    async def refresh(self) -> None:
        now = self.desk.clock()
        async with self.desk.sessions() as session:
            ranked = await buildings_this_week(session, now, self.desk.settings)
        self.ranked, self.week = ranked, week_bounds(now, self.desk.settings.timezone)[0]
        self.taken_at = self.monotonic()

    async def keep_fresh(self) -> None:
        """Refresh a while before the ratings go stale, until cancelled (the desk's lifespan)."""
        while True:
            try:
                async with self.lock:
                    await self.refresh()
            except Exception:  # a database hiccup: the next page computes them itself
                log.exception("could not refresh this week's stars")
            await asyncio.sleep(FRESH_SECONDS * 0.8)
