"""Helpers for tests of time-driven parts (the outbox, jobs, the scheduler): no real sleeping anywhere."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from dataclasses import replace
from datetime import datetime, timedelta

from bot.app import App
from bot.core.messages import Reply
from bot.transport.memory import MemoryTransport


class RecordingTransport(MemoryTransport):
    """Keeps each reply with the (fake) time it was said at; ``fail`` makes chosen rooms fail to send."""

    def __init__(self, bot_name: str, clock, **kwargs) -> None:
        super().__init__(bot_name, clock=clock, **kwargs)
        self.times: list[datetime] = []
        self.fail: set[str] = set()

    async def say(self, reply: Reply) -> None:
        if reply.room_id in self.fail:
            raise ConnectionError(f"cannot reach {reply.room_id}")
        self.sent.append(reply)
        self.times.append(self.clock())


class VirtualTime:
    """``sleep`` for a fake clock: sleepers wake in the order of their wake-up times, the clock jumping to each.

    Each call lets the other tasks run (so those sleeping "at the same time" all line up),
    then wakes the earliest sleeper, moving the clock to its time; nothing really waits.
    """

    def __init__(self, clock) -> None:
        self.clock = clock
        self._sleepers: list = []
        self._order = itertools.count()

    async def sleep(self, seconds: float) -> None:
        wake = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.clock() + timedelta(seconds=seconds), next(self._order), wake))
        for _ in range(5):
            await asyncio.sleep(0)
        when, _, earliest = heapq.heappop(self._sleepers)
        if when > self.clock():
            self.clock.current = when
        earliest.set_result(None)
        await wake


def fake_sleep(clock):
    return VirtualTime(clock).sleep


async def make_app(settings, clock, *, paced: bool = True, **changes) -> tuple[App, RecordingTransport]:
    """A started bot on the memory transport, paced like the real one unless told otherwise."""
    settings = replace(settings, **changes) if changes else settings
    transport = RecordingTransport(settings.bot_name, clock, admins=settings.admin_ids)
    app = App(settings, transport, clock=clock, sleep=fake_sleep(clock), paced=paced)
    await app.start()
    await transport.run(app)
    return app, transport


class FakeSchedulerTime:
    """Stands in for ``datetime`` inside APScheduler's modules, so the scheduler reads the fake clock."""

    def __init__(self, clock) -> None:
        self.clock = clock

    def now(self, tz=None):
        now = self.clock()
        return now.astimezone(tz) if tz is not None else now.replace(tzinfo=None)


def drive_scheduler_with(monkeypatch, clock) -> None:
    fake = FakeSchedulerTime(clock)
    monkeypatch.setattr("apscheduler.schedulers.base.datetime", fake)
    monkeypatch.setattr("apscheduler.executors.base.datetime", fake)
