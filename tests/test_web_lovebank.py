"""The web desk's gift catalogue: added and edited in forms with `louzu gifts set`'s rules, each change audited."""

from __future__ import annotations

import re

from sqlalchemy import select

from storage.db import make_sessionmaker
from storage.models import Gift


async def gifts(desk) -> list[tuple[str, int, int, bool]]:
    async with make_sessionmaker(desk.app.state.desk.engine)() as session:
        return [(g.name, g.cost, g.stock, g.active) for g in await session.scalars(select(Gift).order_by(Gift.id))]


async def test_a_gift_is_added_and_edited_with_the_clis_rules_and_audited(desk):
    await desk.add_user("王主任")
    await desk.sign_in()
    await desk.get("/gifts/new")
    before = await gifts(desk)
    for form, said in (({"name": "保温杯", "cost": "0", "stock": "5", "active": "yes"}, "积分要是 1 到"),
                       ({"name": "保温杯", "cost": "两百", "stock": "5", "active": "yes"}, "积分 要填整数"),
                       ({"name": "保温杯", "cost": "200", "stock": "-1", "active": "yes"}, "库存 要填整数"),
                       ({"name": "", "cost": "200", "stock": "5", "active": "yes"}, "礼品名称要写 1 到 64 个字")):
        refused = await desk.post("/gifts/new", form)
        assert refused.status_code == 400 and said in refused.text, form
    assert await gifts(desk) == before
    assert (await desk.post("/gifts/new", {"name": "保温杯", "cost": "200", "stock": "5"}, csrf=None)).status_code == 403
    added = await desk.post("/gifts/new", {"name": "保温杯", "cost": "200", "stock": "5", "active": "yes"})
    assert added.status_code == 303
    path = added.headers["location"]
    assert "已添加礼品 保温杯：200 分，库存 5 件。" in (await desk.get(path)).text
    again = await desk.post("/gifts/new", {"name": "保温杯", "cost": "1", "stock": "1", "active": "yes"})
    assert again.status_code == 400 and "已经有礼品 保温杯" in again.text
    assert (await desk.post(path, {"cost": "180", "stock": "4"})).status_code == 303  # active unticked
    page = (await desk.get(path)).text
    assert "已修改礼品 保温杯：积分 200 → 180，库存 5 → 4，不再提供兑换。" in page
    assert "王主任" in page.split("修改记录")[1] and "已添加礼品 保温杯" in page.split("修改记录")[1]
    assert ("保温杯", 180, 4, False) in await gifts(desk)
    ledger = (await desk.get("/ledger")).text
    assert re.search(r'<a href="/gifts/\d+">保温杯</a></td><td>180 分</td><td>4 件</td>', ledger)
    assert (await desk.get("/gifts/999")).status_code == 404


async def test_the_months_points_per_building_are_charted(desk, chat):
    await chat.setup_building()
    await chat.setup_building(room="8号楼群", building="8号楼", leader="赵楼长")
    assert "加 20 分" in await chat.one("[12号楼群] 李楼长: #加分 @老周 20 帮忙清理楼道")
    assert "加 5 分" in await chat.one("[8号楼群] 赵楼长: #加分 @钱阿姨 5 帮忙清理楼道")
    await desk.add_user("王主任")
    await desk.sign_in()
    chart = (await desk.get("/ledger")).text.split('id="month-chart"')[1].split("</svg>")[0]
    assert re.findall(r'>([^<>]+)</text><rect class="bar"', chart) == ["12号楼", "8号楼"]
    assert ">20 分<" in chart and ">5 分<" in chart
    assert "这个月还没有获得积分的楼" in (await desk.get("/ledger?month=2026-10")).text
