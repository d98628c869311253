"""Reply latency through the Wechaty puppet service: louzu against the minimal ding-dong bot.

Each bot runs as its own process on a gateway of its own (the Node.js puppet service over the
mock puppet, tests/e2e/harness), both at once.  Messages go one at a time, taking turns
between the cases (ding-dong, a louzu read, a louzu write; the order turns round every round),
so that whatever else the machine is doing weighs on all of them alike.  Each message waits
``pause`` first, so that it finds its bot idle, done with the previous message's tail (the
gateway's echo of the bot's own answer).  A message's latency is from the resident's say (as
the harness is told) to the bot's answer arriving back at the harness.  Printed: p50/p90/p99 of

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
PAUSE = 0.02  # seconds before each message: the bots are idle when it comes, as in a real group


def world(residents: int) -> dict:
    people = [{"id": f"u{i:03d}", "name": f"居民{i:03d}"} for i in range(residents)]
    return {"bot": {"id": "bot-louzu", "name": "楼组小助手"},
            "contacts": [{"id": ADMIN, "name": "王主任"}, *people],
            "rooms": [{"id": ROOM, "topic": "1号楼", "memberIdList": [ADMIN, *(p["id"] for p in people)]}]}


async def answer_time(h: WechatyHarness, who: str, text: str, expect: str) -> float:
    """Seconds from ``who`` saying ``text`` to the bot's answer, which must contain ``expect``."""
    started = time.perf_counter()
    await h.say(who, ROOM, text)
    reply = await h.next_message(timeout=30)
    took = time.perf_counter() - started
    if expect not in (reply.get("text") or ""):
        raise RuntimeError(f"unexpected answer to {text!r}: {reply.get('text')!r}")
    return took


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
    # Past its first three a day, a resident's #打卡 捡垃圾 waits for a leader: the cap on waiting claims
    # is lifted, so that every write measured is a claim written.
    bot = LouzuProcess(louzu_env(h.bot_env(), workdir / "data", ADMIN, LOUZU_LOG_LEVEL="WARNING",
                                 LOUZU_PENDING_CLAIMS_PER_PERSON="1000"), workdir)
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


async def run(count: int, warmup: int, residents: int, pause: float = PAUSE) -> dict[str, list[float]]:
    with tempfile.TemporaryDirectory(prefix="louzu-bench-") as tmp:
        workdir = Path(tmp)
        # Both plain: python-wechaty on its own speaks only plain gRPC, and TLS on one side only would
        # make the two figures unlike.
        gateways = [WechatyHarness(stderr=open(workdir / f"harness-{name}.log", "wb"), tls=False)
                    for name in ("dd", "lz")]
        try:
            for h in gateways:
                await h.start(world(residents))
            plain, ours = gateways
            async with dingdong(plain, workdir / "dingdong"), louzu(ours, workdir / "louzu"):
                cases = [("ding-dong", plain, "ding", "dong"),
                         ("louzu #我的积分", ours, "#我的积分", "你的爱心积分"),
                         ("louzu #打卡 捡垃圾", ours, "#打卡 捡垃圾", "C")]
                results: dict[str, list[float]] = {name: [] for name, *_ in cases}
                for i in range(warmup + count):
                    who = f"u{i % residents:03d}"
                    turn = i % len(cases)
                    for name, h, text, expect in cases[turn:] + cases[:turn]:
                        await asyncio.sleep(pause)
                        took = await answer_time(h, who, text, expect)
                        if i >= warmup:
                            results[name].append(took)
                return results
        finally:
            for h in gateways:
                await h.stop()
                if h.stderr is not None:
                    h.stderr.close()


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
    parser.add_argument("--pause", type=float, default=PAUSE * 1000, help="ms before each message (default 20)")
    args = parser.parse_args(argv)
    results = asyncio.run(run(args.messages, args.warmup, args.residents, args.pause / 1000))
    print(table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
