"""`louzu export …`: reports for a street office's system (Open311 GeoReport v2) or a spreadsheet.

Exports are for outside use, so they carry no names and no WeChat ids unless
`--with-names` asks for names (never ids).
"""

from __future__ import annotations

import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from bot.cli import ui
from bot.cli.state import operation, records_of
from bot.cli.types import DAY, MONTH, WEEK
from bot.core.settings import Settings
from storage import reports as store
from storage.db import make_engine, make_sessionmaker, upgrade
from storage.queries import month_bounds, week_bounds
from storage.staff.ledger_month import MonthStatement, month_statement
from storage.staff.rankings import rankings, write_rankings
from storage.staff.report_export import FORMATS, ExportOptions, csv_text, open311_json, write_xlsx
from storage.staff.ledger_workbook import ACCOUNT_HEAD, check_line, figures, write_csvs, write_workbook


@click.group(cls=ui.Group, help="导出给街道或表格用的记录：报修、积分台账、排行。")
def export() -> None:
    pass


@export.command("reports", help="报修（随手拍）：Open311 服务请求、CSV 或 XLSX。不加 --with-names 时不含姓名；"
                                "微信号从不导出。")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="open311", metavar="open311|csv|xlsx",
              help="open311（GeoReport v2 JSON，默认）、csv 或 xlsx（后两种带每条报修的历史）")
@click.option("--since", type=DAY, required=True, metavar="YYYY-MM-DD", help="第一天（社区时区）")
@click.option("--until", type=DAY, metavar="YYYY-MM-DD", help="最后一天（含当天；默认到现在）")
@click.option("--with-names", is_flag=True, help="包括报修人和处理人的姓名（仅供内部使用）")
@click.option("--output", "-o", type=click.Path(path_type=Path), metavar="文件",
              help="写到这个文件（默认：标准输出；xlsx 必须写文件）")
@click.option("--media-base-url", default="", metavar="URL",
              help="照片目录对外的网址：media_url 写成 URL/<文件名>（默认：照片文件的 file:// 地址）")
@click.pass_context
def reports_command(ctx: click.Context, fmt: str, since: date, until: date | None, with_names: bool,
                    output: Path | None, media_base_url: str) -> int:
    return ui.run(export_reports(records_of(ctx), fmt, since, until, with_names, output, media_base_url))


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=tz)


async def export_reports(settings: Settings, fmt: str, since: date, until: date | None = None,
                         with_names: bool = False, output: Path | None = None, media_base_url: str = "") -> int:
    """Write the export; 0 on success (a wrong combination of options is a ui.Fail)."""
    tz = settings.timezone
    start = _midnight(since, tz)
    end = _midnight(until + timedelta(days=1), tz) if until else None
    if end is not None and end <= start:
        raise ui.Fail("--until 在 --since 之前", 2)
    if fmt == "xlsx" and output is None:
        raise ui.Fail("--format xlsx 要用 --output 文件 指定写到哪里", 2)
    engine = make_engine(settings.database_url)
    try:
        await upgrade(engine)
        async with make_sessionmaker(engine)() as session:
            rows = await store.reports_between(session, start, end)
    finally:
        await engine.dispose()
    options = ExportOptions(tz, with_names, settings.media_dir, media_base_url)
    if fmt == "xlsx":
        write_xlsx(rows, options, output)
    else:
        text = open311_json(rows, options) if fmt == "open311" else csv_text(rows, options)
        if output is None:
            sys.stdout.write(text)
        else:
            # A BOM, so that spreadsheet programs read the Chinese in a CSV file correctly.
            output.write_text(text, encoding="utf-8-sig" if fmt == "csv" else "utf-8")
    if output is not None:
        ui.note(f"已把 {len(rows)} 条报修写到 {output}")
    return 0


# The love-bank month -------------------------------------------------------------------------

@export.command("ledger", help="一个月的积分台账：每一笔记录，每栋楼、每个人的期初、各项收支、期末（XLSX；或 CSV）。")
@click.option("--month", type=MONTH, required=True, metavar="YYYY-MM", help="哪个月，例如 2026-11（社区时区）")
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False), metavar="文件",
              help="写到哪个文件：.xlsx（默认 积分台账-YYYY-MM.xlsx）或 .csv（另写一份 …-成员.csv）")
@click.pass_context
def ledger_command(ctx: click.Context, month: date, output: Path | None) -> int:
    settings = records_of(ctx)
    output = output or Path(f"积分台账-{month:%Y-%m}.xlsx")
    if output.suffix.lower() not in (".xlsx", ".csv"):
        raise ui.Fail("台账文件要以 .xlsx 或 .csv 结尾", 2)
    statement = ui.run(ledger_month(settings, month))
    written = write_ledger(statement, output, settings.timezone)
    ui.table(f"爱心储蓄银行 {statement.label} 汇总", ["楼栋", *ACCOUNT_HEAD],
             [(a.name, *figures(a)) for a in statement.buildings] + [("合计", *figures(statement.total))])
    ui.say(check_line(statement))
    ui.say(f"共 {len(statement.lines)} 笔记录，{len(statement.members)} 位成员 → {'、'.join(map(str, written))}")
    return 0 if statement.reconciles else 1


async def ledger_month(settings: Settings, month: date) -> MonthStatement:
    """The month's statement, read in one transaction (a consistent picture while the bot writes)."""
    tz = settings.timezone
    start, end = month_bounds(_midnight(month, tz), tz)
    engine = make_engine(settings.database_url)
    try:
        await upgrade(engine)
        async with make_sessionmaker(engine)() as session, session.begin():
            with ui.progress("读取台账", None) as advance:
                return await month_statement(session, start, end, tz, advance)
    finally:
        await engine.dispose()


def write_ledger(statement: MonthStatement, output: Path, tz: ZoneInfo) -> list[Path]:
    if output.suffix.lower() == ".csv":
        return write_csvs(statement, output)
    write_workbook(statement, output, tz)
    return [output]


@export.command("rankings", help="一周或一个月的爱心积分排行：全社区、各楼（每周另有各楼星级）。XLSX 或 CSV。")
@click.option("--week", type=WEEK, metavar="YYYY-Www", help="哪一周（ISO 周，周一到周日），例如 2026-W48")
@click.option("--month", type=MONTH, metavar="YYYY-MM", help="哪个月，例如 2026-11")
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False), metavar="文件",
              help="写到哪个文件：.xlsx（默认 排行-<周或月>.xlsx）或 .csv（各楼排行）")
@click.pass_context
def rankings_command(ctx: click.Context, week: date | None, month: date | None, output: Path | None) -> int:
    if (week is None) == (month is None):
        raise ui.Fail("请写 --week（例如 2026-W48）或 --month（例如 2026-11），二选一", 2)
    settings = records_of(ctx)
    tz = settings.timezone
    if week is not None:
        start, end = week_bounds(_midnight(week, tz), tz)
        year, number, _ = week.isocalendar()
        last = week + timedelta(days=6)
        label, name = f"{year}年第{number}周（{week.month}月{week.day}日–{last.month}月{last.day}日）", f"{year}-W{number:02d}"
    else:
        start, end = month_bounds(_midnight(month, tz), tz)
        label, name = f"{month.year}年{month.month}月", f"{month:%Y-%m}"
    output = output or Path(f"排行-{name}.xlsx")
    if output.suffix.lower() not in (".xlsx", ".csv"):
        raise ui.Fail("排行文件要以 .xlsx 或 .csv 结尾", 2)
    data = ui.run(operation(settings.database_url, rankings, start, end, label, settings if week else None))
    write_rankings(data, output)
    ui.table(f"{label} 全社区前 10 名", ["名次", "姓名", "门牌号", "楼栋", "积分"], [r for r in data.community if r[0] <= 10])
    ui.say(f"已写到 {output}（全社区 {len(data.community)} 人上榜）")
    return 0
