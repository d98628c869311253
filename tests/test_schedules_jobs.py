"""Each built-in job's output, run through the job entry as the scheduler runs it, on a fake clock."""

from __future__ import annotations

import logging
import re
from dataclasses import replace

import pytest
from PIL import Image
from sqlalchemy import select

from storage.models import OutboxMessage, Report
from tests.test_notices import sent_after

TZ_ROOM = "居委会群"


@pytest.fixture
def settings(settings):
    return replace(settings, committee_room=TZ_ROOM)


async def run(chat, job: str, *args) -> list[str]:
    """Run a job now, then send what it kept; the lines the bot said."""
    before = len(chat.transport.sent)
    await chat.app.schedules.jobs.run(job, *args)
    return await sent_after(chat, before)


async def two_buildings(chat) -> None:
    await chat.setup_building()
    await chat.setup_building("11号楼群", "11号楼", "周楼长")


async def test_weekly_ranking_to_each_group_and_the_table_to_the_committee(chat, clock):
    tz = chat.app.settings.timezone
    clock.set_local("2026-11-16 08:00", tz)  # bound on the first day of the week before last: it has stars
    await two_buildings(chat)
    clock.set_local("2026-11-18 10:00", tz)  # the week before last
    await chat("[12号楼群] 张阿姨: #打卡 捡垃圾")
    clock.set_local("2026-11-24 10:00", tz)  # last week
    for _ in range(3):
        await chat("[12号楼群] 张阿姨: #打卡 捡垃圾")
    await chat("[12号楼群] 老王: #打卡 清理楼道")
    await chat("[12号楼群] 老李: #打卡 清理楼道")
    clock.set_local("2026-11-30 09:00", tz)  # Monday: the job's time
    await chat("[12号楼群] 小陈: #打卡 捡垃圾")  # this week: not in last week's ranking
    said = await run(chat, "weekly_ranking")
    by_room = {line.split("] ", 1)[0][1:]: line.split("] ", 1)[1] for line in said}
    assert set(by_room) == {"12号楼群", "11号楼群", TZ_ROOM}
    twelve = by_room["12号楼群"].splitlines()
    assert twelve[:4] == ["【12号楼 上周爱心积分榜】11月23日–11月29日", "1. 张阿姨 6 分", "2. 老王 5 分", "2. 老李 5 分"]
    assert twelve[4:] == ["本楼星级：★★★☆☆（3 星），比前一周多 1 星",
                          "60%的住户参与了，没有人巡查，没有报修，人均 3.2 分。", "谢谢大家！发送 #排行 可随时查看本周排行。"]
    assert by_room["11号楼群"].splitlines()[1] == "上周还没有人上榜，这周一起来 #打卡 吧！"
    table = by_room[TZ_ROOM].splitlines()
    assert table[0] == "【各楼上周星级】11月23日–11月29日（2 栋）"
    assert table[1:] == ["12号楼 ★★★☆☆ 3 星（+1） 60%的住户参与 0 天有巡查 上榜 3 人 积分 16",
                         "11号楼 ★★☆☆☆ 2 星（持平） 0%的住户参与 0 天有巡查 上榜 0 人 积分 0"]


async def test_honour_list_picture_and_text_to_every_group(chat, clock):
    await two_buildings(chat)
    tz = chat.app.settings.timezone
    assert "保洁" in await chat.one("[12号楼群] 王主任: #设角色 @王师傅 保洁")
    clock.set_local("2026-11-10 10:00", tz)
    await chat("[12号楼群] 刘䶮: #打卡 清理楼道")
    await chat("[12号楼群] 刘䶮: #打卡 捡垃圾")
    await chat("[11号楼群] 𠮷田: #打卡 捡垃圾")
    await chat("[12号楼群] 张阿姨: #点赞 @王师傅 楼道扫得真干净")
    await chat("[12号楼群] 老李: #点赞 @王师傅")
    clock.set_local("2026-12-01 10:00", tz)
    before = len(chat.transport.sent)
    await chat.app.schedules.jobs.run("honour_list")
    await chat.app.outbox.drain()
    posts = chat.transport.sent[before:]
    assert sorted(p.room_id for p in posts) == ["11号楼群", "12号楼群"]
    picture = chat.app.settings.data_dir.resolve() / "honour" / "2026-11.png"
    assert all(p.image == picture for p in posts)
    with Image.open(picture) as image:
        assert image.format == "PNG" and image.width == 1080
    text = posts[0].text
    assert text.startswith("【2026年11月光荣榜】\n◆ 爱心积分前十名\n1. 刘䶮（12号楼）7 分\n"
                           "2. 王师傅（12号楼）2 分\n2. 𠮷田（11号楼）2 分\n")  # thanks earn a point each
    assert "◆ 各楼第一名\n11号楼：𠮷田 2 分\n12号楼：刘䶮 7 分" in text
    assert "◆ 保洁之星\n1. 王师傅 收到点赞 2 次" in text
    assert "星级楼组" not in text  # bound on 25 November: no whole week of November to average


async def test_overdue_reports_go_to_leaders_then_grid_leaders_and_committee_once_each(chat, clock):
    await chat.setup_building()
    await chat.one("[12号楼群] 王主任: #设角色 @赵网格 网格长")
    await chat.one("[12号楼群] 张阿姨: #报修 3楼楼道堆了纸箱")
    await chat.one("[12号楼群] 张阿姨: #报修 车棚电动车乱停")
    await chat.one("[12号楼群] 李楼长: #处理 R2 已挪走")
    clock.advance(hours=47)
    assert await run(chat, "overdue_reports") == []
    clock.advance(hours=2)
    assert await run(chat, "overdue_reports") == [
        "[12号楼群] @李楼长 R1（楼道堆物：3楼楼道堆了纸箱）已2天1小时未处理，请楼组长跟进；处理后发送 #处理 R1 和处理情况，例如：#处理 R1 已清理。"]
    clock.advance(hours=1)
    assert await run(chat, "overdue_reports") == []  # raised once, not every hour
    clock.advance(hours=47)
    assert await run(chat, "overdue_reports") == [
        "[12号楼群] @赵网格 R1（楼道堆物：3楼楼道堆了纸箱）已4天1小时未处理，已转网格长和居委会跟进；处理后发送 #处理 R1 和处理情况，例如：#处理 R1 已清理。",
        f"[{TZ_ROOM}] 【超时未处理的报修】\n12号楼 R1（楼道堆物：3楼楼道堆了纸箱）已4天1小时未处理"]
    clock.advance(hours=5)
    assert await run(chat, "overdue_reports") == []


async def test_a_report_found_late_is_escalated_without_the_first_alert(chat, clock):
    await chat.setup_building()
    await chat.one("[12号楼群] 张阿姨: #报修 楼道灯坏了")
    clock.advance(days=5)
    said = await run(chat, "overdue_reports")
    # No 网格长 in this building: the group is told the truth, the committee is told, the leader is @-ed.
    assert len(said) == 2 and "已转居委会跟进" in said[0] and said[0].startswith("[12号楼群] @李楼长 ")
    assert await run(chat, "overdue_reports") == []


async def test_reminders_mention_the_roles_they_name(chat):
    await two_buildings(chat)
    await chat.one("[12号楼群] 王主任: #设角色 @陈党员 党员")
    await chat.one("[12号楼群] 王主任: #设角色 @刘志愿 志愿者")
    said = await run(chat, "reminder", "daily_patrol")
    assert sorted(line.split(" ", 3)[:3] for line in said) == [["[11号楼群]", "早上好！今天的楼道巡查拜托各位党员和志愿者了：看看楼道、消防通道和车棚，巡查后发送",
                                                                 "#巡查"],
                                                                ["[12号楼群]", "@陈党员", "@刘志愿"]]
    cleanup = await run(chat, "reminder", "weekly_cleanup")
    assert len(cleanup) == 2 and all("周六大扫除" in line for line in cleanup)
    assert await run(chat, "reminder", "no_such_reminder") == []


async def test_expired_claims_and_unconfirmed_reports_through_the_jobs(chat, clock):
    await chat.setup_building()
    await chat.one("[12号楼群] 张阿姨: #打卡 志愿服务 2")
    await chat.one("[12号楼群] 张阿姨: #报修 3楼楼道堆了纸箱")
    await chat.one("[12号楼群] 李楼长: #处理 R1 已清理")
    clock.advance(days=8)
    expired = await run(chat, "expire_claims")
    assert len(expired) == 1 and expired[0].startswith("[12号楼群] @张阿姨 C1（志愿服务 2小时）超过 7 天没有审核，已过期")
    closed = await run(chat, "close_unconfirmed")
    assert len(closed) == 1 and "R1" in closed[0] and "已自动关闭" in closed[0]
    assert await chat.scalars(select(Report.status)) == ["closed"]


async def test_an_expired_claim_is_told_in_the_buildings_group_when_its_own_group_moved_to_another(chat, clock):
    """The group a claim was made in was bound to another building meanwhile: the claimant is told in the group
    the building still has."""
    await chat.setup_building()
    await chat.one("[12号楼群二] 王主任: #绑定 12号楼")
    await chat.one("[12号楼群] 张阿姨: #打卡 志愿服务 2")
    assert "确认" in await chat.one("[12号楼群] 王主任: #绑定 13号楼")
    assert "改绑到 13号楼" in await chat.one("[12号楼群] 王主任: #绑定 13号楼 确认")
    clock.advance(days=8)
    expired = await run(chat, "expire_claims")
    assert len(expired) == 1 and expired[0].startswith("[12号楼群二] @张阿姨 C1（志愿服务 2小时）超过 7 天没有审核，已过期")


async def test_posts_of_a_job_at_night_wait_for_the_morning(chat, clock):
    await chat.setup_building()
    clock.set_local("2026-11-25 23:30", chat.app.settings.timezone)
    assert await run(chat, "reminder", "weekly_cleanup") == []
    assert await chat.count(OutboxMessage, OutboxMessage.status == "pending") == 1
    clock.set_local("2026-11-26 07:00", chat.app.settings.timezone)
    assert len(await sent_after(chat, len(chat.transport.sent))) == 1


async def test_a_failing_job_is_logged_and_changes_nothing(chat, clock, caplog):
    await chat.setup_building()

    async def broken(ctx):
        ctx.session.add(OutboxMessage(batch="x", priority=1, room_id="12号楼群", text="half", mention="",
                                      hold_quiet=False, status="pending", attempts=0, not_before=ctx.now,
                                      last_error="", created_at=ctx.now))
        raise RuntimeError("the ranking query broke")

    chat.app.schedules.jobs.table["weekly_ranking"] = broken
    caplog.set_level(logging.ERROR)
    assert await chat.app.schedules.jobs.run("weekly_ranking") == 0
    assert "scheduled job weekly_ranking() failed" in caplog.text and "the ranking query broke" in caplog.text
    assert await chat.count(OutboxMessage) == 0  # its transaction was rolled back whole
    assert await chat.app.schedules.jobs.run("no_such_job") == 0
