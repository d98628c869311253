"""Time phrases as people write them (#定时, and whatever else names a time): 每天 07:30, 每周三 下午2点,
每月1日 10:00, 每月最后一天 18:00, 明早8点, 今晚7点半, 下周一 9点, 周六9点, 12月1日 9:00, 2026-12-01 09:00.

A phrase is a day part and a clock part. It becomes either a crontab line (repeating) or
one moment (a one-off); the calendar work is left to APScheduler's CronTrigger and
DateTrigger and to ``datetime``. A clock hour from 1 to 6 with no 上午/下午 is the one thing
people leave ambiguous (3点 is 15:00 at a meeting and 03:00 on a clock): it is asked about.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from storage.text import chinese_number
from bot.core.text import local_time

WEEKDAYS = {"一": "mon", "二": "tue", "三": "wed", "四": "thu", "五": "fri", "六": "sat", "日": "sun", "天": "sun"}
WEEKDAY_INDEX = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
DAY_WORDS = {"今天": (0, ""), "今日": (0, ""), "明天": (1, ""), "明日": (1, ""), "后天": (2, ""),
             "今早": (0, "早上"), "今晚": (0, "晚上"), "明早": (1, "早上"), "明晚": (1, "晚上")}
EXAMPLE = ("#定时 每周六 09:00 请大家清理门前杂物（时间还可以写：每天 7:30、每周三 下午2点、明早8点、"
           "今晚7点半、下周一 9点、12月1日 9:00）")

_CN = "零一二两三四五六七八九十"
_NUMBER = rf"(?:\d{{1,2}}|[{_CN}]{{1,3}})"
_AFTERNOON = ("下午", "傍晚", "晚上", "夜里", "晚")
_MORNING = ("早上", "早晨", "清晨", "上午", "凌晨", "早")
CLOCK = (r"(?P<period>早上|早晨|清晨|上午|中午|下午|傍晚|晚上|夜里|凌晨|早|晚)?\s*"
         r"(?:(?P<hh>\d{1,2})\s*:\s*(?P<mm>\d{2})"
         rf"|(?P<h>{_NUMBER})\s*[点時时](?:(?P<half>半)|(?P<quarter>一刻|三刻)|(?P<m>\d{{1,2}}|[{_CN}]{{1,3}})分?)?)")
_DAY_WORDS = "|".join(DAY_WORDS)
DAYS = (
    ("daily", re.compile(r"^(?:每天|每日|天天)")),
    ("weekly", re.compile(r"^(?:每周|每星期|每礼拜)(?P<weekday>[一二三四五六日天])")),
    ("monthly", re.compile(r"^每个?月\s*(?:(?P<day>\d{1,2})\s*[日号]|(?P<last>最后一天|底))")),
    ("relative", re.compile(rf"^(?P<word>{_DAY_WORDS})")),
    ("week", re.compile(r"^(?P<which>下下|下|本|这)?\s*(?:周|星期|礼拜)(?P<weekday>[一二三四五六日天])")),
    ("date", re.compile(r"^(?P<date>\d{4}[-/.]\d{1,2}[-/.]\d{1,2})")),
    ("monthday", re.compile(r"^(?:(?P<year>\d{4})\s*年\s*)?(?P<month>\d{1,2})\s*月\s*(?P<mday>\d{1,2})\s*[日号]")),
)
_CLOCK = re.compile(rf"\s*{CLOCK}")


class PhraseError(ValueError):
    """A time phrase understood but not workable; its text says why, for the person who wrote it."""


@dataclass(frozen=True)
class When:
    """When a notice goes out: ``cron`` for a repeating one, ``run_at`` for a one-off."""

    text: str
    cron: str | None = None
    run_at: datetime | None = None


def parse_when(text: str, now: datetime, tz: ZoneInfo) -> tuple[When, str] | None:
    """The time phrase at the start of ``text`` and the rest; None when there is none we understand.

    A one-off time is returned even when it has passed: the caller refuses it. Raises PhraseError
    for a phrase that is understood but cannot be kept as written (每月30日, a bare 3点).
    """
    text = text.strip()
    for kind, pattern in DAYS:
        day = pattern.match(text)
        if day is None:
            continue
        clock = _CLOCK.match(text, day.end())
        if clock is None:
            return None
        implied = DAY_WORDS[day["word"]][1] if kind == "relative" else ""
        read = _clock(clock, implied)
        if read is None:
            return None
        hour, minute = read
        rest = text[clock.end():].strip()
        when = _when(kind, day, hour, minute, now, tz)
        return (when, rest) if when is not None else None
    return None


def _clock(match: re.Match[str], implied: str) -> tuple[int, int] | None:
    """Hour and minute of a clock part, 上午/下午 applied; None when they make no time."""
    period = match["period"] or implied
    if match["hh"] is not None:
        hour, minute = int(match["hh"]), int(match["mm"])
    else:
        hour = _number(match["h"])
        minute = 30 if match["half"] else 15 if match["quarter"] == "一刻" else 45 if match["quarter"] else (
            _number(match["m"]) if match["m"] else 0)
        if hour is None or minute is None:
            return None
        if not period and 1 <= hour <= 6:
            raise PhraseError(f"{hour}点是早上还是下午？请写明，例如：下午{hour}点 或 早上{hour}点")
    if period in _AFTERNOON or (period == "中午" and 1 <= hour <= 2):
        if hour == 12 and period != "中午" and period in ("晚上", "夜里", "晚"):
            return None  # 晚上12点 is the next day's 00:00: too easy to mean either day
        if hour < 12:
            hour += 12
    elif period in _MORNING and hour > 12:
        return None  # 上午15点 contradicts itself
    if hour > 23 or minute > 59:
        return None
    return hour, minute


def _number(text: str) -> int | None:
    return int(text) if text.isdigit() else chinese_number(text)


def _when(kind: str, day: re.Match[str], hour: int, minute: int, now: datetime, tz: ZoneInfo) -> When | None:
    clock = f"{hour:02d}:{minute:02d}"
    if kind == "daily":
        return When(f"每天 {clock}", cron=f"{minute} {hour} * * *")
    if kind == "weekly":
        weekday = day["weekday"]
        return When(f"每周{'日' if weekday == '天' else weekday} {clock}",
                    cron=f"{minute} {hour} * * {WEEKDAYS[weekday]}")
    if kind == "monthly":
        # The 31st, like "the last day", is each month's last day; the 29th and the 30th are
        # missing from February, and a notice that silently skips a month helps nobody.
        mday = 31 if day["last"] else int(day["day"])
        if not 1 <= mday <= 31:
            return None
        if mday in (29, 30):
            raise PhraseError(f"每月{mday}日不是每个月都有（二月没有），请选 1–28 日，或写 每月最后一天 {clock}")
        if mday == 31:
            return When(f"每月最后一天 {clock}", cron=f"{minute} {hour} last * *")
        return When(f"每月{mday}日 {clock}", cron=f"{minute} {hour} {mday} * *")
    today = now.astimezone(tz).date()
    on = _day(kind, day, today)
    if on is None:
        return None
    moment = datetime(on.year, on.month, on.day, hour, minute, tzinfo=tz)
    if kind == "week" and not day["which"] and moment <= now:
        moment += timedelta(days=7)  # 周六9点 said on a Saturday afternoon: the next one
    return When(local_time(moment, tz, now), run_at=moment)


def _day(kind: str, day: re.Match[str], today: date) -> date | None:
    """The date a one-off phrase names (today's year and week as the reference)."""
    if kind == "relative":
        return today + timedelta(days=DAY_WORDS[day["word"]][0])
    if kind == "week":
        target = WEEKDAY_INDEX[day["weekday"]]
        monday = today - timedelta(days=today.weekday())
        weeks = {"下": 1, "下下": 2, "本": 0, "这": 0}.get(day["which"] or "")
        if weeks is None:  # 周六: the next Saturday, today included
            return today + timedelta(days=(target - today.weekday()) % 7)
        return monday + timedelta(weeks=weeks, days=target)
    try:
        if kind == "monthday":
            # 12月1日 09:00 is the next 1 December (today included); the reply says the year when it is not this one.
            year = int(day["year"]) if day["year"] else today.year
            on = date(year, int(day["month"]), int(day["mday"]))
            return on.replace(year=year + 1) if not day["year"] and on < today else on
        return datetime.strptime(re.sub(r"[/.]", "-", day["date"]), "%Y-%m-%d").date()
    except ValueError:
        return None
