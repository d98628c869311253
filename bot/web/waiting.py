"""The desk's claims and redemptions by status: the lists the overview's numbers open (read only; leaders decide in chat)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from bot.web.desk import desk_of, staff_page
from storage.reports import name_of
from storage.staff import waiting


@staff_page
async def claims(request: Request):
    desk = desk_of(request)
    status = request.query_params.get("status", "pending")
    status = status if status in waiting.CLAIM_WORDS else "pending"
    async with desk.sessions() as session:
        lines = await waiting.claims(session, status)
    return desk.render(request, "waiting.html", kind="claims", title="积分申请", words=waiting.CLAIM_WORDS,
                       status=status, lines=lines, name_of=name_of)


@staff_page
async def redemptions(request: Request):
    desk = desk_of(request)
    status = request.query_params.get("status", "held")
    status = status if status in waiting.REDEMPTION_WORDS else "held"
    async with desk.sessions() as session:
        lines = await waiting.redemptions(session, status)
    return desk.render(request, "waiting.html", kind="redemptions", title="礼品兑换", words=waiting.REDEMPTION_WORDS,
                       status=status, lines=lines, name_of=name_of)


def routes() -> list[Route]:
    return [Route("/claims", claims, methods=["GET"]),
            Route("/redemptions", redemptions, methods=["GET"])]
