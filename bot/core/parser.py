"""Reading what people type: normalising, finding the command, object numbers and amounts."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable

SPACES = re.compile(r"[\s\u2005\u3000\u200b\u00a0]+")
_CN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
# Longer digit strings are no number anyone meant; int() of thousands of digits is refused by Python.
MOST_DIGITS = 30
TOO_BIG = 10**MOST_DIGITS  # what a longer one counts as: more than any limit
_QUANTITY = re.compile(r"^(\d+|[零一二两三四五六七八九十]+)\s*(次|个|小时|h|hr|hrs|hour|hours|天|趟|遍)?$", re.I)


def normalise(text: str) -> str:
    """NFKC, then every run of white space (U+2005 and U+3000 included) becomes one space."""
    text = unicodedata.normalize("NFKC", text or "")
    return SPACES.sub(" ", text).strip()


@dataclass(frozen=True)
class CommandText:
    """A message that is a command: the first word and the rest, mentions taken out."""

    word: str
    rest: str


def split_command(text: str, *, bot_name: str, mentions_bot: bool, mention_names: Iterable[str] = ()) -> CommandText | None:
    """The command in ``text``, or None for ordinary chat (never raises)."""
    text = normalise(text)
    bot_tag = "@" + normalise(bot_name)
    if bot_tag in text:
        mentions_bot = True
        text = normalise(text.replace(bot_tag, " "))
    for name in sorted({normalise(n) for n in mention_names if n}, key=len, reverse=True):
        text = normalise(text.replace("@" + name, " "))
    if text.startswith("#"):
        text = text[1:].lstrip()
    elif not mentions_bot:
        return None
    if not text:
        return CommandText("", "") if mentions_bot else None
    word, _, rest = text.partition(" ")
    return CommandText(word, rest.strip())


def parse_quantity(text: str) -> int | None:
    """A whole number of units ("3", "3次", "两小时", "十"), or None when it is not one."""
    match = _QUANTITY.match(normalise(text))
    if not match:
        return None
    number = match.group(1)
    if number.isdigit():
        return _whole(number)
    return _chinese_number(number)


def parse_points(text: str) -> int | None:
    """A signed whole number of points ("5", "-3", "5分"), or None."""
    match = re.fullmatch(r"([+-]?)(\d+)\s*分?", normalise(text))
    if not match:
        return None
    return -_whole(match.group(2)) if match.group(1) == "-" else _whole(match.group(2))


def _whole(digits: str) -> int:
    return int(digits) if len(digits) <= MOST_DIGITS else TOO_BIG


def _chinese_number(text: str) -> int | None:
    if text == "十":
        return 10
    if "十" in text:
        tens, _, ones = text.partition("十")
        if len(tens) > 1 or len(ones) > 1:
            return None
        value = (_CN_DIGITS.get(tens, -100) if tens else 1) * 10 + (_CN_DIGITS.get(ones, -100) if ones else 0)
        return value if value >= 0 else None
    if len(text) == 1:
        return _CN_DIGITS.get(text)
    return None


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
