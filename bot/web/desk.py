"""What every page of the desk shares: the Desk (settings, database, clock, templates), staff-only pages, CSRF."""

from __future__ import annotations

import functools
import hmac
import re
import secrets
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from bot.core.settings import Settings
from storage.db import make_engine, make_sessionmaker
from storage.queries import month_bounds
from storage.staff import accounts

HERE = Path(__file__).parent
ADDRESS_FAILURES = 5  # wrong passwords from one address before it waits
ADDRESS_LOCK_SECONDS = accounts.LOCK_MINUTES * 60
SESSION_HOURS = 12
MONTH = re.compile(r"^(\d{4})-(\d{2})$")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class AddressLimiter:
    """Wrong passwords per client address, in this process: the fifth makes the address wait a while."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.monotonic = monotonic
        self.failures: dict[str, int] = {}
        self.locked: dict[str, float] = {}

    def is_locked(self, address: str) -> bool:
        until = self.locked.get(address)
        if until is not None and until <= self.monotonic():
            del self.locked[address]
            return False
        return until is not None

    def failed(self, address: str) -> None:
        self.failures[address] = self.failures.get(address, 0) + 1
        if self.failures[address] >= ADDRESS_FAILURES:
            self.failures.pop(address)
            self.locked[address] = self.monotonic() + ADDRESS_LOCK_SECONDS

    def succeeded(self, address: str) -> None:
        self.failures.pop(address, None)


class Desk:
    """What every page shares: settings, the database, the clock, the templates."""

    def __init__(self, settings: Settings, clock: Callable[[], datetime]) -> None:
        self.settings = settings
        self.clock = clock
        self.engine = make_engine(settings.database_url)
        self.sessions = make_sessionmaker(self.engine)
        self.limiter = AddressLimiter()
        self.templates = Environment(loader=FileSystemLoader(HERE / "templates"),
                                     autoescape=select_autoescape(["html"]), enable_async=False)

    def local(self, moment: datetime | None) -> str:
        if moment is None:
            return ""
        return moment.astimezone(self.settings.timezone).strftime("%Y-%m-%d %H:%M")

    def render(self, request: Request, template: str, status_code: int = 200, **context) -> HTMLResponse:
        context.setdefault("said", request.session.pop("said", ""))  # what the last change did, shown once
        context.update(request=request, staff=request.session.get("staff"), csrf=csrf_token(request),
                       local=self.local, bot_name=self.settings.bot_name)
        return HTMLResponse(self.templates.get_template(template).render(**context), status_code=status_code)


def download(data: bytes, media_type: str, ascii_name: str, name: str) -> Response:
    """A file to save: ``name`` (Chinese) for browsers that read it, ``ascii_name`` for the others."""
    return Response(data, media_type=media_type, headers={
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"})


def month_of(text: str) -> tuple[int, int] | None:
    """(year, month) of a month as a form sends it (2026-11); None for anything else."""
    found = MONTH.match(text or "")
    if not found or not 1 <= int(found.group(2)) <= 12 or not 2000 <= int(found.group(1)) <= 2100:
        return None
    return int(found.group(1)), int(found.group(2))


def asked_month(request: Request, default_now: bool = False) -> tuple[str, datetime, datetime]:
    """?month=YYYY-MM as its label and bounds in the community's zone; this month when ``default_now``, else 400."""
    desk = desk_of(request)
    tz = desk.settings.timezone
    wanted = month_of(request.query_params.get("month", ""))
    if wanted is None and not default_now:
        raise HTTPException(400, "月份的写法是 2026-11。")
    if wanted is None:
        today = desk.clock().astimezone(tz)
        wanted = today.year, today.month
    start, end = month_bounds(datetime(*wanted, 1, 12, tzinfo=tz), tz)
    return f"{wanted[0]}-{wanted[1]:02d}", start, end


def changed(request: Request, said: str, page: str) -> Response:
    """After a change: say what it did once, on ``page``."""
    request.session["said"] = said
    return RedirectResponse(page, status_code=303)


def desk_of(request: Request) -> Desk:
    return request.app.state.desk


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


async def checked_form(request: Request):
    """The posted form, once its CSRF token matches the session's; otherwise 403."""
    form = await request.form()
    sent = form.get("csrf")
    expected = request.session.get("csrf")
    if not isinstance(sent, str) or not expected or not hmac.compare_digest(sent, expected):
        await form.close()
        raise HTTPException(403, "表单已过期或来源不明，请刷新页面后再试。")
    return form


def staff_page(handler):
    """A page for signed-in staff only: anyone else, or a session since ended, is sent to sign in (and back afterwards)."""

    @functools.wraps(handler)  # the handler itself stays at .__wrapped__ (a form's page shown again with its error)
    async def guarded(request: Request) -> Response:
        staff = request.session.get("staff")
        if not staff:
            return to_sign_in(request)
        async with desk_of(request).sessions() as session:
            epoch = await accounts.session_epoch(session, staff)
        if epoch != request.session.get("epoch"):  # signed out elsewhere, or the password changed since
            request.session.clear()
            return to_sign_in(request)
        return await handler(request)

    return guarded


def to_sign_in(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target)}", status_code=303)


def safe_next(target: str | None) -> str:
    """Only a path on this site: never another host (//evil.example, https://…)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


