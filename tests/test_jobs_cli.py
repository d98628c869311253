"""`louzu jobs list` and `louzu jobs run`: a job run by hand, in another process, sent by the running bot."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import replace

import pytest
from sqlalchemy import select

from bot.cli import jobs as jobs_cli
from bot.cli import main
from storage.models import OutboxMessage
from tests.test_notices import sent_after
from tests.timekit import drive_scheduler_with

COMMITTEE = "居委会群"


@pytest.fixture
def settings(settings):
    return replace(settings, committee_room=COMMITTEE, outbox_poll_seconds=0.05)


async def jobs(settings, clock, *argv: str) -> tuple[int, list[str]]:
    """`louzu jobs …` against the bot's database, as another process would run it; its exit code and lines."""
    lines: list[str] = []
    what, *rest = argv
    name = rest.pop(0) if what == "run" else ""
    room = rest[rest.index("--room") + 1] if "--room" in rest else None
    code = await jobs_cli.run(settings, what, clock, lines.append, name=name, room=room, again="--again" in rest)
    return code, lines


async def two_buildings(chat) -> None:
    await chat.setup_building()
    await chat.setup_building("11号楼群", "11号楼", "周楼长")


async def rooms_of(chat, batch: str) -> list[str]:
    return sorted(await chat.scalars(select(OutboxMessage.room_id).where(OutboxMessage.batch == batch)))


async def test_a_job_run_by_hand_is_sent_by_the_running_bot_within_its_poll(chat, clock, settings):
    await two_buildings(chat)
    await chat.app.start_background()  # the bot runs: it leads, and its outbox worker polls every 0.05 s
    before = len(chat.transport.sent)
    code, lines = await jobs(settings, clock, "run", "weekly_ranking")
    assert code == 0
    assert lines[0] == ("weekly_ranking 已于 2026-11-25 10:00 运行，3 条消息已放进发件箱，发往："
                        f"11号楼群、12号楼群、{COMMITTEE}（居委会）。")
    assert lines[1] == "运行定时任务的机器人会在 0.05 秒内（LOUZU_OUTBOX_POLL_SECONDS）开始发送，每条间隔 1.5–3 秒。"
    assert len(lines) == 2  # (on PostgreSQL it can tell that a bot runs the jobs: no warning that none does)
    # Nothing woke the bot's outbox (the posts came from elsewhere): its poll finds them.
    def rankings():
        return [p for p in chat.transport.sent[before:] if "上周" in p.text]

    async def statuses():
        return await chat.scalars(select(OutboxMessage.status).where(OutboxMessage.batch == "weekly_ranking"))

    # Regression (flaky on a loaded machine): the last post is said a moment before it is marked sent.
    deadline = time.monotonic() + 10
    while (len(rankings()) < 3 or await statuses() != ["sent"] * 3) and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    assert sorted(p.room_id for p in rankings()) == sorted(["11号楼群", "12号楼群", COMMITTEE])
    assert await statuses() == ["sent"] * 3


async def test_a_second_run_in_the_same_week_posts_nowhere_twice_unless_told_again(chat, clock, settings):
    await two_buildings(chat)
    assert (await jobs(settings, clock, "run", "weekly_ranking"))[0] == 0
    code, lines = await jobs(settings, clock, "run", "weekly_ranking")
    assert code == 0 and lines == [
        f"已跳过 3 个本周已经发过 weekly_ranking 的群（2026-11-23 00:00 以来）："
        f"11号楼群、12号楼群、{COMMITTEE}（居委会）；加 --again 可以再发一次。",
        "weekly_ranking 已于 2026-11-25 10:00 运行：没有其他要发的消息。"]
    # The scheduled run that week leaves them out too (a run by hand on Monday morning, then 09:00).
    assert await chat.app.schedules.jobs.run("weekly_ranking") == 0
    # A group bound since gets it; the others still do not.
    await chat.setup_building("3号楼群", "3号楼", "吴楼长")
    code, lines = await jobs(settings, clock, "run", "weekly_ranking")
    assert lines[1] == "weekly_ranking 已于 2026-11-25 10:00 运行，1 条消息已放进发件箱，发往：3号楼群。"
    if chat.app.engine.dialect.name == "postgresql":  # there it can tell that no bot runs the jobs now
        assert lines[-1] == "现在没有机器人进程在这个数据库上运行定时任务：等有一个启动时再发出。"

    # --again posts it anyway; --room limits it to one group.
    code, lines = await jobs(settings, clock, "run", "weekly_ranking", "--again", "--room", "12号楼群")
    assert code == 0 and lines[0].endswith("1 条消息已放进发件箱，发往：12号楼群。")
    assert await rooms_of(chat, "weekly_ranking") == sorted(["11号楼群", "12号楼群", "12号楼群", "3号楼群", COMMITTEE])
    # Next week is another week.
    clock.advance(days=7)
    assert (await jobs(settings, clock, "run", "weekly_ranking"))[1][0].startswith(
        "weekly_ranking 已于 2026-12-02 10:00 运行，4 条消息")


async def test_two_runs_at_the_same_moment_post_once(chat, clock, settings):
    """The scheduler's run and one by hand at once (two processes): the second waits for the first's commit."""
    await two_buildings(chat)
    engine = jobs_cli.make_engine(settings.database_url)  # another process's connection to the database
    by_hand = jobs_cli.standalone_runner(settings, engine, clock)
    inside: list[int] = []
    both_inside = asyncio.Event()

    def meeting(job):
        async def run(ctx):
            posts = await job(ctx)
            # Both transactions are open here at once (on SQLite the second cannot begin: it waits).
            inside.append(1)
            if len(inside) == 2:
                both_inside.set()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(both_inside.wait(), 0.5)
            return posts
        return run

    for runner in (chat.app.schedules.jobs, by_hand):
        runner.table["weekly_ranking"] = meeting(runner.table["weekly_ranking"])
    try:
        results = await asyncio.gather(chat.app.schedules.jobs.run_now("weekly_ranking"),
                                       by_hand.run_now("weekly_ranking"))
    finally:
        await engine.dispose()
    assert sorted((r.kept, len(r.left_out)) for r in results) == [(0, 3), (3, 0)]
    assert await rooms_of(chat, "weekly_ranking") == sorted(["11号楼群", "12号楼群", COMMITTEE])


async def test_the_honour_list_is_once_a_month_and_reminders_run_when_asked(chat, clock, settings):
    clock.set_local("2026-10-20 10:00", settings.timezone)
    await two_buildings(chat)
    await chat.one("[12号楼群] 张阿姨: #打卡 捡垃圾")  # someone to honour in October: an empty list is not posted
    clock.set_local("2026-11-25 10:00", settings.timezone)
    code, lines = await jobs(settings, clock, "run", "honour_list", "--room", "11号楼群")
    assert code == 0 and lines[0].endswith("1 条消息已放进发件箱，发往：11号楼群。")
    code, lines = await jobs(settings, clock, "run", "honour_list")
    assert lines[0].startswith("已跳过 1 个本月已经发过 honour_list 的群（2026-11-01 00:00 以来）")
    assert lines[1].endswith("1 条消息已放进发件箱，发往：12号楼群。")
    before = len(chat.transport.sent)
    said = await sent_after(chat, before)
    picture = settings.data_dir.resolve() / "honour" / "2026-10.png"
    assert [p.image for p in chat.transport.sent[before:]] == [picture, picture]
    assert [line.split("] ")[0] for line in said] == ["[11号楼群", "[12号楼群"]
    assert all(line.split("] ")[1].startswith("【2026年10月光荣榜】") for line in said)
    # Reminders are run by their own name (or reminder:<name>), every time they are asked for.
    for name in ("daily_patrol", "reminder:daily_patrol"):
        code, lines = await jobs(settings, clock, "run", name)
        assert code == 0 and lines[0].startswith("daily_patrol 已于 2026-11-25 10:00 运行，2 条消息")
    assert await rooms_of(chat, "reminder:daily_patrol") == ["11号楼群", "11号楼群", "12号楼群", "12号楼群"]


async def test_jobs_that_change_things_run_for_every_building(chat, clock, settings):
    await chat.setup_building()
    await chat.one("[12号楼群] 张阿姨: #打卡 志愿服务 2")
    code, lines = await jobs(settings, clock, "run", "expire_claims", "--room", "12号楼群")
    assert code == 2 and lines == ["louzu: expire_claims 会改动每栋楼的记录，只能对全部楼栋运行；"
                                   "--room 只用于 weekly_ranking、honour_list 和提醒"]
    assert (await jobs(settings, clock, "run", "claim_expiry"))[1] == [
        "expire_claims 已于 2026-11-25 10:00 运行：没有要发的消息。"]
    clock.advance(days=8)
    code, lines = await jobs(settings, clock, "run", "claim_expiry")  # the setting's name works too
    assert code == 0 and lines[0] == "expire_claims 已于 2026-12-03 10:00 运行，1 条消息已放进发件箱，发往：12号楼群。"
    said = await sent_after(chat, len(chat.transport.sent))
    assert said[0].startswith("[12号楼群] @张阿姨 C1（志愿服务 2小时）超过 7 天没有审核，已过期")
    assert (await jobs(settings, clock, "run", "auto_close"))[1] == [  # another setting's name
        "close_unconfirmed 已于 2026-12-03 10:00 运行：没有要发的消息。"]


async def test_a_switched_off_job_runs_by_hand_and_quiet_hours_are_said(chat, clock, settings):
    await chat.setup_building()
    off = replace(settings, job_times={"LOUZU_WEEKLY_RANKING_AT": None})
    clock.set_local("2026-11-25 23:00", settings.timezone)
    code, lines = await jobs(off, clock, "run", "job:weekly_ranking")
    assert code == 0
    assert lines[0] == "提示：weekly_ranking 已关闭（LOUZU_WEEKLY_RANKING_AT=off），仍按要求手动运行。"
    assert "现在是免打扰时段（22:00–07:00）：这些消息等到 07:00 再发。" in lines
    assert await sent_after(chat, len(chat.transport.sent)) == []
    clock.set_local("2026-11-26 07:00", settings.timezone)
    assert len(await sent_after(chat, len(chat.transport.sent))) == 2


async def test_unknown_jobs_failures_and_a_missing_database_are_refused(chat, clock, settings, tmp_path):
    code, lines = await jobs(settings, clock, "run", "monthly_ranking")
    assert code == 2 and lines == ["louzu: 没有叫 monthly_ranking 的内置任务；可用的任务：weekly_ranking, "
                                   "honour_list, overdue_reports, pending_digest, expire_claims, close_unconfirmed, "
                                   "chain_reminders, close_chains, prune_processed, daily_patrol, weekly_cleanup"]
    elsewhere = replace(settings, data_dir=tmp_path / "elsewhere", database_url="")
    code, lines = await jobs(elsewhere, clock, "list")
    assert code == 2 and lines[0].startswith(f"louzu: {tmp_path / 'elsewhere' / 'louzu.db'} 没有数据库：请在机器人运行的目录")
    assert not (tmp_path / "elsewhere").exists()

    async def broken(ctx):
        raise RuntimeError("the ranking query broke")

    original = jobs_cli.JobRunner

    class Broken(original):
        def __init__(self, *args, **options):
            super().__init__(*args, **options)
            self.table["weekly_ranking"] = broken

    jobs_cli.JobRunner = Broken
    try:
        code, lines = await jobs(settings, clock, "run", "weekly_ranking")
    finally:
        jobs_cli.JobRunner = original
    assert code == 1 and lines == ["louzu: weekly_ranking 运行失败，没有改动任何记录（错误见上方日志）"]


async def test_jobs_list_shows_settings_state_next_run_and_last_posts(chat, clock, settings, monkeypatch):
    await chat.setup_building()
    clock.advance(minutes=1)  # 10:01
    changed = replace(settings, job_times={"LOUZU_HONOUR_LIST_AT": None})
    code, lines = await jobs(changed, clock, "list")
    assert code == 0
    table = {line.split()[0]: line.split() for line in lines[2:12]}
    assert table["weekly_ranking"] == ["weekly_ranking", "LOUZU_WEEKLY_RANKING_AT", "0", "9", "*", "*", "mon", "开",
                                       "2026-11-30", "09:00", "-"]
    assert table["honour_list"][1:] == ["LOUZU_HONOUR_LIST_AT", "off", "关", "-", "-"]
    assert table["overdue_reports"][-3:] == ["2026-11-25", "11:00", "-"]
    assert table["daily_patrol"][1] == "LOUZU_REMINDERS_FILE" and table["daily_patrol"][-3:] == ["2026-11-26", "08:00", "-"]
    assert "  提示：weekly_ranking：还没排进计划；机器人下次启动时生效" in lines

    # Once the bot has scheduled them, the next runs are the ones its scheduler keeps; a run shows as the last posts.
    drive_scheduler_with(monkeypatch, clock)
    await chat.app.schedules.step()
    await jobs(settings, clock, "run", "weekly_ranking")
    clock.set_local("2026-11-30 12:00", settings.timezone)  # the bot was down at Monday 09:00
    code, lines = await jobs(settings, clock, "list")
    table = {line.split()[0]: line.split() for line in lines[2:12]}
    assert table["weekly_ranking"][-6:] == ["2026-11-30", "09:00", "2026-11-25", "10:01", "（2", "条）"]
    assert ("  提示：weekly_ranking：2026-11-30 09:00 那次错过了；机器人恢复后补跑一次"
            "（在 LOUZU_MISFIRE_GRACE_HOURS 之内）") in lines
    assert not [line for line in lines if "还没排进计划" in line]


def test_the_command_line_takes_jobs(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LOUZU_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert main(["jobs", "run", "weekly_ranking"]) == 2
    assert "没有数据库" in capsys.readouterr().err
    assert main(["jobs", "run"]) == 2
    assert capsys.readouterr().err == "louzu: 缺少参数 任务（`louzu jobs run --help` 查看用法）\n"
    assert main(["jobs", "run", "--help"]) == 0
    assert "现在运行一个内置任务" in capsys.readouterr().out


async def test_regression_a_bot_on_another_database_of_the_server_is_not_taken_for_ours(postgres_database_url):
    # Another community's bot (or another test run) on the same PostgreSQL server holds the lock in its database.
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from schedules.election import LOCK_KEY
    from storage.db import make_engine

    ours = make_engine(postgres_database_url)
    theirs = make_engine(make_url(postgres_database_url).set(database="postgres"))
    try:
        async with theirs.connect() as other:
            assert await other.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": LOCK_KEY})
            assert await jobs_cli.sender_running(ours) is False
            async with ours.connect() as same:
                await same.scalar(text("SELECT pg_advisory_lock(:key)"), {"key": LOCK_KEY})
                assert await jobs_cli.sender_running(ours) is True
                await same.scalar(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
            await other.scalar(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
    finally:
        await ours.dispose()
        await theirs.dispose()


async def test_a_group_is_named_by_its_latest_name_which_a_message_without_one_keeps(chat, clock, settings):
    await chat.send(chat.message("[r-12] 王主任: #绑定 12号楼", room_topic="12号楼群"))
    await chat.send(chat.message("[r-12] 张阿姨: #打卡 捡垃圾", room_topic="12号楼业主群"))  # renamed in WeChat
    await chat.send(chat.message("[r-12] 张阿姨: #我的积分", room_topic=""))  # WeChat gave no name this time
    code, lines = await jobs(settings, clock, "run", "weekly_ranking")
    assert (code, lines[0]) == (0, "weekly_ranking 已于 2026-11-25 10:00 运行，2 条消息已放进发件箱，发往："
                                   f"r-12（12号楼业主群）、{COMMITTEE}（居委会）。")
