"""What people send is made safe before it is kept or shown again: numbers, control characters, NUL, names."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest
from sqlalchemy import select

from bot.cli import export as exports
from bot.core.messages import Mention
from storage.models import Member, Report, Thanks

UNSAFE = ("\x00", "\x07", "\x1b", "[31m", "\u202e", "\u2066", "\x9b")


def safe(text: str) -> bool:
    return not any(bad in text for bad in UNSAFE)


# Numbers too big for any record --------------------------------------------------------------

@pytest.mark.parametrize("line, missing", [
    ("#取消 X99999999999999999999", "X99999999999999999999"),
    ("#进度 R9223372036854775808", "R9223372036854775808"),  # SQLite: OverflowError
    ("#进度 R2147483648", "R2147483648"),  # PostgreSQL: out of range for integer
    ("#确认 R99999999999", "R99999999999"),
    ("#通过 C99999999999", "C99999999999"),
    ("#取消定时 S99999999999", "S99999999999"),
])
async def test_a_number_too_big_for_any_record_is_not_found_not_an_error(chat, line, missing):
    """Regression: these crashed the command (the resident got "出了点问题") instead of a refusal."""
    await chat.setup_building()
    reply = await chat.one(f"[12号楼群] 李楼长: {line}")
    assert missing in reply and ("没有找到" in reply or "没有" in reply), reply
    assert "出了点问题" not in reply


async def test_the_largest_number_a_record_can_have_still_names_it(chat):
    """R2147483647 is the last number PostgreSQL's integer ids reach: it is looked up, not refused unseen."""
    await chat.setup_building()
    await chat.one("[12号楼群] 张阿姨: #报修 3楼楼道堆了纸箱")
    [first] = await chat.scalars(select(Report))
    async with chat.app.sessions() as session, session.begin():
        session.add(Report(id=2**31 - 1, building_id=first.building_id, reporter_id=first.reporter_id,
                           category=first.category, description="5楼楼道堆了纸箱", status="open", room_id=first.room_id,
                           created_at=first.created_at, updated_at=first.updated_at))
    assert await chat.one("[12号楼群] 张阿姨: #进度 R2147483647") == (
        "@张阿姨 R2147483647 · 楼道堆物 · 待处理\n5楼楼道堆了纸箱")


async def test_a_number_of_thousands_of_digits_is_refused_too(chat):
    await chat.setup_building()
    for line in ("#进度 R" + "9" * 5000, "#打卡 捡垃圾 " + "9" * 5000, "#加分 @张阿姨 " + "9" * 5000 + " 帮忙"):
        reply = await chat.one(f"[12号楼群] 李楼长: {line}", mentions=(Mention("张阿姨", "张阿姨"),))
        assert "出了点问题" not in reply and len(reply) < 300, reply[:100]


async def test_another_buildings_report_answers_exactly_like_an_unknown_one(chat):
    """Regression: "R1 不是9号楼的报修" told a resident of 9号楼 that R1 exists elsewhere."""
    await chat.setup_building()
    await chat.setup_building("9号楼群", "9号楼", "赵楼长")
    await chat.one("[12号楼群] 张阿姨: #报修 3楼楼道堆了纸箱")
    elsewhere = await chat.one("[9号楼群] 钱阿姨: #进度 R1")
    unknown = await chat.one("[9号楼群] 钱阿姨: #进度 R77")
    assert elsewhere == unknown.replace("R77", "R1")
    assert "12号楼" not in elsewhere and "9号楼" not in elsewhere


# Control characters, direction overrides, NUL --------------------------------------------------

async def test_control_and_direction_characters_are_never_kept_or_shown_again(chat, settings, capsys):
    """Regression: NUL, BEL, terminal escapes and U+202E were stored and echoed into replies, #进度 and exports."""
    await chat.setup_building()
    typed = "#报修 3楼\x00楼道\x07堆了\x1b[31m纸箱\u202e，\u2066快\u2069来\x9b看看"
    reply = await chat.one(f"[12号楼群] 张阿姨: {typed}")
    assert "3楼楼道堆了纸箱，快来看看" in reply and safe(reply)
    await chat.one("[12号楼群] 李楼长: #处理 R1 已清\x1b]0;x\x07理\u202d")
    progress = await chat.one("[12号楼群] 张阿姨: #进度 R1")
    assert "3楼楼道堆了纸箱" in progress and "已清" in progress and safe(progress), progress
    [report] = await chat.scalars(select(Report))
    assert safe(report.description)
    for fmt in ("open311", "csv"):
        assert await exports.export_reports(settings, fmt, date(2026, 11, 1)) == 0
        out = capsys.readouterr().out
        text = json.dumps(json.loads(out), ensure_ascii=False) if fmt == "open311" else out
        assert "3楼楼道堆了纸箱" in text and safe(text) and "\\u0000" not in out, (fmt, out[:300])
        if fmt == "csv":
            assert list(csv.reader(io.StringIO(out)))[1][0] == "R1"


async def test_a_nul_byte_never_reaches_the_database(chat):
    """Regression (PostgreSQL): a NUL in #报修 or #点赞 failed the command."""
    await chat.setup_building()
    assert "已登记 R1" in await chat.one("[12号楼群] 张阿姨: #报修 楼道\x00灯坏了")
    reply = await chat.one("[12号楼群] 张阿姨: #点赞 @王师傅 扫得\x00干净", mentions=(Mention("王师傅", "王师傅"),))
    assert "+1 分" in reply and "\x00" not in reply
    [thanks] = await chat.scalars(select(Thanks))
    assert thanks.reason == "扫得干净"


async def test_a_shown_name_too_long_for_its_column_is_cut_and_every_command_still_works(chat):
    """Regression (PostgreSQL): a shown name over 128 characters made every command from that person fail."""
    await chat.setup_building()
    name = "张" * 300 + "\u202e"
    for line in ("#我的积分", "#报修 楼道灯坏了", "#打卡 捡垃圾"):
        reply = await chat.one(f"[12号楼群] 张阿姨: {line}", sender_name=name)
        assert "出了点问题" not in reply, reply
    [member] = await chat.scalars(select(Member).where(Member.wechat_id == "张阿姨"))
    assert member.display_name == "张" * 128


async def test_a_long_group_name_is_cut_to_its_column(chat):
    await chat.setup_building()
    reply = await chat.one("[12号楼群] 张阿姨: #我的积分", room_topic="楼" * 400)
    assert "出了点问题" not in reply
