"""What the weekly ranking and the honour list say is true: no change without a week before, stars averaged over
the weeks that have data, figures in a resident's words, buildings in number order, nothing negative on the list."""

from __future__ import annotations

from dataclasses import replace

import pytest
from PIL import Image

from schedules import picture
from tests.test_notices import sent_after

COMMITTEE = "居委会群"


@pytest.fixture
def settings(settings):
    return replace(settings, committee_room=COMMITTEE, community_name="幸福里社区")


async def run(chat, job: str) -> dict[str, str]:
    """Run a job now; what it posted, by group."""
    before = len(chat.transport.sent)
    await chat.app.schedules.jobs.run(job)
    return {line.split("] ", 1)[0][1:]: line.split("] ", 1)[1] for line in await sent_after(chat, before)}


async def everyone_earns_twenty(chat, room: str, leader: str = "李楼长", others: tuple[str, ...] = ()) -> None:
    """Every member of a building (the administrator who bound it, its leader, ``others``) earns 20 points: with no
    report and no patrol that is a four-star week."""
    for name in ("王主任", *others):
        await chat.one(f"[{room}] {leader}: #加分 @{name} 20 整理车棚")
    await chat.one(f"[{room}] 王主任: #加分 @{leader} 20 整理车棚")


async def test_the_first_weekly_ranking_says_nothing_about_a_week_before_it(chat, clock, settings):
    clock.set_local("2026-11-23 08:00", settings.timezone)  # bound on Monday 23 November: no week before this one
    await chat.setup_building()
    await chat.one("[12号楼群] 张阿姨: #打卡 捡垃圾")
    clock.set_local("2026-11-30 09:00", settings.timezone)
    posts = await run(chat, "weekly_ranking")
    assert posts["12号楼群"] == (
        "【12号楼 上周爱心积分榜】11月23日–11月29日\n1. 张阿姨 2 分\n"
        "本楼星级：★★★☆☆（3 星）\n50%的住户参与了，没有人巡查，没有报修，人均 1 分。\n"
        "谢谢大家！发送 #排行 可随时查看本周排行。")
    assert posts[COMMITTEE].splitlines()[1] == "12号楼 ★★★☆☆ 3 星 50%的住户参与 0 天有巡查 上榜 1 人 积分 2"

    # A week later there is a week before, and the change is said.
    await everyone_earns_twenty(chat, "12号楼群", others=("张阿姨",))
    clock.set_local("2026-12-07 09:00", settings.timezone)
    posts = await run(chat, "weekly_ranking")
    assert "本楼星级：★★★★☆（4 星），比前一周多 1 星\n" in posts["12号楼群"]
    assert posts[COMMITTEE].splitlines()[1].startswith("12号楼 ★★★★☆ 4 星（+1） ")


async def test_a_building_made_before_its_group_was_bound_is_rated_from_the_binding(chat, clock, settings):
    """A building the committee made weeks ahead (the roster, `louzu buildings`) has no data before its group is
    bound: the first ranking after binding says nothing about a week before it."""
    from storage.models import Building

    clock.set_local("2026-11-02 08:00", settings.timezone)
    async with chat.app.sessions() as session, session.begin():
        session.add(Building(name="12号楼", created_at=clock()))
    clock.set_local("2026-11-23 08:00", settings.timezone)
    await chat.setup_building()
    await chat.one("[12号楼群] 张阿姨: #打卡 捡垃圾")
    clock.set_local("2026-11-30 09:00", settings.timezone)
    posts = await run(chat, "weekly_ranking")
    assert "本楼星级：★★★☆☆（3 星）\n" in posts["12号楼群"]
    assert posts[COMMITTEE].splitlines()[1] == "12号楼 ★★★☆☆ 3 星 50%的住户参与 0 天有巡查 上榜 1 人 积分 2"


async def test_the_star_line_says_what_each_figure_is_in_words(chat, clock, settings):
    await chat.setup_building()
    await chat.one("[12号楼群] 李楼长: #巡查 楼道通畅")
    clock.advance(days=1)
    await chat.one("[12号楼群] 李楼长: #巡查 正常")
    await chat.one("[12号楼群] 张阿姨: #报修 3楼楼道堆了纸箱")
    await chat.one("[12号楼群] 张阿姨: #报修 车棚电动车乱停")
    await chat.one("[12号楼群] 李楼长: #处理 R1 已清理")
    ranking = (await chat.one("[12号楼群] 张阿姨: #排行")).splitlines()
    # 李楼长 and 张阿姨 (the administrator 王主任 is nobody's member): one of them earned points (6, for the patrols).
    assert ranking[-2:] == ["本楼星级：★★★☆☆（3 星）",
                            "50%的住户参与了，2 天有人巡查，报修 2 件、按时处理 1 件，人均 3 分。"]



async def test_a_report_handled_at_the_very_hour_allowed_was_handled_in_time(chat, clock, settings):
    clock.set_local("2026-11-24 09:00", settings.timezone)  # a Tuesday: two days on is the same week
    await chat.setup_building()
    await chat.one("[12号楼群] 张阿姨: #报修 3楼楼道堆了纸箱")
    clock.advance(hours=settings.report_handling_hours)  # LOUZU_REPORT_HANDLING_HOURS: 48
    await chat.one("[12号楼群] 李楼长: #处理 R1 已清理")
    ranking = (await chat.one("[12号楼群] 张阿姨: #排行")).splitlines()
    assert ranking[-1] == "0%的住户参与了，没有人巡查，报修 1 件、按时处理 1 件，人均 0 分。"

async def test_star_buildings_average_the_months_whole_weeks_since_binding(chat, clock, settings):
    tz = settings.timezone
    clock.set_local("2026-10-26 09:00", tz)
    await chat.setup_building("3号楼群", "3号楼", "李楼长")
    for monday in ("2026-11-02", "2026-11-09", "2026-11-16", "2026-11-23"):  # November's whole weeks: 4 stars
        clock.set_local(f"{monday} 10:00", tz)
        await everyone_earns_twenty(chat, "3号楼群")
    clock.set_local("2026-11-18 10:00", tz)  # bound in November's third week: only its fourth week counts
    await chat.setup_building("12号楼群", "12号楼", "周楼长")
    clock.set_local("2026-11-24 10:00", tz)
    await everyone_earns_twenty(chat, "12号楼群", "周楼长")
    # Posted on Tuesday 1 December: the week that began on Monday 30 November is not November's, and not over.
    clock.set_local("2026-12-01 10:00", tz)
    text = (await run(chat, "honour_list"))["3号楼群"]
    assert text.endswith("◆ 星级楼组\n3号楼 平均 4.0 星\n12号楼 平均 4.0 星\n谢谢大家为社区出力！")


async def test_the_honour_list_never_says_nobody(chat, clock, settings):
    clock.set_local("2026-11-10 10:00", settings.timezone)
    await chat.setup_building()
    clock.set_local("2026-12-01 10:00", settings.timezone)
    assert await run(chat, "honour_list") == {}  # nobody earned anything in November: nothing to post

    clock.set_local("2026-12-10 10:00", settings.timezone)
    await chat.one("[12号楼群] 张阿姨: #打卡 捡垃圾")
    clock.set_local("2027-01-01 10:00", settings.timezone)
    text = (await run(chat, "honour_list"))["12号楼群"]
    assert text == ("【幸福里社区 2026年12月光荣榜】\n◆ 爱心积分前十名\n1. 张阿姨（12号楼）2 分\n"
                    "◆ 各楼第一名\n12号楼：张阿姨 2 分\n谢谢大家为社区出力！")
    assert "还没有" not in text


async def test_buildings_are_listed_in_number_order(chat, clock, settings, louzu, tmp_path):
    clock.set_local("2026-11-10 10:00", settings.timezone)
    for number in (12, 3, 101):
        await chat.setup_building(f"{number}号楼群", f"{number}号楼", f"楼长{number}")
        await chat.one(f"[{number}号楼群] 居民{number}: #打卡 捡垃圾")
    clock.set_local("2026-12-01 10:00", settings.timezone)
    text = (await run(chat, "honour_list"))["3号楼群"]
    assert "◆ 各楼第一名\n3号楼：居民3 2 分\n12号楼：居民12 2 分\n101号楼：居民101 2 分\n" in text
    ran = await louzu("export", "rankings", "--month", "2026-11", "-o", "m.csv")
    assert ran.code == 0, ran.err
    rows = (tmp_path / "m.csv").read_text(encoding="utf-8-sig").splitlines()[1:]
    assert [row.split(",")[0] for row in rows] == ["3号楼", "12号楼", "101号楼"]


async def test_the_honour_picture_names_the_community_gives_medals_and_fits_its_content(chat, clock, settings):
    clock.set_local("2026-11-10 10:00", settings.timezone)
    await chat.setup_building()
    for name, times in (("刘䶮", 3), ("张阿姨", 2), ("老周", 1)):
        for _ in range(times):
            await chat.one(f"[12号楼群] {name}: #打卡 捡垃圾")
    clock.set_local("2026-12-01 10:00", settings.timezone)
    posts = await run(chat, "honour_list")
    assert posts["12号楼群"].startswith("【幸福里社区 2026年11月光荣榜】\n◆ 爱心积分前十名\n1. 刘䶮（12号楼）6 分\n")
    path = settings.data_dir.resolve() / "honour" / "2026-11.png"
    with Image.open(path) as image:
        colours = {colour for _, colour in image.getcolors(maxcolors=1 << 20)}
        height = image.height
        # Ink of the last line of the list: the footer follows it closely, with no empty band below.
        rows = [y for y in range(height) if any(image.getpixel((x, y)) == (0x2B, 0x2B, 0x2B) for x in range(0, 1080, 2))]
    medals = [tuple(int(hex_[i:i + 2], 16) for i in (1, 3, 5)) for hex_, _ in picture.MEDALS.values()]
    assert all(medal in colours for medal in medals)  # gold, silver and bronze for the first three
    assert height - max(rows) < 160
    # The community's name is drawn: the picture differs from the one drawn without it.
    without = picture.render(replace_community(settings), path.with_name("without.png"))
    with Image.open(without) as image, Image.open(path) as drawn:
        assert image.tobytes() != drawn.tobytes()


def replace_community(settings):
    from schedules.honour import HonourList
    return HonourList(label="2026年11月", volunteers=[(1, "刘䶮", "12号楼", 6), (2, "张阿姨", "12号楼", 4),
                                                    (3, "老周", "12号楼", 2)],
                      building_best=[("12号楼", ["刘䶮"], 6)], footer=f"{settings.bot_name} · 2026-12-01")


async def test_on_a_street_of_many_buildings_each_group_reads_its_own_buildings_best(chat, clock, settings):
    clock.set_local("2026-11-10 10:00", settings.timezone)
    for number in range(1, 23):  # more buildings than a section lists
        await chat.setup_building(f"{number}号楼群", f"{number}号楼", f"楼长{number}")
        for _ in range(number % 3 + 1):
            await chat.one(f"[{number}号楼群] 居民{number}: #打卡 清理楼道")
    clock.set_local("2026-12-01 10:00", settings.timezone)
    posts = await run(chat, "honour_list")
    assert len(posts) == 22
    assert "\n◆ 本楼第一名\n3号楼：居民3 5 分\n" in posts["3号楼群"]
    assert "\n◆ 本楼第一名\n12号楼：居民12 5 分\n" in posts["12号楼群"]
    assert "各楼第一名" not in posts["3号楼群"] and "12号楼：" not in posts["3号楼群"]
