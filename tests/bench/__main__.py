"""`python -m tests.bench` (or `make bench`), in one run:

1. ``latency``: reply latency through the puppet service, louzu against the ding-dong bot (latency.py);
2. ``outbox``: a resident's ``#我的积分`` while a 500-group broadcast drains through the
   outbox, against idle, in-process on a slow in-memory transport (outbox_bench.py);
3. ``broadcast``: the same through the puppet service, the real bot process with 500
   groups in the gateway (outbox_bench.py --harness);
4. ``parse``: what one long message costs, at 1k, 10k and 100k characters, against a
   short one (parse_bench.py);
5. ``street``: the Monday ranking, the honour list, #我的积分 and #排行 on a generated street of 600
   buildings and 1.98 million ledger lines, on SQLite and PostgreSQL (street.py), then ``pipeline``:
   a street's figures are all of issue 17's targets;
6. ``pipeline``: mixed resident messages per second through the whole bot, in-process, on SQLite
   and on PostgreSQL one after another and 32 in flight (pipeline.py);
7. ``accounts``: a paced broadcast through 1 account vs 3 (one bot each, one PostgreSQL
   database; accounts_bench.py); needs LOUZU_TEST_POSTGRES_URL or --database-url;
8. ``web``: each page of the committee's web desk at 600 buildings and 2 million ledger
   lines, beside the 300 ms target (web_bench.py; the database is cached in ~/.cache/louzu-bench/).

``--only PART`` (repeatable) runs some of them; ``make bench BENCH_ARGS="--only broadcast"``.
"""

from __future__ import annotations

import argparse
import asyncio

from tests.bench import accounts_bench, latency, outbox_bench, parse_bench, pipeline, street, web_bench

PARTS = ("latency", "outbox", "broadcast", "parse", "street", "pipeline", "accounts", "web")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", choices=PARTS, help="run only this part (repeatable)")
    parser.add_argument("--messages", type=int, default=300, help="latency: measured messages per case (default 300)")
    parser.add_argument("--warmup", type=int, default=30, help="latency: messages before measuring (default 30)")
    parser.add_argument("--residents", type=int, default=20, help="latency: residents taking turns (default 20)")
    parser.add_argument("--pause", type=float, default=latency.PAUSE * 1000,
                        help="latency: ms before each message, so that it finds the bots idle (default 20)")
    parser.add_argument("--repeat", type=int, default=30, help="parse: messages measured per size (default 30)")
    outbox_bench.add_arguments(parser)
    street.add_arguments(parser)
    pipeline.add_arguments(parser)
    accounts_bench.add_arguments(parser)
    web_bench.add_arguments(parser)
    args = parser.parse_args(argv)
    parts = args.only or PARTS
    if "latency" in parts:
        print(latency.table(asyncio.run(latency.run(args.messages, args.warmup, args.residents, args.pause / 1000))), flush=True)
    if "outbox" in parts:
        print(flush=True)
        asyncio.run(outbox_bench.run(args))
    if "broadcast" in parts:
        print(flush=True)
        asyncio.run(outbox_bench.run_through_harness(args))
    if "parse" in parts:
        print(flush=True)
        print(parse_bench.table(asyncio.run(parse_bench.run(args.repeat))), flush=True)
    if "street" in parts:
        print(flush=True)
        street.run(args.seed, args.postgres or None)
    if "pipeline" in parts or "street" in parts:
        print(flush=True)
        pipeline.run(args.pipeline_messages, args.postgres or None)
    if "accounts" in parts:
        print(flush=True)
        asyncio.run(accounts_bench.run(args))
    if "web" in parts:
        print(flush=True)
        web_bench.run(args)
    return 0


raise SystemExit(main())
