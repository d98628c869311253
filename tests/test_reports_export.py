"""`louzu export reports`: Open311 GeoReport v2 service requests, CSV and XLSX, with no personal data by default."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from PIL import Image

from bot.cli import export as exports
from bot.cli import main
from bot.core.messages import Mention

ROOM = "12号楼群"
IDS = {"张阿姨": "wxid_zhang001", "老周": "wxid_zhou002", "王师傅": "wxid_wang003", "李楼长": "李楼长"}

# GET Service Requests, as the GeoReport v2 specification lists the response: field -> allowed JSON types.
GEOREPORT_V2_FIELDS = {
    "service_request_id": (str,),
    "status": (str,),
    "status_notes": (str, type(None)),
    "service_name": (str,),
    "service_code": (str,),
    "description": (str,),
    "agency_responsible": (str, type(None)),
    "service_notice": (str, type(None)),
    "requested_datetime": (str,),
    "updated_datetime": (str,),
    "expected_datetime": (str, type(None)),
    "address": (str,),
    "address_id": (str, type(None)),
    "zipcode": (str, type(None)),
    "lat": (float, type(None)),
    "long": (float, type(None)),
    "media_url": (str, type(None)),
}
DATETIMES = ("requested_datetime", "updated_datetime", "expected_datetime")


async def say(chat, who: str, text: str, **changes):
    return await chat.send(chat.message(f"[{ROOM}] {who}: {text}", sender_id=IDS[who], **changes))


@pytest.fixture
async def history(chat, clock, tmp_path, settings):
    """R1-R4 on 25-27 November (R1 closed with a photo, R2 its duplicate, R3 resolved, R4 open), R5 in December."""
    await chat.setup_building()
    photo = tmp_path / "photo.png"
    Image.new("RGB", (8, 8), "red").save(photo)
    await say(chat, "张阿姨", f"[图片 {photo}] #报修 3楼楼道堆了纸箱")
    clock.advance(minutes=10)
    await say(chat, "老周", "#报修 楼道杂物太多")
    await say(chat, "李楼长", "#合并 R2 R1")
    await say(chat, "李楼长", "#指派 R1 @王师傅", mentions=(Mention(IDS["王师傅"], "王师傅"),))
    clock.advance(hours=3)
    await say(chat, "王师傅", "#处理 R1 纸箱已清走")
    await say(chat, "张阿姨", "#确认 R1")
    clock.advance(days=1)
    await say(chat, "老周", "#报修 =1+1 门口乱停车")
    await say(chat, "李楼长", "#处理 R3 已劝离")
    clock.set_local("2026-11-27 23:30", settings.timezone)  # late in the evening: still 27 November here
    await say(chat, "张阿姨", "#报修 楼上装修太吵")
    clock.set_local("2026-12-02 09:00", settings.timezone)
    await say(chat, "张阿姨", "#报修 垃圾桶满了")
    return chat


async def export(settings, *argv: str, capsys=None) -> str:
    options = {"fmt": "open311", "until": None, "with_names": False, "output": None, "media_base_url": ""}
    argv = list(argv)
    while argv:
        flag = argv.pop(0)
        if flag == "--with-names":
            options["with_names"] = True
            continue
        value = argv.pop(0)
        key = {"--format": "fmt", "-o": "output", "--media-base-url": "media_base_url"}.get(flag, flag[2:])
        options[key] = (date.fromisoformat(value) if key in ("since", "until") else
                        Path(value) if key == "output" else value)
    assert await exports.export_reports(settings, **options) == 0
    return capsys.readouterr().out if capsys else ""


async def test_open311_has_every_georeport_field_with_its_type(history, settings, capsys):
    requests = json.loads(await export(settings, "--format", "open311", "--since", "2026-11-25",
                                       "--until", "2026-11-30", capsys=capsys))
    assert isinstance(requests, list) and len(requests) == 4
    for request in requests:
        assert set(request) == set(GEOREPORT_V2_FIELDS), request
        for name, types in GEOREPORT_V2_FIELDS.items():
            assert isinstance(request[name], types), (name, request[name])
        assert request["status"] in ("open", "closed")
        for name in DATETIMES:
            if request[name] is not None:
                moment = datetime.fromisoformat(request[name])
                assert moment.utcoffset() == timedelta(hours=8), request[name]  # W3C format, community time
        assert len(request["description"]) <= 4000
    r1, r2, r3, r4 = requests
    assert (r1["service_request_id"], r1["status"], r1["service_name"], r1["service_code"], r1["address"]) == (
        "R1", "closed", "楼道堆物", "楼道堆物", "12号楼")
    assert r1["requested_datetime"] == "2026-11-25T10:00:00+08:00"
    assert r1["updated_datetime"] == "2026-11-25T13:10:00+08:00"  # closed then
    assert r1["status_notes"] == "已处理：纸箱已清走；报修人已确认解决"
    assert r1["media_url"].startswith("file://") and r1["media_url"].endswith(".png")
    assert Path(r1["media_url"].removeprefix("file://")).is_file()
    assert (r2["status"], r2["status_notes"], r2["media_url"]) == ("closed", "与 R1 重复，已合并", None)
    assert (r3["status"], r3["status_notes"]) == ("closed", "已处理：已劝离；等待报修人确认")
    assert (r4["status"], r4["status_notes"], r4["requested_datetime"]) == (
        "open", None, "2026-11-27T23:30:00+08:00")


async def test_exports_carry_no_names_or_wechat_ids_unless_asked(history, settings, capsys, tmp_path):
    for fmt in ("open311", "csv"):
        text = await export(settings, "--format", fmt, "--since", "2026-11-01", capsys=capsys)
        for person, wechat_id in IDS.items():
            assert person not in text and wechat_id not in text, (fmt, person)
    named = await export(settings, "--since", "2026-11-01", "--with-names", capsys=capsys)
    requests = json.loads(named)
    assert (requests[0]["requestor_name"], requests[0]["assignee_name"]) == ("张阿姨", "王师傅")
    assert not [wechat_id for wechat_id in IDS.values() if wechat_id.startswith("wxid") and wechat_id in named]
    await export(settings, "--format", "xlsx", "--since", "2026-11-01", "-o", str(tmp_path / "r.xlsx"))
    book = load_workbook(tmp_path / "r.xlsx")
    cells = " ".join(str(c.value) for sheet in book for row in sheet.iter_rows() for c in row)
    assert not [p for p in IDS if p in cells] and "wxid" not in cells


async def test_since_and_until_are_whole_local_days(history, settings, capsys):
    def ids(text: str) -> list[str]:
        return [r["service_request_id"] for r in json.loads(text)]

    assert ids(await export(settings, "--since", "2026-11-26", capsys=capsys)) == ["R3", "R4", "R5"]
    assert ids(await export(settings, "--since", "2026-11-26", "--until", "2026-11-27", capsys=capsys)) == ["R3", "R4"]
    assert ids(await export(settings, "--since", "2026-12-03", capsys=capsys)) == []


async def test_media_url_can_point_at_a_served_directory(history, settings, capsys):
    [r1] = json.loads(await export(settings, "--since", "2026-11-25", "--until", "2026-11-25",
                                   "--media-base-url", "https://jw.example.org/louzu-media/", capsys=capsys))[:1]
    assert r1["media_url"].startswith("https://jw.example.org/louzu-media/")
    name = r1["media_url"].rsplit("/", 1)[1]
    assert (settings.media_dir / name).is_file() and len(name.split(".")[0]) == 64


async def test_csv_has_one_row_per_report_with_its_history(history, settings, tmp_path):
    target = tmp_path / "reports.csv"
    await export(settings, "--format", "csv", "--since", "2026-11-01", "-o", str(target), "--with-names")
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # a BOM, so spreadsheet programs read the Chinese
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r["编号"] for r in rows] == ["R1", "R2", "R3", "R4", "R5"]
    r1 = rows[0]
    assert (r1["状态"], r1["报修人"], r1["指派给"], r1["登记时间"], r1["处理时间"]) == (
        "已关闭", "张阿姨", "王师傅", "2026-11-25 10:00", "2026-11-25 13:10")
    assert r1["历史"].splitlines() == [
        "2026-11-25 10:00 张阿姨 报修",
        "2026-11-25 10:00 张阿姨 附照片",
        "2026-11-25 10:10 李楼长 并入重复报修：R2",
        "2026-11-25 10:10 李楼长 指派给 王师傅",
        "2026-11-25 13:10 王师傅 处理：纸箱已清走",
        "2026-11-25 13:10 张阿姨 报修人确认解决",
    ]
    assert rows[1]["合并到"] == "R1"
    assert rows[2]["描述"] == "'=1+1 门口乱停车"  # a description is never read as a formula


async def test_xlsx_has_a_sheet_of_reports_and_one_of_history(history, settings, tmp_path):
    target = tmp_path / "reports.xlsx"
    await export(settings, "--format", "xlsx", "--since", "2026-11-01", "-o", str(target))
    book = load_workbook(target)
    assert book.sheetnames == ["报修", "历史"]
    reports = list(book["报修"].iter_rows(values_only=True))
    assert reports[0][:4] == ("编号", "楼栋", "类别", "状态") and "报修人" not in reports[0]
    assert [r[0] for r in reports[1:]] == ["R1", "R2", "R3", "R4", "R5"]
    head = reports[0]
    assert reports[1][head.index("登记时间")] == datetime(2026, 11, 25, 10, 0)
    assert reports[3][head.index("描述")] == "'=1+1 门口乱停车"
    steps = list(book["历史"].iter_rows(values_only=True))
    assert steps[0] == ("编号", "时间", "动作", "状态", "说明")
    assert steps[1:4] == (
        [("R1", datetime(2026, 11, 25, 10, 0), "报修", "待处理", None),
         ("R1", datetime(2026, 11, 25, 10, 0), "附照片", "待处理", None),
         ("R1", datetime(2026, 11, 25, 10, 10), "并入重复报修", "待处理", "R2")])


def test_export_command_line(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LOUZU_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    # Run where there is no database (the wrong folder): refused, and no empty one made.
    assert main(["export", "reports", "--since", "2026-11-01"]) == 2
    assert capsys.readouterr().err.startswith(f"louzu: {tmp_path / 'data' / 'louzu.db'} 没有数据库：请在机器人运行的目录")
    assert not (tmp_path / "data" / "louzu.db").exists()
    assert main(["db", "upgrade"]) == 0
    capsys.readouterr()
    assert main(["export", "reports", "--since", "2026-11-01"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["export", "reports", "--format", "xlsx", "--since", "2026-11-01"]) == 2
    assert capsys.readouterr().err == "louzu: --format xlsx 要用 --output 文件 指定写到哪里\n"
    assert main(["export", "reports", "--since", "2026-11-02", "--until", "2026-11-01"]) == 2
    assert capsys.readouterr().err == "louzu: --until 在 --since 之前\n"
    assert main(["export", "reports", "--format", "csv", "--since", "2026-11-01", "-o", "r.csv"]) == 0
    assert capsys.readouterr().err == "已把 0 条报修写到 r.csv\n"
    assert (tmp_path / "r.csv").read_text(encoding="utf-8-sig").startswith("编号,楼栋,类别,状态,状态说明,描述,登记时间")
    assert main(["export", "reports", "--since", "1 November"]) == 2
    assert capsys.readouterr().err == ("louzu: --since 的值不对：1 November 不是日期，例如 2026-11-01"
                                       "（`louzu export reports --help` 查看用法）\n")
