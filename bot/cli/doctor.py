"""`louzu doctor`: what the bot has scheduled and what it could not send."""

from __future__ import annotations

from datetime import datetime, timezone

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, select

from bot.core.settings import Settings
from storage import outbox
from storage.db import alembic_config, make_engine, make_sessionmaker, missing_database
from storage.models import OutboxMessage, ScheduledNotice, scheduler_jobs
from storage.notices import ACTIVE


async def doctor(settings: Settings, out=print) -> int:
    """Print the report; 1 when something needs a person (sends that failed, a schema behind), else 0."""
    problem = missing_database(settings.database_url)
    if problem:
        out(f"database: {problem}")
        return 1
    engine = make_engine(settings.database_url)
    problems = 0
    try:
        async with engine.connect() as conn:
            current = await conn.run_sync(lambda sync: MigrationContext.configure(sync).get_current_revision())
        head = ScriptDirectory.from_config(alembic_config(settings.database_url)).get_current_head()
        out(f"database: {engine.url.render_as_string(hide_password=True)}, schema {current or 'none'} (latest {head})")
        if current != head:
            out("  the schema is behind: run `louzu db upgrade` (the bot also does it at start)")
            return 1
        tz = settings.timezone
        async with make_sessionmaker(engine)() as session:
            jobs = (await session.execute(select(scheduler_jobs.c.id, scheduler_jobs.c.next_run_time)
                                          .order_by(scheduler_jobs.c.next_run_time))).all()
            out(f"scheduled jobs ({len(jobs)}, time zone {tz}):")
            for job_id, next_run in jobs:
                when = (datetime.fromtimestamp(next_run, timezone.utc).astimezone(tz).strftime("%Y-%m-%d %H:%M")
                        if next_run else "paused")
                out(f"  {job_id:<28} next {when}")
            notices = await session.scalar(select(func.count(ScheduledNotice.id))
                                           .where(ScheduledNotice.status == ACTIVE))
            out(f"scheduled notices (S<n>) still to go out: {notices}")
            counts = await outbox.counts(session)
            out("outbox: " + ", ".join(f"{counts.get(s, 0)} {s}" for s in (outbox.PENDING, outbox.SENDING, outbox.SENT, outbox.FAILED)))
            failed: list[OutboxMessage] = await outbox.failed(session)
            if failed:
                problems = 1
                out(f"sends that failed for good (latest {len(failed)}):")
                for row in failed:
                    out(f"  #{row.id} {row.created_at.astimezone(tz):%Y-%m-%d %H:%M} to {row.room_id} ({row.batch}), "
                        f"{row.attempts} tries: {row.last_error}")
                    out(f"      {row.text[:60]!r}")
    finally:
        await engine.dispose()
    return problems
