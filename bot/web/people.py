"""The desk's people: search by name or 门牌号, and one person's page (storage/staff/people.py)."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import Route

from bot.web.desk import desk_of, staff_page
from storage.reports import status_label
from storage.staff.people import find_people, person
from storage.staff.waiting import CLAIM_WORDS


@staff_page
async def people(request: Request):
    desk = desk_of(request)
    text = request.query_params.get("q", "")
    async with desk.sessions() as session:
        found = await find_people(session, text)
    return desk.render(request, "people.html", q=text, found=found)


@staff_page
async def person_page(request: Request):
    desk = desk_of(request)
    async with desk.sessions() as session:
        page = await person(session, request.path_params["number"])
    if page is None:
        raise HTTPException(404)
    return desk.render(request, "person.html", page=page, status_label=status_label, claim_words=CLAIM_WORDS)


def routes() -> list[Route]:
    return [Route("/people", people, methods=["GET"]),
            Route("/people/{number:int}", person_page, methods=["GET"])]
