"""A warm start for each mutant's test run: the libraries are imported once, each run is a fork.

A new Python spends about a second importing pytest, SQLAlchemy and Alembic again, and mutmut
starts some 700 runs. This server imports those libraries once (of the modules the coverage run
saw, the standard library and PRELOAD) and forks a child for each run. It never imports our own
modules: a child imports them from the files as mutmut has just changed them, so each run sees
its mutant. Nor python-wechaty: bot/transport/wechaty_compat.py must come before it.
run_tests.py is the client. A run is killed when its client goes away (mutmut's own timeout,
ten times the whole suite) or when it takes longer than the budget it came with: a mutant
that makes the tests hang is caught in a minute or two instead of several.
"""

from __future__ import annotations

import importlib
import json
import os
import select
import signal
import socket
import sys
import time
import warnings


# Libraries whose import only loads them (top-level names), besides the standard library.
PRELOAD = {"_pytest", "pytest", "pluggy", "iniconfig", "packaging", "pytest_asyncio", "hypothesis", "sortedcontainers",
           "attr", "sqlalchemy", "greenlet", "alembic", "mako", "markupsafe", "aiosqlite", "asyncpg", "psycopg",
           "apscheduler", "tzlocal", "dotenv", "PIL", "openpyxl", "et_xmlfile", "typing_extensions"}


def preload(names: list[str]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in names:
            top = name.split(".")[0]
            if top not in PRELOAD and top not in sys.stdlib_module_names:
                continue
            try:
                importlib.import_module(name)
            except Exception:  # an optional part that does not import here: the run imports what it needs
                pass


def run_child(args: list[str]) -> None:
    """In the fork: the tests, then exit with run_tests's code."""
    from tests.mutation.run_tests import run

    os.setpgid(0, 0)  # its own group, so that a timeout kills whatever it started too
    try:
        code = run(args)
    except BaseException:  # not the tests failing but the run itself: never counted as a kill
        import traceback

        traceback.print_exc()
        code = 3
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def wait(pid: int, client: socket.socket, budget: float | None) -> int:
    """The child's exit code; kills the child if the client hangs up first or its time is up (then 1)."""
    poller = select.poll()
    child = os.pidfd_open(pid)
    deadline = time.monotonic() + budget if budget else None
    try:
        poller.register(child, select.POLLIN)
        poller.register(client, select.POLLIN | select.POLLHUP)
        while True:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready = dict(poller.poll(None if left is None else int(left * 1000) + 1))
            if child in ready:
                break
            if (client.fileno() in ready and not client.recv(1, socket.MSG_PEEK)) or (
                    deadline is not None and time.monotonic() >= deadline):
                os.killpg(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                print(f"run stopped after {budget:.0f} s: the mutant made the tests hang", flush=True)
                return 1
        _, status = os.waitpid(pid, 0)
        return os.waitstatus_to_exitcode(status)
    finally:
        os.close(child)


def serve(path: str, log: str) -> None:
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(1)
    print("ready", flush=True)
    with open(log, "a", encoding="utf-8") as f:  # the runs' output, from here on
        os.dup2(f.fileno(), 1)
        os.dup2(f.fileno(), 2)
    while True:
        client, _ = listener.accept()
        with client:
            request = json.loads(client.makefile("r", encoding="utf-8").readline())
            if request.get("stop"):
                return
            pid = os.fork()
            if pid == 0:
                listener.close()
                client.close()
                run_child(request["args"])
            code = wait(pid, client, request.get("budget"))
            try:
                client.sendall(f"{code if code in (0, 1) else 3}\n".encode())
            except OSError:
                pass  # the client is gone


if __name__ == "__main__":
    socket_path, preload_list, log_path = sys.argv[1:4]
    with open(preload_list, encoding="utf-8") as f:
        preload(json.load(f))
    serve(socket_path, log_path)
