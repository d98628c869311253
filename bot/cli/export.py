"""`louzu export …`: reports for a street office's system (Open311 GeoReport v2) or a spreadsheet.

Exports are for outside use, so they carry no names and no WeChat ids unless
`--with-names` asks for names (never ids).
"""

from __future__ import annotations

import csv
import io
import json
import sys
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click

from bot.cli import ui
from bot.cli.state import operation, records_of
from bot.cli.types import DAY, MONTH, WEEK
from bot.core.intake import clean
from bot.core.settings import Settings
from storage import reports as store
from storage.db import make_engine, make_sessionmaker, upgrade
from storage.queries import month_bounds, week_bounds
from storage.reports import ACTION_WORDS, STATUS_LABELS, ExportedReport, Step, name_of
from storage.staff.ledger_month import MonthStatement, month_statement
from storage.staff.rankings import rankings, write_rankings
from storage.staff.ledger_workbook import ACCOUNT_HEAD, check_line, figures, write_csvs, write_workbook

FORMATS = ("open311", "csv", "xlsx")



@dataclass(frozen=True)
class ExportOptions:
    timezone: ZoneInfo
    with_names: bool = False
    media_dir: Path = Path("data/media")
    media_base_url: str = ""  # where the media directory is served; empty: file:// URLs


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


# Open311 -------------------------------------------------------------------------------------

def open311_json(rows: list[ExportedReport], options: ExportOptions) -> str:
    return json.dumps(open311_requests(rows, options), ensure_ascii=False, indent=2) + "\n"


def open311_requests(rows: list[ExportedReport], options: ExportOptions) -> list[dict[str, Any]]:
    """Reports as GeoReport v2 service requests (the JSON response of GET Service Requests)."""
    return [_service_request(row, options) for row in rows]


def _service_request(row: ExportedReport, options: ExportOptions) -> dict[str, Any]:
    report = row.report
    request: dict[str, Any] = {
        "service_request_id": f"R{report.id}",
        # GeoReport knows open and closed; like FixMyStreet, a fixed report is closed.
        "status": "closed" if report.status in (store.RESOLVED, store.CLOSED) else "open",
        "status_notes": _text(status_notes(row)),
        "service_name": report.category,
        "service_code": report.category,
        "description": _text(report.description),
        "agency_responsible": None,
        "service_notice": None,
        "requested_datetime": _w3c(report.created_at, options.timezone),
        "updated_datetime": _w3c(report.updated_at, options.timezone),
        "expected_datetime": None,
        "address": row.building,
        "address_id": None,
        "zipcode": None,
        "lat": None,
        "long": None,
        "media_url": _media_urls(row, options)[0] if row.photos else None,
    }
    if options.with_names:  # not part of GeoReport v2, as in FixMyStreet's requestor_name
        request["requestor_name"] = name_of(row.reporter)
        request["assignee_name"] = name_of(row.assignee) if row.assignee else None
    return request


def status_notes(row: ExportedReport) -> str | None:
    """Why the report is in its state, in words (no names)."""
    report, steps = row.report, row.steps
    resolved = next((s.event for s in reversed(steps) if s.event.action == store.RESOLVE), None)
    handled = "已处理" + (f"：{resolved.note}" if resolved is not None and resolved.note else "")
    last = steps[-1].event if steps else None
    if report.status == store.CLOSED and report.duplicate_of_id:
        return f"与 R{report.duplicate_of_id} 重复，已合并"
    if report.status == store.CLOSED:
        if last is not None and last.action == store.AUTO_CLOSE:
            return f"{handled}；{last.note}"
        return f"{handled}；报修人已确认解决"
    if report.status == store.RESOLVED:
        return f"{handled}；等待报修人确认"
    reopened = next((s.event for s in reversed(steps) if s.event.action == store.REOPEN), None)
    if reopened is not None:
        return "报修人反馈未解决" + (f"：{reopened.note}" if reopened.note else "")
    return "已指派专人处理" if report.status == store.ASSIGNED else None


def _w3c(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).isoformat(timespec="seconds")


def _media_urls(row: ExportedReport, options: ExportOptions) -> list[str]:
    names = [Path(photo.path).name for photo in row.photos]
    if options.media_base_url:
        return [f"{options.media_base_url.rstrip('/')}/{name}" for name in names]
    return [(options.media_dir / name).resolve().as_uri() for name in names]


# Spreadsheets --------------------------------------------------------------------------------

def report_table(rows: list[ExportedReport], options: ExportOptions) -> tuple[list[str], list[list[Any]]]:
    """One row per report, its history in the last column; times are local."""
    tz = options.timezone
    head = ["编号", "楼栋", "类别", "状态", "状态说明", "描述"]
    if options.with_names:
        head += ["报修人", "指派给"]
    head += ["登记时间", "最后更新", "处理时间", "合并到", "照片", "历史"]
    table = []
    for row in rows:
        report = row.report
        line: list[Any] = [f"R{report.id}", row.building, report.category,
                           STATUS_LABELS.get(report.status, report.status), status_notes(row) or "", report.description]
        if options.with_names:
            line += [name_of(row.reporter), name_of(row.assignee) if row.assignee else ""]
        line += [report.created_at.astimezone(tz), report.updated_at.astimezone(tz),
                 report.resolved_at.astimezone(tz) if report.resolved_at else None,
                 f"R{report.duplicate_of_id}" if report.duplicate_of_id else "",
                 "\n".join(_media_urls(row, options)),
                 "\n".join(f"{_clock(s.event.created_at, tz)} {_step(s, options)}" for s in row.steps)]
        table.append(line)
    return head, table


def history_table(rows: list[ExportedReport], options: ExportOptions) -> tuple[list[str], list[list[Any]]]:
    """One row per history step."""
    tz = options.timezone
    head = ["编号", "时间", "动作", "状态", "说明"] + (["操作人", "指派给"] if options.with_names else [])
    table = []
    for row in rows:
        for step in row.steps:
            event = step.event
            line: list[Any] = [f"R{row.report.id}", event.created_at.astimezone(tz),
                               ACTION_WORDS.get(event.action, event.action),
                               STATUS_LABELS.get(event.status, event.status), _step_note(step) or None]
            if options.with_names:
                line += [name_of(step.actor) if step.actor else "系统", name_of(step.assignee) if step.assignee else ""]
            table.append(line)
    return head, table


def _step(step: Step, options: ExportOptions) -> str:
    text = ACTION_WORDS.get(step.event.action, step.event.action)
    if options.with_names:
        text = f"{name_of(step.actor) if step.actor else '系统'} {text}"
        if step.assignee is not None:
            text += f"给 {name_of(step.assignee)}"
    note = _step_note(step)
    return f"{text}：{note}" if note else text


def _step_note(step: Step) -> str:
    event = step.event
    if event.action == store.MERGE:
        return f"R{event.duplicate_of_id}"
    return "" if event.action == store.OPENED else event.note  # the description has its own column


def _clock(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def _text(value: str | None) -> str | None:
    """Text as it goes out: no control characters or direction overrides, also in records kept before
    the bot took them out on the way in (bot/core/intake.py)."""
    return clean(value) if value else value


def _cell(value: Any) -> Any:
    """A value safe to open in a spreadsheet: text that looks like a formula stays text."""
    if isinstance(value, str):
        value = _text(value)
        if value[:1] in ("=", "+", "-", "@", "\t", "\r"):
            return "'" + value
    return value


def csv_text(rows: list[ExportedReport], options: ExportOptions) -> str:
    head, table = report_table(rows, options)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(head)
    for line in table:
        writer.writerow([_clock(v, options.timezone) if isinstance(v, datetime) else _cell("" if v is None else v)
                         for v in line])
    return out.getvalue()


def write_xlsx(rows: list[ExportedReport], options: ExportOptions, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    def value(v: Any) -> Any:
        if isinstance(v, datetime):
            return v.replace(tzinfo=None)  # local time; spreadsheets have no time zones
        return _cell(ILLEGAL_CHARACTERS_RE.sub("", v)) if isinstance(v, str) else v

    book = Workbook()
    sheets = [(book.active, "报修", report_table(rows, options)),
              (book.create_sheet(), "历史", history_table(rows, options))]
    for sheet, title, (head, table) in sheets:
        sheet.title = title
        sheet.append(head)
        for line in table:
            sheet.append([value(v) for v in line])
        for column in sheet.iter_cols(min_row=2):
            for cell in column:
                if isinstance(cell.value, datetime):
                    cell.number_format = "yyyy-mm-dd hh:mm"
        sheet.freeze_panes = "A2"
    book.save(path)


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
