"""The bot's one APScheduler: started and stopped with the bot, jobs kept in louzu's own database.

It is a separate instance from the scheduler python-wechaty runs for its plugins
(whose job store lives under CACHE_DIR); nothing is shared with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from datetime import datetime
from typing import AsyncContextManager, Awaitable, Callable

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED, EVENT_JOB_SUBMITTED
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.schedulers.base import STATE_STOPPED, BaseScheduler
from sqlalchemy import create_engine
from sqlalchemy.engine import URL, make_url

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.core.cron import cron_trigger
from bot.core.outbox import Outbox
from bot.core.settings import Settings
from bot.core.tasks import cancelled
from schedules.declared import jobs
from schedules.election import Election
from schedules.jobs import APP_KEY, RUNNING, JobRunner, run_job
from schedules.posts import trigger as notice_trigger
from storage import notices as notice_store
from storage.db import reading_transaction

log = logging.getLogger(__name__)

TABLE = "apscheduler_jobs"  # declared in storage/models.py, created by the migrations


def sync_url(url: str) -> URL:
    """The job store's synchronous twin of the bot's database URL (same SQLite file, psycopg for PostgreSQL)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return parsed.set(drivername="sqlite")
    return parsed.set(drivername="postgresql+psycopg")


def wanted_jobs(settings: Settings) -> dict[str, tuple[str, tuple]]:
    """Job id -> (crontab line, arguments) of the built-in jobs and reminders that are switched on."""
    wanted = {f"job:{spec.name}": (spec.cron(settings), (APP_KEY, spec.name)) for spec in jobs.scheduled()
              if spec.cron(settings)}
    for reminder in settings.reminders or ():
        wanted[f"reminder:{reminder.name}"] = (reminder.at, (APP_KEY, "reminder", reminder.name))
    return wanted


class LouzuScheduler(AsyncIOScheduler):
    """An AsyncIOScheduler whose wake-ups take the bot's database lock, and whose shutdown is immediate."""

    def __init__(self, db_lock: contextlib.AbstractAsyncContextManager, **options) -> None:
        super().__init__(**options)
        self._db_lock = db_lock
        self._wakeups: set[asyncio.Task] = set()

    def wakeup(self) -> None:
        # The job store is synchronous and runs on the event loop. On SQLite its writes must
        # not start while one of our own async transactions holds the file's write lock: the
        # loop would wait for a transaction that needs the loop to finish.
        if self._eventloop is not None:
            self._eventloop.call_soon_threadsafe(self._spawn_wakeup)

    def _spawn_wakeup(self) -> None:
        task = self._eventloop.create_task(self.process_due())
        self._wakeups.add(task)
        task.add_done_callback(self._wakeups.discard)

    async def process_due(self) -> None:
        """Submit the jobs that are due (the work of AsyncIOScheduler.wakeup), under the lock."""
        async with self._db_lock:
            if self.state == STATE_STOPPED:
                return
            self._stop_timer()
            self._start_timer(self._process_jobs())

    def shutdown(self, wait: bool = False) -> None:
        # AsyncIOScheduler puts its shutdown off to a later turn of the loop; ours is done on return.
        BaseScheduler.shutdown(self, wait)
        self._stop_timer()


class Schedules:
    """The scheduler of one bot, run only while this process owns it (see schedules/election.py)."""

    def __init__(self, settings: Settings, engine: AsyncEngine, db_lock: contextlib.AbstractAsyncContextManager,
                 transaction: Callable[[], AsyncContextManager[AsyncSession]], outbox: Outbox,
                 clock: Callable[[], datetime], sleep: Callable[[float], Awaitable[None]]) -> None:
        self.settings = settings
        self.engine = engine
        self.db_lock = db_lock
        self.transaction = transaction
        self.outbox = outbox
        self.clock = clock
        self.sleep = sleep
        self.jobs = JobRunner(settings, clock, transaction, outbox.wake, reading=reading_transaction(engine))
        self.election = Election(engine)
        self.scheduler: LouzuScheduler | None = None
        self._keeper: asyncio.Task | None = None
        self._in_flight = 0  # jobs submitted and not finished (each submission ends in one of the events below)
        self._settled = asyncio.Event()
        self._settled.set()

    def is_owner(self) -> bool:
        """Whether this process runs the scheduled jobs and sends the posts."""
        return self.scheduler is not None

    async def start(self) -> None:
        """Own the scheduler now if we can, and keep trying (or keep owning it) in the background."""
        if self._keeper is None:
            try:
                await self.step()
            except Exception:
                log.exception("could not start the scheduled jobs; trying again in %s s",
                              self.settings.scheduler_retry_seconds)
            self._keeper = asyncio.create_task(self._keep(), name="louzu-scheduler-keeper")

    async def _keep(self) -> None:
        while True:
            await self.sleep(self.settings.scheduler_retry_seconds)
            try:
                await self.step()
            except Exception:
                log.exception("the scheduler keeper hit an error; trying again")

    async def step(self) -> None:
        """One round: take the scheduler if it is free, give it up if its lock is gone, keep notices in line."""
        if self.scheduler is None:
            if await self.election.try_acquire():
                log.info("this process runs the scheduled jobs and sends the posts")
                await self.outbox.recover()
                await self.start_scheduler()
                self.outbox.wake()
        elif not await self.election.still_held():
            log.warning("no longer holding the scheduler lock: stopping the scheduled jobs here")
            self.stop_scheduler()
        else:
            await self.sync_notices()  # notices scheduled through other processes

    async def stop(self) -> None:
        self._keeper = await cancelled(self._keeper)
        self.stop_scheduler()
        await self.jobs.wait()  # a shielded job still running finishes its transaction first
        await self.election.release()

    async def start_scheduler(self) -> None:
        other = RUNNING.get(APP_KEY)
        if other is not None and other is not self.jobs:
            raise RuntimeError("another bot in this process already runs the scheduled jobs")
        grace = int(self.settings.misfire_grace_hours * 3600)
        engine = create_engine(sync_url(self.engine.url.render_as_string(hide_password=False)),
                               pool_pre_ping=True)
        scheduler = LouzuScheduler(
            self.db_lock, timezone=self.settings.timezone,
            jobstores={"default": SQLAlchemyJobStore(engine=engine, tablename=TABLE)},
            # coalesce: runs missed during an outage collapse into one; a run missed by more than
            # the grace time is skipped (and logged) rather than posted hours late.
            job_defaults={"coalesce": True, "misfire_grace_time": grace, "max_instances": 1},
        )
        RUNNING[APP_KEY] = self.jobs
        scheduler.add_listener(self._count, EVENT_JOB_SUBMITTED | EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED)
        try:
            async with self.db_lock:
                scheduler.start(paused=True)
                self.scheduler = scheduler
                self._ensure_builtin(grace)
            await self.sync_notices()
            scheduler.resume()
        except BaseException:
            # Never leave a paused scheduler behind: step() would take it for a running one and
            # no job would fire until a restart. Without it, the next round starts afresh.
            self.stop_scheduler()
            engine.dispose()
            raise

    def stop_scheduler(self) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
            self.scheduler = None
        if RUNNING.get(APP_KEY) is self.jobs:
            del RUNNING[APP_KEY]

    def _ensure_builtin(self, grace: int) -> None:
        """Bring the stored built-in jobs and reminders in line with the settings.

        A job whose time is unchanged is kept as stored, next run time and all: if the
        bot was down when it was due, that next run time is in the past and the job runs
        once on resume. Re-adding it with replace_existing would compute the next run
        from now and silently lose the missed run.
        """
        assert self.scheduler is not None
        wanted = wanted_jobs(self.settings)
        for job_id, (cron, args) in wanted.items():
            trigger = cron_trigger(cron, self.settings.timezone)
            existing = self.scheduler.get_job(job_id)
            if existing is not None and repr(existing.trigger) == repr(trigger) and tuple(existing.args) == args:
                if existing.misfire_grace_time != grace or not existing.coalesce:
                    existing.modify(misfire_grace_time=grace, coalesce=True)
                continue
            self.scheduler.add_job(run_job, trigger, args=args, id=job_id, name=job_id, replace_existing=True)
            log.info("scheduled %s at %r", job_id, cron)
        for job in self.scheduler.get_jobs():
            if job.id.startswith(("job:", "reminder:")) and job.id not in wanted:
                job.remove()
                log.info("removed %s (switched off in the settings)", job.id)

    async def sync_notices(self) -> None:
        """Make the scheduler's notice jobs match the active S<n> rows (the rows are the truth)."""
        if self.scheduler is None:
            return
        now = self.clock()
        grace = timedelta(hours=self.settings.misfire_grace_hours)
        async with self.transaction() as session:
            active = await notice_store.active(session, now, grace)
        async with self.db_lock:
            scheduler = self.scheduler
            if scheduler is None:
                return
            wanted = {f"notice:{n.id}": n for n in active}
            stored = set()  # one read of the job store (a query and an unpickling of every job)
            for job in scheduler.get_jobs():
                if job.id.startswith("notice:") and job.id not in wanted:
                    job.remove()
                else:
                    stored.add(job.id)
            for job_id, notice in wanted.items():
                if job_id not in stored:
                    scheduler.add_job(run_job, notice_trigger(notice, self.settings.timezone),
                                      args=(APP_KEY, "notice", notice.id), id=job_id, name=f"S{notice.id}")

    def _count(self, event) -> None:
        self._in_flight += 1 if event.code == EVENT_JOB_SUBMITTED else -1
        if self._in_flight <= 0:
            self._in_flight = 0
            self._settled.set()
        else:
            self._settled.clear()

    async def settle(self) -> None:
        """Until every job submitted so far has finished."""
        await self._settled.wait()
        await self.jobs.wait()

    async def run_due(self) -> None:
        """Submit the jobs due now (the scheduler's own wake-up, callable by tests and tools)."""
        if self.scheduler is not None:
            await self.scheduler.process_due()
