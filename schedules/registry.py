"""Scheduled jobs, each declared once where its function is, the way a command is declared on its handler.

    @jobs.job("weekly_ranking", at="LOUZU_WEEKLY_RANKING_AT", default="0 9 * * mon", once_per="week",
              posts_only=True, summary="…")
    async def weekly_ranking(ctx: JobContext) -> list[Reply]: ...

The scheduler, ``louzu jobs list|run``, the test that every setting is in
config.example.env and the test of the README's job table all read this one
registry (``schedules.declared`` imports every module that declares a job).
A job's time is a setting named ``LOUZU_…_AT``: the settings read every such key
as a crontab line or ``off`` (bot/core/settings.py), so a new job needs no new
settings code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Awaitable, Callable, Iterator
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.cron import cron_trigger
from bot.core.messages import Reply
from bot.core.settings import Settings

PERIODS = ("week", "month")


@dataclass
class JobContext:
    """What a job is given: like a handler's context, without a message."""

    session: AsyncSession
    settings: Settings
    now: datetime


Job = Callable[..., Awaitable[list[Reply]]]


class RegistryError(ValueError):
    """A bad job declaration, found when its module is imported."""


@dataclass(frozen=True)
class JobSpec:
    name: str
    func: Job
    setting: str | None  # LOUZU_…_AT; None for jobs not on a clock of their own (reminders, notices)
    default: str | None  # the crontab line when the setting is not given
    once_per: str | None  # "week" or "month": a group gets the period's post once
    posts_only: bool  # changes nothing, only posts: its posts may be limited to one group
    aliases: tuple[str, ...]
    summary: str

    def cron(self, settings: Settings) -> str | None:
        """The job's crontab line under ``settings``; None when it is off (or has no clock of its own)."""
        if self.setting is None:
            return None
        return settings.job_times.get(self.setting, self.default)


class JobRegistry:
    def __init__(self) -> None:
        self.specs: dict[str, JobSpec] = {}
        self._aliases: dict[str, str] = {}

    def job(self, name: str, *, at: str | None = None, default: str | None = None, once_per: str | None = None,
            posts_only: bool = False, aliases: tuple[str, ...] = (), summary: str = "") -> Callable[[Job], Job]:
        """Declare the decorated coroutine as the job ``name``."""

        def declare(func: Job) -> Job:
            if name in self.specs or name in self._aliases:
                raise RegistryError(f"job {name!r} is declared twice")
            if at is not None:
                if not (at.startswith("LOUZU_") and at.endswith("_AT")):
                    raise RegistryError(f"job {name!r}: its setting {at!r} must be named LOUZU_…_AT")
                if default is None:
                    raise RegistryError(f"job {name!r}: a default time is needed (a crontab line)")
                cron_trigger(default, ZoneInfo("UTC"))  # a bad default fails here, at import
            if once_per is not None and once_per not in PERIODS:
                raise RegistryError(f"job {name!r}: once_per must be one of {PERIODS}")
            for alias in aliases:
                if alias in self.specs or alias in self._aliases:
                    raise RegistryError(f"job alias {alias!r} is declared twice")
                self._aliases[alias] = name
            self.specs[name] = JobSpec(name, func, at, default if at else None, once_per, posts_only, aliases,
                                       summary or (func.__doc__ or "").strip().partition("\n")[0])
            return func

        return declare

    def __iter__(self) -> Iterator[JobSpec]:
        return iter(self.specs.values())

    def get(self, name: str) -> JobSpec | None:
        return self.specs.get(self._aliases.get(name, name))

    def scheduled(self) -> list[JobSpec]:
        """The jobs with a time of their own in the settings, in declaration order."""
        return [spec for spec in self if spec.setting is not None]


jobs = JobRegistry()
