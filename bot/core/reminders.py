"""Configured reminders (daily patrol, weekly clean-up…): read from a JSON file anyone can edit.

The file is a list of reminders, each posted to every bound group at its time::

    [{"name": "daily_patrol", "at": "0 8 * * *", "mention": ["党员", "志愿者"],
      "text": "早上好！今天请党员和志愿者巡查楼道，巡查后发送 #巡查 记录。"}]

``at`` is a crontab line (weekdays as mon…sun); ``mention`` names the roles whose
holders in each building are @-mentioned (may be empty).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.core.cron import cron_trigger
from storage.models import ROLE_WORDS, RoleName

DEFAULT_FILE = Path(__file__).with_name("default_reminders.json")


@dataclass(frozen=True)
class Reminder:
    name: str
    at: str
    text: str
    mention: tuple[RoleName, ...] = ()


def read_reminders(path: Path, tz: ZoneInfo) -> tuple[Reminder, ...]:
    """The reminders in ``path``; ValueError says what is wrong and where."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ValueError(f"读不到文件“{path}”（{error.strerror or error}）") from None
    except json.JSONDecodeError as error:
        raise ValueError(f"“{path}”不是有效的 JSON（{error}）") from None
    if not isinstance(data, list):
        raise ValueError(f'“{path}”里要写一个列表，例如 [{{"name": "daily_patrol", "at": "0 8 * * *", '
                         f'"text": "…"}}]')
    reminders: list[Reminder] = []
    for item in data:
        if not isinstance(item, dict):
            raise ValueError(f"“{path}”：每条提醒要写 name、at 和 text")
        name, at, text = item.get("name"), item.get("at"), item.get("text")
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_-]{1,40}", name):
            raise ValueError(f"“{path}”：name“{name}”要写 1 到 40 个英文字母、数字、_ 或 -")
        if name in {r.name for r in reminders}:
            raise ValueError(f"“{path}”：有两条提醒都叫“{name}”")
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"“{path}”：提醒“{name}”要写 text（发出的话）")
        if not isinstance(at, str):
            raise ValueError(f"“{path}”：提醒“{name}”要写 at（cron 时间），例如 \"0 8 * * *\"")
        try:
            cron_trigger(at, tz)
        except ValueError as error:
            raise ValueError(f"“{path}”：提醒“{name}”：{error}") from None
        words = item.get("mention", [])
        if not isinstance(words, list) or any(w not in ROLE_WORDS for w in words):
            raise ValueError(f"“{path}”：提醒“{name}”的 mention 只能写这些角色："
                             f"{'、'.join(ROLE_WORDS)}")
        reminders.append(Reminder(name, " ".join(at.split()), text.strip(),
                                  tuple(dict.fromkeys(ROLE_WORDS[w] for w in words))))
    return tuple(reminders)
