"""How a message becomes a command: normalising, detection, numbers (COMMANDS.md)."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from bot.core.parser import CommandText, normalise, parse_points, parse_quantity, split_command, take_ref

BOT = "楼组小助手"


@pytest.mark.parametrize("raw, expected", [
    ("＃报修　３楼楼道堆了纸箱", "#报修 3楼楼道堆了纸箱"),  # full-width #, ideographic space, digits
    ("#打卡：捡垃圾", "#打卡:捡垃圾"),  # full-width colon
    ("@李楼长\u2005#加分  5   清理楼道", "@李楼长 #加分 5 清理楼道"),  # U+2005 after a mention
    ("  #ＨＥＬＰ \n", "#HELP"),
    ("#报修 楼道有😀纸箱", "#报修 楼道有😀纸箱"),
])
def test_normalise_real_group_messages(raw, expected):
    assert normalise(raw) == expected


@pytest.mark.parametrize("text, mentions_bot, names, expected", [
    ("＃报修　3楼楼道堆了纸箱", False, (), CommandText("报修", "3楼楼道堆了纸箱")),
    ("今天天气真好", False, (), None),  # ordinary chat is not a command
    ("大家看看#报修怎么用", False, (), None),  # '#' must come first
    ("@楼组小助手\u2005打卡 捡垃圾", True, (), CommandText("打卡", "捡垃圾", hashed=False)),
    ("#打卡：捡垃圾", False, (), CommandText("打卡", "捡垃圾")),  # the colon after the keyword is a space
    ("#帮助。", False, (), CommandText("帮助", "")),  # voice input's full stop
    ("#定时 每天 07:30 早安", False, (), CommandText("定时", "每天 07:30 早安")),  # a colon later is content
    ("@楼组小助手 #我的积分", True, (), CommandText("我的积分", "")),
    ("@楼组小助手", True, (), CommandText("", "")),  # a bare mention of the bot asks for help
    ("@李楼长\u2005#设楼组长", False, ("李楼长",), CommandText("设楼组长", "")),
    ("#加分 @张 阿姨\u20055 帮忙", False, ("张 阿姨",), CommandText("加分", "5 帮忙")),
    ("#", False, (), None),
])
def test_split_command(text, mentions_bot, names, expected):
    assert split_command(text, bot_name=BOT, mentions_bot=mentions_bot, mention_names=names) == expected


def test_very_long_text_is_still_parsed():
    command = split_command("#报修 " + "纸箱" * 5000, bot_name=BOT, mentions_bot=False)
    assert command is not None and command.word == "报修" and len(command.rest) == 10000


@given(st.text(), st.booleans(), st.lists(st.text(max_size=8), max_size=3))
def test_any_text_is_a_command_or_not_never_an_error(text, mentions_bot, names):
    result = split_command(text, bot_name=BOT, mentions_bot=mentions_bot, mention_names=names)
    assert result is None or isinstance(result, CommandText)


@pytest.mark.parametrize("text, expected", [
    ("1", 1), ("3次", 3), ("２", 2), ("两小时", 2), ("十", 10), ("十二", 12), ("2 小时", 2),
    ("0", 0), ("-1", None), ("1.5", None), ("abc", None), ("", None), ("一百", 100), ("十十", None),
])
def test_parse_quantity(text, expected):
    assert parse_quantity(text) == expected


@pytest.mark.parametrize("text, expected", [("5", 5), ("-3", -3), ("5分", 5), ("五", 5), ("-三分", -3), ("二十", 20), ("很多", None), ("2.5", None)])
def test_parse_points(text, expected):
    assert parse_points(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("R12 已清理", (12, "已清理")), ("r12", (12, "")), ("R 12", (12, "")), ("#12", (12, "")),
    ("12 好了", (12, "好了")), ("C12", (None, "C12")), ("R", (None, "R")),
])
def test_take_ref(text, expected):
    assert take_ref(text, "R") == expected


@pytest.mark.parametrize("text, value, note", [
    ("3", 3, ""), ("两小时 帮孤老买菜", 2, "帮孤老买菜"), ("三次", 3, ""), ("二十", 20, ""), ("半小时", 0.5, ""),
    ("1.5小时", 1.5, ""), ("一个半小时", 1.5, ""), ("两个小时 陪老人看病", 2, "陪老人看病"), ("十二次", 12, ""),
])
def test_amounts_as_people_write_them(text, value, note):
    from bot.core.parser import take_amount

    amount = take_amount(text)
    assert (amount.value, amount.note) == (value, note)


@pytest.mark.parametrize("text", ["帮孤老买菜", "", "很多", "个半"])
def test_words_that_are_no_amount(text):
    from bot.core.parser import take_amount

    assert take_amount(text) is None


@pytest.mark.parametrize("text, matched", [
    ("捡垃圾。", "捡垃圾"), ("捡垃圾 [强]", "捡垃圾"), ("撿垃圾[玫瑰]！", "捡垃圾"), ("我的積分", "我的积分"),
])
def test_names_are_matched_without_decoration_and_in_simplified(text, matched):
    from bot.core.parser import for_matching

    assert for_matching(text) == matched


@pytest.mark.parametrize("text, placeholder", [
    ("<描述>", "<描述>"), ("R<编号>", "<编号>"), ("R1 [说明]", "[说明]"), ("＜楼号＞", "<楼号>"),
    ("3楼楼道堆了纸箱", None), ("[强]", None), ("捡垃圾 [玫瑰]", None),
])
def test_placeholders_typed_literally_are_found(text, placeholder):
    from bot.core.parser import placeholder_in

    assert placeholder_in(text) == placeholder
