"""What mutmut runs for each mutant: the SQLite half of the tests it was given (all of them if none).

pytest stops at the first failure. Any failure kills the mutant, an import error too: mutmut 2
itself counts only pytest's exit code 1 as a failure, so a mutant that breaks collection (exit
code 2) would pass as a survivor. With LOUZU_MUTATION_SERVER set (by `make mutate`), the run is
handed to server.py, which starts it warm; without it, it runs here.
"""

from __future__ import annotations

import json
import os
import socket
import sys
from pathlib import Path

SQLITE_HALF = ["-k", "not postgres", "--ignore=tests/e2e", "--ignore=tests/bench"]
# Only pass or fail matters here: no cache, no coverage, no assertion rewriting (it costs each run a second).
FAST = ["-x", "-q", "-p", "no:cacheprovider", "-p", "no:cov", "--assert=plain", *SQLITE_HALF]


class _Killer:
    """Writes down the test that failed (with -x, the only one): mutmut_config.py tries it first next time."""

    def __init__(self, path: str) -> None:
        self.path = path

    def pytest_runtest_logreport(self, report) -> None:
        if report.failed:
            with open(self.path, "w", encoding="utf-8") as f:
                f.write(report.nodeid)


def run(args: list[str]) -> int:
    """0 when the tests pass (the mutant survived), 1 when anything failed."""
    import pytest

    os.environ.pop("LOUZU_TEST_POSTGRES_URL", None)  # the SQLite half only
    os.environ.pop("CI", None)
    killer = os.environ.get("LOUZU_MUTATION_KILLER")
    code = pytest.main([*FAST, *(args or ["tests"])], plugins=[_Killer(killer)] if killer else [])
    return 0 if code in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED) else 1


def through_server(path: str, args: list[str], budget: float | None) -> int:
    """The run, started by server.py; its answer is the run's exit code (3: the server failed)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.connect(path)
        server.sendall(json.dumps({"args": args, "budget": budget}).encode() + b"\n")
        answer = server.makefile("r", encoding="ascii").readline().strip()
    return int(answer) if answer in ("0", "1") else 3


def main(argv: list[str]) -> int:
    args, budget = argv, None
    if args and args[0].startswith("--budget="):  # seconds the server gives the run (mutmut_config.py)
        budget, args = float(args[0].partition("=")[2]), args[1:]
    if args and args[0].startswith("--from="):  # the tests, one a line, in a file: too many for a command line
        args = Path(args[0].partition("=")[2]).read_text(encoding="utf-8").split("\n")
    server = os.environ.get("LOUZU_MUTATION_SERVER")
    if not server:
        return run(args)
    try:
        return through_server(server, args, budget)
    except OSError as error:  # no server: say so, and count it as survived (never as a kill nobody made)
        print(f"run_tests: the test server at {server} did not answer: {error}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
