"""The web desk in a real browser: Debian's headless Chromium driven by Selenium, against the desk served by uvicorn.

Staff sign in, read the overview, open a report and see its photo, download the overdue
reports, see a building's star chart and the honour list's picture, download the ledger
workbook, edit an activity, upload a roster, sign out; anonymous visits go to sign-in, a
form without its CSRF token is refused, five wrong passwords lock the account. Screenshots
of the overview, a report, a building and the posts page are left in tests/artifacts/.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest
from PIL import Image

from bot.web import make_app
from tests.webkit import PASSWORD

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
ARTIFACTS = Path(__file__).with_name("artifacts")

# On CI a missing browser is a failure (.ci/run installs it), not a quiet skip.
pytestmark = pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER) and not os.environ.get("CI"),
                                reason="needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Served:
    """The desk served by uvicorn in a thread of its own, as `louzu web` serves it."""

    def __init__(self, settings, clock) -> None:
        import uvicorn

        self.port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(make_app(settings, clock=clock), host="127.0.0.1", port=self.port,
                                                    log_level="warning", lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline and self.thread.is_alive(), "the desk did not start"
            time.sleep(0.05)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *_exc) -> None:
        self.server.should_exit = True
        self.thread.join(20)


@pytest.fixture
def downloads(tmp_path) -> Path:
    folder = tmp_path / "downloads"
    folder.mkdir()
    return folder


@pytest.fixture
def browser(downloads):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,900", "--lang=zh-CN"):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
async def seeded(chat, clock, tmp_path, settings):
    """12号楼 (bound fourteen weeks ago) with two reports (R1 with a photo, R2 overdue by the time the desk is read) and a staff account."""
    from storage.db import make_engine, make_sessionmaker
    from storage.staff.accounts import add_user
    from storage.staff.activities import add_activity

    clock.advance(days=-7 * 14)  # bound fourteen weeks ago: its chart has twelve weeks to draw
    await chat.setup_building()
    clock.advance(days=7 * 14)
    photo = tmp_path / "纸箱.png"
    picture = Image.new("RGB", (640, 480), (200, 170, 120))
    for x in range(100, 540):
        for y in range(300, 320):
            picture.putpixel((x, y), (90, 60, 30))
    picture.save(photo)
    await chat.send(chat.message(f"[12号楼群] 张阿姨: [图片 {photo}] #报修 3楼楼道堆了纸箱", sender_id="wxid_zhang001"))
    clock.advance(days=3)
    await chat.send(chat.message("[12号楼群] 老周: #报修 门口乱停车", sender_id="wxid_zhou002"))
    engine = make_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            await add_user(session, "王主任", PASSWORD, clock())
            await add_activity(session, "楼道清扫", points=5)
    finally:
        await engine.dispose()
    return settings


def wait_for(driver, check, what: str) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 15).until(lambda d: check(d), message=what)


def sign_in(driver, base: str | None, name: str, password: str) -> None:
    """Fill in the sign-in form: this page's (base None), or a fresh one."""
    from selenium.webdriver.common.by import By

    if base:
        driver.get(f"{base}/login")
    driver.find_element(By.NAME, "name").clear()
    driver.find_element(By.NAME, "name").send_keys(name)
    driver.find_element(By.NAME, "password").send_keys(password)
    before = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(By.CSS_SELECTOR, "form[action='/login'] button").click()
    wait_for(driver, lambda d: _stale(before), "the sign-in form's answer")


def _saved(downloads: Path, name: str) -> Path | None:
    """The finished download whose name starts with ``name`` (Chromium renames it from .crdownload when done)."""
    return next((p for p in downloads.iterdir() if p.name.startswith(name) and p.suffix == ".xlsx"), None)


def _stale(element) -> bool:
    """Whether the page ``element`` was on has been replaced (Chromium says so in two ways)."""
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException

    try:
        element.tag_name
    except StaleElementReferenceException:
        return True
    except WebDriverException as error:  # "Node with given id does not belong to the document"
        if "does not belong to the document" in str(error):
            return True
        raise
    return False


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # one database is enough for a browser walk
def test_staff_walk_through_the_desk_in_chromium(seeded, clock, browser, downloads):
    from openpyxl import load_workbook
    from selenium.webdriver.common.by import By

    ARTIFACTS.mkdir(exist_ok=True)
    with Served(seeded, clock) as base:
        browser.get(f"{base}/reports/1")  # anonymous: to sign-in, and back after it
        assert "/login" in browser.current_url and "工作人员登录" in browser.page_source
        sign_in(browser, None, "王主任", PASSWORD)
        assert browser.current_url == f"{base}/reports/1"

        browser.get(f"{base}/")
        assert browser.find_element(By.CSS_SELECTOR, "#open-reports strong").text == "2"
        assert browser.find_element(By.CSS_SELECTOR, "#overdue-reports strong").text == "1"
        browser.save_screenshot(str(ARTIFACTS / "overview.png"))

        browser.find_element(By.CSS_SELECTOR, "#overdue-reports").click()
        wait_for(browser, lambda d: "/reports" in d.current_url, "the overdue list")
        assert "共 1 条" in browser.page_source
        browser.find_element(By.LINK_TEXT, "R1").click()
        wait_for(browser, lambda d: d.current_url.endswith("/reports/1"), "R1's page")
        assert "3楼楼道堆了纸箱" in browser.page_source
        image = browser.find_element(By.CSS_SELECTOR, ".thumbs img")
        assert browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth", image) == 640
        browser.save_screenshot(str(ARTIFACTS / "report.png"))

        browser.back()
        wait_for(browser, lambda d: d.find_elements(By.ID, "export-xlsx"), "the overdue list again")
        browser.find_element(By.ID, "export-xlsx").click()
        wait_for(browser, lambda d: _saved(downloads, "报修"), "the overdue reports as Excel")
        rows = list(load_workbook(_saved(downloads, "报修"))["报修"].values)
        assert [row[0] for row in rows] == ["编号", "R1"]

        browser.find_element(By.LINK_TEXT, "楼栋").click()
        wait_for(browser, lambda d: d.find_elements(By.LINK_TEXT, "12号楼"), "the buildings")
        browser.find_element(By.LINK_TEXT, "12号楼").click()
        wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#star-chart svg"), "the building's chart")
        parts = browser.find_elements(By.CSS_SELECTOR, "#star-chart polyline.part")
        assert [p.get_attribute("data-part") for p in parts] == ["参与", "巡查", "报修及时", "人均积分"]
        assert all(p.size["width"] > 300 for p in parts)  # drawn across the twelve weeks
        browser.execute_script("document.getElementById('star-chart').scrollIntoView()")
        browser.save_screenshot(str(ARTIFACTS / "building.png"))

        browser.find_element(By.LINK_TEXT, "通知与发送").click()
        wait_for(browser, lambda d: d.find_elements(By.ID, "show-honour"), "the posts page")
        browser.find_element(By.ID, "show-honour").click()  # last month's, as the month field offers
        wait_for(browser, lambda d: d.find_elements(By.ID, "honour-picture"), "the honour list of last month")
        picture = browser.find_element(By.ID, "honour-picture")
        wait_for(browser, lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth", picture),
                 "the honour list's picture")
        assert "weekly_ranking" in browser.find_element(By.ID, "jobs").text
        browser.execute_script("arguments[0].scrollIntoView()", picture)
        browser.save_screenshot(str(ARTIFACTS / "posts.png"))

        browser.find_element(By.LINK_TEXT, "爱心储蓄银行").click()
        wait_for(browser, lambda d: d.current_url.endswith("/ledger"), "the love bank")
        browser.find_element(By.ID, "download-workbook").click()
        wait_for(browser, lambda d: _saved(downloads, "爱心储蓄银行台账"), "the ledger workbook")
        assert load_workbook(_saved(downloads, "爱心储蓄银行台账")).sheetnames

        browser.find_element(By.LINK_TEXT, "楼道清扫").click()
        wait_for(browser, lambda d: "/activities/" in d.current_url, "the activity's page")
        points = browser.find_element(By.NAME, "points")
        points.clear()
        points.send_keys("8")
        browser.find_element(By.CSS_SELECTOR, "form.narrow-form button").click()
        wait_for(browser, lambda d: "已修改活动 楼道清扫" in d.page_source, "the saved activity")
        assert "积分 5 分 → 8 分" in browser.page_source

        roster = downloads.parent / "名册.csv"
        roster.write_text("楼栋,群ID,群名,门牌号,姓名,微信号,角色\n12号楼,,,1201,李楼长,,楼组长\n12号楼,,,1202,张阿姨,,组长\n",
                          encoding="utf-8")
        browser.find_element(By.LINK_TEXT, "名册").click()
        wait_for(browser, lambda d: d.current_url.endswith("/roster"), "the roster page")
        browser.find_element(By.NAME, "file").send_keys(str(roster))
        browser.find_element(By.ID, "check-roster").click()
        wait_for(browser, lambda d: d.find_elements(By.ID, "problems"), "the roster's check")
        problems = browser.find_element(By.ID, "problems").text
        assert "第 3 行" in problems and "组长" in problems and not browser.find_elements(By.ID, "confirm-import")

        # A form posted without its token (as another site would post it) is refused.
        browser.execute_script("document.querySelector('form.logout input[name=csrf]').remove();"
                               "document.querySelector('form.logout').submit();")
        wait_for(browser, lambda d: "表单已过期" in d.page_source, "the refusal of a form without its token")
        browser.get(f"{base}/")
        browser.find_element(By.CSS_SELECTOR, "form.logout button").click()
        wait_for(browser, lambda d: "/login" in d.current_url, "sign-out")
        browser.get(f"{base}/")
        assert "/login" in browser.current_url

        for _ in range(5):
            sign_in(browser, base, "王主任", "not the password")
        assert "已锁定" in browser.page_source
    print("\nscreenshots: " + " ".join(str(ARTIFACTS / f"{name}.png") for name in ("overview", "report", "building", "posts")))
