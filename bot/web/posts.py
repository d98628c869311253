"""The desk's posts: the sends the outbox gave up on, each with a button to send it again (audited)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import Route

from bot.web.desk import checked_form, desk_of, staff_page
from storage.staff import StaffError, accounts
from storage.staff.posts import failed, retry


@staff_page
async def posts(request: Request, *, error: str = "", status_code: int = 200):
    desk = desk_of(request)
    async with desk.sessions() as session:
        lines = await failed(session, limit=200)
        audit = await accounts.audit_of(session, "posts")
    return desk.render(request, "posts.html", status_code, lines=lines, audit=audit, error=error)


@staff_page
async def retry_post(request: Request):
    desk = desk_of(request)
    await checked_form(request)
    number = request.path_params["number"]
    try:
        async with desk.sessions() as session, session.begin():
            said = await retry(session, number, desk.clock())
            await accounts.audit(session, request.session["staff"], "posts", said, desk.clock())
    except StaffError as error:
        return await posts.__wrapped__(request, error=str(error), status_code=400)
    request.session["said"] = said
    return RedirectResponse("/posts?status=failed", status_code=303)


def routes() -> list[Route]:
    return [Route("/posts", posts, methods=["GET"]),
            Route("/posts/{number:int}/retry", retry_post, methods=["POST"])]
