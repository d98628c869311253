"""Cron expressions as settings and files write them, read into APScheduler's own trigger."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

EXAMPLE = "0 9 * * mon"


def cron_trigger(expr: str, tz: ZoneInfo) -> CronTrigger:
    """The trigger for a five-field crontab line (minute hour day month weekday).

    Raises ValueError with a readable reason. Weekdays must be names (mon…sun):
    classic cron counts 0 as Sunday while APScheduler counts 0 as Monday, so a
    number there would silently mean another day.
    """
    fields = expr.split()
    if len(fields) != 5:
        raise ValueError(f"“{expr}”要写五项：分 时 日 月 星期，例如 {EXAMPLE}（每周一 9:00）")
    if any(ch.isdigit() for ch in fields[4]):
        raise ValueError(f"“{expr}”：星期要写 mon、tue、wed、thu、fri、sat 或 sun，不写数字，例如 {EXAMPLE}")
    try:
        return CronTrigger.from_crontab(expr, timezone=tz)
    except ValueError as error:
        raise ValueError(f"“{expr}”不是 cron 时间（{error}），例如 {EXAMPLE}") from None
