"""The committee's web desk: sign-in, sessions, CSRF, locked accounts, the audit trail, `louzu web add-user`."""

from __future__ import annotations

import io
import sys

from sqlalchemy import select

from storage.db import make_engine, make_sessionmaker
from storage.models import AuditEntry, StaffUser
from tests.webkit import PASSWORD


async def test_anonymous_visits_are_sent_to_sign_in_and_back(desk):
    for path in ("/", "/nowhere-yet?x=1"):
        response = await desk.get(path)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=")
    await desk.add_user("王主任")
    await desk.get("/login?next=/%3Fbuilding%3D1")
    response = await desk.post("/login", {"name": "王主任", "password": PASSWORD, "next": "/?building=1"})
    assert response.status_code == 303 and response.headers["location"] == "/?building=1"
    page = await desk.get("/")
    assert page.status_code == 200 and "概览" in page.text and "王主任" in page.text


async def test_the_session_cookie_is_httponly_and_samesite_lax(desk):
    await desk.add_user("王主任")
    response = await desk.sign_in()
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie


async def test_sign_in_never_sends_staff_to_another_site(desk):
    await desk.add_user("王主任")
    await desk.get("/login")
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        response = await desk.post("/login", {"name": "王主任", "password": PASSWORD, "next": target})
        assert response.headers["location"] == "/"
        await desk.get("/")
        await desk.post("/logout")
        await desk.get("/login")


async def test_a_form_without_its_csrf_token_is_refused(desk):
    await desk.add_user("王主任")
    await desk.get("/login")
    refused = await desk.post("/login", {"name": "王主任", "password": PASSWORD}, csrf=None)
    assert refused.status_code == 403 and "表单已过期" in refused.text
    forged = await desk.post("/login", {"name": "王主任", "password": PASSWORD}, csrf="forged")
    assert forged.status_code == 403
    await desk.sign_in()
    assert (await desk.post("/logout", csrf=None)).status_code == 403
    assert (await desk.get("/")).status_code == 200  # still signed in


async def test_sign_out_ends_the_session(desk):
    await desk.add_user("王主任")
    await desk.sign_in()
    await desk.get("/")
    response = await desk.post("/logout")
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert (await desk.get("/")).status_code == 303


async def test_five_wrong_passwords_lock_the_account_and_are_audited(desk, clock):
    await desk.add_user("王主任")
    await desk.get("/login")
    for _ in range(4):
        wrong = await desk.post("/login", {"name": "王主任", "password": "wrong password"})
        assert wrong.status_code == 401 and "用户名或密码不对" in wrong.text
    fifth = await desk.post("/login", {"name": "王主任", "password": "wrong password"})
    assert "已锁定" in fifth.text
    desk.app.state.desk.limiter.locked.clear()  # this test is about the account, not the address
    assert "已锁定" in (await desk.post("/login", {"name": "王主任", "password": PASSWORD})).text
    clock.advance(minutes=16)
    assert (await desk.post("/login", {"name": "王主任", "password": PASSWORD})).status_code == 303
    async with make_sessionmaker(desk.app.state.desk.engine)() as session:
        actions = (await session.scalars(select(AuditEntry.action).where(AuditEntry.target == "staff:王主任"))).all()
    assert any("锁定" in action for action in actions)
    assert "锁定" in (await desk.get("/")).text  # shown on the account's own page (the overview, for now)


async def test_five_wrong_passwords_from_one_address_make_it_wait(desk):
    await desk.add_user("王主任")
    await desk.get("/login")
    for name in ("甲", "乙", "丙", "丁", "戊"):  # five names: no account reaches its own limit
        await desk.post("/login", {"name": name, "password": "wrong password"})
    waiting = await desk.post("/login", {"name": "王主任", "password": PASSWORD})
    assert waiting.status_code == 429 and "过一会儿" in waiting.text


async def test_add_user_reads_the_password_from_stdin_and_hashes_it(louzu, monkeypatch, settings):
    monkeypatch.setattr(sys, "stdin", io.StringIO("correct horse 1\n"))
    ran = await louzu("web", "add-user", "李干事")
    assert ran.code == 0 and "已新建账号 李干事" in ran.out
    monkeypatch.setattr(sys, "stdin", io.StringIO("short\n"))
    ran = await louzu("web", "add-user", "张干事")
    assert ran.code == 2 and "密码太短" in ran.err
    engine = make_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            users = (await session.scalars(select(StaffUser))).all()
    finally:
        await engine.dispose()
    assert [user.name for user in users] == ["李干事"]
    assert users[0].password_hash.startswith("$argon2") and "correct horse" not in users[0].password_hash


async def test_the_overview_counts_open_and_overdue_reports_and_links_each_number(desk, chat, clock):
    await chat.setup_building()
    await chat.send(chat.message("[12号楼群] 张阿姨: #报修 3楼楼道堆了纸箱", sender_id="wxid_zhang001"))
    clock.advance(days=3)
    await chat.send(chat.message("[12号楼群] 老周: #报修 门口乱停车", sender_id="wxid_zhou002"))
    await desk.add_user("王主任")
    await desk.sign_in()
    page = (await desk.get("/")).text
    assert '<strong>2</strong>未办结的报修' in page and '<strong>1</strong>超时未办的报修' in page
    assert 'href="/reports?status=overdue"' in page and "12号楼" in page
    assert '<strong>0</strong>发送失败的消息' in page


async def two_reports(desk, chat, clock, tmp_path):
    """R1 with a photo, overdue three days later; R2 just opened; 王主任 signed in. The photo's path."""
    from PIL import Image

    await chat.setup_building()
    photo = tmp_path / "photo.png"
    Image.new("RGB", (8, 8), "red").save(photo)
    await chat.send(chat.message(f"[12号楼群] 张阿姨: [图片 {photo}] #报修 3楼楼道堆了纸箱", sender_id="wxid_zhang001"))
    clock.advance(days=3)
    await chat.send(chat.message("[12号楼群] 老周: #报修 门口乱停车", sender_id="wxid_zhou002"))
    await desk.add_user("王主任")
    await desk.sign_in()
    return photo


async def test_reports_filter_and_a_report_shows_its_photo_to_staff_only(desk, chat, clock, tmp_path):
    photo = await two_reports(desk, chat, clock, tmp_path)
    overdue = (await desk.get("/reports?status=overdue")).text
    # (by its link: a bare "R2" may be part of the page's random form token)
    assert '">R1</a>' in overdue and '">R2</a>' not in overdue and "共 1 条" in overdue
    assert "共 2 条" in (await desk.get("/reports?status=open&building=1")).text
    assert "共 0 条" in (await desk.get("/reports?status=closed")).text
    page = (await desk.get("/reports/1")).text
    assert "3楼楼道堆了纸箱" in page and "张阿姨" in page and "报修" in page
    name = __import__("re").search(r'src="/media/([^"]+)"', page).group(1)
    image = await desk.get(f"/media/{name}")
    assert image.status_code == 200 and image.content == photo.read_bytes()
    for bad in ("..%2F..%2Fdata.db", "..%2Fsecret.png", "a" * 64 + ".png"):
        assert (await desk.get(f"/media/{bad}")).status_code == 404
    assert (await desk.get("/reports/99")).status_code == 404
    await desk.post("/logout")
    assert (await desk.get(f"/media/{name}")).status_code == 303  # anonymous: to sign-in, no photo


async def test_the_ledger_workbook_downloads_and_opens(desk, chat, clock):
    from openpyxl import load_workbook

    await chat.setup_building()
    await desk.add_user("王主任")
    await desk.sign_in()
    response = await desk.get("/ledger/workbook?month=2026-11")
    assert response.status_code == 200 and "attachment" in response.headers["content-disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames
    assert (await desk.get("/ledger/workbook?month=2026-13")).status_code == 400


async def test_an_activity_is_edited_with_the_clis_rules_and_audited(desk, clock):
    from storage.staff.activities import add_activity

    async with make_sessionmaker(desk.app.state.desk.engine)() as session, session.begin():
        await add_activity(session, "楼道清扫", points=5)
    await desk.add_user("王主任")
    await desk.sign_in()
    ledger = (await desk.get("/ledger")).text
    number = __import__("re").search(r'href="/activities/(\d+)">([^<]+)</a>', ledger)
    page = await desk.get(f"/activities/{number.group(1)}")
    name = number.group(2)
    assert page.status_code == 200 and name in page.text
    path = f"/activities/{number.group(1)}"
    refused = await desk.post(path, {"name": name, "points": "99999", "unit": "次", "most": "1", "daily_cap": "", "active": "yes"})
    assert refused.status_code == 400 and 'class="error"' in refused.text
    bad = await desk.post(path, {"name": name, "points": "两分", "unit": "次", "most": "1", "active": "yes"})
    assert bad.status_code == 400 and "积分 要填整数" in bad.text
    assert (await desk.post(path, {"name": name, "points": "7", "most": "1"}, csrf=None)).status_code == 403
    saved = await desk.post(path, {"name": name, "points": "7", "unit": "次", "most": "2", "daily_cap": "3",
                                   "auto": "yes", "active": "yes"})
    assert saved.status_code == 303
    page = (await desk.get(path)).text
    assert "已修改活动" in page and "7 分" in page and 'value="7"' in page
    assert "王主任" in page.split("修改记录")[1]  # the audit, on the activity's page


ROSTER_CSV = "楼栋,群ID,群名,门牌号,姓名,微信号,角色\n12号楼,,,1201,李楼长,,楼组长\n12号楼,,,1202,张阿姨,,组长\n"


async def test_a_roster_is_checked_row_by_row_then_imported_on_confirmation(desk, settings):
    from storage.models import Resident

    await desk.add_user("王主任")
    await desk.sign_in()
    await desk.get("/roster")
    refused = await desk.post("/roster/check", files={"file": ("名册.csv", ROSTER_CSV.encode(), "text/csv")})
    assert refused.status_code == 400 and "第 3 行" in refused.text and "组长" in refused.text
    assert "确认导入" not in refused.text
    good = ROSTER_CSV.replace(",组长\n", ",志愿者\n")
    checked = await desk.post("/roster/check", files={"file": ("名册.csv", good.encode(), "text/csv")})
    assert checked.status_code == 200 and "检查通过" in checked.text and "1202" in checked.text
    async with make_sessionmaker(desk.app.state.desk.engine)() as session:
        assert (await session.scalars(select(Resident))).all() == []  # a check changes nothing
    assert (await desk.post("/roster/import", csrf=None)).status_code == 403
    done = await desk.post("/roster/import")
    assert done.status_code == 303
    page = (await desk.get("/roster")).text
    assert "已导入名册" in page and "导入名册：改动" in page.split("修改记录")[1]
    async with make_sessionmaker(desk.app.state.desk.engine)() as session:
        assert len((await session.scalars(select(Resident))).all()) == 2
    assert not list((settings.data_dir / "web-uploads").iterdir())  # the upload does not stay
    again = await desk.post("/roster/import")
    assert again.status_code == 400 and "重新上传" in again.text


async def test_the_filtered_reports_download_as_excel_csv_and_open311(desk, chat, clock, tmp_path):
    import json

    from openpyxl import load_workbook

    photo = await two_reports(desk, chat, clock, tmp_path)
    page = (await desk.get("/reports?status=overdue")).text
    assert 'href="/reports/export?status=overdue&amp;format=xlsx"' in page and "下载这 1 条" in page
    book = await desk.get("/reports/export?status=overdue&format=xlsx")
    assert book.status_code == 200 and "attachment" in book.headers["content-disposition"]
    rows = list(load_workbook(io.BytesIO(book.content))["报修"].values)
    assert [row[0] for row in rows] == ["编号", "R1"] and "张阿姨" not in str(rows)
    named = list(load_workbook(io.BytesIO((await desk.get("/reports/export?status=overdue&names=yes&format=xlsx"))
                                         .content))["报修"].values)
    assert "张阿姨" in named[1]
    sheet = await desk.get("/reports/export?building=1&format=csv")
    assert sheet.content.startswith("\ufeff".encode()) and "R1" in sheet.text and "门口乱停车" in sheet.text
    requests = json.loads((await desk.get("/reports/export?status=overdue&format=open311")).content)
    assert [r["service_request_id"] for r in requests] == ["R1"]
    assert requests[0]["media_url"].startswith("http://testserver/media/")
    assert (await desk.get(requests[0]["media_url"].removeprefix("http://testserver"))).content == photo.read_bytes()
    assert (await desk.get("/reports/export?format=pdf")).status_code == 400
    await desk.post("/logout")
    assert (await desk.get("/reports/export?format=csv")).status_code == 303


async def test_signing_out_or_a_new_password_ends_the_session_in_every_browser(desk, clock):
    """Regression: the session cookie stayed good after sign-out (a copy of it still opened every page)."""
    import httpx

    await desk.add_user("王主任")
    await desk.sign_in()
    assert (await desk.get("/")).status_code == 200
    other = httpx.AsyncClient(transport=httpx.ASGITransport(app=desk.app), base_url="http://testserver",
                              cookies=dict(desk.client.cookies))  # another browser, holding the same session
    try:
        assert (await other.get("/")).status_code == 200
        assert (await desk.post("/logout")).status_code == 303
        assert (await other.get("/")).status_code == 303  # ended there too
        await desk.sign_in()
        assert (await desk.get("/")).status_code == 200
        other.cookies = dict(desk.client.cookies)
        await desk.add_user("王主任", "another password 2")  # `louzu web add-user` sets a new password
        assert (await desk.get("/")).status_code == 303 and (await other.get("/")).status_code == 303
    finally:
        await other.aclose()
    assert (await desk.sign_in(password="another password 2")).status_code == 303
    assert (await desk.get("/")).status_code == 200
    assert "退出登录" in (await desk.get("/")).text  # in the account's own audit, on the overview
