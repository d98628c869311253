"""The time phrases of #定时 (and #接龙): 每天 07:30, 每周六 09:00, 每月1日 10:00, 每月最后一天 18:00, 明天 08:30,
周六 9点, 2026-12-01 09:00.

A phrase becomes either a crontab line (repeating) or one moment (a one-off);
the calendar work is left to APScheduler's CronTrigger and DateTrigger and to
``datetime.strptime``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.text import local_time

WEEKDAYS = {"一": "mon", "二": "tue", "三": "wed", "四": "thu", "五": "fri", "六": "sat", "日": "sun", "天": "sun"}
DAY_WORDS = {"今天": 0, "明天": 1, "后天": 2}
EXAMPLE = ("#定时 每天 07:30 <内容>（时间还可以写：每周六 09:00、每月1日 10:00、明天 08:30、"
           "12月1日 09:00）")

TIME = r"(?P<hour>\d{1,2})\s*(?:[:点]\s*(?P<minute>\d{2})|点)"  # 09:00, 9点00, or 9点 on the hour
PATTERNS = (
    ("daily", re.compile(rf"^(?:每天|每日)\s*{TIME}(?:\s+|$)")),
    ("weekly", re.compile(rf"^(?:每周|每星期|每礼拜)(?P<weekday>[一二三四五六日天])\s*{TIME}(?:\s+|$)")),
    ("monthly", re.compile(rf"^每月\s*(?:(?P<day>\d{{1,2}})\s*[日号]|(?P<last>最后一天|底))\s*{TIME}(?:\s+|$)")),
    ("relative", re.compile(rf"^(?P<word>今天|明天|后天)\s*{TIME}(?:\s+|$)")),
    ("weekday", re.compile(rf"^(?:本|这)?(?:周|星期|礼拜)(?P<weekday>[一二三四五六日天])\s*{TIME}(?:\s+|$)")),
    ("date", re.compile(rf"^(?P<date>\d{{4}}[-/.]\d{{1,2}}[-/.]\d{{1,2}})\s+{TIME}(?:\s+|$)")),
    ("monthday", re.compile(rf"^(?:(?P<year>\d{{4}})\s*年\s*)?(?P<month>\d{{1,2}})\s*月\s*(?P<mday>\d{{1,2}})\s*[日号]"
                            rf"\s*{TIME}(?:\s+|$)")),
)


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

    A one-off time is returned even when it has passed: the caller refuses it.
    """
    text = text.strip()
    for kind, pattern in PATTERNS:
        match = pattern.match(text)
        if match is None:
            continue
        hour, minute = int(match["hour"]), int(match["minute"] or 0)
        if hour > 23 or minute > 59:
            return None
        clock = f"{hour:02d}:{minute:02d}"
        rest = text[match.end():].strip()
        if kind == "daily":
            return When(f"每天 {clock}", cron=f"{minute} {hour} * * *"), rest
        if kind == "weekly":
            day = match["weekday"]
            return When(f"每周{'日' if day == '天' else day} {clock}", cron=f"{minute} {hour} * * {WEEKDAYS[day]}"), rest
        if kind == "monthly":
            # The 31st, like "the last day", is each month's last day; the 29th and the 30th are
            # missing from February, and a notice that silently skips a month helps nobody.
            day = 31 if match["last"] else int(match["day"])
            if not 1 <= day <= 31:
                return None
            if day in (29, 30):
                raise PhraseError(f"每月{day}日不是每个月都有（二月没有），请选 1–28 日，"
                                  f"或写 每月最后一天 {clock}")
            if day == 31:
                return When(f"每月最后一天 {clock}", cron=f"{minute} {hour} last * *"), rest
            return When(f"每月{day}日 {clock}", cron=f"{minute} {hour} {day} * *"), rest
        if kind == "relative":
            local = now.astimezone(tz) + timedelta(days=DAY_WORDS[match["word"]])
            moment = datetime(local.year, local.month, local.day, hour, minute, tzinfo=tz)
        elif kind == "weekday":
            # 周六 9点 is the coming Saturday at 9: today when that is still to come, else next week's.
            local = now.astimezone(tz)
            ahead = ("一二三四五六日".index(match["weekday"].replace("天", "日")) - local.weekday()) % 7
            day = local + timedelta(days=ahead)
            moment = datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)
            if moment <= now:
                moment += timedelta(days=7)
        elif kind == "monthday":
            # 12月1日 09:00 is the next 1 December (today included); the reply says the year when it is not this one.
            today = now.astimezone(tz).date()
            year = int(match["year"]) if match["year"] else today.year
            try:
                day = datetime(year, int(match["month"]), int(match["mday"]))
                if not match["year"] and day.date() < today:
                    day = day.replace(year=year + 1)
            except ValueError:
                return None
            moment = day.replace(hour=hour, minute=minute, tzinfo=tz)
        else:
            try:
                day = datetime.strptime(re.sub(r"[/.]", "-", match["date"]), "%Y-%m-%d")
            except ValueError:
                return None
            moment = day.replace(hour=hour, minute=minute, tzinfo=tz)
        return When(local_time(moment, tz, now), run_at=moment), rest
    return None
