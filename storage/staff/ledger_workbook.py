"""The month's ledger as a workbook (汇总, 成员, a sheet per building, 明细) or as CSV files."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from storage.staff.ledger_month import HEADINGS, Account, MonthStatement
from storage.staff.sheets import fill, new_book, sheet_title, write_csv

SUMMARY, MEMBERS, ENTRIES = "汇总", "成员", "明细"
ACCOUNT_HEAD = ["期初余额", *HEADINGS, "本月合计", "期末余额"]
ENTRY_HEAD = ["时间", "成员", "门牌号", "楼栋", "类型", "分数", "原因", "操作人", "关联", "流水号"]
MEMBER_HEAD = ["楼栋", "门牌号", "姓名", *ACCOUNT_HEAD]
BUILDING_HEAD = ["楼栋", *ACCOUNT_HEAD]


def figures(account: Account) -> list[int]:
    return [account.opening, *(account.columns[h] for h in HEADINGS), account.change, account.closing]


def period(statement: MonthStatement, tz: ZoneInfo) -> str:
    last = (statement.end - timedelta(seconds=1)).astimezone(tz)
    return f"统计区间：{statement.start.astimezone(tz):%Y-%m-%d} 至 {last:%Y-%m-%d}（{tz}），共 {len(statement.lines)} 笔"


def check_line(statement: MonthStatement) -> str:
    members = sum(a.closing for a in statement.members)
    buildings = sum(a.closing for a in statement.buildings)
    mark = "一致" if statement.reconciles else "不一致，请联系管理员"
    return (f"核对：期末余额 各楼合计 {buildings}，各人合计 {members}，台账总额 {statement.ledger_closing}——{mark}；"
            f"每行 期末余额 = 期初余额 + 本月合计")


def write_workbook(statement: MonthStatement, path: Path, tz: ZoneInfo) -> None:
    book = new_book()
    taken = {SUMMARY, MEMBERS, ENTRIES}
    title = f"爱心储蓄银行 {statement.label} 积分台账"
    fill(book.create_sheet(SUMMARY), BUILDING_HEAD,
         [[a.name, *figures(a)] for a in statement.buildings] + [["合计", *figures(statement.total)]],
         title_lines=[title, period(statement, tz), check_line(statement)], bold_last=True)
    member_total = Account("合计")
    for account in statement.members:
        member_total.opening += account.opening
        for heading in HEADINGS:
            member_total.columns[heading] += account.columns[heading]
    fill(book.create_sheet(MEMBERS), MEMBER_HEAD,
         [[a.building, a.door, a.name, *figures(a)] for a in statement.members]
         + [["合计", "", "", *figures(member_total)]],
         title_lines=[f"{title}：每位成员（按所住楼栋）", period(statement, tz)], bold_last=True)
    for building, accounts in statement.per_building().items():
        subtotal = Account("合计")
        for account in accounts:
            subtotal.opening += account.opening
            for heading in HEADINGS:
                subtotal.columns[heading] += account.columns[heading]
        fill(book.create_sheet(sheet_title(building, taken)), ["门牌号", "姓名", *ACCOUNT_HEAD],
             [[a.door, a.name, *figures(a)] for a in accounts] + [["合计", "", *figures(subtotal)]],
             title_lines=[f"{building} {statement.label} 积分台账"], bold_last=True)
    fill(book.create_sheet(ENTRIES), ENTRY_HEAD,
         [[line.time, line.member, line.door, line.building, line.kind, line.amount, line.reason, line.author,
           line.reference, line.id] for line in statement.lines])
    book.active = 0
    book.save(path)


def write_csvs(statement: MonthStatement, path: Path) -> list[Path]:
    """Every entry in ``path``; the members' accounts beside it (…-成员.csv). The files written."""
    write_csv(path, ENTRY_HEAD, [[line.time, line.member, line.door, line.building, line.kind, line.amount,
                                  line.reason, line.author, line.reference, line.id] for line in statement.lines])
    accounts = path.with_name(f"{path.stem}-{MEMBERS}{path.suffix}")
    write_csv(accounts, MEMBER_HEAD, [[a.building, a.door, a.name, *figures(a)] for a in statement.members])
    return [path, accounts]
