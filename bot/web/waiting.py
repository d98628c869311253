"""The desk's claims and redemptions by status: the lists the overview's numbers open (read only; leaders decide in chat)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from bot.web.desk import desk_of, staff_page
from storage.reports import name_of
from storage.staff import waiting

LISTS = {  # path -> what it lists, its status words, the status shown without one, how to read them
    "claims": ("积分申请", waiting.CLAIM_WORDS, "pending", waiting.claims),
    "redemptions": ("礼品兑换", waiting.REDEMPTION_WORDS, "held", waiting.redemptions),
}


@staff_page
async def listing(request: Request):
    desk = desk_of(request)
    kind = request.url.path.strip("/")
    title, words, default, read = LISTS[kind]
    status = request.query_params.get("status", default)
    status = status if status in words else default
    async with desk.sessions() as session:
        lines = await read(session, status)
    return desk.render(request, "waiting.html", kind=kind, title=title, words=words, status=status, lines=lines,
                       name_of=name_of)


def routes() -> list[Route]:
    return [Route(f"/{kind}", listing, methods=["GET"]) for kind in LISTS]
