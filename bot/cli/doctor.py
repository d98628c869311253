"""`louzu doctor`: is everything the bot needs in place? A ✓/✗ table, with what to do for each ✗.

``checks(settings)`` does the checking and returns rows (the web desk can show the same);
the command prints them, then the scheduled jobs and the sends that failed.
"""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import click
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, select

from bot.cli import ui
from bot.cli.state import settings_of
from bot.core.clock import utc_now
from bot.core.settings import Settings
from storage import outbox
from storage.db import alembic_config, make_engine, make_sessionmaker, missing_database
from storage.models import OutboxMessage, ScheduledNotice, scheduler_jobs
from storage.notices import ACTIVE

OK, BAD, NOT_HERE = "✓", "✗", "–"
GATEWAY_TIMEOUT = 3.0  # seconds to wait for the puppet service to accept a connection


@dataclass
class Check:
    mark: str
    what: str
    result: str
    todo: str = ""  # one line of what to do, for a ✗


@dataclass
class Findings:
    checks: list[Check] = field(default_factory=list)
    jobs: list[tuple[str, str]] = field(default_factory=list)  # job id, next run (local) or 暂停
    failed: list[OutboxMessage] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return all(check.mark != BAD for check in self.checks)


async def checks(settings: Settings, now: datetime | None = None) -> Findings:
    """``now`` (aware; default the wall clock) is what the accounts' heartbeats are measured against."""
    found = Findings()
    add = found.checks.append
    transport = settings.chosen_transport()
    admins = len(settings.admin_ids)
    add(Check(OK if admins else BAD, "设置", f"传输方式 {transport}，管理员 {admins} 位，时区 {settings.timezone}",
              "" if admins else "在 .env 里写上 LOUZU_ADMIN_IDS=管理员的微信号（逗号分隔），否则没人能 #绑定"))
    add(await _gateway(settings, transport))
    add(_media(settings.media_dir))
    problem = missing_database(settings.database_url)
    if problem:
        add(Check(BAD, "数据库", problem, "在机器人运行的目录里执行，或先 `louzu db upgrade`"))
        return found
    engine = make_engine(settings.database_url)
    shown = engine.url.render_as_string(hide_password=True)
    try:
        try:
            async with engine.connect() as conn:
                current = await conn.run_sync(lambda sync: MigrationContext.configure(sync).get_current_revision())
        except Exception as error:  # any driver's refusal: said in one line, the check goes on
            add(Check(BAD, "数据库", f"{shown} 连不上：{str(error).splitlines()[0][:120]}",
                      "检查 DATABASE_URL，以及数据库服务是否在运行"))
            return found
        add(Check(OK, "数据库", f"{shown} 可以连接"))
        head = ScriptDirectory.from_config(alembic_config(settings.database_url)).get_current_head()
        if current != head:
            add(Check(BAD, "数据库结构", f"版本 {current or '空'}，最新 {head}",
                      "运行 `louzu db upgrade`（机器人启动时也会自动升级）"))
            return found
        add(Check(OK, "数据库结构", f"最新（{head}）"))
        await _records(settings, engine, found, now or utc_now())
    finally:
        await engine.dispose()
    return found


TLS_MODES = {
    "auto": "加密优先（网关只会明文时退回明文，并在日志里警告）",
    "on": "只用加密连接",
    "off": "明文连接（令牌和消息不加密，只适合网关在本机或内网）",
}


async def _gateway(settings: Settings, transport: str) -> Check:
    if transport != "wechaty":
        return Check(NOT_HERE, "微信网关", "控制台模式，不连微信")
    tls = f"WECHATY_PUPPET_SERVICE_TLS={settings.puppet_tls}：{TLS_MODES[settings.puppet_tls]}"
    if not settings.puppet_endpoint:
        return Check(OK, "微信网关", f"由令牌经发现服务查找（这里不检查）；{tls}")
    host, _, port = settings.puppet_endpoint.rpartition(":")
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, int(port)), GATEWAY_TIMEOUT)
        writer.close()
    except (OSError, asyncio.TimeoutError) as error:
        reason = "超时" if isinstance(error, asyncio.TimeoutError) else (error.strerror or str(error))
        return Check(BAD, "微信网关", f"{settings.puppet_endpoint} 连不上（{reason}）",
                     "启动网关（例如 docker start wechaty-gateway），或改正 WECHATY_PUPPET_SERVICE_ENDPOINT")
    return Check(OK, "微信网关", f"{settings.puppet_endpoint} 可以连接；{tls}")


def _media(media: Path) -> Check:
    where = media if media.exists() else next((p for p in media.parents if p.exists()), Path("."))
    try:
        with tempfile.NamedTemporaryFile(dir=where, prefix=".doctor-"):
            pass
    except OSError as error:
        return Check(BAD, "照片目录", f"{where} 不能写入（{error.strerror or error}）",
                     f"让运行机器人的用户能写 {where}（例如 chown -R louzu {where}）")
    if not media.exists():
        return Check(OK, "照片目录", f"{media} 还没有（机器人启动时创建，{where} 可以写入）")
    return Check(OK, "照片目录", f"{media} 可以写入")


async def _records(settings: Settings, engine, found: Findings, now: datetime) -> None:
    tz = settings.timezone
    async with make_sessionmaker(engine)() as session:
        rows = (await session.execute(select(scheduler_jobs.c.id, scheduler_jobs.c.next_run_time)
                                      .order_by(scheduler_jobs.c.next_run_time))).all()
        found.jobs = [(job_id, datetime.fromtimestamp(at, timezone.utc).astimezone(tz).strftime("%Y-%m-%d %H:%M")
                       if at else "暂停") for job_id, at in rows]
        notices = await session.scalar(select(func.count(ScheduledNotice.id)).where(ScheduledNotice.status == ACTIVE))
        counts = await outbox.counts(session)
        found.failed = await outbox.failed(session)
        accounts = await outbox.waiting_for_accounts(session, now - settings.silent_after)
    found.checks.append(Check(OK, "定时任务", f"{len(found.jobs)} 个已排上（时区 {tz}）" if found.jobs
                              else "还没有排上（机器人启动后排上）；`louzu jobs list` 查看设置"))
    found.checks.append(Check(OK, "定时通知", f"还有 {notices} 条 S 编号的通知要发"))
    waiting = counts.get(outbox.PENDING, 0) + counts.get(outbox.SENDING, 0)
    sent, failed = counts.get(outbox.SENT, 0), counts.get(outbox.FAILED, 0)
    found.checks.append(Check(OK if not failed else BAD, "发送", f"待发 {waiting}，已发 {sent}，失败 {failed}",
                              "" if not failed else "失败的消息不会自动重发：检查网关和机器人账号，必要时在群里重新通知"))
    if accounts is not None:
        found.checks.extend(_accounts(accounts, now))


def _accounts(accounts: outbox.Presence, now: datetime) -> list[Check]:
    """Several WeChat accounts: which are alive, and whose groups' posts wait for a dead one."""
    rows = [Check(OK if accounts.live else BAD, "微信账号", f"{accounts.live} 个账号在线，共在 {accounts.live_rooms} 个群里",
                  "" if accounts.live else "启动各账号的机器人（louzu run），并确认它们的网关已登录")]
    for silent in accounts.silent:
        minutes = max(1, int((now - silent.heartbeat_at).total_seconds() // 60))
        who = f"账号 {silent.name or silent.account_id}（{silent.account_id}）已 {minutes} 分钟没有心跳"
        waiting = (f"它所在的 {silent.rooms} 个群的消息在等待（{silent.posts} 条）" if silent.rooms
                   else "它所在的群都有别的账号代发")
        rows.append(Check(BAD, "微信账号", f"{who}，{waiting}", "重启这个账号的机器人（louzu run）或它的网关"))
    if accounts.orphan_rooms:
        rows.append(Check(BAD, "微信账号", f"{accounts.orphan_rooms} 个群里没有任何机器人账号，"
                                         f"{accounts.orphan_posts} 条消息发不出去",
                          "把一个机器人账号拉进这些群（louzu doctor 再查一次）"))
    return rows


@click.command("doctor", cls=ui.Command, help="检查设置、数据库、微信网关、照片目录、定时任务和发送失败的消息。")
@click.pass_context
def doctor_command(ctx: click.Context) -> int:
    return ui.run(doctor(settings_of(ctx)))


async def doctor(settings: Settings, out=None) -> int:
    """Print the checks (or give ``out`` each line); 1 when something needs a person (a ✗), else 0."""
    found = await checks(settings)
    ui.table("louzu 体检", ["", "检查", "结果", "怎么办"], [(c.mark, c.what, c.result, c.todo) for c in found.checks],
             justify={0: "center"}, out=out)
    if found.jobs:
        ui.table("定时任务", ["任务", "下次运行"], found.jobs, out=out)
    if found.failed:
        tz = settings.timezone
        ui.table(f"发送失败的消息（最近 {len(found.failed)} 条）", ["编号", "时间", "群", "批次", "尝试", "错误", "内容"],
                 [(f"#{row.id}", f"{row.created_at.astimezone(tz):%Y-%m-%d %H:%M}", row.room_id, row.batch,
                   f"{row.attempts} 次", row.last_error, row.text[:40]) for row in found.failed], out=out)
    return 0 if found.healthy else 1
