"""`louzu jobs …`: the committee's staff see the built-in scheduled jobs and run one by hand.

``louzu jobs list`` shows each built-in job (and each configured reminder): the setting
that holds its time, on or off, when it runs next and when it last posted.

``louzu jobs run <name> [--room ROOM_ID] [--again]`` runs one now, through the same
entry as the scheduler (schedules/jobs.py, ``JobRunner``): one transaction, its posts
kept in the outbox. This process sends nothing itself: the running bot that sends the
posts (the one holding the scheduler lock) finds them within LOUZU_OUTBOX_POLL_SECONDS
and sends them paced, like any scheduled post (held during the quiet hours).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from datetime import datetime
from typing import AsyncIterator, Callable

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.core.clock import utc_now
from bot.core.cron import cron_trigger
from bot.core.outbox import in_quiet_hours
from bot.core.settings import Settings
from schedules.declared import jobs as registry
from schedules.election import LOCK_KEY
from schedules.jobs import JobRunner, batch_of
from schedules.scheduler import TABLE, sync_url
from storage.db import make_engine, make_sessionmaker, missing_database, upgrade
from storage.models import Group, OutboxMessage

Clock = Callable[[], datetime]


def add_parser(subparsers) -> None:
    jobs = subparsers.add_parser("jobs", help="the built-in scheduled jobs: list them, or run one now")
    sub = jobs.add_subparsers(dest="jobs_command", required=True)
    sub.add_parser("list", help="each built-in job and reminder: its setting, on or off, next run, last posts")
    run = sub.add_parser("run", help="run a built-in job now; the running bot sends its posts")
    run.add_argument("name", help=", ".join(spec.name for spec in registry.scheduled())
                     + ", or a reminder's name (e.g. daily_patrol)")
    run.add_argument("--room", metavar="ROOM_ID",
                     help="keep only the posts to this group (weekly_ranking, honour_list and reminders only)")
    run.add_argument("--again", action="store_true",
                     help="post the weekly ranking or the honour list also to groups that already had this "
                          "week's or month's")


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
    found = [Entry(spec.name, f"job:{spec.name}", spec.name, (), spec.setting, spec.cron(settings))
             for spec in registry.scheduled()]
    found += [Entry(r.name, f"reminder:{r.name}", "reminder", (r.name,), "LOUZU_REMINDERS_FILE", r.at)
              for r in settings.reminders or ()]
    return found


def find(settings: Settings, name: str) -> Entry | None:
    name = name.strip()
    for prefix in ("job:", "reminder:"):
        name = name.removeprefix(prefix)
    spec = registry.get(name)
    name = spec.name if spec else name
    return next((entry for entry in entries(settings) if entry.name == name), None)


def standalone_runner(settings: Settings, engine: AsyncEngine, clock: Clock) -> JobRunner:
    """A JobRunner outside the bot: it keeps posts and sends none (the bot that owns the scheduler polls for them)."""
    sessions = make_sessionmaker(engine)

    @contextlib.asynccontextmanager
    async def transaction() -> AsyncIterator[AsyncSession]:
        async with sessions() as session, session.begin():
            yield session

    return JobRunner(settings, clock, transaction)


async def run(args, settings: Settings, clock: Clock = utc_now, out=print) -> int:
    problem = missing_database(settings.database_url)
    if problem:
        out(f"louzu: {problem}")
        return 2
    engine = make_engine(settings.database_url)
    try:
        await upgrade(engine)
        if args.jobs_command == "list":
            return await list_jobs(settings, engine, clock, out)
        return await run_job(args, settings, engine, clock, out)
    finally:
        await engine.dispose()


# jobs list ---------------------------------------------------------------------------------

def _stored_jobs(url: str) -> dict:
    """The jobs the bot's scheduler keeps (APScheduler's own store, read the way the bot reads it)."""
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from sqlalchemy import create_engine

    engine = create_engine(sync_url(url))
    try:
        return {job.id: job for job in SQLAlchemyJobStore(engine=engine, tablename=TABLE).get_all_jobs()}
    finally:
        engine.dispose()


def _local(moment: datetime | None, tz) -> str:
    return f"{moment.astimezone(tz):%Y-%m-%d %H:%M}" if moment is not None else "-"


async def list_jobs(settings: Settings, engine: AsyncEngine, clock: Clock, out) -> int:
    tz, now = settings.timezone, clock()
    stored = await asyncio.to_thread(_stored_jobs, engine.url.render_as_string(hide_password=False))
    async with make_sessionmaker(engine)() as session:
        # Only the jobs' own batches: every notice ever sent is a batch of its own.
        batches = {entry.batch for entry in entries(settings)}
        last = dict((await session.execute(select(OutboxMessage.batch, func.max(OutboxMessage.created_at))
                                           .where(OutboxMessage.batch.in_(batches))
                                           .group_by(OutboxMessage.batch))).all())
        counts = {}
        for batch, when in last.items():
            counts[batch] = await session.scalar(select(func.count()).select_from(OutboxMessage).where(
                OutboxMessage.batch == batch, OutboxMessage.created_at == when))
    out(f"built-in jobs (times in {tz}; database {engine.url.render_as_string(hide_password=True)}):")
    rows = [("job", "setting", "time", "on", "next run", "last posts")]
    notes: list[str] = []
    for entry in entries(settings):
        job = stored.get(entry.job_id)
        if entry.cron is None:
            upcoming = "-"
            if job is not None:
                notes.append(f"{entry.name}: switched off; the bot drops it at its next start")
        else:
            trigger = cron_trigger(entry.cron, tz)
            if job is not None and repr(job.trigger) == repr(trigger):
                upcoming = _local(job.next_run_time, tz)
                if job.next_run_time is not None and job.next_run_time < now:
                    notes.append(f"{entry.name}: missed at {upcoming}; the bot runs it once when it is back "
                                 f"(within LOUZU_MISFIRE_GRACE_HOURS)")
            else:
                upcoming = _local(trigger.get_next_fire_time(None, now.astimezone(tz)), tz)
                notes.append(f"{entry.name}: " + ("its time changed in the settings" if job is not None
                                                  else "not scheduled yet") + "; the bot takes it at its next start")
        when = last.get(entry.batch)
        posted = f"{_local(when, tz)} ({counts[entry.batch]} posts)" if when is not None else "-"
        rows.append((entry.name, entry.setting, entry.cron or "off", "on" if entry.cron else "off", upcoming, posted))
    if not settings.reminders:
        rows.append(("reminders", "LOUZU_REMINDERS_FILE", "off", "off", "-", "-"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        out("  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[-1])
    for note in notes:
        out(f"  note: {note}")
    out("`louzu jobs run <job>` runs one now; a setting's value `off` turns a job off (then restart the bot).")
    return 0


# jobs run ----------------------------------------------------------------------------------

async def sender_running(engine: AsyncEngine) -> bool | None:
    """Whether a bot process holds the scheduler lock (so sends the posts); None when we cannot tell (SQLite)."""
    if engine.dialect.name != "postgresql":
        return None
    async with engine.connect() as conn:
        # pg_locks shows the whole server; the lock is this database's (another louzu may share the server).
        held = await conn.scalar(text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND classid = :high AND objid = :low AND objsubid = 1 "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"),
            {"high": LOCK_KEY >> 32, "low": LOCK_KEY & 0xFFFFFFFF})
    return bool(held)


async def run_job(args, settings: Settings, engine: AsyncEngine, clock: Clock, out) -> int:
    entry = find(settings, args.name)
    if entry is None:
        names = ", ".join(e.name for e in entries(settings))
        out(f"louzu: no built-in job is called {args.name!r}; the jobs are: {names}")
        return 2
    if args.room is not None and not registry.specs[entry.job].posts_only:
        out(f"louzu: {entry.name} changes things in every building, so it runs for all of them; "
            f"--room works with weekly_ranking, honour_list and reminders")
        return 2
    if entry.cron is None:
        out(f"note: {entry.name} is switched off ({entry.setting}=off); running it by hand anyway.")
    runner = standalone_runner(settings, engine, clock)
    result = await runner.run_now(entry.job, *entry.args, room=args.room, again=args.again)
    if result.failed:
        out(f"louzu: {entry.name} failed and changed nothing (the error is logged above)")
        return 1
    tz = settings.timezone
    async with runner.transaction() as session:
        topics = dict((await session.execute(select(Group.room_id, Group.topic))).all())

    def named(room: str) -> str:
        topic = topics.get(room)
        committee = " (committee)" if room == settings.committee_room else ""
        return f"{room} ({topic}){committee}" if topic and topic != room else f"{room}{committee}"

    period = registry.specs[entry.job].once_per
    if result.left_out:
        out(f"left out {len(result.left_out)} group(s) that already had this {period}'s {entry.name} "
            f"(kept since {_local(result.since, tz)}): {', '.join(named(r) for r in result.left_out)}; "
            f"add --again to post it there anyway.")
    if not result.kept:
        out(f"{entry.name} ran at {_local(result.at, tz)}: nothing {'else ' if result.left_out else ''}to post"
            + (" to that group." if args.room else "."))
        return 0
    out(f"{entry.name} ran at {_local(result.at, tz)} and kept {result.kept} post(s) for the outbox, to "
        + ", ".join(named(room) for room in result.rooms) + ".")
    low, high = settings.pace_seconds
    minutes = result.kept * (low + high) / 2 / 60
    pace = f"{low:g}–{high:g} s apart" + (f", about {minutes:.0f} min in all" if minutes >= 1 else "")
    out(f"The bot that runs the scheduled jobs sends them within {settings.outbox_poll_seconds:g} s "
        f"(LOUZU_OUTBOX_POLL_SECONDS), {pace}.")
    if in_quiet_hours(result.at.astimezone(tz), settings.quiet_hours):
        out(f"It is quiet hours ({settings.quiet_hours[0]:%H:%M}–{settings.quiet_hours[1]:%H:%M}): "
            f"they wait until {settings.quiet_hours[1]:%H:%M}.")
    running = await sender_running(engine)
    if running is False:
        out("No bot process runs the scheduled jobs on this database right now: they go out when one starts.")
    return 0

