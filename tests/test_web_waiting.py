"""The web desk's claims and redemptions: the lists the overview's numbers open."""

from __future__ import annotations

import re


async def test_pending_claims_and_held_redemptions_are_listed_from_the_overview(desk, chat):
    await chat.setup_building()
    assert "等待楼组长审核" in await chat.one("[12号楼群] 张阿姨: #打卡 志愿服务 2")
    assert "加 20 分" in await chat.one("[12号楼群] 李楼长: #加分 @老周 20 帮忙清理楼道")
    assert "X1" in await chat.one("[12号楼群] 老周: #兑换 抽纸")
    await desk.add_user("王主任")
    await desk.sign_in()
    overview = (await desk.get("/")).text
    assert re.search(r'href="/claims\?status=pending" id="pending-claims"><strong>1</strong>', overview)
    assert re.search(r'href="/redemptions\?status=held" id="held-redemptions"><strong>1</strong>', overview)
    claims = (await desk.get("/claims?status=pending")).text
    assert re.search(r"<td>C1</td><td>12号楼</td><td><a href=\"/people/\d+\">张阿姨</a></td>\s*<td>志愿服务 2小时</td>"
                     r"<td>20</td>", claims)
    assert "共 1 条" in claims and "没有这样的积分申请" in (await desk.get("/claims?status=rejected")).text
    held = (await desk.get("/redemptions?status=held")).text
    assert re.search(r"<td>X1</td><td>12号楼</td><td><a href=\"/people/\d+\">老周</a></td>\s*<td>抽纸</td><td>10</td>", held)
    assert "共 0 条" in (await desk.get("/redemptions?status=handed_over")).text
    assert "待审核" in (await desk.get("/claims?status=nonsense")).text  # an unknown status: the pending ones
