"""Spreadsheets staff open as they are: Chinese headings in bold, a frozen header, widths that fit,
wrapped long text, numbers as numbers and times as times; CSV with a BOM so Excel reads the Chinese.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from datetime import date, datetime
from pathlib import Path
from typing import Any, Iterable, Sequence

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

HEAD_FILL = PatternFill("solid", fgColor="FFF2CC")
WIDEST = 60  # characters; longer text wraps
SHEET_TITLE = 31  # Excel's limit on a sheet's name


def width_of(value: Any) -> int:
    """How wide a value shows, in Latin characters (a Chinese character takes two)."""
    if isinstance(value, datetime):
        return 16
    if isinstance(value, date):
        return 10
    text = "" if value is None else str(value)
    longest = max((line for line in text.splitlines()), key=len, default="")
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in longest)


def safe(value: Any) -> Any:
    """A value safe to open: local times without a zone, text that looks like a formula kept as text."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if value[:1] in ("=", "+", "-", "@", "\t", "\r") and len(value) > 1 and not _is_number(value):
            return "'" + value
    return value


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def sheet_title(text: str, taken: set[str]) -> str:
    """A sheet name Excel accepts (no []:*?/\\, at most 31 characters), not already taken."""
    clean = "".join("_" if ch in "[]:*?/\\" else ch for ch in text)[:SHEET_TITLE] or "表"
    title, n = clean, 2
    while title in taken:
        suffix = f"({n})"
        title, n = clean[:SHEET_TITLE - len(suffix)] + suffix, n + 1
    taken.add(title)
    return title


def fill(sheet: Worksheet, head: Sequence[str], rows: Iterable[Sequence[Any]], *, title_lines: Sequence[str] = (),
         bold_last: bool = False) -> None:
    """Write a table: optional title lines above it, a bold frozen header, fitted widths, wrapped text."""
    for line in title_lines:
        sheet.append([line])
        sheet.cell(sheet.max_row, 1).font = Font(bold=True, size=12)
    header_row = sheet.max_row + 1 if title_lines else 1
    sheet.append(list(head))
    widths = [width_of(h) + 2 for h in head]
    count = 0
    for row in rows:
        sheet.append([safe(v) for v in row])
        count += 1
        for i, value in enumerate(row):
            widths[i] = max(widths[i], min(width_of(value) + 2, WIDEST))
    for i, cell in enumerate(sheet[header_row]):
        cell.font = Font(bold=True)
        cell.fill = HEAD_FILL
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    for row in sheet.iter_rows(min_row=header_row + 1):
        for cell in row:
            if isinstance(cell.value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(cell.value, str) and width_of(cell.value) > WIDEST - 2 or (
                    isinstance(cell.value, str) and "\n" in cell.value):
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    if bold_last and count:
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    sheet.freeze_panes = sheet.cell(header_row + 1, 1)


def new_book() -> Workbook:
    book = Workbook()
    book.remove(book.active)
    return book


def csv_text(head: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(head)
    for row in rows:
        writer.writerow([f"{v:%Y-%m-%d %H:%M}" if isinstance(v, datetime) else "" if v is None else safe(v)
                         for v in row])
    return out.getvalue()


def write_csv(path: Path, head: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    path.write_text(csv_text(head, rows), encoding="utf-8-sig")


def read_table(path: Path, sheet: str | None = None) -> list[tuple[int, list[Any]]]:
    """(row number as the spreadsheet shows it, cells) of a CSV file or of one sheet of an XLSX file."""
    if path.suffix.lower() == ".csv":
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:  # Excel on a Chinese Windows saves CSV as GBK ("ANSI")
            text = raw.decode("gb18030")
        return [(n, row) for n, row in enumerate(csv.reader(io.StringIO(text)), start=1)]
    book = load_workbook(path, read_only=True, data_only=True)
    try:
        if sheet is None or sheet not in book.sheetnames:
            return []
        return [(n, list(row)) for n, row in enumerate(book[sheet].iter_rows(values_only=True), start=1)]
    finally:
        book.close()


def sheet_names(path: Path) -> list[str]:
    book = load_workbook(path, read_only=True)
    try:
        return list(book.sheetnames)
    finally:
        book.close()
