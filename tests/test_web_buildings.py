"""The web desk's buildings: groups, leaders, this week's stars and place; one building's 12 weeks as a chart."""

from __future__ import annotations

import re


async def test_a_buildings_page_charts_its_last_twelve_weeks_with_the_four_parts(desk, chat, clock):
    clock.advance(days=-7 * 14)  # 12号楼 was bound fourteen weeks ago
    await chat.setup_building()
    clock.advance(days=7 * 14)
    await chat.setup_building(room="8号楼群", building="8号楼", leader="赵楼长")
    await chat.send(chat.message("[12号楼群] 张阿姨: #报修 3楼楼道堆了纸箱", sender_id="wxid_zhang001"))
    clock.advance(days=2)  # not handled in time: this week's 报修及时 is 0
    await desk.add_user("王主任")
    await desk.sign_in()
    listing = (await desk.get("/buildings")).text
    assert "共 2 栋" in listing and "李楼长" in listing and "赵楼长" in listing and "12号楼群" in listing
    number = re.search(r'href="/buildings/(\d+)">12号楼<', listing).group(1)
    page = await desk.get(f"/buildings/{number}")
    assert page.status_code == 200 and "李楼长" in page.text and 'id="rank">第' in page.text
    chart = page.text.split('id="star-chart"')[1].split("</svg>")[0]
    assert re.findall(r'data-part="([^"]+)"', chart) == ["参与", "巡查", "报修及时", "人均积分"]
    assert len(re.findall(r'class="week-stars"', chart)) == 12
    assert ">9/7<" in chart and ">11/23<" in chart  # Mondays, twelve weeks back to this one
    rows = re.findall(r"<tr>\s*<td>(\d{4}-\d\d-\d\d)</td><td>[★☆]+</td>\s*((?:<td>\d+%</td>)+)", page.text)
    assert [day for day, _ in rows][:2] == ["2026-11-23", "2026-11-16"] and len(rows) == 12
    assert re.findall(r"\d+%", rows[0][1])[2] == "0%" and re.findall(r"\d+%", rows[1][1])[2] == "100%"
    low = (await desk.get("/buildings?stars=low")).text
    assert "本周不到 3 星的楼" in low
    assert (await desk.get("/buildings/999")).status_code == 404
    # 8号楼 was bound this week: its chart has this week alone, not eleven made-up weeks before it.
    eight = re.search(r'href="/buildings/(\d+)">8号楼<', listing).group(1)
    chart = (await desk.get(f"/buildings/{eight}")).text.split('id="star-chart"')[1].split("</svg>")[0]
    assert len(re.findall(r'class="week-stars"', chart)) == 1 and ">11/23<" in chart and ">11/16<" not in chart


async def test_the_overviews_low_star_number_opens_the_list_of_those_buildings(desk, chat):
    await chat.setup_building()
    await desk.add_user("王主任")
    await desk.sign_in()
    overview = (await desk.get("/")).text
    count = re.search(r'id="low-stars"><strong>(\d+)</strong>', overview).group(1)
    assert 'href="/buildings?stars=low"' in overview
    low = (await desk.get("/buildings?stars=low")).text
    assert f"本周不到 3 星的楼：{count} 栋" in low


async def test_a_building_bound_a_moment_ago_is_on_the_list_at_once(desk, chat):
    # Stars kept a few minutes hid a change staff had just made: the list is taken afresh for every page.
    await chat.setup_building()
    await desk.add_user("王主任")
    await desk.sign_in()
    assert "共 1 栋" in (await desk.get("/buildings")).text
    await chat.setup_building(room="8号楼群", building="8号楼", leader="赵楼长")
    page = (await desk.get("/buildings")).text
    assert "共 2 栋" in page and "8号楼" in page