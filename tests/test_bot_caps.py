"""Where one person could make work for many: open reports and pending claims are capped per person, overdue
posts come one per group, #审核 comes in pages and leaders reject several claims at once."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.core.outbox import as_reply
from bot.core.settings import Settings
from bot.transport.memory import MemoryTransport
from storage.models import Claim, OutboxMessage, Report

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
COMMITTEE = "居委会群"


@pytest.fixture
def settings(settings):
    return replace(settings, committee_room=COMMITTEE)


async def overdue(chat) -> list[str]:
    before = await chat.count(OutboxMessage)
    await chat.app.schedules.jobs.run("overdue_reports")
    rows = await chat.scalars(select(OutboxMessage).order_by(OutboxMessage.id).offset(before))
    return [f"[{r.room_id}] {MemoryTransport.render(as_reply(r))}" for r in rows]


async def test_one_person_has_at_most_five_reports_waiting(chat):
    """Regression: 300 × #报修 from one person opened 300 reports (and 300 overdue posts later)."""
    await chat.setup_building()
    answers = [await chat.one(f"[12号楼群] 张阿姨: #报修 楼道第{n}处堆了杂物") for n in range(1, 31)]
    assert all("已登记" in a for a in answers[:5])
    assert set(answers[5:]) == {"@张阿姨 你已有 5 件报修还在等处理，处理好后再报新的吧；发送 #进度 查看。"}
    assert await chat.count(Report) == 5
    await chat.one("[12号楼群] 李楼长: #处理 R1 已清理")  # one resolved: room for one more
    assert "已登记 R6" in await chat.one("[12号楼群] 张阿姨: #报修 车棚乱停车")
    assert "已登记" in await chat.one("[12号楼群] 老周: #报修 楼道灯坏了")  # others are not held back


async def test_overdue_reports_are_one_post_per_group_per_run(chat, clock):
    """Regression: each overdue report was a post of its own @-mentioning the leaders, and again at escalation."""
    await chat.setup_building()
    await chat.setup_building("9号楼群", "9号楼", "赵楼长")
    await chat.one("[12号楼群] 王主任: #设角色 @钱网格 网格长")
    for who in ("张阿姨", "老周"):
        for n in range(1, 7):
            await chat(f"[12号楼群] {who}: #报修 {who}看到楼道第{n}处堆了杂物")
    await chat.one("[9号楼群] 孙阿姨: #报修 车棚电动车乱停")
    assert await chat.count(Report) == 11
    clock.advance(hours=49)
    posts = await overdue(chat)
    assert [p.split("]")[0] for p in posts] == ["[12号楼群", "[9号楼群"]
    twelve = posts[0]
    assert twelve.startswith("[12号楼群] @李楼长 10 件报修超时未处理，请楼组长跟进；处理后发送 #处理 和编号，例如：#处理 R1 已清理：\nR1（")
    assert twelve.count("\n") == 10 and twelve.count("@") == 1 and len(twelve) < 800
    assert posts[1].startswith("[9号楼群] @赵楼长 R11（乱停车：车棚电动车乱停）已2天1小时未处理，请楼组长跟进")
    clock.advance(hours=48)
    posts = await overdue(chat)
    assert [p.split("]")[0] for p in posts] == ["[12号楼群", "[9号楼群", f"[{COMMITTEE}"]
    assert posts[0].startswith("[12号楼群] @钱网格 10 件报修超时未处理") and "（已转网格长和居委会跟进）" in posts[0]
    assert posts[2].count("\n") == 11  # the committee's list: every building's, in one post
    assert await overdue(chat) == []


async def test_one_person_has_at_most_five_claims_waiting_for_a_leader(chat):
    """Regression: 500 × #打卡 志愿服务 8 left 500 claims for the leaders (and one 10,923-character #审核)."""
    await chat.setup_building()
    answers = [await chat.one("[12号楼群] 张阿姨: #打卡 志愿服务 8") for _ in range(20)]
    assert all("等待楼组长审核" in a for a in answers[:5])
    assert set(answers[5:]) == {"@张阿姨 你已有 5 条打卡在等楼组长审核，审核后再提交新的吧。"}
    assert "已记录" in await chat.one("[12号楼群] 张阿姨: #打卡 捡垃圾")  # automatic ones are not held back
    assert await chat.count(Claim, Claim.status == "pending") == 5


async def many_pending(chat, people: int) -> None:
    for n in range(people):
        for _ in range(5):
            await chat.one(f"[12号楼群] 居民{n:02d}: #打卡 志愿服务 2")


async def test_pending_comes_ten_a_page(chat):
    await chat.setup_building()
    await many_pending(chat, 5)  # 25 claims
    await chat.one("[12号楼群] 李楼长: #加分 @居民00 20 组织活动")
    await chat.one("[12号楼群] 居民00: #兑换 抽纸")
    first = await chat.one("[12号楼群] 李楼长: #审核")
    assert first.splitlines()[0] == "@李楼长 待审核申请 25 条、待发放礼品 1 件，第 1/3 页："
    assert first.splitlines()[2:4] == ["C1 居民00 志愿服务 2小时 20分", "C2 居民00 志愿服务 2小时 20分"]
    assert len(re.findall(r"^C\d+ ", first, re.M)) == 10 and first.endswith("发送 #审核 2 看下一页。")
    assert "几条一起驳回，例如：#驳回 C5 C6 时长不对" in first
    last = await chat.one("[12号楼群] 李楼长: #审核 3")
    assert re.findall(r"^[CX]\d+", last, re.M) == ["C21", "C22", "C23", "C24", "C25", "X1"]
    assert "待发放礼品（例如：#发放 X1）：" in last and "看下一页" not in last
    assert await chat.one("[12号楼群] 李楼长: #审核 4") == "@李楼长 只有 3 页，发送 #审核 3 看最后一页。"
    assert "C11 " in await chat.one("[12号楼群] 李楼长: #pending 2")


async def test_a_leader_rejects_several_claims_at_once(chat):
    await chat.setup_building()
    await many_pending(chat, 2)  # C1-C5 居民00, C6-C10 居民01
    assert await chat.one("[12号楼群] 李楼长: #驳回 C2 C3，C7 时长不对") == (
        "@居民00 @居民01 C2、C3、C7 共 3 条未通过，原因：时长不对。（审核：李楼长）")
    statuses = {c.id: c.status for c in await chat.scalars(select(Claim))}
    assert [n for n, s in statuses.items() if s == "rejected"] == [2, 3, 7]
    assert {c.decision_reason for c in await chat.scalars(select(Claim).where(Claim.status == "rejected"))} == {"时长不对"}
    # All or nothing: one that cannot be rejected, and none is.
    assert await chat.one("[12号楼群] 李楼长: #驳回 C4 C3 C5 重复") == "@李楼长 C3 已驳回，不能再审核。"
    assert await chat.count(Claim, Claim.status == "rejected") == 3
    assert await chat.one("[12号楼群] 李楼长: #驳回 C4 2小时不对") == (  # a reason may start with a number
        "@居民00 C4（志愿服务 2小时）未通过，原因：2小时不对。（审核：李楼长）")


async def test_two_pages_say_so_and_the_hint_comes_only_with_several_claims_on_the_page(chat):
    await chat.setup_building()
    await many_pending(chat, 2)  # C1-C10
    await chat.one("[12号楼群] 居民02: #打卡 志愿服务 2")
    first = await chat.one("[12号楼群] 李楼长: #审核")
    assert first.splitlines()[:2] == ["@李楼长 待审核申请 11 条、待发放礼品 0 件，第 1/2 页：",
                                      "待审核（例如：#通过 C1，#驳回 C1 时长不对）："]
    assert first.endswith("C10 居民01 志愿服务 2小时 20分\n几条一起驳回，例如：#驳回 C5 C6 时长不对\n发送 #审核 2 看下一页。")
    assert await chat.one("[12号楼群] 李楼长: #审核 2") == (
        "@李楼长 待审核申请 11 条、待发放礼品 0 件，第 2/2 页：\n待审核（例如：#通过 C1，#驳回 C1 时长不对）：\n"
        "C11 居民02 志愿服务 2小时 20分")
    await chat.one("[12号楼群] 居民02: #打卡 志愿服务 2")
    assert await chat.one("[12号楼群] 李楼长: #审核 2") == (
        "@李楼长 待审核申请 12 条、待发放礼品 0 件，第 2/2 页：\n待审核（例如：#通过 C1，#驳回 C1 时长不对）：\n"
        "C11 居民02 志愿服务 2小时 20分\nC12 居民02 志愿服务 2小时 20分\n几条一起驳回，例如：#驳回 C5 C6 时长不对")


async def test_a_page_that_is_not_a_number_is_refused(chat):
    await chat.setup_building()
    await chat.one("[12号楼群] 张阿姨: #打卡 志愿服务 2")
    for page in ("第二页", "0"):
        assert await chat.one(f"[12号楼群] 李楼长: #审核 {page}") == "@李楼长 请写页码，例如：#审核 2"


async def test_at_most_fifty_claims_are_rejected_at_once(chat):
    await chat.setup_building()
    await chat.one("[12号楼群] 张阿姨: #打卡 志愿服务 2")
    assert await chat.one("[12号楼群] 李楼长: #驳回 时长不对") == (
        "@李楼长 请写上申请编号，例如：#驳回 C5 时长不对（几条一起：#驳回 C5 C6 时长不对）")
    numbers = " ".join(f"C{n}" for n in range(1, 52))
    assert await chat.one(f"[12号楼群] 李楼长: #驳回 {numbers} 重复") == "@李楼长 一次最多驳回 50 条，请分几次发。"
    assert await chat.one(f"[12号楼群] 李楼长: #驳回 {numbers.replace(' C51', '')} 重复") == "@李楼长 本楼没有申请 C2，发送 #审核 查看待审核的申请。"
    assert await chat.count(Claim, Claim.status == "pending") == 1


def test_the_readme_command_table_shows_the_new_forms():
    table = "\n".join(line for line in README.splitlines() if line.startswith("| `#"))
    assert "`#审核 2`" in table and "`#驳回 C5 C6 原因`" in table


def test_the_caps_are_settings():
    settings = Settings.from_mapping({"LOUZU_OPEN_REPORTS_PER_PERSON": "3", "LOUZU_PENDING_CLAIMS_PER_PERSON": "2"})
    assert (settings.open_reports_per_person, settings.pending_claims_per_person) == (3, 2)


async def test_many_late_reports_ask_for_each_buildings_leaders_once(chat, clock):
    """A street's first overdue run may find thousands of late reports: who to @-mention is asked per building and
    group, not per report."""
    from sqlalchemy import event

    await chat.setup_building()
    await chat.setup_building("9号楼群", "9号楼", "赵楼长")
    for who in ("张阿姨", "老周", "孙阿姨"):
        for n in range(1, 5):
            await chat(f"[12号楼群] {who}: #报修 {who}看到楼道第{n}处堆了杂物")
    await chat.one("[9号楼群] 钱师傅: #报修 车棚电动车乱停")
    clock.advance(hours=49)
    selects: list[str] = []

    def counted(conn, cursor, statement, *args) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            selects.append(statement)

    event.listen(chat.app.engine.sync_engine, "before_cursor_execute", counted)
    try:
        await chat.app.schedules.jobs.run("overdue_reports")
    finally:
        event.remove(chat.app.engine.sync_engine, "before_cursor_execute", counted)
    posts = [f"[{r.room_id}] {MemoryTransport.render(as_reply(r))}"
             for r in await chat.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]
    assert [p.split(" ")[:2] for p in posts] == [["[12号楼群]", "@李楼长"], ["[9号楼群]", "@赵楼长"]]
    assert "12 件报修超时未处理" in posts[0]
    # the reports, their alerts, the buildings' names, then per building its leaders and who of them is in the group
    assert len(selects) <= 3 + 2 * 2, selects
