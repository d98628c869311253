"""The desk's love bank: the month's ledger workbook as a download, the activity and gift catalogues edited in forms.

The workbook is storage/staff's (the same as `louzu export ledger`); an activity is changed by
storage/staff/activities.py's set_activity and a gift by storage/staff/gifts.py's set_gift, so
the desk refuses what the CLI refuses, and each change is audited on the thing's own page.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from sqlalchemy import select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import Route

from bot.web.charts import bars
from bot.web.desk import XLSX, asked_month, changed, checked_form, desk_of, download, staff_page
from storage.models import Activity, Gift
from storage.staff import StaffError, accounts
from storage.staff.activities import approval_text, cap_text, list_activities, set_activity
from storage.staff.gifts import list_gifts, set_gift
from storage.staff.ledger_month import month_statement
from storage.staff.ledger_workbook import write_workbook
from storage.staff.trends import points_by_building

CHARTED = 30  # buildings drawn in the month's chart; the workbook has them all


@staff_page
async def ledger(request: Request):
    desk = desk_of(request)
    month, start, end = asked_month(request, default_now=True)
    async with desk.sessions() as session:
        activities = await list_activities(session)
        gifts = await list_gifts(session)
        totals = await points_by_building(session, start, end)
    chart = bars(totals[:CHARTED], f"{month} 各楼获得的积分") if totals else ""
    return desk.render(request, "ledger.html", month=month, activities=activities, gifts=gifts, chart=chart,
                       totals=totals, charted=CHARTED, approval_text=approval_text, cap_text=cap_text)


@staff_page
async def workbook(request: Request):
    desk = desk_of(request)
    tz = desk.settings.timezone
    month, start, end = asked_month(request)
    async with desk.sessions() as session:
        statement = await month_statement(session, start, end, tz)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "ledger.xlsx"
        write_workbook(statement, path, tz)
        data = path.read_bytes()
    return download(data, XLSX, f"ledger-{month}.xlsx", f"爱心储蓄银行台账-{month}.xlsx")


async def _activity(session, number: int) -> Activity:
    activity = await session.get(Activity, number)
    if activity is None:
        raise HTTPException(404)
    return activity


@staff_page
async def activity_page(request: Request, *, error: str = "", status_code: int = 200):
    desk = desk_of(request)
    number = request.path_params["number"]
    async with desk.sessions() as session:
        activity = await _activity(session, number)
        audit = await accounts.audit_of(session, f"activity:{number}")
    return desk.render(request, "activity.html", status_code, activity=activity, audit=audit, error=error)


def _number(form, key: str, label: str, empty_is_none: bool = False) -> int | None:
    text = str(form.get(key, "")).strip()
    if not text and empty_is_none:
        return None
    if not text.isdigit() or len(text) > 7:
        raise StaffError(f"{label} 要填整数")
    return int(text)


@staff_page
async def activity_save(request: Request):
    desk = desk_of(request)
    form = await checked_form(request)
    number = request.path_params["number"]
    try:
        async with desk.sessions() as session, session.begin():
            activity = await _activity(session, number)
            change = await set_activity(session, activity.name, new_name=str(form.get("name", "")).strip() or None,
                                        points=_number(form, "points", "积分"),
                                        unit=str(form.get("unit", "")).strip() or None,
                                        auto=form.get("auto") == "yes",
                                        daily_cap=_number(form, "daily_cap", "每天上限", empty_is_none=True),
                                        most=_number(form, "most", "一次最多"), active=form.get("active") == "yes")
            if change.changes:
                await accounts.audit(session, request.session["staff"], f"activity:{number}", change.text(), desk.clock())
    except StaffError as error:
        return await activity_page.__wrapped__(request, error=str(error), status_code=400)
    return changed(request, change.text(), f"/activities/{number}")


@staff_page
async def gift_page(request: Request, *, error: str = "", status_code: int = 200):
    desk = desk_of(request)
    number = request.path_params.get("number")
    async with desk.sessions() as session:
        gift = await session.get(Gift, number) if number is not None else None
        if number is not None and gift is None:
            raise HTTPException(404)
        audit = await accounts.audit_of(session, f"gift:{number}") if number is not None else []
    return desk.render(request, "gift.html", status_code, gift=gift, audit=audit, error=error)


@staff_page
async def gift_save(request: Request):
    """A gift changed (/gifts/<n>) or added (/gifts/new) by storage/staff/gifts.py's set_gift, as `louzu gifts set`."""
    desk = desk_of(request)
    form = await checked_form(request)
    number = request.path_params.get("number")
    try:
        async with desk.sessions() as session, session.begin():
            name = str(form.get("name", ""))
            if number is not None:
                gift = await session.get(Gift, number)
                if gift is None:
                    raise HTTPException(404)
                name = gift.name
            elif await session.scalar(select(Gift.id).where(Gift.name == name.strip())) is not None:
                raise StaffError(f"已经有礼品 {name.strip()}：在礼品目录里点它的名字修改")
            change = await set_gift(session, name, cost=_number(form, "cost", "积分"),
                                    stock=_number(form, "stock", "库存"), active=form.get("active") == "yes")
            await session.flush()
            number = await session.scalar(select(Gift.id).where(Gift.name == change.name))
            if change.changes:
                await accounts.audit(session, request.session["staff"], f"gift:{number}", change.text(), desk.clock())
    except StaffError as error:
        return await gift_page.__wrapped__(request, error=str(error), status_code=400)
    return changed(request, change.text(), f"/gifts/{number}")


def routes() -> list[Route]:
    return [Route("/ledger", ledger, methods=["GET"]),
            Route("/ledger/workbook", workbook, methods=["GET"]),
            Route("/activities/{number:int}", activity_page, methods=["GET"]),
            Route("/activities/{number:int}", activity_save, methods=["POST"]),
            Route("/gifts/new", gift_page, methods=["GET"]),
            Route("/gifts/new", gift_save, methods=["POST"]),
            Route("/gifts/{number:int}", gift_page, methods=["GET"]),
            Route("/gifts/{number:int}", gift_save, methods=["POST"])]
