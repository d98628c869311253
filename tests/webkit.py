"""The web desk as staff's browser sees it, in-process: `desk = await open_desk(settings)`, then get and post.

The forms' CSRF token is read from the page as a browser would; `post(..., csrf=None)` sends
a form without one.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

import httpx
import pytest

from bot.web import make_app
from storage.db import make_sessionmaker
from storage.staff.accounts import add_user

PASSWORD = "correct horse 1"


class Desk:
    def __init__(self, app, clock) -> None:
        self.app = app
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
        self.clock = clock
        self.csrf = ""

    async def get(self, path: str, **kwargs) -> httpx.Response:
        response = await self.client.get(path, **kwargs)
        found = re.search(r'name="csrf" value="([^"]+)"', response.text)
        if found:
            self.csrf = found.group(1)
        return response

    async def post(self, path: str, data: dict | None = None, csrf: str | None | bool = True, **kwargs) -> httpx.Response:
        data = dict(data or {})
        if csrf is True:
            data["csrf"] = self.csrf
        elif csrf:
            data["csrf"] = csrf
        return await self.client.post(path, data=data, **kwargs)

    async def add_user(self, name: str, password: str = PASSWORD) -> None:
        async with make_sessionmaker(self.app.state.desk.engine)() as session, session.begin():
            await add_user(session, name, password, self.clock())

    async def sign_in(self, name: str = "王主任", password: str = PASSWORD) -> httpx.Response:
        await self.get("/login")
        return await self.post("/login", {"name": name, "password": password, "next": "/"})

    async def close(self) -> None:
        await self.client.aclose()
        await self.app.state.desk.engine.dispose()


async def open_desk(settings, clock=None) -> Desk:
    clock = clock or (lambda: datetime.now(timezone.utc))
    return Desk(make_app(settings, clock=clock, upgrade_schema=False), clock)


@pytest.fixture
async def desk(settings, clock):
    opened = await open_desk(settings, clock)
    try:
        yield opened
    finally:
        await opened.close()
