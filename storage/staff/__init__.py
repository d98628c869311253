"""Staff operations: what the committee does at its PC, as plain functions over a session.

`louzu …` (bot/cli/) calls them, and so will the web desk: each takes a session (or an
engine, for whole-database work), does one thing in the caller's transaction, and returns
what it did, with the Chinese words staff read. A refusal is a StaffError whose text says
why, in one line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable


class StaffError(ValueError):
    """An operation that cannot be done; the text (Chinese) says why and what to do instead."""


@dataclass
class CatalogueChange:
    """One entry of a catalogue (活动, 礼品) added or changed, said once in the words staff read."""

    noun: str  # 活动, 礼品
    name: str
    created: bool = False
    changes: list[str] = field(default_factory=list)

    def text(self) -> str:
        if self.created:
            return f"已添加{self.noun} {self.name}：" + "，".join(self.changes) + "。"
        if not self.changes:
            return f"{self.noun} {self.name} 没有变化。"
        return f"已修改{self.noun} {self.name}：" + "，".join(self.changes) + "。"

    def set(self, entry: Any, attribute: str, value: Any, label: str, show: Callable[[Any], str] = str) -> None:
        """Give ``entry`` the ``value`` (None: not asked to change), saying "label old → new" when it differs."""
        if value is not None and getattr(entry, attribute) != value:
            self.changes.append(f"{label} {show(getattr(entry, attribute))} → {show(value)}")
            setattr(entry, attribute, value)
