"""Benchmark (not a test): what one long message costs the bot, at 1k, 10k and 100k characters.

    .venv/bin/python -m tests.bench.parse_bench [--repeat 30]

The whole bot in-process (memory transport, SQLite in a temporary folder), messages
one after another. Each long message is the worst case found: ``#报修 `` + half the
characters + ``@楼组小助手`` + the other half (the bot's tag inside the text). Such a
report is refused for its length (500 characters at most), so what is measured is
reading the message: the cap, the parse, the text as typed, one transaction. The
baseline, measured in the same run, is a short ``#我的积分``. Prints the median and
p90 per message and the median's ratio to the baseline's.

Before the cap and the linear parse, 16k characters took 3.1 s and 32k 12.8 s, and
no group was answered meanwhile.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from bot.app import App
from bot.core.settings import Settings
from bot.transport.memory import MemoryTransport

SIZES = (1_000, 10_000, 100_000)
RESIDENTS = 20


def long_report(size: int) -> str:
    half = size // 2
    return "#报修 " + "楼" * half + "@楼组小助手" + "道" * (size - half)


async def timed(app: App, lines: list[str]) -> list[float]:
    """Seconds each line takes, from the message to its reply sent."""
    times = []
    for line in lines:
        message = app.transport.parse(line)
        before = time.perf_counter()
        await app.on_message(message)
        times.append(time.perf_counter() - before)
    return times


async def run(repeat: int) -> dict[str, list[float]]:
    folder = Path(tempfile.mkdtemp(prefix="louzu-parse-bench-"))
    # The per-person limit would silence residents sending this many: lifted for the measure.
    settings = Settings(data_dir=folder, admin_ids=frozenset({"王主任"}), commands_per_minute=100_000)
    transport = MemoryTransport(settings.bot_name, admins=settings.admin_ids)
    app = App(settings, transport)
    await app.start()
    await transport.run(app)
    results: dict[str, list[float]] = {}
    try:
        await timed(app, ["[12号楼群] 王主任: #绑定 12号楼"])
        people = [f"居民{n:02d}" for n in range(RESIDENTS)]
        await timed(app, [f"[12号楼群] {who}: #我的积分" for who in people])  # warm-up, every resident known
        cases = [("#我的积分 (baseline)", "#我的积分")] + [(f"{size:,} characters", long_report(size)) for size in SIZES]
        for label, text in cases:
            results[label] = await timed(app, [f"[12号楼群] {people[n % RESIDENTS]}: {text}" for n in range(repeat)])
        # Every long one was answered with a refusal: read, not stored.
        assert all("描述太长了" in r.text for r in transport.sent[-repeat:]), transport.sent[-1].text
    finally:
        await app.close()
    return results


def table(results: dict[str, list[float]]) -> str:
    baseline = statistics.median(next(iter(results.values())))
    lines = ["louzu per-message cost (in-process, SQLite; #报修 with the bot's tag in the middle, refused for length)",
             f"  {'message':<22} {'median ms':>10} {'p90 ms':>8} {'× baseline':>11}"]
    for label, values in results.items():
        ordered = sorted(values)
        p90 = ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))]
        median = statistics.median(values)
        lines.append(f"  {label:<22} {median * 1000:10.2f} {p90 * 1000:8.2f} {median / baseline:10.1f}×")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.parse_bench", description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30, help="messages measured per size (default 30)")
    args = parser.parse_args(argv)
    print(table(asyncio.run(run(args.repeat))), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
