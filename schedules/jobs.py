"""The one entry of every scheduled job: one transaction each, posts kept for the outbox, errors logged.

A persistent job store keeps a job as the import path of its function and its
pickled arguments, so a job cannot carry the running bot with it. Each running
bot registers its JobRunner here under a name (``RUNNING``), every job's first
argument is that name, and ``run_job`` looks the runner up when the job fires.
This is the only process-wide state in schedules/, and it holds nothing but
that lookup. The jobs themselves are declared in schedules/registry.py.
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import AsyncContextManager, Callable
from zoneinfo import ZoneInfo

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.settings import Settings
from schedules.declared import jobs
from schedules.registry import Job, JobContext
from storage import outbox as outbox_store
from storage.models import OutboxMessage
from storage.queries import month_bounds, week_bounds

log = logging.getLogger(__name__)

APP_KEY = "louzu"
RUNNING: dict[str, "JobRunner"] = {}
Clock = Callable[[], datetime]
Transaction = Callable[[], AsyncContextManager[AsyncSession]]


@dataclass
class JobResult:
    """What one run of a job did."""

    kept: int = 0  # posts kept for the outbox
    rooms: list[str] = field(default_factory=list)  # the groups they go to, in order
    at: datetime | None = None  # the job's "now"
    left_out: list[str] = field(default_factory=list)  # groups that already had this period's post
    since: datetime | None = None  # the start of that period
    failed: bool = False  # the job raised (logged; its transaction rolled back)


def batch_of(name: str, args: tuple) -> str:
    """The outbox batch of a job's posts: the job's name, a reminder's own name, S<n> for a notice."""
    if name == "reminder" and args:
        return f"reminder:{args[0]}"
    if name == "notice" and args:
        return f"S{args[0]}"
    return name


def period_start(name: str, now: datetime, tz: ZoneInfo) -> datetime | None:
    """The start of the week or month whose post ``name`` makes at ``now``; None for other jobs."""
    spec = jobs.get(name)
    kind = spec.once_per if spec else None
    if kind == "week":
        return week_bounds(now, tz)[0]
    if kind == "month":
        return month_bounds(now, tz)[0]
    return None


async def rooms_posted(session: AsyncSession, batch: str, since: datetime) -> set[str]:
    """Groups that have a post of ``batch`` kept since ``since`` (sent, or still to go; not failed ones).

    On PostgreSQL two runs at once (the scheduler's and one by hand) take turns from here to their
    commit, so the second sees the first's posts; on SQLite every transaction holds the write lock.
    """
    if session.bind.dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": zlib.crc32(batch.encode())})
    rows = await session.scalars(select(OutboxMessage.room_id).distinct().where(
        OutboxMessage.batch == batch, OutboxMessage.created_at >= since,
        OutboxMessage.status != outbox_store.FAILED))
    return set(rows)


def job_table() -> dict[str, Job]:
    """Every declared job by name."""
    return {spec.name: spec.func for spec in jobs}


async def run_job(app_key: str, name: str, *args) -> None:
    """What the scheduler calls (by import path) for every job."""
    runner = RUNNING.get(app_key)
    if runner is None:
        log.error("scheduled job %s%r fired but no bot is running under %r", name, args, app_key)
        return
    await runner.run(name, *args)


class JobRunner:
    """Runs jobs for one bot: one transaction each, posts kept for the outbox, errors logged."""

    def __init__(self, settings: Settings, clock: Clock, transaction: Transaction,
                 wake: Callable[[], None] = lambda: None, reading: Transaction | None = None) -> None:
        self.settings = settings
        self.clock = clock
        self.transaction = transaction
        # Where a job that only posts reads (storage/db.py, reading_transaction): its work is done outside
        # the write transaction, which then only keeps its posts. None: all in the write transaction.
        self.reading = reading
        self.wake = wake  # the outbox's, when this process sends (``louzu jobs run`` only keeps posts)
        self.table = job_table()
        self._running: set[asyncio.Task] = set()

    async def run(self, name: str, *args) -> int:
        """Run one job now (what the scheduler does); returns how many posts it kept (0 after an error)."""
        return (await self.run_now(name, *args)).kept

    async def run_now(self, name: str, *args, room: str | None = None, again: bool = False) -> JobResult:
        """Run one job now. ``room``: keep only the posts to that group (jobs declared posts_only);
        ``again``: post a once_per job also to groups that already had this period's post."""
        spec = jobs.get(name)
        if room is not None and not (spec and spec.posts_only):
            raise ValueError(f"{name} changes things in every building; its posts cannot be limited to one group")
        task = asyncio.ensure_future(self._run(name, args, room, again))
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        # Shielded like PTB's Job._run: a scheduler shutting down must not cut a job's
        # transaction in half; close() waits for running jobs instead.
        return await asyncio.shield(task)

    async def _run(self, name: str, args: tuple, room: str | None = None, again: bool = False) -> JobResult:
        spec = jobs.get(name)
        job = self.table.get(name)
        if job is None:
            log.error("no scheduled job is called %r (args %r); was it renamed?", name, args)
            return JobResult(failed=True)
        now = self.clock()
        batch = batch_of(name, args)
        result = JobResult(since=period_start(name, now, self.settings.timezone), at=now)
        try:
            posts = None
            if spec is not None and spec.posts_only and self.reading is not None:
                # On SQLite the write lock is held only while the posts are kept, not while they are made.
                async with self.reading() as session:
                    posts = await job(JobContext(session, self.settings, now), *args)
            async with self.transaction() as session:
                if posts is None:
                    posts = await job(JobContext(session, self.settings, now), *args)
                if room is not None:
                    posts = [post for post in posts if post.room_id == room]
                if result.since is not None and not again and posts:
                    had = await rooms_posted(session, batch, result.since)
                    result.left_out = sorted({post.room_id for post in posts if post.room_id in had})
                    posts = [post for post in posts if post.room_id not in had]
                result.kept = await outbox_store.enqueue(session, posts, batch=batch, now=now) if posts else 0
                result.rooms = list(dict.fromkeys(post.room_id for post in posts))
        except Exception:
            log.exception("scheduled job %s%r failed at %s", name, args, now.isoformat())
            return JobResult(failed=True)
        if result.left_out:
            log.warning("scheduled job %s%r: %d group(s) already had this %s's post (since %s); not posted there "
                        "again", name, args, len(result.left_out), spec.once_per if spec else "period", result.since.isoformat())
        if result.kept:
            log.info("scheduled job %s%r kept %d posts for the outbox", name, args, result.kept)
            self.wake()
        return result

    async def wait(self) -> None:
        """Until the jobs running now have finished."""
        while self._running:
            await asyncio.gather(*list(self._running), return_exceptions=True)


@dataclass(frozen=True)
class Entry:
    """One built-in job as the settings have it."""

    name: str  # what `louzu jobs run` takes: weekly_ranking, daily_patrol …
    job_id: str  # its id in the scheduler's job store: job:weekly_ranking, reminder:daily_patrol
    job: str  # its name in the registry (schedules/registry.py)
    args: tuple
    setting: str  # the setting that holds its time
    cron: str | None  # None: off

    @property
    def batch(self) -> str:
        return batch_of(self.job, self.args)


def entries(settings: Settings) -> list[Entry]:
    """Each built-in job and each configured reminder, with its time under ``settings`` (`louzu jobs`, the desk)."""
    found = [Entry(spec.name, f"job:{spec.name}", spec.name, (), spec.setting, spec.cron(settings))
             for spec in jobs.scheduled()]
    found += [Entry(r.name, f"reminder:{r.name}", "reminder", (r.name,), "LOUZU_REMINDERS_FILE", r.at)
              for r in settings.reminders or ()]
    return found
