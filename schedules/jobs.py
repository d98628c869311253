"""The one entry of every scheduled job, and the table of jobs it can run.

A persistent job store keeps a job as the import path of its function and its
pickled arguments, so a job cannot carry the running bot with it. Each running
bot registers itself here under a name (``RUNNING``), every job's first argument
is that name, and ``run_job`` looks the bot up when the job fires. This is the
only process-wide state in schedules/, and it holds nothing but that lookup.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import Reply
from bot.settings import Settings
from storage import outbox as outbox_store

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)

APP_KEY = "louzu"
RUNNING: dict[str, "App"] = {}


@dataclass
class JobContext:
    """What a job is given: like a handler's context, without a message."""

    session: AsyncSession
    settings: Settings
    now: datetime


Job = Callable[..., Awaitable[list[Reply]]]


def job_table() -> dict[str, Job]:
    """Every job by name; each returns the posts it wants sent (imported here, late, to keep start-up light)."""
    from handlers.leaders import expire_pending_claims
    from handlers.reports import close_unconfirmed
    from schedules import honour, overdue, posts, ranking

    async def expire_claims(ctx: JobContext) -> list[Reply]:
        return await expire_pending_claims(ctx.session, ctx.now, ctx.settings)

    async def auto_close(ctx: JobContext) -> list[Reply]:
        return await close_unconfirmed(ctx.session, ctx.now, ctx.settings)

    return {
        "weekly_ranking": ranking.weekly_ranking,
        "honour_list": honour.honour_list,
        "overdue_reports": overdue.overdue_reports,
        "expire_claims": expire_claims,
        "close_unconfirmed": auto_close,
        "reminder": posts.reminder,
        "notice": posts.notice,
    }


async def run_job(app_key: str, name: str, *args) -> None:
    """What the scheduler calls (by import path) for every job."""
    app = RUNNING.get(app_key)
    if app is None:
        log.error("scheduled job %s%r fired but no bot is running under %r", name, args, app_key)
        return
    await app.schedules.jobs.run(name, *args)


class JobRunner:
    """Runs jobs for one bot: one transaction each, posts kept for the outbox, errors logged."""

    def __init__(self, app: "App") -> None:
        self.app = app
        self.table = job_table()
        self._running: set[asyncio.Task] = set()

    async def run(self, name: str, *args) -> int:
        """Run one job now; returns how many posts it kept (0 after an error, which is logged)."""
        task = asyncio.ensure_future(self._run(name, args))
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        # Shielded like PTB's Job._run: a scheduler shutting down must not cut a job's
        # transaction in half; close() waits for running jobs instead.
        return await asyncio.shield(task)

    async def _run(self, name: str, args: tuple) -> int:
        job = self.table.get(name)
        if job is None:
            log.error("no scheduled job is called %r (args %r); was it renamed?", name, args)
            return 0
        now = self.app.clock()
        try:
            async with self.app.transaction() as session:
                posts = await job(JobContext(session, self.app.settings, now), *args)
                kept = await outbox_store.enqueue(session, posts, batch=name, now=now) if posts else 0
        except Exception:
            log.exception("scheduled job %s%r failed at %s", name, args, now.isoformat())
            return 0
        if kept:
            log.info("scheduled job %s%r kept %d posts for the outbox", name, args, kept)
            self.app.outbox.wake()
        return kept

    async def wait(self) -> None:
        """Until the jobs running now have finished."""
        while self._running:
            await asyncio.gather(*list(self._running), return_exceptions=True)
