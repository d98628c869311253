"""#通知, #定时, #定时列表, #取消定时 through the whole bot, refusals included."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import OutboxMessage, ScheduledNotice
from tests.timekit import drive_scheduler_with


async def sent_after(chat, before: int) -> list[str]:
    """Drain the outbox; the lines the bot said since ``before``, as people read them."""
    await chat.app.outbox.drain()
    return [f"[{r.room_id}] {chat.transport.render(r)}" for r in chat.transport.sent[before:]]


async def three_buildings(chat) -> None:
    await chat.setup_building()
    await chat.setup_building("11号楼群", "11号楼", "周楼长")
    await chat.setup_building("3号楼群", "3号楼", "吴楼长")
    # A group the bot is in that is bound to no building (a command makes the bot record it).
    assert "还没有绑定楼栋" in await chat.one("[闲聊群] 张阿姨: #帮助")


async def test_a_leader_posts_a_notice_in_this_group(chat):
    await chat.setup_building()
    before = len(chat.transport.sent)
    assert await chat("[12号楼群] 李楼长: #通知 本周六上午9点楼道大扫除，请大家清理门前杂物") == []
    assert await sent_after(chat, before) == ["[12号楼群] 【通知】本周六上午9点楼道大扫除，请大家清理门前杂物\n——李楼长"]


async def test_residents_and_building_leaders_are_refused_what_is_not_theirs(chat):
    await three_buildings(chat)
    assert await chat.one("[12号楼群] 张阿姨: #通知 明天停水") == (
        "@张阿姨 #通知 只有楼组长可以使用。发送 #帮助 查看你可用的指令。")
    assert await chat.one("[12号楼群] 李楼长: #通知 全部 明天停水") == (
        "@李楼长 #通知 全部 只有居委会管理员可以使用；在本群发通知请发送，例如：#通知 本周六上午9点楼道大扫除")
    assert "请写上通知内容" in await chat.one("[12号楼群] 李楼长: #notice")
    assert await chat.count(OutboxMessage) == 0


async def test_notice_to_every_bound_group_reaches_each_once(chat):
    await three_buildings(chat)
    line = "[居委会群] 王主任: #通知 全部 本周六上午9点小区消防演练"
    message = chat.message(line)
    before = len(chat.transport.sent)
    await chat.send(message)
    await chat.send(message)  # the same message delivered twice by the network
    said = await sent_after(chat, before)
    assert said[0] == "[居委会群] @王主任 通知已排队发往 3 个楼组群，逐个发出，约 1 分钟发完。"
    posts = sorted(said[1:])
    assert posts == sorted(f"[{room}] 【通知】本周六上午9点小区消防演练\n——王主任"
                           for room in ("11号楼群", "12号楼群", "3号楼群"))
    assert await chat.count(OutboxMessage) == 3  # the second delivery kept nothing more to send


async def test_schedule_a_one_off_notice_that_arrives_at_its_time(chat, clock, monkeypatch):
    await chat.setup_building()
    drive_scheduler_with(monkeypatch, clock)  # APScheduler reads the fake clock
    await chat.app.schedules.step()  # this process leads and runs the scheduler
    reply = await chat.one("[12号楼群] 李楼长: #定时 今天 18:00 今晚停水，请提前储水")
    assert reply == "@李楼长 S1 已设定：11月25日 18:00 在本群发送“今晚停水，请提前储水”。发送 #定时列表 查看，#取消定时 S1 取消。"
    job = chat.app.schedules.scheduler.get_job("notice:1")
    assert f"{job.next_run_time:%Y-%m-%d %H:%M}" == "2026-11-25 18:00"
    before = len(chat.transport.sent)
    clock.set_local("2026-11-25 17:59", chat.app.settings.timezone)
    await chat.app.schedules.run_due()
    await chat.app.schedules.settle()
    assert await sent_after(chat, before) == []
    clock.set_local("2026-11-25 18:00", chat.app.settings.timezone)
    await chat.app.schedules.run_due()
    await chat.app.schedules.settle()
    assert await sent_after(chat, before) == ["[12号楼群] 【定时通知】今晚停水，请提前储水"]
    assert chat.app.schedules.scheduler.get_job("notice:1") is None  # a one-off runs once
    assert await chat.scalars(select(ScheduledNotice.status)) == ["done"]
    assert "本群没有定时通知" in await chat.one("[12号楼群] 李楼长: #定时列表")


async def test_repeating_notices_are_listed_and_cancelled_by_their_own_group_only(chat):
    await chat.setup_building()
    await chat.setup_building("11号楼群", "11号楼", "周楼长")
    await chat.app.schedules.step()
    assert (await chat.one("[12号楼群] 李楼长: #定时 每周六 09:00 周六大扫除")).startswith("@李楼长 S1 已设定：每周六 09:00")
    assert (await chat.one("[12号楼群] 李楼长: #schedule 每月1日 10:00 交物业费")).startswith("@李楼长 S2 已设定")
    assert (await chat.one("[11号楼群] 周楼长: #定时 每天 07:30 早安")).startswith("@周楼长 S3 已设定")
    scheduler = chat.app.schedules.scheduler
    assert {j.id for j in scheduler.get_jobs() if j.id.startswith("notice:")} == {"notice:1", "notice:2", "notice:3"}
    assert await chat.one("[12号楼群] 李楼长: #定时列表") == (
        "@李楼长 本群的定时通知（取消发送，例如：#取消定时 S1）：\n"
        "S1 每周六 09:00，下次 11月28日 09:00：周六大扫除\n"
        "S2 每月1日 10:00，下次 12月1日 10:00：交物业费")
    assert await chat.one("[11号楼群] 周楼长: #取消定时 S1") == (
        "@周楼长 本群没有定时通知 S1，发送 #定时列表 查看本群的定时通知。")
    assert await chat.one("[12号楼群] 李楼长: #取消定时 S9") == (
        "@李楼长 本群没有定时通知 S9，发送 #定时列表 查看本群的定时通知。")
    assert await chat.one("[12号楼群] 张阿姨: #取消定时 S1") == (
        "@张阿姨 #取消定时 只有楼组长可以使用。发送 #帮助 查看你可用的指令。")
    assert await chat.one("[12号楼群] 李楼长: #取消定时 s1") == "@李楼长 S1（每周六 09:00：周六大扫除）已取消。"
    assert "notice:1" not in {j.id for j in scheduler.get_jobs()}  # taken off the scheduler after the commit
    assert await chat.one("[12号楼群] 李楼长: #unschedule S1") == "@李楼长 S1 已经取消了，无需取消。"
    assert await chat.one("[12号楼群] 王主任: #取消定时 S2") == "@王主任 S2（每月1日 10:00：交物业费）已取消。"


async def test_a_cancelled_notice_is_not_posted_even_if_its_job_fires(chat):
    await chat.setup_building()
    await chat.one("[12号楼群] 李楼长: #定时 明天 08:30 记得倒垃圾")
    await chat.one("[12号楼群] 李楼长: #取消定时 S1")  # no scheduler running here: nothing to take off
    before = len(chat.transport.sent)
    assert await chat.app.schedules.jobs.run("notice", 1) == 0
    assert await sent_after(chat, before) == []


async def test_schedule_refusals(chat, clock):
    await chat.setup_building()
    example = ("@李楼长 没看懂时间，可以这样写：#定时 每周六 09:00 请大家清理门前杂物（时间还可以写：每天 7:30、"
               "每周三 下午2点、明早8点、今晚7点半、下周一 9点、12月1日 9:00）")
    assert await chat.one("[12号楼群] 李楼长: #定时 过几天 09:00 开会") == example
    assert await chat.one("[12号楼群] 李楼长: #定时 明天 3点 开会") == (
        "@李楼长 3点是早上还是下午？请写明，例如：下午3点 或 早上3点")
    assert await chat.one("[12号楼群] 李楼长: #定时 开会") == example
    assert await chat.one("[12号楼群] 李楼长: #定时 今天 09:00 开会") == (
        "@李楼长 11月25日 09:00 已经过去了，请写一个以后的时间，例如：#定时 明天 08:30 开会")
    assert (await chat.one("[12号楼群] 李楼长: #定时 2026-11-01 09:00 开会")).startswith("@李楼长 11月1日 09:00 已经过去了")
    assert await chat.one("[12号楼群] 李楼长: #定时 明天 08:30") == (
        "@李楼长 请写上通知内容，例如：#定时 11月26日 08:30 请大家清理门前杂物")
    assert await chat.one("[12号楼群] 张阿姨: #定时 明天 08:30 开会") == (
        "@张阿姨 #定时 只有楼组长可以使用。发送 #帮助 查看你可用的指令。")
    assert await chat.one("[12号楼群] 李楼长: #定时 每月30日 10:00 交水费") == (
        "@李楼长 每月30日不是每个月都有（二月没有），请选 1–28 日，或写 每月最后一天 10:00")
    assert await chat.count(ScheduledNotice) == 0
    assert (await chat.one("[12号楼群] 李楼长: #定时 每月31日 10:00 交水费")).startswith(
        "@李楼长 S1 已设定：每月最后一天 10:00")


async def test_a_notice_at_night_says_it_waits_for_the_morning(chat):
    await chat.setup_building()
    reply = await chat.one("[12号楼群] 李楼长: #定时 每天 23:00 关好门窗")
    assert "（22:00–07:00 是免打扰时段，会在 07:00 后发出）" in reply
