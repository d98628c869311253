"""The desk's pages, each for signed-in staff only (bot/web/app.py's ``staff_page``)."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse
from starlette.routing import Route

from bot.web.desk import XLSX, desk_of, download, staff_page
from storage.staff import accounts
from storage.models import Building
from storage.queries import week_bounds
from storage.ratings import star_ratings
from storage.reports import name_of, status_label, step_text
from storage.staff.overview import overview as overview_of
from storage.staff.report_export import FORMATS, ExportOptions, csv_text, open311_json, write_xlsx
from storage.staff.report_list import (STATUSES, ReportFilter, categories, count_reports, is_report_photo, list_reports,
                                      report_page, reports_to_export)

PHOTO_NAME = re.compile(r"^[0-9a-f]{64}\.[a-z0-9]{2,5}$")  # how storage/reports.py names a saved photo
SHOWN = 200  # reports listed on the page (newest first); the downloads have them all
STATUS_WORDS = {"open": "未办结", "overdue": "超时未办", "assigned": "已指派", "resolved": "已处理待确认", "closed": "已关闭"}


@staff_page
async def overview(request: Request):
    desk = desk_of(request)
    async with desk.sessions() as session:
        # Only the stars: not the buildings' groups, leaders and places that the buildings page lists.
        week = week_bounds(desk.clock(), desk.settings.timezone)
        stars = {number: r.stars for number, r in (await star_ratings(session, *week, desk.settings)).items()}
        numbers = await overview_of(session, desk.clock(), desk.settings.overdue_hours, desk.settings, stars)
        me = await accounts.audit_of(session, f"staff:{request.session['staff']}", limit=10)
    return desk.render(request, "overview.html", numbers=numbers, audit=me)


def _whole(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() and len(text) < 9 else None


def _wanted(request: Request) -> ReportFilter:
    query = request.query_params
    status = query.get("status", "")
    return ReportFilter(building_id=_whole(query.get("building")), status=status if status in STATUSES else "",
                        category=query.get("category", "")[:32], older_than_days=_whole(query.get("age")))


@staff_page
async def reports(request: Request):
    desk = desk_of(request)
    wanted = _wanted(request)
    async with desk.sessions() as session:
        lines = await list_reports(session, wanted, desk.clock(), desk.settings.overdue_hours, limit=SHOWN)
        total = await count_reports(session, wanted, desk.clock(), desk.settings.overdue_hours)
        buildings = list(await session.scalars(select(Building).order_by(Building.name)))
        known = await categories(session)
    # The downloads are of the same filtered set: the page's own query, with the format added.
    same = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "format"])
    return desk.render(request, "reports.html", lines=lines, total=total, shown=SHOWN, wanted=wanted,
                       buildings=buildings, categories=known, statuses=STATUS_WORDS, status_label=status_label,
                       name_of=name_of, same=same, with_names=request.query_params.get("names") == "yes")


@staff_page
async def reports_export(request: Request):
    """The filtered reports as `louzu export reports` writes them: Open311 JSON, CSV or XLSX."""
    desk = desk_of(request)
    fmt = request.query_params.get("format", "")
    if fmt not in FORMATS:
        raise HTTPException(400, "导出格式只有 open311、csv、xlsx 三种。")
    async with desk.sessions() as session:
        rows = await reports_to_export(session, _wanted(request), desk.clock(), desk.settings.overdue_hours)
    options = ExportOptions(desk.settings.timezone, request.query_params.get("names") == "yes",
                            desk.settings.media_dir, str(request.base_url).rstrip("/") + "/media")
    stamp = desk.clock().astimezone(desk.settings.timezone).strftime("%Y%m%d-%H%M")
    if fmt == "xlsx":
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "reports.xlsx"
            write_xlsx(rows, options, path)
            return download(path.read_bytes(), XLSX, f"reports-{stamp}.xlsx", f"报修-{stamp}.xlsx")
    if fmt == "csv":  # a BOM, so that spreadsheet programs read the Chinese correctly
        return download(csv_text(rows, options).encode("utf-8-sig"), "text/csv; charset=utf-8",
                        f"reports-{stamp}.csv", f"报修-{stamp}.csv")
    return download(open311_json(rows, options).encode(), "application/json", f"reports-{stamp}.json",
                    f"报修-{stamp}.json")


@staff_page
async def report(request: Request):
    desk = desk_of(request)
    number = request.path_params["number"]
    async with desk.sessions() as session:
        page = await report_page(session, number)
        audit = await accounts.audit_of(session, f"report:{number}")
    if page is None:
        raise HTTPException(404)
    return desk.render(request, "report.html", page=page, audit=audit, status_label=status_label, name_of=name_of,
                       step_text=step_text)


@staff_page
async def media(request: Request):
    """A report's photo, to signed-in staff only: a name as storage/reports.py makes them, of a known photo."""
    desk = desk_of(request)
    name = request.path_params["name"]
    if not PHOTO_NAME.match(name):
        raise HTTPException(404)
    async with desk.sessions() as session:
        known = await is_report_photo(session, name)
    path = desk.settings.media_dir / name
    if not known or not path.is_file():
        raise HTTPException(404)
    return FileResponse(path, headers={"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"})


def routes() -> list[Route]:
    return [Route("/", overview, methods=["GET"]),
            Route("/reports", reports, methods=["GET"]),
            Route("/reports/export", reports_export, methods=["GET"]),
            Route("/reports/{number:int}", report, methods=["GET"]),
            Route("/media/{name}", media, methods=["GET"])]
