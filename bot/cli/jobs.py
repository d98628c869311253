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
from datetime import datetime
from typing import AsyncIterator, Callable

import click
from rich.cells import cell_len
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.cli import ui
from bot.cli.state import records_of
from bot.core.clock import utc_now
from bot.core.cron import cron_trigger
from bot.core.outbox import in_quiet_hours
from bot.core.settings import Settings
from schedules.declared import jobs as registry
from schedules.election import LOCK_KEY
from schedules.jobs import Entry, JobRunner, entries
from schedules.scheduler import TABLE, sync_url
from storage.db import make_engine, make_sessionmaker, missing_database, reading_transaction, upgrade
from storage.models import Group, OutboxMessage

Clock = Callable[[], datetime]


@click.group(cls=ui.Group, help="内置定时任务：查看，或者现在手动运行一个。")
def jobs() -> None:
    pass


@jobs.command("list", help="每个内置任务和提醒：对应的设置、开关、下次运行、最近一次发送。")
@click.pass_context
def list_command(ctx: click.Context) -> int:
    return ui.run(run(records_of(ctx), "list"))


@jobs.command("run", help="现在运行一个内置任务；消息由正在运行的机器人发出。")
@ui.argument("name", metavar="任务", help=", ".join(spec.name for spec in registry.scheduled())
             + "，或提醒的名字（例如 daily_patrol）")
@click.option("--room", metavar="群ID", help="只发给这个群（仅 weekly_ranking、honour_list 和提醒）")
@click.option("--again", is_flag=True, help="本周（本月）已经发过排行或光荣榜的群也再发一次")
@click.pass_context
def run_command(ctx: click.Context, name: str, room: str | None, again: bool) -> int:
    return ui.run(run(records_of(ctx), "run", name=name, room=room, again=again))


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

    return JobRunner(settings, clock, transaction, reading=reading_transaction(engine))


async def run(settings: Settings, what: str, clock: Clock = utc_now, out=ui.say, *, name: str = "",
              room: str | None = None, again: bool = False) -> int:
    """`jobs list` or `jobs run NAME`; ``out`` takes each line said."""
    problem = missing_database(settings.database_url)
    if problem:
        out(f"louzu: {problem}")
        return 2
    engine = make_engine(settings.database_url)
    try:
        await upgrade(engine)
        if what == "list":
            return await list_jobs(settings, engine, clock, out)
        return await run_job(settings, engine, clock, out, name, room, again)
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
    out(f"内置任务（时间按 {tz}；数据库 {engine.url.render_as_string(hide_password=True)}）：")
    rows = [("任务", "设置", "时间", "开关", "下次运行", "最近发送")]
    notes: list[str] = []
    for entry in entries(settings):
        job = stored.get(entry.job_id)
        if entry.cron is None:
            upcoming = "-"
            if job is not None:
                notes.append(f"{entry.name}：已关闭；机器人下次启动时移除它")
        else:
            trigger = cron_trigger(entry.cron, tz)
            if job is not None and repr(job.trigger) == repr(trigger):
                upcoming = _local(job.next_run_time, tz)
                if job.next_run_time is not None and job.next_run_time < now:
                    notes.append(f"{entry.name}：{upcoming} 那次错过了；机器人恢复后补跑一次"
                                 f"（在 LOUZU_MISFIRE_GRACE_HOURS 之内）")
            else:
                upcoming = _local(trigger.get_next_fire_time(None, now.astimezone(tz)), tz)
                notes.append(f"{entry.name}：" + ("设置里的时间改了" if job is not None
                                                 else "还没排进计划") + "；机器人下次启动时生效")
        when = last.get(entry.batch)
        posted = f"{_local(when, tz)} （{counts[entry.batch]} 条）" if when is not None else "-"
        rows.append((entry.name, entry.setting, entry.cron or "off", "开" if entry.cron else "关", upcoming, posted))
    if not settings.reminders:
        rows.append(("reminders", "LOUZU_REMINDERS_FILE", "off", "关", "-", "-"))
    widths = [max(cell_len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        out("  " + "  ".join(cell + " " * (width - cell_len(cell)) for cell, width in zip(row, widths)) + "  " + row[-1])
    for note in notes:
        out(f"  提示：{note}")
    out("`louzu jobs run <任务>` 现在运行一个；把设置的值写成 off 即关闭该任务（然后重启机器人）。")
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


async def run_job(settings: Settings, engine: AsyncEngine, clock: Clock, out, name: str, room: str | None,
                  again: bool) -> int:
    entry = find(settings, name)
    if entry is None:
        names = ", ".join(e.name for e in entries(settings))
        out(f"louzu: 没有叫 {name} 的内置任务；可用的任务：{names}")
        return 2
    if room is not None and not registry.specs[entry.job].posts_only:
        out(f"louzu: {entry.name} 会改动每栋楼的记录，只能对全部楼栋运行；"
            f"--room 只用于 weekly_ranking、honour_list 和提醒")
        return 2
    if entry.cron is None:
        out(f"提示：{entry.name} 已关闭（{entry.setting}=off），仍按要求手动运行。")
    runner = standalone_runner(settings, engine, clock)
    result = await runner.run_now(entry.job, *entry.args, room=room, again=again)
    if result.failed:
        out(f"louzu: {entry.name} 运行失败，没有改动任何记录（错误见上方日志）")
        return 1
    tz = settings.timezone
    async with runner.transaction() as session:
        topics = dict((await session.execute(select(Group.room_id, Group.topic))).all())

    def named(room: str) -> str:
        topic = topics.get(room)
        committee = "（居委会）" if room == settings.committee_room else ""
        return f"{room}（{topic}）{committee}" if topic and topic != room else f"{room}{committee}"

    period = {"week": "本周", "month": "本月"}.get(registry.specs[entry.job].once_per or "", "")
    if result.left_out:
        out(f"已跳过 {len(result.left_out)} 个{period}已经发过 {entry.name} 的群（{_local(result.since, tz)} 以来）："
            f"{'、'.join(named(r) for r in result.left_out)}；加 --again 可以再发一次。")
    if not result.kept:
        out(f"{entry.name} 已于 {_local(result.at, tz)} 运行：" + ("这个群" if room else "")
            + f"没有{'其他' if result.left_out else ''}要发的消息。")
        return 0
    out(f"{entry.name} 已于 {_local(result.at, tz)} 运行，{result.kept} 条消息已放进发件箱，发往："
        + "、".join(named(r) for r in result.rooms) + "。")
    low, high = settings.pace_seconds
    minutes = result.kept * (low + high) / 2 / 60
    pace = f"每条间隔 {low:g}–{high:g} 秒" + (f"，共约 {minutes:.0f} 分钟" if minutes >= 1 else "")
    out(f"运行定时任务的机器人会在 {settings.outbox_poll_seconds:g} 秒内（LOUZU_OUTBOX_POLL_SECONDS）"
        f"开始发送，{pace}。")
    if in_quiet_hours(result.at.astimezone(tz), settings.quiet_hours):
        out(f"现在是免打扰时段（{settings.quiet_hours[0]:%H:%M}–{settings.quiet_hours[1]:%H:%M}）："
            f"这些消息等到 {settings.quiet_hours[1]:%H:%M} 再发。")
    running = await sender_running(engine)
    if running is False:
        out("现在没有机器人进程在这个数据库上运行定时任务：等有一个启动时再发出。")
    return 0

