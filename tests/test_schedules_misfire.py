"""The persistent scheduler around an outage: a missed weekly ranking runs once, not zero or three times.

APScheduler reads the time through ``datetime.now`` in two of its modules; the
tests put the fake clock there (tests/timekit.py), stop the bot's scheduler
(the outage), move the clock on and start a new bot on the same database.
The job store keeps each job's next run time, so what runs after the restart
is decided by APScheduler's own coalescing and misfire grace time, exactly as
in production.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import func, select

from bot.app import App
from bot.transport.memory import MemoryTransport
from storage.models import OutboxMessage
from tests.timekit import drive_scheduler_with


def local(job, tz) -> str:
    return f"{job.next_run_time.astimezone(tz):%Y-%m-%d %H:%M}"


async def restart(settings, clock, runs: dict[str, int] | None = None) -> App:
    """A new bot process on the same database, leading and with its due jobs run (counted in ``runs``)."""
    app = App(settings, MemoryTransport(settings.bot_name, clock=clock), clock=clock)
    if runs is not None:
        for name, job in list(app.schedules.jobs.table.items()):
            app.schedules.jobs.table[name] = counted(job, name, runs)
    await app.start()
    await app.schedules.step()
    await app.schedules.run_due()
    await app.schedules.settle()
    return app


def counted(job, name, runs):
    async def run(ctx, *args):
        runs[name] = runs.get(name, 0) + 1
        return await job(ctx, *args)

    return run


async def posts_by_job(app) -> dict[str, int]:
    async with app.transaction() as session:
        rows = await session.execute(select(OutboxMessage.batch, func.count()).group_by(OutboxMessage.batch))
        return dict(rows.all())


async def test_a_ranking_missed_during_a_three_week_outage_runs_once(chat, clock, settings, monkeypatch):
    drive_scheduler_with(monkeypatch, clock)
    tz = settings.timezone
    await chat.setup_building()
    clock.set_local("2026-11-23 08:00", tz)  # Monday, an hour before the ranking
    await chat.app.schedules.step()
    assert local(chat.app.schedules.scheduler.get_job("job:weekly_ranking"), tz) == "2026-11-23 09:00"
    await chat.app.schedules.stop()  # the bot goes down ...
    clock.set_local("2026-12-14 10:00", tz)  # ... and is back three weeks later: four Mondays 09:00 missed
    runs: dict[str, int] = {}
    app = await restart(settings, clock, runs)
    try:
        # Each job once: the hourly ones missed twelve times within the 12-hour grace time are coalesced
        # into one run; the daily patrol reminder and the leaders' digest (08:00 today) run; the weekly
        # clean-up reminder (Saturday 09:00, 49 hours ago) is past the grace time: skipped, not posted two days late.
        assert runs == {"weekly_ranking": 1, "overdue_reports": 1, "close_unconfirmed": 1, "expire_claims": 1,
                        "prune_processed": 1, "chain_reminders": 1, "close_chains": 1, "reminder": 1,
                        "pending_digest": 1}
        ran = await posts_by_job(app)
        assert ran["weekly_ranking"] == 1 and ran["reminder:daily_patrol"] == 1
        assert local(app.schedules.scheduler.get_job("job:weekly_ranking"), tz) == "2026-12-21 09:00"
        assert local(app.schedules.scheduler.get_job("reminder:weekly_cleanup"), tz) == "2026-12-19 09:00"
        await app.schedules.run_due()
        await app.schedules.settle()
        assert sum(runs.values()) == 9  # and nothing again
    finally:
        await app.close()


async def test_a_restart_before_the_time_runs_nothing_early(chat, clock, settings, monkeypatch):
    drive_scheduler_with(monkeypatch, clock)
    tz = settings.timezone
    await chat.setup_building()
    clock.set_local("2026-11-23 08:00", tz)
    await chat.app.schedules.step()
    await chat.app.schedules.stop()
    clock.set_local("2026-11-23 08:30", tz)
    app = await restart(settings, clock)
    try:
        assert "weekly_ranking" not in await posts_by_job(app)
        clock.set_local("2026-11-23 09:00", tz)
        await app.schedules.run_due()
        await app.schedules.settle()
        assert (await posts_by_job(app))["weekly_ranking"] == 1
    finally:
        await app.close()


async def test_changed_times_reschedule_and_switched_off_jobs_go(chat, clock, settings, monkeypatch):
    drive_scheduler_with(monkeypatch, clock)
    tz = settings.timezone
    clock.set_local("2026-11-23 08:00", tz)
    await chat.app.schedules.step()
    await chat.app.schedules.stop()
    clock.set_local("2026-11-23 10:00", tz)  # the old 09:00 run was missed, but the time has changed
    changed = replace(settings, job_times={"LOUZU_WEEKLY_RANKING_AT": "30 18 * * fri", "LOUZU_HONOUR_LIST_AT": None},
                      reminders=())
    app = await restart(changed, clock)
    try:
        scheduler = app.schedules.scheduler
        assert local(scheduler.get_job("job:weekly_ranking"), tz) == "2026-11-27 18:30"
        assert scheduler.get_job("job:honour_list") is None
        assert not [j for j in scheduler.get_jobs() if j.id.startswith("reminder:")]
        assert "weekly_ranking" not in await posts_by_job(app)
    finally:
        await app.close()


async def test_a_scheduler_start_that_fails_is_tried_again_not_left_paused(chat, clock, monkeypatch):
    """Regression: a database error while starting left a paused scheduler that step() took for a running one."""
    from apscheduler.schedulers.base import STATE_RUNNING

    drive_scheduler_with(monkeypatch, clock)
    schedules = chat.app.schedules
    real = schedules._ensure_builtin
    failures = iter([RuntimeError("database hiccup")])

    def flaky(grace):
        for error in failures:
            raise error
        return real(grace)

    monkeypatch.setattr(schedules, "_ensure_builtin", flaky)
    with pytest.raises(RuntimeError, match="hiccup"):
        await schedules.step()
    assert schedules.scheduler is None  # nothing half-started left behind
    await schedules.step()  # the keeper's next round
    assert schedules.scheduler is not None and schedules.scheduler.state == STATE_RUNNING
    assert schedules.scheduler.get_job("job:weekly_ranking") is not None
    schedules.stop_scheduler()
