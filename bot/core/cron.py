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
        raise ValueError(f"{expr!r} needs five fields: minute hour day month weekday (e.g. {EXAMPLE})")
    if any(ch.isdigit() for ch in fields[4]):
        raise ValueError(f"{expr!r}: write the weekday as mon, tue, wed, thu, fri, sat or sun (e.g. {EXAMPLE})")
    try:
        return CronTrigger.from_crontab(expr, timezone=tz)
    except ValueError as error:
        raise ValueError(f"{expr!r} is not a cron expression ({error}; e.g. {EXAMPLE})") from None
