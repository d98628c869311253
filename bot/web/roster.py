"""The desk's roster: upload a file, see what the import would change (or each refused row), then confirm.

storage/staff/roster.py does the reading and the import, as for `louzu roster import`: the
check is the import in a transaction rolled back (the CLI's --dry-run), the confirmation the
same import committed and audited. The uploaded file waits in the data directory between
the two steps, named by a random token kept in the staff member's session.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import Route

from bot.web.desk import checked_form, desk_of, staff_page
from storage.staff import StaffError, accounts
from storage.staff.roster import RosterErrors, import_roster, read_roster

MAX_BYTES = 5 * 1024 * 1024
SUFFIXES = (".xlsx", ".csv")


def _folder(desk) -> Path:
    folder = desk.settings.data_dir / "web-uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _waiting(request: Request) -> Path | None:
    token = request.session.get("roster_upload", "")
    if not token or not all(c.isalnum() or c in "-_." for c in token):
        return None
    path = _folder(desk_of(request)) / token
    return path if path.is_file() else None


async def _import(desk, path: Path, staff: str | None):
    """The import of ``path``: committed and audited when ``staff`` is named, else rolled back (a dry run)."""
    data = read_roster(path)
    async with desk.sessions() as session:
        transaction = await session.begin()
        try:
            result = await import_roster(session, data, desk.clock())
            if staff is None:
                await transaction.rollback()
                return data, result
            await accounts.audit(session, staff, "roster", f"导入名册：改动 {len(result.changes)} 处", desk.clock())
            await transaction.commit()
            return data, result
        except BaseException:
            if transaction.is_active:
                await transaction.rollback()
            raise


@staff_page
async def roster_page(request: Request):
    desk = desk_of(request)
    async with desk.sessions() as session:
        audit = await accounts.audit_of(session, "roster")
    return desk.render(request, "roster.html", audit=audit)


@staff_page
async def roster_check(request: Request):
    desk = desk_of(request)
    form = await checked_form(request)
    try:
        upload = form.get("file")
        name = getattr(upload, "filename", "") or ""
        suffix = Path(name).suffix.lower()
        problems: list[str] = []
        if suffix not in SUFFIXES:
            problems = ["名册要是 .xlsx 或 .csv 文件"]
        else:
            data = await upload.read(MAX_BYTES + 1)
            if len(data) > MAX_BYTES:
                problems = ["文件太大（最多 5 MB）"]
    finally:
        await form.close()  # the upload's temporary file
    if problems:
        return desk.render(request, "roster.html", 400, problems=problems)
    token = secrets.token_urlsafe(16) + suffix
    path = _folder(desk) / token
    path.write_bytes(data)
    old = _waiting(request)
    if old is not None:
        old.unlink(missing_ok=True)
    try:
        roster, result = await _import(desk, path, None)
    except RosterErrors as error:
        path.unlink(missing_ok=True)
        return desk.render(request, "roster.html", 400, problems=error.problems, filename=name)
    except StaffError as error:
        path.unlink(missing_ok=True)
        return desk.render(request, "roster.html", 400, problems=[str(error)], filename=name)
    request.session["roster_upload"] = token
    return desk.render(request, "roster.html", filename=name, result=result, roster=roster, checked=True)


@staff_page
async def roster_confirm(request: Request):
    desk = desk_of(request)
    await checked_form(request)
    path = _waiting(request)
    if path is None:
        return desk.render(request, "roster.html", 400, problems=["没有等待导入的名册：请重新上传"])
    try:
        _, result = await _import(desk, path, request.session["staff"])
    except StaffError as error:
        problems = error.problems if isinstance(error, RosterErrors) else [str(error)]
        return desk.render(request, "roster.html", 400, problems=problems)
    finally:
        path.unlink(missing_ok=True)
        request.session.pop("roster_upload", None)
    request.session["said"] = f"已导入名册：改动 {len(result.changes)} 处。"
    return RedirectResponse("/roster", status_code=303)


def routes() -> list[Route]:
    return [Route("/roster", roster_page, methods=["GET"]),
            Route("/roster/check", roster_check, methods=["POST"]),
            Route("/roster/import", roster_confirm, methods=["POST"])]
