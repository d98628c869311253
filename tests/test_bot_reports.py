"""Reports (随手拍) through the chat: open, photos, duplicates, assign, resolve, confirm, reopen, auto-close."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from bot.core.settings import Settings, SettingsError
from handlers.reports import guess_category
from schedules.expiry import close_unconfirmed
from schedules.registry import JobContext
from storage import reports as store
from storage.models import LedgerEntry, Member, PendingPhoto, Report, ReportEvent, ReportPhoto

ROOM = "12号楼群"


def picture(tmp_path: Path, name: str = "photo.png", colour: str = "red", size: int = 8) -> Path:
    path = tmp_path / name
    Image.new("RGB", (size, size), colour).save(path)
    return path


async def report(chat, number: int) -> Report:
    [found] = await chat.scalars(select(Report).where(Report.id == number))
    return found


async def events(chat, number: int) -> list[ReportEvent]:
    return await chat.scalars(select(ReportEvent).where(ReportEvent.report_id == number).order_by(ReportEvent.id))


async def opened(chat, who: str = "张阿姨", text: str = "3楼楼道堆了纸箱", room: str = ROOM) -> str:
    reply = await chat.one(f"[{room}] {who}: #报修 {text}")
    assert "已登记 R" in reply, reply
    return reply


async def resolved(chat, number: int = 1) -> None:
    assert f"R{number}" in await chat.one(f"[{ROOM}] 李楼长: #处理 R{number} 已清理")


# Opening -------------------------------------------------------------------------------------

async def test_report_opens_with_category_reporter_time_and_a_history_row(chat, clock):
    await chat.setup_building()
    assert await chat.one(f"[{ROOM}] 张阿姨: #报修 3楼楼道堆了纸箱") == (
        "@张阿姨 已登记 R1（楼道堆物）：3楼楼道堆了纸箱\n2 分钟内发来的照片会自动附上。\n"
        "楼组长会尽快处理，发送 #进度 R1 查看进度。")
    opened_report = await report(chat, 1)
    [reporter] = await chat.scalars(select(Member).where(Member.id == opened_report.reporter_id))
    assert (opened_report.status, opened_report.category, reporter.display_name, opened_report.room_id) == (
        "open", "楼道堆物", "张阿姨", ROOM)
    assert opened_report.created_at == clock()
    assert [(e.action, e.status, e.actor_id) for e in await events(chat, 1)] == [("open", "open", reporter.id)]


@pytest.mark.parametrize("text, category", [
    ("3楼楼道堆了纸箱", "楼道堆物"),
    ("门口乱停车", "乱停车"),
    ("垃圾桶满了没人倒", "垃圾"),
    ("电梯里有异味", "环境卫生"),
    ("楼上装修太吵", "噪音"),
    ("电动车在楼道充电", "安全/消防"),
    ("楼下的路灯不亮", "设施"),
])
def test_category_is_guessed_from_the_words(text, category):
    assert guess_category(text) == category


async def test_categories_come_from_a_configured_table(chat, tmp_path):
    table = tmp_path / "categories.json"
    table.write_text(json.dumps({"设施报修": ["路灯", "电梯"], "绿化": ["树", "草坪"]}, ensure_ascii=False),
                     encoding="utf-8")
    settings = Settings.from_mapping({"LOUZU_REPORT_CATEGORIES": str(table)})
    assert settings.report_categories == (("设施报修", ("路灯", "电梯")), ("绿化", ("树", "草坪")))
    chat.app.dispatcher.settings = replace(chat.app.settings, report_categories=settings.report_categories)
    await chat.setup_building()
    assert "已登记 R1（设施报修）" in await chat.one(f"[{ROOM}] 张阿姨: #报修 楼下的路灯不亮")
    assert "已登记 R2（其他）" in await chat.one(f"[{ROOM}] 张阿姨: #报修 楼道堆了纸箱")


@pytest.mark.parametrize("content, problem", [
    ("{not json", "不是有效的 JSON"),
    ("[]", "要写一个对象"),
    ('{"绿化": "树"}', "一列不空的词"),
    ('{"" : ["树"]}', "要写 1 到 32 个字"),
])
def test_a_bad_category_table_names_its_key(tmp_path, content, problem):
    path = tmp_path / "c.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SettingsError, match=f"^LOUZU_REPORT_CATEGORIES：.*{problem}"):
        Settings.from_mapping({"LOUZU_REPORT_CATEGORIES": str(path)})
    with pytest.raises(SettingsError, match="^LOUZU_REPORT_CATEGORIES：读不到文件"):
        Settings.from_mapping({"LOUZU_REPORT_CATEGORIES": str(tmp_path / "missing.json")})


@pytest.mark.parametrize("key, value", [("LOUZU_MAX_PHOTO_BYTES", "10MB"), ("LOUZU_MAX_PHOTO_BYTES", "12"),
                                        ("LOUZU_REPORT_BONUS", "-1"), ("LOUZU_REPORT_BONUS", "two")])
def test_report_settings_are_checked(key, value):
    with pytest.raises(SettingsError, match=f"^{key}："):
        Settings.from_mapping({key: value})
    defaults = Settings.from_mapping({})
    assert (defaults.max_photo_bytes, defaults.report_bonus, defaults.report_categories) == (10 * 1024 * 1024, 2, None)


async def test_a_report_needs_words_and_not_too_many(chat):
    await chat.setup_building()
    assert await chat.one(f"[{ROOM}] 张阿姨: #报修") == "@张阿姨 请写上问题描述，例如：#报修 3楼楼道堆了纸箱"
    assert "请控制在 500 字以内" in await chat.one(f"[{ROOM}] 张阿姨: #报修 {'堆' * 501}")
    assert await chat.count(Report) == 0 and await chat.count(ReportEvent) == 0


# Duplicates ----------------------------------------------------------------------------------

async def test_a_likely_duplicate_is_hinted_and_the_new_report_still_opens(chat, clock):
    await chat.setup_building()
    await opened(chat, "张阿姨", "3楼楼道堆了纸箱")
    clock.advance(hours=2)
    reply = await opened(chat, "老周", "楼道里杂物太多")
    assert "已登记 R2（楼道堆物）" in reply
    assert reply.endswith("提示：可能与 R1 相同（11月25日 10:00 登记：3楼楼道堆了纸箱），楼组长确认后可发送 #合并 R2 R1。")
    assert "可能与" not in await opened(chat, "老周", "门口乱停车")  # another category
    assert "可能与" not in await opened(chat, "老周", "路灯坏了")  # 其他 is no category to match on
    clock.advance(hours=24, minutes=1)  # R1 and R2 are now older than 24 hours
    assert "可能与 R" not in await opened(chat, "小王", "5楼楼道堆了旧家具")
    assert await chat.count(Report) == 5


async def test_no_duplicate_hint_across_buildings_or_for_closed_reports(chat):
    await chat.setup_building()
    await chat.one("[11号楼群] 王主任: #绑定 11号楼")
    await opened(chat, "张阿姨", "楼道堆了纸箱")
    assert "可能与" not in await opened(chat, "老周", "楼道堆了纸箱", room="11号楼群")
    await resolved(chat, 1)
    await chat.one(f"[{ROOM}] 张阿姨: #确认 R1")
    assert "可能与" not in await opened(chat, "小王", "楼道又堆了纸箱")


async def test_a_leader_merges_a_duplicate_and_both_reporters_are_told(chat):
    await chat.setup_building()
    await opened(chat, "张阿姨", "3楼楼道堆了纸箱")
    await opened(chat, "老周", "楼道里杂物太多")
    replies = await chat.send(chat.message(f"[{ROOM}] 李楼长: #合并 R2 R1"))
    assert [(r.text, r.mention) for r in replies] == [(
        "R2 与 R1 是同一问题，已合并：R2 关闭，后续进度请发送 #进度 R1 查看。", ("老周", "张阿姨"))]
    duplicate, original = await report(chat, 2), await report(chat, 1)
    assert (duplicate.status, duplicate.duplicate_of_id, original.status) == ("closed", 1, "open")
    assert [e.action for e in await events(chat, 1)] == ["open", "merged_in"]
    assert "已合并到 R1" in await chat.one(f"[{ROOM}] 老周: #进度 R2")
    # When R1 is resolved, the reporter of the merged R2 hears of it too.
    replies = await chat.send(chat.message(f"[{ROOM}] 李楼长: #处理 R1 已清理"))
    assert replies[0].mention == ("张阿姨", "老周") and "R2 是同一问题" in replies[0].text


async def test_merge_refusals(chat):
    await chat.setup_building()
    await chat.one("[11号楼群] 王主任: #绑定 11号楼")
    await opened(chat, "张阿姨")
    await opened(chat, "老周", "楼道杂物")
    await opened(chat, "小王", "楼道杂物", room="11号楼群")
    assert await chat.one(f"[{ROOM}] 张阿姨: #合并 R2 R1") == (
        "@张阿姨 #合并 只有楼组长可以使用。发送 #帮助 查看你可用的指令。")
    assert await chat.one(f"[{ROOM}] 李楼长: #合并 R2") == "@李楼长 请写上两个报修编号，例如：#合并 R9 R7（把 R9 并入 R7）"
    assert "不能把 R2 合并到它自己" in await chat.one(f"[{ROOM}] 李楼长: #合并 R2 R2")
    assert "没有找到 R99" in await chat.one(f"[{ROOM}] 李楼长: #合并 R2 R99")
    assert "没有找到 R3" in await chat.one(f"[{ROOM}] 李楼长: #合并 R3 R1")  # another building's, as if unknown
    assert "已合并" in await chat.one(f"[{ROOM}] 李楼长: #合并 r2 到 r1")
    assert await chat.one(f"[{ROOM}] 李楼长: #合并 R2 R1") == (
        "@李楼长 R2 已合并到 R1，请发送 #进度 R1 查看。")
    assert "R2 已关闭，不能并入" in await chat.one(f"[{ROOM}] 李楼长: #合并 R1 R2")
    assert await chat.count(ReportEvent, ReportEvent.action == "merge") == 1


# Assign, resolve, confirm, reopen -------------------------------------------------------------

async def test_the_whole_lifecycle_with_the_bonus_once(chat, clock):
    await chat.setup_building()
    await opened(chat, "张阿姨")
    replies = await chat.send(chat.message(f"[{ROOM}] 李楼长: #指派 R1 @王师傅"))
    assert [(r.text, r.mention) for r in replies] == [(
        "R1（楼道堆物：3楼楼道堆了纸箱）已指派给 王师傅。处理好后请发送 #处理 R1 和处理情况，例如：#处理 R1 已清理。", ("李楼长", "王师傅"))]
    assert (await report(chat, 1)).status == "assigned"
    clock.advance(hours=1)
    replies = await chat.send(chat.message(f"[{ROOM}] 王师傅: #处理 R1 纸箱已清走"))  # the assignee may resolve
    assert [(r.text, r.mention) for r in replies] == [(
        "R1（3楼楼道堆了纸箱）已处理：纸箱已清走。请报修人确认：解决了发送 #确认 R1，没解决发送 #未解决 R1 和情况；"
        "72 小时内没有回复将自动关闭。", ("张阿姨",))]
    resolved_report = await report(chat, 1)
    assert resolved_report.status == "resolved" and resolved_report.resolved_at == clock()
    replies = await chat.send(chat.message(f"[{ROOM}] 张阿姨: #未解决 R1 还剩两个箱子"))
    assert [(r.text, r.mention) for r in replies] == [(
        "R1 已重新打开：还剩两个箱子。请再看看，处理好后发送 #处理 R1。", ("张阿姨", "王师傅"))]
    reopened = await report(chat, 1)
    assert (reopened.status, reopened.resolved_at, reopened.assignee_id is not None) == ("open", None, True)
    await chat.one(f"[{ROOM}] 王师傅: #处理 R1 都清走了")
    assert await chat.one(f"[{ROOM}] 张阿姨: #确认 R1") == (
        "@张阿姨 谢谢确认！R1 已关闭。有效报修 +2 分，当前积分 2 分。")
    assert (await report(chat, 1)).status == "closed"
    assert await chat.one(f"[{ROOM}] 张阿姨: #确认 R1") == (
        "@张阿姨 R1 已关闭。如果问题又出现了，请重新发送 #报修 和问题，例如：#报修 3楼楼道堆了纸箱。")
    [bonus] = await chat.scalars(select(LedgerEntry))
    assert (bonus.kind, bonus.amount, bonus.author_id, bonus.ref_type, bonus.ref_id, bonus.reason) == (
        "report_bonus", 2, None, "report", 1, "有效报修 R1")
    assert [e.action for e in await events(chat, 1)] == ["open", "assign", "resolve", "reopen", "resolve", "confirm"]


async def test_the_bonus_is_never_paid_twice_for_one_report(chat, clock):
    await chat.setup_building()
    await opened(chat, "张阿姨")
    await resolved(chat)
    # As if an earlier confirmation had paid it (the rule holds whatever path leads here).
    async with chat.app.sessions() as session, session.begin():
        member = await session.scalar(select(Member).where(Member.display_name == "张阿姨"))
        session.add(LedgerEntry(member_id=member.id, building_id=1, amount=2, kind="report_bonus",
                                reason="有效报修 R1", ref_type="report", ref_id=1, created_at=clock()))
    assert await chat.one(f"[{ROOM}] 张阿姨: #确认") == "@张阿姨 谢谢确认！R1 已关闭。"
    assert await chat.count(LedgerEntry) == 1


async def test_the_bonus_follows_the_setting(chat):
    chat.app.dispatcher.settings = replace(chat.app.settings, report_bonus=0)
    await chat.setup_building()
    await opened(chat)
    await resolved(chat)
    assert await chat.one(f"[{ROOM}] 张阿姨: #confirm R1") == "@张阿姨 谢谢确认！R1 已关闭。"
    assert await chat.count(LedgerEntry) == 0


async def test_assign_refusals(chat):
    await chat.setup_building()
    await opened(chat)
    assert "只有楼组长可以使用" in await chat.one(f"[{ROOM}] 张阿姨: #指派 R1 @王师傅")
    assert await chat.one(f"[{ROOM}] 李楼长: #指派 R1") == "@李楼长 请@一位群成员（先打 @，再从名单里点选这个人），例如：#指派 R1 @王师傅"
    assert await chat.one(f"[{ROOM}] 李楼长: #指派 @王师傅") == "@李楼长 请写上报修编号，例如：#指派 R5 @王师傅"
    assert "没有找到 R7" in await chat.one(f"[{ROOM}] 李楼长: #指派 R7 @王师傅")
    await chat.one(f"[{ROOM}] 李楼长: #指派 R1 @王师傅")
    assert await chat.one(f"[{ROOM}] 李楼长: #指派 R1 @王师傅") == "@李楼长 R1 已经指派给 王师傅 了。"
    assert "已指派给 老刘" in await chat.one(f"[{ROOM}] 李楼长: #assign R1 @老刘")  # reassigning is fine
    await resolved(chat)
    assert "正在等报修人确认" in await chat.one(f"[{ROOM}] 李楼长: #指派 R1 @王师傅")
    assert await chat.count(ReportEvent, ReportEvent.action == "assign") == 2


async def test_resolve_refusals(chat):
    await chat.setup_building()
    await chat.one("[11号楼群] 王主任: #绑定 11号楼")
    await opened(chat)
    await opened(chat, "老周", "楼道堆物", room="11号楼群")
    assert await chat.one(f"[{ROOM}] 张阿姨: #处理 R1 好了") == (
        "@张阿姨 只有楼组长或被指派的人可以处理 R1。发送 #进度 R1 查看进度。")
    await chat.one(f"[{ROOM}] 李楼长: #指派 R1 @王师傅")
    assert "只有楼组长或被指派的人" in await chat.one(f"[{ROOM}] 老周: #处理 R1")
    assert "没有找到 R2" in await chat.one(f"[{ROOM}] 李楼长: #处理 R2")  # another building's, as if unknown
    assert "没有找到 R9" in await chat.one(f"[{ROOM}] 李楼长: #resolve R9")
    assert await chat.one(f"[{ROOM}] 李楼长: #处理") == "@李楼长 请写上报修编号，例如：#处理 R5 纸箱已清走"
    assert "请控制在 200 字以内" in await chat.one(f"[{ROOM}] 李楼长: #处理 R1 {'好' * 201}")
    await resolved(chat)
    assert await chat.one(f"[{ROOM}] 王师傅: #处理 R1") == "@王师傅 R1 已经标为已处理，正在等报修人确认。"
    await chat.one(f"[{ROOM}] 张阿姨: #确认 R1")
    assert "R1 已关闭" in await chat.one(f"[{ROOM}] 李楼长: #处理 R1")
    assert await chat.count(ReportEvent, ReportEvent.action == "resolve") == 1
    # A committee administrator acts as a leader everywhere.
    await opened(chat, "张阿姨", "楼道灯坏了")
    assert "R3（楼道灯坏了）已处理" in await chat.one(f"[{ROOM}] 王主任: #处理 R3")


async def test_confirm_and_reopen_refusals(chat):
    await chat.setup_building()
    await opened(chat, "张阿姨")
    await opened(chat, "张阿姨", "门口乱停车")
    assert "R1 还没处理好（待处理），处理后会通知你确认" in await chat.one(f"[{ROOM}] 张阿姨: #确认 R1")
    assert "R1 还在处理中（待处理），不用重新打开" in await chat.one(f"[{ROOM}] 张阿姨: #未解决 R1")
    assert await chat.one(f"[{ROOM}] 张阿姨: #确认") == "@张阿姨 请写上报修编号，例如：#确认 R5"
    await resolved(chat, 1)
    await resolved(chat, 2)
    assert await chat.one(f"[{ROOM}] 老周: #确认 R1") == "@老周 只有 R1 的报修人可以确认。发送 #进度 R1 查看进度。"
    assert "只有 R1 的报修人可以反馈未解决" in await chat.one(f"[{ROOM}] 李楼长: #未解决 R1")
    assert await chat.one(f"[{ROOM}] 张阿姨: #确认") == "@张阿姨 请写上报修编号，例如：#确认 R5"  # two are waiting
    assert "R2 已重新打开" in await chat.one(f"[{ROOM}] 张阿姨: #reopen R2 车又停回来了")
    assert "谢谢确认！R1 已关闭" in await chat.one(f"[{ROOM}] 张阿姨: #确认")  # now only R1 waits
    assert "R1 已关闭" in await chat.one(f"[{ROOM}] 张阿姨: #未解决 R1 又堆了")
    assert [r.status for r in await chat.scalars(select(Report).order_by(Report.id))] == ["closed", "open"]


# Progress -------------------------------------------------------------------------------------

async def test_progress_shows_status_and_full_history(chat, clock):
    await chat.setup_building()
    await opened(chat, "张阿姨")
    clock.advance(minutes=30)
    await chat.one(f"[{ROOM}] 李楼长: #指派 R1 @王师傅")
    clock.advance(hours=2)
    await chat.one(f"[{ROOM}] 王师傅: #处理 R1 纸箱已清走")
    assert await chat.one(f"[{ROOM}] 老周: #进度 R1") == (
        "@老周 R1 · 楼道堆物 · 已处理，待确认\n"
        "3楼楼道堆了纸箱\n"
        "11月25日 10:00 张阿姨 报修\n"
        "11月25日 10:30 李楼长 指派给 王师傅\n"
        "11月25日 12:30 王师傅 标为已处理：纸箱已清走\n"
        "等报修人 #确认 或 #未解决；11月28日 12:30 前没有回复将自动关闭（72 小时）。")
    assert await chat.one(f"[{ROOM}] 老周: #进度 R1 R2") == (
        "@老周 请写上报修编号，例如：#进度 R5；只发 #进度 查看自己的报修。")
    assert "没有找到 R5" in await chat.one(f"[{ROOM}] 老周: #status 5")


async def test_progress_without_a_number_lists_ones_own_or_the_buildings_open_reports(chat, clock):
    await chat.setup_building()
    assert await chat.one(f"[{ROOM}] 张阿姨: #进度") == "@张阿姨 你目前没有未关闭的报修。发现问题请发送 #报修 和问题，例如：#报修 3楼楼道堆了纸箱"
    assert await chat.one(f"[{ROOM}] 李楼长: #进度") == "@李楼长 12号楼目前没有未关闭的报修。"
    await opened(chat, "张阿姨", "3楼楼道堆了纸箱")
    clock.advance(days=1, hours=3)
    await opened(chat, "老周", "门口乱停车")
    clock.advance(minutes=45)
    await opened(chat, "张阿姨", "楼上装修太吵")
    await resolved(chat, 3)
    assert await chat.one(f"[{ROOM}] 张阿姨: #进度") == (
        "@张阿姨 你未关闭的报修 2 件：\n"
        "R1 楼道堆物 · 待处理 · 11月25日 10:00 登记 · 3楼楼道堆了纸箱\n"
        "R3 噪音 · 已处理，待确认 · 11月26日 13:45 登记 · 楼上装修太吵\n"
        "看某一件的详情，例如：#进度 R1")
    assert await chat.one(f"[{ROOM}] 李楼长: #进度") == (
        "@李楼长 12号楼未关闭的报修 3 件（最早的在前）：\n"
        "R1 楼道堆物 · 待处理 · 已等1天3小时 · 3楼楼道堆了纸箱\n"
        "R2 乱停车 · 待处理 · 已等45分钟 · 门口乱停车\n"
        "R3 噪音 · 已处理，待确认 · 刚刚登记 · 楼上装修太吵\n"
        "看某一件的详情，例如：#进度 R1")


async def test_replies_in_the_group_never_show_a_wechat_id(chat, tmp_path):
    await chat.setup_building()
    ids = {"张阿姨": "wxid_zhang001", "李楼长": "李楼长", "王师傅": "wxid_wang002"}

    async def say(who: str, text: str, **changes):
        message = chat.message(f"[{ROOM}] {who}: {text}", sender_id=ids[who], **changes)
        return await chat.send(message)

    from bot.core.messages import Mention

    sent = await say("张阿姨", "#报修 楼道堆了纸箱")
    sent += await say("张阿姨", f"[图片 {picture(tmp_path)}]")
    sent += await say("李楼长", "#指派 R1 @王师傅", mentions=(Mention("wxid_wang002", "王师傅"),))
    sent += await say("王师傅", "#处理 R1 好了")
    sent += await say("张阿姨", "#未解决 R1 没好")
    sent += await say("王师傅", "#处理 R1 好了")
    sent += await say("李楼长", "#进度 R1")
    sent += await say("张阿姨", "#进度")
    sent += await say("张阿姨", "#确认")
    assert len(sent) == 9
    assert not [r.text for r in sent if "wxid_" in r.text]
    assert "王师傅 标为已处理" in sent[6].text and "张阿姨 报修" in sent[6].text
    assert sent[3].mention == ("wxid_zhang001",)  # the reporter is still @-mentioned, by id


# Photos ---------------------------------------------------------------------------------------

async def test_a_photo_sent_just_before_the_report_is_attached(chat, clock, tmp_path, settings):
    await chat.setup_building()
    photo = picture(tmp_path)
    assert await chat(f"[{ROOM}] 张阿姨: [图片 {photo}]") == []  # ordinary chat: no answer
    assert await chat.count(PendingPhoto) == 1
    clock.advance(minutes=1, seconds=59)
    reply = await opened(chat, "张阿姨")
    assert "已附照片 1 张。" in reply
    [stored] = await chat.scalars(select(ReportPhoto))
    import hashlib

    digest = hashlib.sha256(photo.read_bytes()).hexdigest()
    assert (stored.report_id, stored.sha256, stored.path) == (1, digest, f"{digest}.png")
    assert (settings.media_dir / stored.path).read_bytes() == photo.read_bytes()
    assert (await report(chat, 1)).photo_path == stored.path
    assert [p.report_id for p in await chat.scalars(select(PendingPhoto))] == [1]
    assert "（照片 1 张）" in await chat.one(f"[{ROOM}] 张阿姨: #进度 R1")


async def test_a_photo_sent_too_early_or_by_someone_else_is_not_attached(chat, clock, tmp_path):
    await chat.setup_building()
    await chat.one("[11号楼群] 王主任: #绑定 11号楼")
    await chat(f"[{ROOM}] 张阿姨: [图片 {picture(tmp_path, 'a.png', 'red')}]")
    clock.advance(minutes=2, seconds=1)
    await chat(f"[{ROOM}] 老周: [图片 {picture(tmp_path, 'b.png', 'blue')}]")  # another person
    await chat("[11号楼群] 张阿姨: " f"[图片 {picture(tmp_path, 'c.png', 'green')}]")  # another group
    reply = await opened(chat, "张阿姨")
    assert "已附照片" not in reply and "2 分钟内发来的照片会自动附上" in reply
    assert await chat.count(ReportPhoto) == 0


async def test_a_photo_sent_just_after_the_report_is_attached(chat, clock, tmp_path):
    await chat.setup_building()
    await opened(chat, "张阿姨")
    clock.advance(minutes=2)
    assert await chat(f"[{ROOM}] 张阿姨: [图片 {picture(tmp_path)}]") == ["@张阿姨 照片已附到 R1。"]
    assert await chat(f"[{ROOM}] 张阿姨: [图片 {picture(tmp_path)}]") == ["@张阿姨 这张照片已经附在 R1 上了。"]
    assert await chat.count(ReportPhoto) == 1
    assert [e.action for e in await events(chat, 1)] == ["open", "photo"]
    assert await chat(f"[{ROOM}] 老周: [图片 {picture(tmp_path, 'b.png', 'blue')}]") == []  # not the reporter


async def test_regression_a_photo_goes_to_the_report_nearest_to_it_not_to_an_earlier_one(chat, clock, tmp_path,
                                                                                          settings):
    # 张阿姨 reports the boxes, a minute later photographs the bikes and reports them right after:
    # the picture went to the boxes' report (R1), the only one there was when it came.
    await chat.setup_building()
    await opened(chat, "张阿姨", "3楼楼道堆了纸箱")
    clock.advance(minutes=1)
    photo = picture(tmp_path, "bikes.png", "blue")
    assert await chat(f"[{ROOM}] 张阿姨: [图片 {photo}]") == ["@张阿姨 照片已附到 R1。"]
    clock.advance(seconds=5)
    reply = await opened(chat, "张阿姨", "电动车停在楼道里")
    assert "已附照片 1 张。\n刚才附到 R1 的照片离这次报修更近，已改附到 R2。" in reply
    [stored] = await chat.scalars(select(ReportPhoto))
    assert stored.report_id == 2 and (settings.media_dir / stored.path).read_bytes() == photo.read_bytes()
    assert ((await report(chat, 1)).photo_path, (await report(chat, 2)).photo_path) == (None, stored.path)
    assert [e.action for e in await events(chat, 1)] == ["open", "photo", "photo_moved"]
    assert "张阿姨 把照片改附到 R2（离那次报修更近）" in await chat.one(f"[{ROOM}] 张阿姨: #进度 R1")
    assert "（照片 1 张）" in await chat.one(f"[{ROOM}] 张阿姨: #进度 R2")


async def test_a_photo_nearer_to_the_earlier_report_stays_with_it(chat, clock, tmp_path):
    await chat.setup_building()
    await opened(chat, "张阿姨", "3楼楼道堆了纸箱")
    clock.advance(seconds=20)
    assert await chat(f"[{ROOM}] 张阿姨: [图片 {picture(tmp_path)}]") == ["@张阿姨 照片已附到 R1。"]
    clock.advance(seconds=30)
    reply = await opened(chat, "老周", "5楼灯坏了")  # someone else's report takes nothing of hers
    assert "已附照片" not in reply
    clock.advance(seconds=30)
    reply = await opened(chat, "张阿姨", "电动车停在楼道里")  # 60 s after the photo, which came 20 s after R1
    assert "已附照片" not in reply and "2 分钟内发来的照片会自动附上" in reply
    assert [p.report_id for p in await chat.scalars(select(ReportPhoto))] == [1]


async def test_a_photo_sent_too_late_after_the_report_is_not_attached(chat, clock, tmp_path):
    await chat.setup_building()
    await opened(chat, "张阿姨")
    clock.advance(minutes=2, seconds=1)
    assert await chat(f"[{ROOM}] 张阿姨: [图片 {picture(tmp_path)}]") == []
    assert await chat.count(ReportPhoto) == 0 and await chat.count(PendingPhoto) == 1


async def test_report_as_a_photo_caption(chat, tmp_path):
    await chat.setup_building()
    reply = await chat.one(f"[{ROOM}] 张阿姨: [图片 {picture(tmp_path)}] #报修 楼道堆了纸箱")
    assert "已登记 R1（楼道堆物）" in reply and "已附照片 1 张。" in reply
    assert await chat.count(ReportPhoto) == 1 and await chat.count(PendingPhoto) == 0


async def test_photos_over_the_size_limit_or_not_pictures_are_not_kept(chat, tmp_path, settings):
    chat.app.dispatcher.settings = replace(chat.app.settings, max_photo_bytes=2048)
    await chat.setup_building()
    big = picture(tmp_path, "big.bmp", size=64)  # about 12 KB
    assert big.stat().st_size > 2048
    reply = await chat.one(f"[{ROOM}] 张阿姨: [图片 {big}] #报修 楼道堆了纸箱")
    assert "照片超过 2 KB，没有附上，请压缩后再发。" in reply
    assert await chat(f"[{ROOM}] 张阿姨: [图片 {big}]") == ["@张阿姨 照片超过 2 KB，没有附到 R1，请压缩后再发。"]
    text_file = tmp_path / "notes.jpg"
    text_file.write_text("not a picture", encoding="utf-8")
    assert await chat(f"[{ROOM}] 张阿姨: [图片 {text_file}]") == []
    assert await chat.count(ReportPhoto) == 0 and await chat.count(PendingPhoto) == 0
    assert not settings.media_dir.exists() or not any(settings.media_dir.iterdir())


async def test_photos_nobody_reported_are_forgotten(chat, clock, tmp_path, settings):
    await chat.setup_building()
    await chat(f"[{ROOM}] 张阿姨: [图片 {picture(tmp_path, 'a.png', 'red')}]")
    await chat(f"[{ROOM}] 老周: [图片 {picture(tmp_path, 'b.png', 'blue')}]")
    await opened(chat, "老周", "楼道堆了纸箱")  # takes 老周's photo
    clock.advance(minutes=3)
    await chat(f"[{ROOM}] 小王: [图片 {picture(tmp_path, 'c.png', 'green')}]")
    assert await chat.count(PendingPhoto) == 2  # 张阿姨's is gone, 老周's is attached, 小王's waits
    names = sorted(p.name for p in settings.media_dir.iterdir())
    kept = [p.path for p in await chat.scalars(select(PendingPhoto))]
    assert names == sorted(kept)
    clock.advance(minutes=3)
    async with chat.app.sessions() as session, session.begin():
        assert await store.purge_pending_photos(session, clock(), settings.media_dir) == 1
    assert [p.name for p in settings.media_dir.iterdir()] == [(await report(chat, 1)).photo_path]


# Auto-close and the overdue list ------------------------------------------------------------------

async def test_a_resolved_report_closes_by_itself_after_72_hours(chat, clock):
    await chat.setup_building()
    await opened(chat, "张阿姨")
    await resolved(chat)
    clock.advance(hours=71)
    async with chat.app.sessions() as session, session.begin():
        assert await close_unconfirmed(JobContext(session, chat.app.settings, clock())) == []
    clock.advance(hours=2)
    async with chat.app.sessions() as session, session.begin():
        replies = await close_unconfirmed(JobContext(session, chat.app.settings, clock()))
    assert [(r.room_id, r.text, r.mention) for r in replies] == [(
        ROOM, "R1（3楼楼道堆了纸箱）处理后 72 小时没有收到确认，已自动关闭。如果问题还在，请重新发送 #报修 和问题，例如：#报修 3楼楼道堆了纸箱。",
        ("张阿姨",))]
    closed = await report(chat, 1)
    assert closed.status == "closed"
    [last] = (await events(chat, 1))[-1:]
    assert (last.action, last.status, last.actor_id, last.note) == ("auto_close", "closed", None,
                                                                   "72 小时内没有确认，自动关闭")
    assert "系统" not in await chat.one(f"[{ROOM}] 张阿姨: #进度 R1")  # the bot's own step reads plainly
    assert "R1 已关闭" in await chat.one(f"[{ROOM}] 张阿姨: #确认 R1")
    assert await chat.count(LedgerEntry) == 0  # the bonus is for confirming
    async with chat.app.sessions() as session, session.begin():
        assert await close_unconfirmed(JobContext(session, chat.app.settings, clock())) == []


async def test_overdue_reports_are_the_unresolved_ones_past_the_limit(chat, clock):
    await chat.setup_building()
    await opened(chat, "张阿姨", "楼道堆了纸箱")
    await opened(chat, "老周", "门口乱停车")
    await opened(chat, "小王", "楼上装修太吵")
    await chat.one(f"[{ROOM}] 李楼长: #指派 R2 @王师傅")
    await resolved(chat, 3)
    clock.advance(hours=47)
    await opened(chat, "小王", "垃圾桶满了")
    clock.advance(hours=1)
    async with chat.app.sessions() as session:
        overdue = await store.open_reports_overdue(session, clock(), 48)
    assert [r.id for r in overdue] == [1, 2]


# History is the record ------------------------------------------------------------------------------

async def test_every_report_can_be_rebuilt_from_its_history(chat, clock, tmp_path):
    await chat.setup_building()
    await opened(chat, "张阿姨")
    await opened(chat, "老周", "楼道杂物")
    await chat(f"[{ROOM}] 老周: [图片 {picture(tmp_path)}]")
    await chat.one(f"[{ROOM}] 李楼长: #合并 R2 R1")
    await chat.one(f"[{ROOM}] 李楼长: #指派 R1 @王师傅")
    await chat.one(f"[{ROOM}] 王师傅: #处理 R1")
    await chat.one(f"[{ROOM}] 张阿姨: #未解决 R1 还在")
    await chat.one(f"[{ROOM}] 李楼长: #处理 R1 清完了")
    await opened(chat, "小王", "门口乱停车")
    await chat.one(f"[{ROOM}] 李楼长: #处理 R3")
    clock.advance(hours=80)
    async with chat.app.sessions() as session, session.begin():
        await close_unconfirmed(JobContext(session, chat.app.settings, clock()))
    for found in await chat.scalars(select(Report)):
        state = store.replay(await events(chat, found.id))
        assert (state.status, state.assignee_id, state.duplicate_of_id, state.resolved_at, state.updated_at) == (
            found.status, found.assignee_id, found.duplicate_of_id, found.resolved_at, found.updated_at), found.id


async def test_a_refused_change_leaves_no_history(chat):
    await chat.setup_building()
    await opened(chat)
    before = await chat.count(ReportEvent)
    await chat.one(f"[{ROOM}] 李楼长: #处理 R1 {'好' * 201}")
    await chat.one(f"[{ROOM}] 张阿姨: #确认 R1")
    await chat.one(f"[{ROOM}] 李楼长: #指派 R1")
    assert await chat.count(ReportEvent) == before
    assert (await report(chat, 1)).status == "open"


def test_ages_and_times_read_naturally():
    from datetime import datetime, timezone
    from zoneinfo import ZoneInfo

    from bot.core.text import age, local_time

    assert [age(timedelta(**d)) for d in ({"seconds": 30}, {"minutes": 5}, {"hours": 3, "minutes": 5},
                                          {"days": 2}, {"days": 2, "hours": 1})] == [
        "不到1分钟", "5分钟", "3小时", "2天", "2天1小时"]
    assert local_time(datetime(2026, 11, 25, 2, 0, tzinfo=timezone.utc), ZoneInfo("Asia/Shanghai")) == "11月25日 10:00"


async def test_a_picture_in_a_group_not_bound_to_a_building_keeps_nothing(chat, tmp_path, settings):
    assert await chat(f"[新群] 张阿姨: [图片 {picture(tmp_path)}]") == []
    assert await chat.count(PendingPhoto) == 0
    assert not settings.media_dir.exists() or list(settings.media_dir.iterdir()) == []
