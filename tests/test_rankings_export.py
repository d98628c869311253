"""`louzu export rankings --week | --month`: the same ranking as #排行 and the Monday post, in a file."""

from __future__ import annotations

from openpyxl import load_workbook

from bot.core.messages import Mention


async def test_a_week_and_a_month(chat, louzu, clock, settings, tmp_path):
    await chat.setup_building()
    await chat.setup_building("11号楼群", "11号楼", "周楼长")
    await chat("[12号楼群] 张阿姨: #打卡 清理楼道")  # 5 (week 48: 23–29 November)
    await chat("[12号楼群] 老周: #打卡 捡垃圾")  # 2
    await chat("[12号楼群] 李楼长: #加分 @老周 3 搬东西", mentions=(Mention("老周", "老周"),))  # 老周 5: tied with 张阿姨
    await chat("[11号楼群] 周楼长: #巡查 正常")  # 3
    await chat("[12号楼群] 张阿姨: #兑换 抽纸")  # a gift: does not lower the ranking
    clock.set_local("2026-11-30 09:00", settings.timezone)  # week 49
    await chat("[12号楼群] 张阿姨: #打卡 捡垃圾")

    ran = await louzu("export", "rankings", "--week", "2026-W48")
    assert ran.code == 0, ran.err
    book = load_workbook(tmp_path / "排行-2026-W48.xlsx")
    assert book.sheetnames == ["全社区", "各楼", "星级"]
    assert book["全社区"]["A1"].value == "2026年第48周（11月23日–11月29日） 爱心积分排行（全社区）"
    assert list(book["全社区"].iter_rows(min_row=3, values_only=True)) == [
        (1, "张阿姨", None, "12号楼", 5), (1, "老周", None, "12号楼", 5), (3, "周楼长", None, "11号楼", 3)]
    assert list(book["各楼"].iter_rows(min_row=3, values_only=True)) == [
        ("11号楼", 1, "周楼长", None, 3), ("12号楼", 1, "张阿姨", None, 5), ("12号楼", 1, "老周", None, 5)]
    head = next(book["星级"].iter_rows(min_row=2, max_row=2, values_only=True))
    assert head[3:5] == ("参与：本周得了积分的成员占全楼成员的比例", "巡查：本周有人巡查的天数（满 7 天为 100%）")  # plain words
    stars = list(book["星级"].iter_rows(min_row=3, values_only=True))
    assert [row[0] for row in stars] == ["11号楼", "12号楼"] and all(1 <= row[2] <= 5 for row in stars)

    ran = await louzu("export", "rankings", "--month", "2026-11", "-o", "m.csv")
    assert ran.code == 0
    lines = (tmp_path / "m.csv").read_text(encoding="utf-8-sig").splitlines()
    assert lines == ["楼栋,名次,姓名,门牌号,积分", "11号楼,1,周楼长,,3", "12号楼,1,张阿姨,,7", "12号楼,2,老周,,5"]
    assert (await louzu("export", "rankings")).err == "louzu: 请写 --week（例如 2026-W48）或 --month（例如 2026-11），二选一\n"
    assert (await louzu("export", "rankings", "--week", "2026-W60")).code == 2
