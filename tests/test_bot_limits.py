"""One resident must never slow the bot for everyone: bounded work per message, fair limits, caps."""

from __future__ import annotations

import unicodedata

import pytest
from sqlalchemy import select

from bot.core.intake import MAX_TEXT
from storage.models import Report


@pytest.fixture
def normalised_chars(monkeypatch):
    """Counts the characters NFKC-normalised while a test runs: the parser's work, without a clock."""
    real = unicodedata.normalize
    seen = [0]

    def counting(form, text):
        seen[0] += len(text)
        return real(form, text)

    monkeypatch.setattr(unicodedata, "normalize", counting)
    return seen


async def test_a_long_report_with_the_bots_tag_inside_is_read_in_linear_work_not_quadratic(chat, normalised_chars):
    """Regression: `#报修 ` + 8,000 characters + `@楼组小助手` + 8,000 more took 0.8 s (32k: 12.8 s), every
    group waiting: the text as typed was normalised once per start position, the bot's tag never matching."""
    await chat.setup_building()
    text = "#报修 " + "楼" * 4000 + "@楼组小助手" + "道" * 4000
    normalised_chars[0] = 0
    reply = await chat.one(f"[12号楼群] 张阿姨: {text}")
    assert "描述太长了" in reply  # refused for its length, as before, but cheaply
    assert normalised_chars[0] <= 10 * len(text), normalised_chars[0]


async def test_the_bots_tag_in_the_middle_of_a_report_is_not_kept_in_its_words(chat):
    await chat.setup_building()
    reply = await chat.one("[12号楼群] 张阿姨: #报修 3楼楼道，@楼组小助手 堆了纸箱")
    assert "3楼楼道， 堆了纸箱" in reply or "3楼楼道，堆了纸箱" in reply
    [report] = await chat.scalars(select(Report))
    assert "@楼组小助手" not in report.description and "，" in report.description  # as typed, full-width comma


async def test_a_message_longer_than_wechat_allows_is_cut_before_it_is_read(chat, normalised_chars):
    await chat.setup_building()
    text = "#通知 " + "停水" * 60_000
    normalised_chars[0] = 0
    reply = await chat.one(f"[12号楼群] 李楼长: {text}")
    assert "通知最多" in reply  # still a clear refusal
    assert normalised_chars[0] <= 10 * MAX_TEXT, normalised_chars[0]
