"""A warm start for each mutant's test run: the modules are imported once, each run is a fork.

A new Python spends about two seconds importing pytest, SQLAlchemy, Alembic and our own modules
again, and mutmut starts over a thousand runs. This server imports once, of the modules the
coverage run saw: the standard library's, the libraries in PRELOAD, and those of our modules
that load no mutated module (load_once()), and forks a child for each run. A child imports
the mutated module, and every one of ours that uses it, from the files as mutmut has just
changed them, so each run sees its mutant. Not python-wechaty: bot/transport/wechaty_compat.py
must come before it, and a run that needs it imports both.
run_tests.py is the client. A run is killed when its client goes away (mutmut's own timeout,
ten times the whole suite) or when it takes longer than the budget it came with: a mutant
that makes the tests hang is caught in a minute or two instead of several.
"""

from __future__ import annotations

import ast
import importlib
import json
import os
import select
import signal
import socket
import sys
import time
import warnings
from pathlib import Path


# Libraries whose import only loads them (top-level names), besides the standard library.
# Not python-wechaty nor what it brings (see above).
PRELOAD = {"_pytest", "pytest", "pluggy", "iniconfig", "packaging", "pytest_asyncio", "hypothesis", "sortedcontainers",
           "attr", "attrs", "sqlalchemy", "greenlet", "alembic", "mako", "markupsafe", "aiosqlite", "asyncpg", "psycopg",
           "apscheduler", "tzlocal", "dotenv", "PIL", "openpyxl", "et_xmlfile", "lxml", "typing_extensions",
           # the parser's Chinese numerals and characters, the web desk, the command line
           "cn2an", "proces", "opencc", "starlette", "anyio", "sniffio", "idna", "jinja2", "itsdangerous",
           "python_multipart", "argon2", "_argon2_cffi_bindings", "_cffi_backend", "httpx", "httpcore", "h11",
           "certifi", "click", "rich", "pygments", "trio", "outcome"}


def preload(names: list[str], mutated: list[str]) -> None:
    """Import ``names`` (the modules the coverage run loaded, in its order): the libraries in PRELOAD and the
    standard library's, and those of our modules that load_once() allows."""
    ours = load_once(mutated)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in names:
            top = name.split(".")[0]
            if top in PACKAGES and name not in ours or top not in PACKAGES | PRELOAD and top not in sys.stdlib_module_names:
                continue
            try:
                importlib.import_module(name)
            except Exception:  # an optional part that does not import here: the run imports what it needs
                pass
    loaded = sorted({_module_name(Path(p)) for p in mutated} & set(sys.modules))
    if loaded:  # (a module that imports one inside a function it runs when loaded): every run would test the original
        raise SystemExit(f"server: preloading loaded the mutated {', '.join(loaded)}")


PACKAGES = {"bot", "storage", "handlers", "schedules"}  # ours


def _module_name(path: Path) -> str:
    parts = path.with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(tree: ast.Module, name: str, is_package: bool) -> set[str]:
    """The modules a module imports, when it loads or inside its functions (which it may call as it loads), with
    their packages: ``import a.b`` and ``from a.b import c`` load a, a.b and maybe a.b.c."""
    found: set[str] = set()
    todo: list[ast.AST] = list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = name.split(".") if is_package else name.split(".")[:-1]
                base = ".".join(package[:len(package) - node.level + 1] + ([base] if base else []))
            targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            todo.extend(ast.iter_child_nodes(node))
            continue
        for target in targets:
            parts = target.split(".")
            found.update(".".join(parts[:n]) for n in range(1, len(parts) + 1))
    name_parts = name.split(".")
    found.update(".".join(name_parts[:n]) for n in range(1, len(name_parts)))  # its packages load first
    found.discard(name)
    return found


def load_once(mutated: list[str]) -> set[str]:
    """Our modules that can be loaded once for all the runs: those that import no mutated module (a mutant
    lives only in a module each run loads afresh) and no library outside PRELOAD, however indirectly."""
    imports: dict[str, set[str]] = {}
    for package in PACKAGES:
        for path in sorted(Path(package).rglob("*.py")):
            name = _module_name(path)
            imports[name] = _imports(ast.parse(path.read_text(encoding="utf-8")), name, path.name == "__init__.py")
    unfit = {_module_name(Path(p)) for p in mutated} | {
        name for name, uses in imports.items()
        if any(n.split(".")[0] not in PACKAGES | PRELOAD and n.split(".")[0] not in sys.stdlib_module_names
               for n in uses)}
    while True:
        more = unfit | {name for name, uses in imports.items() if uses & unfit}
        if more == unfit:
            return set(imports) - unfit
        unfit = more


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
    # A run must not leave bytecode of its mutant: Python tells a stale .pyc by its source's size and whole-second
    # time, which two mutants of one file written within a second can share (the next run would test the first).
    sys.dont_write_bytecode = True
    socket_path, preload_list, log_path, mutated_paths = sys.argv[1:5]
    with open(preload_list, encoding="utf-8") as f:
        preload(json.load(f), mutated_paths.split(","))
    serve(socket_path, log_path)
