"""The leaders' morning digest of pending claims: one post per building, only where something waits."""

from __future__ import annotations

from tests.test_bot_two_groups import ONE, TWO, two_groups
from tests.test_notices import sent_after


async def digest(chat) -> list[str]:
    before = len(chat.transport.sent)
    await chat.app.schedules.jobs.run("pending_digest")
    return await sent_after(chat, before)


async def test_leaders_are_reminded_of_pending_claims_before_they_expire(chat, clock, settings):
    """The bug: C19, C20, C28 simply expired; no leader was ever reminded."""
    await two_groups(chat)
    await chat.one(f"[{ONE}] 王主任: #设角色 @王网格 网格长")
    await chat.setup_building("5号楼群", "5号楼", "周楼长")  # nothing pending there: no post
    clock.set_local("2026-11-26 10:00", settings.timezone)
    await chat.one(f"[{TWO}] 张阿姨: #打卡 志愿服务 2")
    await chat.one(f"[{ONE}] 老周: #打卡 志愿服务 1")
    await chat.one(f"[{TWO}] 老周: #兑换 抽纸")
    clock.set_local("2026-11-28 08:00", settings.timezone)
    assert await digest(chat) == [
        f"[{ONE}] @李楼长 @王网格 【待审核】3号楼 有 2 条积分申请等待楼组长审核：\n"
        "C1 张阿姨 志愿服务 2小时（已等1天22小时）\n"
        "C2 老周 志愿服务 1小时（已等1天22小时）\n"
        "请发送 #通过 C编号 或 #驳回 C编号 原因。超过 7 天未审核的会过期（最早的 C1 在 12月3日 10:00 后过期）。"]
    await chat(f"[{ONE}] 李楼长: #通过 C1")
    await chat(f"[{ONE}] 李楼长: #驳回 C2 时长不对")
    assert await digest(chat) == []


async def test_the_digest_goes_to_the_group_the_leaders_used_last_and_counts_gifts(chat, clock):
    await two_groups(chat)
    await chat.one(f"[{TWO}] 李楼长: #审核")  # the leader now uses 二群
    await chat.one(f"[{ONE}] 王主任: #加分 @老周 30 帮忙搬东西")
    await chat.one(f"[{ONE}] 老周: #兑换 抽纸")
    await chat.one(f"[{ONE}] 老周: #打卡 志愿服务 1")
    lines = await digest(chat)
    assert len(lines) == 1 and lines[0].startswith(f"[{TWO}] @李楼长 【待审核】3号楼 有 1 条积分申请")
    assert lines[0].endswith("\n另有 1 件礼品待发放（#发放 X编号）。")
