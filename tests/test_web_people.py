"""The web desk's people: found by name or 门牌号; a person's balance, ledger, claims, reports, roles and groups."""

from __future__ import annotations

import re

ROSTER_CSV = "楼栋,群ID,群名,门牌号,姓名,微信号,角色\n12号楼,,,1202,张阿姨,wxid_zhang001,志愿者\n"


async def test_a_person_is_found_by_name_or_door_and_shows_what_is_theirs(desk, chat, clock):
    await chat.setup_building()
    await chat.send(chat.message("[12号楼群] 张阿姨: #报修 3楼楼道堆了纸箱", sender_id="wxid_zhang001"))
    await desk.add_user("王主任")
    await desk.sign_in()
    await desk.get("/roster")
    await desk.post("/roster/check", files={"file": ("名册.csv", ROSTER_CSV.encode(), "text/csv")})
    assert (await desk.post("/roster/import")).status_code == 303
    for query in ("张阿", "1202"):
        found = (await desk.get(f"/people?q={query}")).text
        assert "找到 1 人" in found and "张阿姨" in found and "1202" in found
    assert "没有找到" in (await desk.get("/people?q=不存在的人")).text
    number = re.search(r'href="/people/(\d+)"', (await desk.get("/people?q=1202")).text).group(1)
    page = (await desk.get(f"/people/{number}")).text
    assert "12号楼" in page and "1202" in page and "志愿者" in page and 'href="/reports/1"' in page
    assert re.search(r'id="balance">\d+<', page)
    assert (await desk.get("/people/999")).status_code == 404
