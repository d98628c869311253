"""`louzu export ledger --month`: every entry of the month, accounts per member and per building, and totals
that reconcile with the ledger itself (proved on generated ledgers), in a workbook that reads as it opens."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import datetime, timedelta, timezone

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.core.messages import Mention
from storage.models import Building, LedgerEntry, Member, Resident
from storage.staff.ledger_month import HEADINGS, column_of

TZ_OFFSET = timedelta(hours=8)
KINDS = ("claim", "report_bonus", "thanks", "patrol", "award", "deduction", "redemption", "redemption_reversal",
         "chain")  # "chain": a kind this export does not know yet; it must still be counted (其他)


async def generated_ledger(chat, seed: int) -> None:
    """Three buildings, 20 members (some without a building or a door), 400 entries from October to December."""
    rng = random.Random(seed)
    async with chat.app.sessions() as session, session.begin():
        start = datetime(2026, 10, 1, tzinfo=timezone.utc)
        buildings = [Building(name=f"{n}号楼", created_at=start) for n in (1, 2, 3)]
        session.add_all(buildings)
        await session.flush()
        members = []
        for n in range(20):
            home = rng.choice(buildings + [None])
            members.append(Member(wechat_id=f"wxid_{seed}_{n}", display_name=f"居民{n}",
                                  building_id=home.id if home else None, created_at=start))
        session.add_all(members)
        await session.flush()
        for n, member in enumerate(members[:12]):
            if member.building_id:
                session.add(Resident(building_id=member.building_id, door=f"{n + 1}01", name=member.display_name,
                                     roles="", member_id=member.id, created_at=start))
        for _ in range(400):
            member = rng.choice(members)
            # Around the month's edges on purpose: 1 November 00:00 and 1 December 00:00 local time.
            moment = rng.choice([datetime(2026, 10, 31, 16, 0, tzinfo=timezone.utc),
                                 datetime(2026, 11, 30, 15, 59, 59, tzinfo=timezone.utc),
                                 datetime(2026, 11, 30, 16, 0, tzinfo=timezone.utc),
                                 start + timedelta(minutes=rng.randrange(0, 90 * 24 * 60))])
            kind = rng.choice(KINDS)
            amount = rng.randint(1, 30) * (-1 if kind in ("deduction", "redemption") else 1)
            building = rng.choice(buildings + [None])
            session.add(LedgerEntry(member_id=member.id, building_id=building.id if building else None, amount=amount,
                                    kind=kind, reason=f"{kind} {amount}", author_id=rng.choice([None, members[0].id]),
                                    ref_type=rng.choice([None, "claim", "redemption", "thanks"]),
                                    ref_id=rng.randint(1, 99), created_at=moment))


def table(sheet, first_data_row: int) -> tuple[list, list[list]]:
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    return rows[first_data_row - 2], rows[first_data_row - 1:]


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_the_totals_reconcile_with_the_ledger_on_generated_data(chat, louzu, tmp_path, seed):
    await generated_ledger(chat, seed)
    start = datetime(2026, 11, 1) - TZ_OFFSET
    end = datetime(2026, 12, 1) - TZ_OFFSET
    entries = await chat.scalars(select(LedgerEntry))
    members = {m.id: m for m in await chat.scalars(select(Member))}
    buildings = {b.id: b.name for b in await chat.scalars(select(Building))}

    def naive(moment):
        return moment.astimezone(timezone.utc).replace(tzinfo=None)

    inside = [e for e in entries if start <= naive(e.created_at) < end]
    opening = defaultdict(int)
    closing = defaultdict(int)
    by_building = defaultdict(lambda: defaultdict(int))
    for e in entries:
        if naive(e.created_at) < end:
            closing[e.member_id] += e.amount
        if naive(e.created_at) < start:
            opening[e.member_id] += e.amount
    for e in inside:
        by_building[buildings.get(e.building_id, "未分楼")][column_of(e.kind)] += e.amount

    ran = await louzu("export", "ledger", "--month", "2026-11", "-o", tmp_path / "台账.xlsx")
    assert ran.code == 0, ran.err
    assert "——一致" in ran.out
    book = load_workbook(tmp_path / "台账.xlsx")
    assert book.sheetnames[:2] == ["汇总", "成员"] and book.sheetnames[-1] == "明细"

    # 明细: every entry of the month, once, with its amount as a number.
    head, rows = table(book["明细"], 2)
    assert head == ["时间", "成员", "门牌号", "楼栋", "类型", "分数", "原因", "操作人", "关联", "流水号"]
    assert sorted(r[9] for r in rows) == sorted(e.id for e in inside)
    assert all(isinstance(r[5], int) and isinstance(r[0], datetime) for r in rows)
    assert sum(r[5] for r in rows) == sum(e.amount for e in inside)

    # 成员: each member's opening and closing are the ledger's sums; closing = opening + the month's columns.
    head, rows = table(book["成员"], 4)
    *accounts, total = rows
    names = {m.display_name: m.id for m in members.values()}
    for row in accounts:
        figures = dict(zip(head, row))
        member_id = names[figures["姓名"]]
        assert figures["期初余额"] == opening[member_id]
        assert figures["期末余额"] == closing[member_id]
        assert figures["期末余额"] == figures["期初余额"] + sum(figures[h] for h in HEADINGS) == \
            figures["期初余额"] + figures["本月合计"]
    assert {names[r[2]] for r in accounts} == {m for m in closing if m in opening or
                                               any(e.member_id == m for e in inside)}
    assert total[head.index("期末余额")] == sum(closing.values())

    # 汇总: each building's columns are the ledger's sums by kind; the total row is the whole ledger's.
    head, rows = table(book["汇总"], 5)
    *per_building, total = rows
    assert total[0] == "合计"
    for row in per_building:
        figures = dict(zip(head, row))
        for heading in HEADINGS:
            assert figures[heading] == by_building[row[0]][heading], (row[0], heading)
    assert total[head.index("期末余额")] == sum(closing.values()) == sum(r[head.index("期末余额")] for r in per_building)
    assert total[head.index("其他")] == sum(e.amount for e in inside if e.kind == "chain")
    # One sheet per building (where members live), each adding up to its own 合计.
    for name in ("1号楼", "2号楼", "3号楼"):
        head, rows = table(book[name], 3)
        *people, subtotal = rows
        assert subtotal[head.index("期末余额")] == sum(r[head.index("期末余额")] for r in people)


async def test_a_month_through_the_chat_reads_as_the_street_office_wants_it(chat, louzu, clock, tmp_path, settings):
    await chat.setup_building()
    await chat.setup_building("11号楼群", "11号楼", "周楼长")
    zhou = (Mention("老周", "老周"),)
    clock.set_local("2026-10-30 10:00", settings.timezone)
    await chat("[12号楼群] 张阿姨: #打卡 清理楼道")  # October: the opening balance
    clock.set_local("2026-11-03 09:00", settings.timezone)
    await chat("[12号楼群] 张阿姨: #打卡 捡垃圾 2")
    await chat("[12号楼群] 张阿姨: #点赞 @老周 楼道扫得干净", mentions=zhou)
    await chat("[12号楼群] 李楼长: #加分 @老周 20 帮忙搬运物资", mentions=zhou)
    await chat("[12号楼群] 老周: #兑换 抽纸")
    await chat("[12号楼群] 李楼长: #扣分 @老周 3 重复打卡", mentions=zhou)
    await chat("[11号楼群] 周楼长: #巡查 消防通道畅通")
    clock.set_local("2026-12-01 08:00", settings.timezone)
    await chat("[12号楼群] 张阿姨: #打卡 捡垃圾")  # December: not in November's ledger

    ran = await louzu("export", "ledger", "--month", "2026-11")
    assert ran.code == 0, ran.err
    path = tmp_path / "积分台账-2026-11.xlsx"
    assert ran.lines[-1] == f"共 6 笔记录，3 位成员 → {path.name}"
    book = load_workbook(path)
    assert book.sheetnames == ["汇总", "成员", "11号楼", "12号楼", "明细"]
    summary = book["汇总"]
    assert summary["A1"].value == "爱心储蓄银行 2026年11月 积分台账"
    assert summary["A2"].value == "统计区间：2026-11-01 至 2026-11-30（Asia/Shanghai），共 6 笔"
    rows = [list(r) for r in summary.iter_rows(min_row=4, values_only=True)]
    assert rows == [
        ["楼栋", "期初余额", "活动打卡", "报修奖励", "点赞", "巡查", "奖励加分", "扣分", "兑换礼品", "其他", "本月合计", "期末余额"],
        ["11号楼", 0, 0, 0, 0, 3, 0, 0, 0, 0, 3, 3],
        ["12号楼", 5, 4, 0, 1, 0, 20, -3, -10, 0, 12, 17],
        ["合计", 5, 4, 0, 1, 3, 20, -3, -10, 0, 15, 20],
    ]
    assert summary.freeze_panes == "A5" and summary["A4"].font.bold and summary["A7"].font.bold
    assert summary.column_dimensions["A"].width >= 8 and summary.column_dimensions["L"].width >= 10
    members = [list(r) for r in book["成员"].iter_rows(min_row=3, values_only=True)]
    assert members[1:] == [  # (no 门牌号: nobody here is on the roster)
        ["11号楼", None, "周楼长", 0, 0, 0, 0, 3, 0, 0, 0, 0, 3, 3],
        ["12号楼", None, "张阿姨", 5, 4, 0, 0, 0, 0, 0, 0, 0, 4, 9],
        ["12号楼", None, "老周", 0, 0, 0, 1, 0, 20, -3, -10, 0, 8, 8],
        ["合计", None, None, 5, 4, 0, 1, 3, 20, -3, -10, 0, 15, 20],
    ]
    entries = [list(r) for r in book["明细"].iter_rows(min_row=2, values_only=True)]
    assert entries[0][:9] == [datetime(2026, 11, 3, 9, 0), "张阿姨", None, "12号楼", "打卡", 4, "打卡 捡垃圾 2次（自动通过）",
                              "张阿姨", "C2"]
    assert [e[4] for e in entries] == ["打卡", "点赞", "加分", "兑换礼品", "扣分", "巡查"]
    assert entries[2][7] == "李楼长" and entries[3][8] == "X1"
    reason = book["明细"].cell(2, 7)
    assert book["明细"].column_dimensions["G"].width >= 20 and not reason.alignment.wrap_text  # short: one line

    # CSV: the entries, and the members' accounts beside them.
    ran = await louzu("export", "ledger", "--month", "2026-11", "-o", "台账.csv")
    assert ran.code == 0 and ran.lines[-1].endswith("台账.csv、台账-成员.csv")
    text = (tmp_path / "台账.csv").read_text(encoding="utf-8-sig").splitlines()
    assert text[0] == "时间,成员,门牌号,楼栋,类型,分数,原因,操作人,关联,流水号" and len(text) == 7
    assert (await louzu("export", "ledger", "--month", "2026-13")).code == 2


async def test_doors_from_the_roster_are_in_the_ledger(chat, louzu, tmp_path):
    await chat.setup_building()
    await chat("[12号楼群] 李楼长: #门牌 @张阿姨 1202", mentions=(Mention("张阿姨", "张阿姨"),))
    await chat("[12号楼群] 张阿姨: #打卡 捡垃圾")
    assert (await louzu("export", "ledger", "--month", "2026-11", "-o", "x.xlsx")).code == 0
    book = load_workbook(tmp_path / "x.xlsx")
    assert [r[:3] for r in book["12号楼"].iter_rows(min_row=3, values_only=True)] == [("1202", "张阿姨", 0), ("合计", None, 0)]
    assert list(book["明细"].iter_rows(min_row=2, values_only=True))[0][1:4] == ("张阿姨", "1202", "12号楼")
