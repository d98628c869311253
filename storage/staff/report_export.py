"""Reports as they leave the community: Open311 GeoReport v2 service requests, CSV or XLSX.

`louzu export reports` and the web desk's downloads both write them here. Exports are for
outside use, so they carry no names and no WeChat ids unless ``with_names`` asks for names
(never ids).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from storage import reports as store
from storage.reports import ACTION_WORDS, STATUS_LABELS, ExportedReport, Step, name_of
from storage.text import clean

FORMATS = ("open311", "csv", "xlsx")


@dataclass(frozen=True)
class ExportOptions:
    timezone: ZoneInfo
    with_names: bool = False
    media_dir: Path = Path("data/media")
    media_base_url: str = ""  # where the media directory is served; empty: file:// URLs


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
