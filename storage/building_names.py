"""One reading of a building's name for chat, roster and CLI: 十二号楼, 12栋, 第十二幢 and 12号 are all 12号楼."""

from __future__ import annotations

import re
import unicodedata

from storage.text import chinese_number

_NUMBER = r"\d+|[零〇一二两三四五六七八九十百]+"
# 第 and the building words people write after the number; all of them mean 号楼.
_NAME = re.compile(rf"第?({_NUMBER})(号楼|号栋|号幢|栋楼|幢楼|号|栋|幢|楼)?")
MOST = 9999  # no community has more buildings: 12345 is not a building number


def canonical_building(text: str) -> str | None:
    """The canonical name (12号楼) when ``text`` is a building number in any of the usual forms, else None."""
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
    match = _NAME.fullmatch(text)
    if not match:
        return None
    digits = match.group(1)
    # 一百十 is not how anyone writes 110 (一百一十 is): a slip, not a building number.
    number = int(digits) if digits.isdigit() else None if "百十" in digits else chinese_number(digits)
    if number is None or not 0 < number <= MOST:
        return None
    return f"{number}号楼"


def building_name(text: str) -> str:
    """The canonical name when ``text`` is a building number (see canonical_building); anything else as typed."""
    return canonical_building(text) or re.sub(r"\s+", " ", text).strip()
