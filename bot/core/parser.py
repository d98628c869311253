"""Reading what people type: normalising, finding the command, object numbers and amounts."""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable

import opencc

from storage.text import chinese_number  # the one reader of Chinese numerals (building names use it too)

SPACES = re.compile(r"[\s\u2005\u3000\u200b\u00a0]+")
# Longer digit strings are no number anyone meant; int() of thousands of digits is refused by Python.
MOST_DIGITS = 30
TOO_BIG = 10**MOST_DIGITS  # what a longer one counts as: more than any limit
_QUANTITY = re.compile(r"^(\d+|[零一二两三四五六七八九十百]+)\s*(次|个|小时|h|hr|hrs|hour|hours|天|趟|遍)?$", re.I)
# WeChat sends its emoji as text in brackets: [强], [玫瑰], [OK]; a placeholder word in brackets is no emoji.
_EMOJI = re.compile(r"\[(?:[\u4e00-\u9fff]{1,4}|OK|ok|Ok)\]")
# Voice input ends a sentence with 。; people add ！ or ~ as they would to a neighbour.
_TRAILING = "。.!！~～,，、;；?？ "
# What the command tables write for "put yours here": <描述>, R<编号>, [说明]. Typed literally, it is no content.
PLACEHOLDER_WORDS = ("描述", "说明", "情况", "理由", "原因", "内容", "数量", "活动", "礼品", "楼号", "编号", "何时",
                     "时间", "角色", "页", "分", "门牌号", "姓名", "楼名", "名字", "人数", "n", "m")
_PLACEHOLDER = re.compile(r"<[^<>\s]{1,8}>|\[(?:" + "|".join(PLACEHOLDER_WORDS) + r")\]|@某人")


def normalise(text: str) -> str:
    """NFKC, then every run of white space (U+2005 and U+3000 included) becomes one space."""
    text = unicodedata.normalize("NFKC", text or "")
    return SPACES.sub(" ", text).strip()


@lru_cache(maxsize=1)
def _to_simplified() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


@lru_cache(maxsize=4096)
def _simplified_short(text: str) -> str:
    return _to_simplified().convert(text)


def simplified(text: str) -> str:
    """``text`` in simplified characters (幫助 → 帮助, 積分 → 积分); for matching only, never for storing.

    A conversion costs about a quarter of a millisecond, and the same short words (command words, the
    catalogue's names) are converted on every message: those are remembered."""
    if not text or text.isascii():
        return text
    return _simplified_short(text) if len(text) <= 64 else _to_simplified().convert(text)


def undecorated(text: str) -> str:
    """``text`` normalised, without WeChat's emoji text and the sentence's closing punctuation ("捡垃圾。[强]" → "捡垃圾")."""
    return normalise(_EMOJI.sub(" ", normalise(text))).rstrip(_TRAILING)


def for_matching(text: str) -> str:
    """What a name or keyword is compared by: ``undecorated``, then simplified (撿垃圾 → 捡垃圾)."""
    return simplified(undecorated(text))


def closest(word: str, names: Iterable[str], most: int = 3) -> list[str]:
    """The names nearest to ``word`` as people mistype them (垃圾分类值守 → 捡垃圾), best first; [] when none is near."""
    names = list(names)
    by_letters = [name for name in names if set(simplified(name)) & set(word)]
    return (difflib.get_close_matches(word, names, n=most, cutoff=0.3) or by_letters)[:most]


def placeholder_in(text: str) -> str | None:
    """The first placeholder typed literally in ``text`` (<描述>, R<编号>, [说明]), or None."""
    match = _PLACEHOLDER.search(normalise(text))
    return match.group(0) if match else None


@dataclass(frozen=True)
class CommandText:
    """A message that is a command: the first word and the rest, mentions taken out."""

    word: str
    rest: str
    hashed: bool = True  # False: the bot was @-mentioned and the text after it had no #


def split_command(text: str, *, bot_name: str, mentions_bot: bool, mention_names: Iterable[str] = ()) -> CommandText | None:
    """The command in ``text``, or None for ordinary chat (never raises)."""
    text = normalise(text)
    bot_tag = "@" + normalise(bot_name)
    if bot_tag in text:
        mentions_bot = True
        text = normalise(text.replace(bot_tag, " "))
    for name in sorted({normalise(n) for n in mention_names if n}, key=len, reverse=True):
        text = normalise(text.replace("@" + name, " "))
    hashed = text.startswith("#")
    if hashed:
        text = text[1:].lstrip()
    elif not mentions_bot:
        return None
    if not text:
        return CommandText("", "") if mentions_bot else None
    word, _, rest = text.partition(" ")
    # "#打卡:捡垃圾" (the ： became : above) is "#打卡 捡垃圾"; "#帮助。" from voice input is "#帮助".
    word, colon, glued = word.partition(":")
    if colon:
        rest = f"{glued} {rest}".strip()
    return CommandText(word.rstrip(_TRAILING) if not rest else word, rest.strip(), hashed)


def parse_quantity(text: str) -> int | None:
    """A whole number of units ("3", "3次", "两小时", "十", "二十"), or None when it is not one."""
    match = _QUANTITY.match(normalise(text))
    if not match:
        return None
    number = match.group(1)
    if number.isdigit():
        return _whole(number)
    return chinese_number(number)


_AMOUNT = re.compile(r"^(?P<number>半|\d+(?:\.\d+)?|[零一二两三四五六七八九十百]+(?:点[零一二三四五六七八九])?)"
                     r"(?P<half>个?半)?\s*(?P<unit>个小时|小时|钟头|次|个|h|hr|hrs|hour|hours|天|趟|遍)?"
                     r"(?:\s+|$)", re.I)


@dataclass(frozen=True)
class Amount:
    """A quantity as typed at the start of a claim: its value (1.5 for 一个半小时) and the note after it."""

    value: float
    typed: str
    note: str


def take_amount(text: str) -> Amount | None:
    """The quantity at the start of ``text`` ("3", "两小时", "1.5小时", "半小时", "一个半小时") and what follows it.

    None when ``text`` does not start with one."""
    text = normalise(text)
    match = _AMOUNT.match(text)
    if not match or (match["number"] == "半" and match["half"]):
        return None
    number = match["number"]
    if number == "半":
        value = 0.5
    elif number[0].isdigit():
        value = float(number) if len(number) <= MOST_DIGITS else float(TOO_BIG)
    else:
        whole, _, tenth = number.partition("点")
        units = chinese_number(whole)
        if units is None or (tenth and chinese_number(tenth) is None):
            return None
        value = units + (chinese_number(tenth) / 10 if tenth else 0)
    if match["half"]:
        value += 0.5
    return Amount(value, match.group(0).strip(), text[match.end():].strip())


def parse_points(text: str) -> int | None:
    """A signed whole number of points ("5", "-3", "5分"), or None."""
    match = re.fullmatch(r"([+-]?)(\d+|[零一二两三四五六七八九十百]+)\s*分?", normalise(text))
    if not match:
        return None
    number = match.group(2)
    value = _whole(number) if number.isdigit() else chinese_number(number)
    if value is None:
        return None
    return -value if match.group(1) == "-" else value


def _whole(digits: str) -> int:
    return int(digits) if len(digits) <= MOST_DIGITS else TOO_BIG


def take_ref(text: str, letter: str) -> tuple[int | None, str]:
    """An object number of kind ``letter`` at the start of ``text`` (R12, r12, R 12, #12, 12) and the rest."""
    text = normalise(text)
    pattern = rf"^(?:{letter}\s*|#\s*)(\d{{1,{MOST_DIGITS}}})\b"
    match = re.match(pattern, text, re.I)
    if not match:
        match = re.match(rf"^(\d{{1,{MOST_DIGITS}}})(?:\s|$)", text)
    if not match:
        return None, text
    return int(match.group(1)), text[match.end():].strip()
