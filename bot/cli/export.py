"""`louzu export reports`: reports for a street office's system (Open311 GeoReport v2) or a spreadsheet.

Exports are for outside use, so they carry no names and no WeChat ids unless
`--with-names` asks for names (never ids).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.core.intake import clean
from bot.core.settings import Settings
from storage import reports as store
from storage.db import make_engine, make_sessionmaker, upgrade
from storage.reports import ACTION_WORDS, STATUS_LABELS, ExportedReport, Step, name_of

FORMATS = ("open311", "csv", "xlsx")



@dataclass(frozen=True)
class ExportOptions:
    timezone: ZoneInfo
    with_names: bool = False
    media_dir: Path = Path("data/media")
    media_base_url: str = ""  # where the media directory is served; empty: file:// URLs


def add_parser(subparsers: Any) -> None:
    """`louzu export reports …`"""
    export = subparsers.add_parser("export", help="export records for outside use")
    what = export.add_subparsers(dest="export_what", required=True)
    reports = what.add_parser(
        "reports", help="reports (随手拍) as Open311 service requests, CSV or XLSX",
        description="Reports opened in the given days. Without --with-names there are no personal names; "
                    "WeChat ids are never exported.")
    reports.add_argument("--format", choices=FORMATS, default="open311",
                         help="open311 (GeoReport v2 JSON, default), csv or xlsx (both with each report's history)")
    reports.add_argument("--since", type=_day, required=True, metavar="YYYY-MM-DD",
                         help="first day (community time zone)")
    reports.add_argument("--until", type=_day, metavar="YYYY-MM-DD", help="last day, included (default: up to now)")
    reports.add_argument("--with-names", action="store_true",
                         help="include the names of reporters and helpers (internal use only)")
    reports.add_argument("--output", "-o", type=Path, metavar="FILE",
                         help="file to write (default: standard output; xlsx needs a file)")
    reports.add_argument("--media-base-url", default="", metavar="URL",
                         help="URL the media directory is served at: media_url becomes URL/<file> "
                              "(default: file:// URLs of the stored photos)")


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-11-01") from None


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=tz)


async def run(args: argparse.Namespace, settings: Settings) -> int:
    """Write the export; 0 on success, 2 for arguments that cannot work together."""
    tz = settings.timezone
    start = _midnight(args.since, tz)
    end = _midnight(args.until + timedelta(days=1), tz) if args.until else None
    if end is not None and end <= start:
        print("louzu: --until is before --since", file=sys.stderr)
        return 2
    if args.format == "xlsx" and args.output is None:
        print("louzu: --format xlsx needs --output FILE", file=sys.stderr)
        return 2
    engine = make_engine(settings.database_url)
    try:
        await upgrade(engine)
        async with make_sessionmaker(engine)() as session:
            rows = await store.reports_between(session, start, end)
    finally:
        await engine.dispose()
    options = ExportOptions(tz, args.with_names, settings.media_dir, args.media_base_url)
    if args.format == "xlsx":
        write_xlsx(rows, options, args.output)
    else:
        text = open311_json(rows, options) if args.format == "open311" else csv_text(rows, options)
        if args.output is None:
            sys.stdout.write(text)
        else:
            # A BOM, so that spreadsheet programs read the Chinese in a CSV file correctly.
            args.output.write_text(text, encoding="utf-8-sig" if args.format == "csv" else "utf-8")
    if args.output is not None:
        print(f"louzu: wrote {len(rows)} reports to {args.output}", file=sys.stderr)
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
