"""One reading of a building's name for chat, roster and CLI: 十二号楼, 12栋, 第十二幢 and 12号 are all 12号楼."""

from __future__ import annotations

import re
import unicodedata

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_NUMBER = r"\d+|[零〇一二两三四五六七八九十百]+"
# 第 and the building words people write after the number; all of them mean 号楼.
_NAME = re.compile(rf"第?({_NUMBER})(号楼|号栋|号幢|栋楼|幢楼|号|栋|幢|楼)?")
MOST = 9999  # no community has more buildings: 12345 is not a building number


def chinese_number(text: str) -> int | None:
    """十二 → 12, 一百零八 → 108, 一二 → 12 (read digit by digit); None when it is not a number."""
    if not text or any(c not in _DIGITS and c not in "十百" for c in text):
        return None
    if "十" not in text and "百" not in text:
        return int("".join(str(_DIGITS[c]) for c in text))
    match = re.fullmatch(r"(?:([一二两三四五六七八九])百)?(?:([一二两三四五六七八九])?(十))?[零〇]?([一二三四五六七八九])?", text)
    if not match or not any(match.groups()):
        return None
    hundreds, tens, ten, ones = match.groups()
    if hundreds and ten and not tens:  # 一百十 is not how anyone writes 110
        return None
    return (_DIGITS[hundreds] * 100 if hundreds else 0) + ((_DIGITS[tens] if tens else 1) * 10 if ten else 0) + (
        _DIGITS[ones] if ones else 0)


def canonical_building(text: str) -> str | None:
    """The canonical name (12号楼) when ``text`` is a building number in any of the usual forms, else None."""
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
    match = _NAME.fullmatch(text)
    if not match:
        return None
    digits = match.group(1)
    number = int(digits) if digits.isdigit() else chinese_number(digits)
    if number is None or not 0 < number <= MOST:
        return None
    return f"{number}号楼"


def building_name(text: str) -> str:
    """The canonical name when ``text`` is a building number (see canonical_building); anything else as typed."""
    return canonical_building(text) or re.sub(r"\s+", " ", text).strip()
