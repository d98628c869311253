"""Reply latency through the Wechaty puppet service: louzu against the minimal ding-dong bot.

One run, one harness (the Node.js gateway over the mock puppet, tests/e2e/harness): each
bot is started as its own process, warmed up, then sent messages one at a time; a
message's latency is from the resident's say (as the harness is told) to the bot's answer
arriving back at the harness.  Printed: p50/p90/p99 of

* ding-dong: tests/bench/dingdong.py answering "ding" (python-wechaty and nothing else);
* louzu ``#我的积分`` (a read) and ``#打卡 捡垃圾`` (a write: three a day per person are
  approved at once, after that they are pending claims; the residents take turns),

and louzu's ratios to ding-dong.  Targets: read ≤ 1.5x ding-dong at p50, write ≤ 3x.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import unicodedata
from contextlib import asynccontextmanager
from pathlib import Path

from tests.e2e.harness import WechatyHarness
from tests.e2e.louzu import REPO_ROOT, LouzuProcess, louzu_env

ROOM = "bench@chatroom"
ADMIN = "u-admin"
TARGETS = {"#我的积分": 1.5, "#打卡 捡垃圾": 3.0}


def world(residents: int) -> dict:
    people = [{"id": f"u{i:03d}", "name": f"居民{i:03d}"} for i in range(residents)]
    return {"bot": {"id": "bot-louzu", "name": "楼组小助手"},
            "contacts": [{"id": ADMIN, "name": "王主任"}, *people],
            "rooms": [{"id": ROOM, "topic": "1号楼", "memberIdList": [ADMIN, *(p["id"] for p in people)]}]}


async def measure(h: WechatyHarness, text: str, count: int, residents: int, expect: str | None = None) -> list[float]:
    """Seconds from each say to the bot's answer; ``count`` messages, one at a time, residents in turn."""
    latencies = []
    for i in range(count):
        who = f"u{i % residents:03d}"
        started = time.perf_counter()
        await h.say(who, ROOM, text)
        reply = await h.next_message(timeout=30)
        latencies.append(time.perf_counter() - started)
        if expect is not None and expect not in (reply.get("text") or ""):
            raise RuntimeError(f"unexpected answer to {text!r}: {reply.get('text')!r}")
    return latencies


@asynccontextmanager
async def dingdong(h: WechatyHarness, workdir: Path):
    env = h.bot_env()
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env["CACHE_DIR"] = str(workdir / "dingdong-cache")
    workdir.mkdir(parents=True, exist_ok=True)
    with open(workdir / "dingdong.log", "wb") as log:
        proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "tests.bench.dingdong", cwd=str(workdir),
                                                    env=env, stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log)
    try:
        await h.wait_connected(timeout=30)
        yield proc
    finally:
        proc.terminate()
        await proc.wait()


@asynccontextmanager
async def louzu(h: WechatyHarness, workdir: Path):
    bot = LouzuProcess(louzu_env(h.bot_env(), workdir / "data", ADMIN, LOUZU_LOG_LEVEL="WARNING"), workdir)
    await bot.start()
    try:
        await h.wait_connected(timeout=30)
        # The login is logged at INFO, which this run leaves out: a first answer shows it is in.
        await h.say(ADMIN, ROOM, "#绑定 1号楼")
        await h.next_message(timeout=30)
        yield bot
    finally:
        await bot.stop()


def percentiles(values: list[float]) -> tuple[float, float, float]:
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[49], cuts[89], cuts[98]


async def run(count: int, warmup: int, residents: int) -> dict[str, list[float]]:
    results: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="louzu-bench-") as tmp:
        workdir = Path(tmp)
        h = WechatyHarness(stderr=open(workdir / "harness.log", "wb"))
        await h.start(world(residents))
        try:
            async with dingdong(h, workdir / "dingdong"):
                await measure(h, "ding", warmup, residents)
                results["ding-dong"] = await measure(h, "ding", count, residents, expect="dong")
            async with louzu(h, workdir / "louzu"):
                for text in TARGETS:
                    await measure(h, text, warmup, residents)
                results["louzu #我的积分"] = await measure(h, "#我的积分", count, residents, expect="你的爱心积分")
                results["louzu #打卡 捡垃圾"] = await measure(h, "#打卡 捡垃圾", count, residents, expect="C")
        finally:
            await h.stop()
            h.stderr.close()
    return results


def table(results: dict[str, list[float]]) -> str:
    base = statistics.median(results["ding-dong"])
    lines = [f"{pad('', 22)} {'n':>5} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'p50 / ding-dong':>16}"]
    for name, values in results.items():
        p50, p90, p99 = percentiles(values)
        ratio = target = ""
        for text, most in TARGETS.items():
            if name.endswith(text):
                ratio = f"{p50 / base:.2f}x"
                target = f"  target ≤ {most:g}x: {'met' if p50 / base <= most else 'MISSED'}"
        lines.append(f"{pad(name, 22)} {len(values):5d} {p50 * 1000:8.1f} {p90 * 1000:8.1f} {p99 * 1000:8.1f} "
                     f"{ratio:>16}{target}")
    return "\n".join(lines)


def pad(text: str, width: int) -> str:
    """``text`` left-aligned in ``width`` terminal columns (a Chinese character takes two)."""
    columns = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(0, width - columns)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=300, help="measured messages per case (default 300)")
    parser.add_argument("--warmup", type=int, default=30, help="messages before measuring (default 30)")
    parser.add_argument("--residents", type=int, default=20, help="residents taking turns (default 20)")
    args = parser.parse_args(argv)
    results = asyncio.run(run(args.messages, args.warmup, args.residents))
    print(table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
