"""How things read in a group: one way to cut a long text, to write a time and an age."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.parser import closest
from storage.models import Report


def short(text: str, limit: int = 24) -> str:
    """``text`` cut to at most ``limit`` characters, the cut marked with …"""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def local_time(moment: datetime, tz: ZoneInfo, now: datetime | None = None) -> str:
    """A moment as residents read it: 11月25日 18:00 (the community's time zone); 2027年1月1日 09:00
    when ``now`` is given and the moment falls in another year."""
    local = moment.astimezone(tz)
    year = f"{local.year}年" if now is not None and now.astimezone(tz).year != local.year else ""
    return f"{year}{local.month}月{local.day}日 {local:%H:%M}"


def age(delta: timedelta) -> str:
    """How long something has waited: 2天3小时, 5小时, 12分钟, 不到1分钟."""
    minutes = max(0, int(delta.total_seconds() // 60))
    days, hours = divmod(minutes // 60, 24)
    if days:
        return f"{days}天{hours}小时" if hours else f"{days}天"
    if hours:
        return f"{hours}小时"
    return f"{minutes}分钟" if minutes else "不到1分钟"


def headline(report: Report, limit: int = 24) -> str:
    """R5（垃圾：3楼楼道堆了纸箱…）: the number, the category and the start of the description."""
    return f"R{report.id}（{report.category}：{short(report.description, limit)}）"


def waited(delta: timedelta) -> str:
    """How long something has waited, as a phrase: 已等2天3小时; 刚刚登记 under a minute (never 已等不到1分钟)."""
    return "刚刚登记" if delta < timedelta(minutes=1) else f"已等{age(delta)}"


def no_such(noun: str, named: str, names: list[str], keyword: str, listing: str) -> str:
    """The refusal for a name that is none of ``names``: the closest ones with a line to send, else ``listing``
    (没有“垃圾分类值守”这个活动，相近的有：捡垃圾。例如：#打卡 捡垃圾)."""
    near = closest(named, names)
    if near:
        return f"没有“{short(named, 10)}”这个{noun}，相近的有：{'、'.join(near)}。例如：#{keyword} {near[0]}"
    return f"没有“{short(named, 10)}”这个{noun}。{listing}"
