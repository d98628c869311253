"""Option values as staff type them, refused in Chinese: whole numbers, yes/no, days, weeks and months."""

from __future__ import annotations

import re
from datetime import date

import click


class _Type(click.ParamType):
    name = "值"

    def parse(self, text: str):
        raise NotImplementedError

    def convert(self, value, param, ctx):
        if not isinstance(value, str):
            return value
        result = self.parse(value.strip())
        if result is None:
            self.fail(self.refusal.format(value=value), param, ctx)
        return result


class Whole(_Type):
    def __init__(self, low: int, high: int | None = None) -> None:
        self.low, self.high = low, high
        self.refusal = f"{{value}} 不是 {low}{' 到 ' + str(high) if high is not None else ' 或以上'}的整数"

    def parse(self, text: str):
        if not re.fullmatch(r"\d+", text):
            return None
        value = int(text)
        if value < self.low or (self.high is not None and value > self.high):
            return None
        return value


class YesNo(_Type):
    refusal = "{value} 要写 yes 或 no"

    def parse(self, text: str):
        return {"yes": True, "no": False, "是": True, "否": False}.get(text.lower())


class Day(_Type):
    refusal = "{value} 不是日期，例如 2026-11-01"

    def parse(self, text: str):
        try:
            return date.fromisoformat(text)
        except ValueError:
            return None


class Month(_Type):
    """2026-11: the first day of that month."""

    refusal = "{value} 不是月份，例如 2026-11"

    def parse(self, text: str):
        match = re.fullmatch(r"(\d{4})-(\d{1,2})", text)
        if not match or not 1 <= int(match.group(2)) <= 12:
            return None
        return date(int(match.group(1)), int(match.group(2)), 1)


class Week(_Type):
    """2026-W48 (ISO week): its Monday."""

    refusal = "{value} 不是 ISO 周，例如 2026-W48"

    def parse(self, text: str):
        match = re.fullmatch(r"(\d{4})-?[Ww](\d{1,2})", text)
        if not match:
            return None
        try:
            return date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
        except ValueError:
            return None


POSITIVE = Whole(1)
NOT_NEGATIVE = Whole(0)
YES_NO = YesNo()
DAY = Day()
MONTH = Month()
WEEK = Week()
