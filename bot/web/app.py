"""The web desk's application: sessions, sign-in and sign-out, errors, and the pages (bot/web/pages.py)."""

from __future__ import annotations

import secrets
import time
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Callable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from bot.core.settings import Settings
from bot.web import buildings, lovebank, pages, people, posts, roster, waiting
from bot.web.desk import HERE, SESSION_HOURS, Desk, safe_next, to_sign_in, checked_form, csrf_token, desk_of, utcnow
from storage.db import upgrade
from storage.staff import accounts


async def login_page(request: Request) -> Response:
    if request.session.get("staff"):
        return RedirectResponse("/", status_code=303)
    return desk_of(request).render(request, "login.html", next=safe_next(request.query_params.get("next")))


async def login(request: Request) -> Response:
    desk = desk_of(request)
    form = await checked_form(request)
    name, password = str(form.get("name", "")).strip(), str(form.get("password", ""))
    target = safe_next(str(form.get("next", "")))
    address = request.client.host if request.client else "?"
    if desk.limiter.is_locked(address):
        return desk.render(request, "login.html", 429, next=target, name=name,
                           error="这台电脑密码错误次数太多，请过一会儿再试。")
    async with desk.sessions() as session, session.begin():
        result = await accounts.check_password(session, name, password, desk.clock())
        epoch = await accounts.session_epoch(session, name) if result.ok else 0
    if result.ok:
        desk.limiter.succeeded(address)
        request.session.clear()  # a new session at sign-in: nothing carried over from before
        request.session.update(staff=name, since=int(time.time()), epoch=epoch)
        csrf_token(request)
        return RedirectResponse(target, status_code=303)
    desk.limiter.failed(address)
    if result.locked_until is not None:
        error = f"这个账号密码错误次数太多，已锁定到 {desk.local(result.locked_until)}。"
    else:
        error = "用户名或密码不对。"
    return desk.render(request, "login.html", 401, next=target, name=name, error=error)


async def logout(request: Request) -> Response:
    await checked_form(request)
    staff = request.session.get("staff")
    if staff:
        desk = desk_of(request)
        async with desk.sessions() as session, session.begin():
            await accounts.sign_out(session, staff, desk.clock())
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


async def forbidden(request: Request, error: HTTPException) -> Response:
    desk = desk_of(request)
    if error.status_code == 404 and not request.session.get("staff"):
        return to_sign_in(request)  # anonymous: not even whether a page exists
    if error.status_code == 404:
        return desk.render(request, "error.html", 404, message="没有这个页面。")
    return desk.render(request, "error.html", error.status_code, message=error.detail)


def make_app(settings: Settings, *, clock: Callable[[], datetime] = utcnow, upgrade_schema: bool = True) -> Starlette:
    """The web desk for ``settings``' database; the schema is brought up to date at start."""
    desk = Desk(settings, clock)

    @asynccontextmanager
    async def lifespan(_app):
        if upgrade_schema:
            await upgrade(desk.engine)
        try:
            yield
        finally:
            await desk.engine.dispose()

    routes = [
        Route("/login", login_page, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        *pages.routes(),
        *buildings.routes(),
        *lovebank.routes(),
        *roster.routes(),
        *people.routes(),
        *posts.routes(),
        *waiting.routes(),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    secret = settings.web_secret or secrets.token_urlsafe(48)
    middleware = [Middleware(SessionMiddleware, secret_key=secret, session_cookie="louzu_desk",
                             max_age=SESSION_HOURS * 3600, same_site="lax", https_only=settings.web_https)]
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan,
                    exception_handlers={HTTPException: forbidden})
    app.state.desk = desk
    return app
