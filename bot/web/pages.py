"""The desk's pages, each for signed-in staff only (bot/web/app.py's ``staff_page``)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from bot.web.desk import desk_of, staff_page
from storage.staff import accounts
from storage.staff.overview import overview as overview_of


@staff_page
async def overview(request: Request):
    desk = desk_of(request)
    async with desk.sessions() as session:
        numbers = await overview_of(session, desk.clock(), desk.settings.overdue_hours, desk.settings)
        me = await accounts.audit_of(session, f"staff:{request.session['staff']}", limit=10)
    return desk.render(request, "overview.html", numbers=numbers, audit=me)


def routes() -> list[Route]:
    return [Route("/", overview, methods=["GET"])]
