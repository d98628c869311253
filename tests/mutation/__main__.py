"""`make mutate`: mutmut over the money and permission paths, in a copy of the work tree under mutants/.

1. The work tree as it is (tracked files and new ones, not ignored ones) is copied to mutants/;
   mutmut changes files in place, so it works there and never on the files being edited.
2. The SQLite half of the tests runs once under coverage there: which tests run each line, how
   long each takes (mutmut_config.py picks each mutant's tests from that) and which modules
   they import (server.py imports those it can once and forks each test run from there).
3. `mutmut run` there, with the settings in pyproject.toml's [tool.mutmut].
4. The score (score.py): mutants listed in equivalent.txt are left out.

The tests that killed each function's mutants (mutmut_config.py tries them first) are kept in
killers.json beside this file: a run starts from them and writes them back, so commit it with
the tests: a fresh copy then tries first the test most likely to kill each mutant.

With --again (`make mutate AGAIN=1`), mutants/ is kept and the work tree copied over it: mutmut then
runs again only what was not killed last time (it keeps its results in mutants/.mutmut-cache), with
the tests and equivalent.txt as they are now. Other arguments are passed on to score.py (e.g.
--fail-under 95).
"""

from __future__ import annotations

import ast
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

from tests.mutation import score
from tests.mutation.run_tests import SQLITE_HALF

ROOT = Path(__file__).resolve().parents[2]
WORK = ROOT / "mutants"
KILLERS = Path(__file__).with_name("killers.json")  # mutmut_config.py's .mutation-killers.json, kept


def paths_to_mutate() -> list[str]:
    try:
        import tomllib
    except ImportError:  # Python 3.10: mutmut 2 brings the toml package
        import toml as tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mutmut"]
    return [p.strip() for p in config["paths_to_mutate"].split(",") if p.strip()]


def copy_work_tree(again: bool = False) -> None:
    """The work tree into mutants/: afresh, or (``again``) over the last run's copy and its results."""
    if WORK.exists() and not (again and (WORK / ".mutmut-cache").exists()):
        shutil.rmtree(WORK)
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            check=True, capture_output=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():  # a file deleted but not yet committed is listed too
            (WORK / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, WORK / name)
    shutil.copy2(Path(__file__).with_name("mutmut_config.py"), WORK / "mutmut_config.py")


def _lines(node: ast.AST) -> range:
    return range(node.lineno, (node.end_lineno or node.lineno) + 1)


def _attributes(node: ast.AST) -> set[str]:
    """The names read as attributes (``queries.f``: f)."""
    return {n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)}


def _body_lines(function: ast.AST) -> set[int]:
    return {n for statement in function.body for n in _lines(statement)}


def _names(node: ast.AST, context: type) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, context)}


def witnesses(tree: ast.Module) -> dict[int, set[int]]:
    """For each line, the lines whose tests stand for it: those that run its statement.

    A statement in a function: its own lines (all of them: coverage sees a long statement on
    some of its lines only). What runs only at import stands for where it is used: a decorator
    or a def line for the function's body, a class attribute for the class's methods, a
    module-level name for the functions that use it (through other module-level names too). A
    function whose results are cached (functools.cache, lru_cache) runs its body once per process
    and argument, in whichever test came first: its lines stand also for the functions that call it.
    """
    found: dict[int, set[int]] = {}
    functions = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    for function in functions:
        first = min([d.lineno for d in function.decorator_list] + [function.lineno])
        for n in range(first, function.body[0].lineno):
            found[n] = _body_lines(function)
        for node in ast.walk(function):
            if isinstance(node, ast.stmt) and node is not function:
                body = getattr(node, "body", None)
                if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
                    span = range(node.lineno, body[0].lineno)  # a compound statement's header
                else:
                    span = _lines(node)
                for n in span:
                    found.setdefault(n, set()).update(span)
    for klass in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
        methods = set().union(*(_body_lines(f) for f in klass.body
                                if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))), set())
        for statement in klass.body:
            if not isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for n in _lines(statement):
                    found[n] = methods
    for cached in (f for f in functions if any("cache" in ast.unparse(d) for d in f.decorator_list)):
        callers = set().union(*(_body_lines(f) for f in functions
                                if f is not cached and cached.name in _names(f, ast.Load) | _attributes(f)), set())
        for n in {*_lines(cached), *(n for d in cached.decorator_list for n in _lines(d))}:
            found[n] = found.get(n, set()) | callers
    module_level = [n for n in tree.body if not isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
    for statement in module_level:
        names = _names(statement, ast.Store)
        while True:  # the names it binds, and those of module-level statements built from them
            more = set().union(*(_names(other, ast.Store) for other in module_level
                                 if _names(other, ast.Load) & names), names)
            if more == names:
                break
            names = more
        users = set().union(*(_body_lines(f) for f in functions if _names(f, ast.Load) & names), set())
        for n in _lines(statement):
            found[n] = users
    return found


def decorator_lines(tree: ast.Module) -> set[int]:
    return {n for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            for d in f.decorator_list for n in _lines(d)}


def learn_which_tests(env: dict[str, str]) -> None:
    """The coverage run: writes .mutation-tests.json (tests by file and line, quickest first)."""
    from coverage import CoverageData

    targets = paths_to_mutate()
    (WORK / ".mutation-coveragerc").write_text("[run]\ninclude =\n" + "".join(f"    {p}\n" for p in targets),
                                               encoding="utf-8")
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *SQLITE_HALF,
                    "-p", "tests.mutation.timing", "--cov",
                    "--cov-config=.mutation-coveragerc", "--cov-context=test", "--cov-report=", "tests"],
                   cwd=WORK, env={**env, "LOUZU_MUTATION_TIMINGS": ".mutation-timings.json",
                                  "LOUZU_MUTATION_PRELOAD": ".mutation-preload.json"}, check=True)
    # The tests passed, and how long they take is known: mutmut need not run them all again first.
    subprocess.run([sys.executable, "-c", "import sys; from mutmut.cache import hash_of_tests, set_cached_test_time; "
                    "set_cached_test_time(float(sys.argv[1]), hash_of_tests(['tests/']))",
                    str(time.monotonic() - started)], cwd=WORK, env=env, check=True)
    took = json.loads((WORK / ".mutation-timings.json").read_text(encoding="utf-8"))
    data = CoverageData(basename=str(WORK / ".coverage"))
    data.read()
    lines: dict[str, dict[str, list[str]]] = {}
    files: dict[str, list[str]] = {}
    for target in targets:
        by_line = defaultdict(set)
        for number, contexts in (data.contexts_by_lineno(str(WORK / target)) or {}).items():
            by_line[number].update(c.rpartition("|")[0] for c in contexts if "|" in c)
        quickest = lambda tests: sorted(tests, key=lambda t: (took.get(t, 0.0), t))
        tree = ast.parse((WORK / target).read_text(encoding="utf-8"))
        lines[target] = {}
        for number, others in witnesses(tree).items():
            tests = set().union(*(by_line[n] for n in others), set())
            if tests:  # else every test that runs the module (mutmut_config.py)
                lines[target][str(number)] = quickest(tests)
        # A decorator (a command's keyword, who may use it, whether #帮助 shows it) is read by what reads the table
        # of commands: its function's tests first, then all the others.
        everything = quickest(set(took))
        for number in decorator_lines(tree):
            first = lines[target].get(str(number), [])
            lines[target][str(number)] = first + [t for t in everything if t not in set(first)]
        files[target] = quickest(set().union(*by_line.values()))
    (WORK / ".mutation-tests.json").write_text(json.dumps({"lines": lines, "files": files}), encoding="utf-8")


@contextlib.contextmanager
def warm_server(env: dict[str, str]):
    """server.py, running in mutants/ while mutmut does: LOUZU_MUTATION_SERVER in ``env`` names its socket."""
    path = WORK / ".mutation-server.sock"
    path.unlink(missing_ok=True)  # left by a run that was cut short (AGAIN keeps mutants/)
    log = WORK / ".mutation-server.log"
    with open(log, "w", encoding="utf-8") as errors:
        server = subprocess.Popen([sys.executable, "-m", "tests.mutation.server", str(path), ".mutation-preload.json",
                                   str(log), ",".join(paths_to_mutate())], cwd=WORK, stdout=subprocess.PIPE, stderr=errors, text=True,
                                  env={**env, "LOUZU_MUTATION_KILLER": str(WORK / ".mutation-killer")},
                                  start_new_session=True)
        try:
            if server.stdout is None or server.stdout.readline().strip() != "ready":
                raise RuntimeError(f"the test server did not start: see {log}")
            yield {**env, "LOUZU_MUTATION_SERVER": str(path)}
            if server.poll() is not None:
                raise RuntimeError(f"the test server stopped during the run: see {log}")
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait()


def run_mutmut(env: dict[str, str]) -> int:
    """`mutmut run` in mutants/; interrupted, it stops whole and leaves no file changed."""
    # mutmut ignores a mutmut_config.py that fails to import (and so would run every test for each mutant).
    subprocess.run([sys.executable, "-c", "import mutmut, sys; sys.exit(mutmut.mutmut_config is None)"],
                   cwd=WORK, env=env, check=True)
    mutmut = subprocess.Popen([sys.executable, "-m", "mutmut", "run", "--simple-output", "--no-progress"],
                              cwd=WORK, env=env, start_new_session=True)
    try:
        return mutmut.wait()
    finally:
        if mutmut.poll() is None:
            os.killpg(mutmut.pid, signal.SIGTERM)
            mutmut.wait()
        for backup in WORK.rglob("*.py.bak"):  # mutmut's copy of a file it was changing
            backup.replace(backup.with_suffix(""))


def main(argv: list[str]) -> int:
    # Stopped (Ctrl-C, or a TERM to `make mutate`): stop mutmut and its server and put mutmut's file back, as below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.monotonic()
    again = "--again" in argv
    argv = [a for a in argv if a != "--again"]
    env = {k: v for k, v in os.environ.items() if k not in ("LOUZU_TEST_POSTGRES_URL", "CI", "DATABASE_URL")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"  # mutmut runs `python`
    # One migrated SQLite file for all the runs (tests/conftest.py), made afresh: the migrations may have changed.
    template = WORK / ".mutation-template.db"
    env["LOUZU_TEST_SQLITE_TEMPLATE"] = str(template)
    print("mutate: copying the work tree to mutants/" + (" (again: the last run's results kept)" if again else ""),
          flush=True)
    copy_work_tree(again)
    template.unlink(missing_ok=True)
    learned = WORK / ".mutation-killers.json"
    if not learned.exists() and KILLERS.exists():  # which tests killed which function's mutants, last time
        shutil.copy2(KILLERS, learned)
    print("mutate: one run of the tests under coverage, to know which tests run which line", flush=True)
    learn_which_tests(env)
    print("mutate: mutmut run", flush=True)
    with warm_server(env) as served:
        code = run_mutmut(served)
    if code & 1:  # 1: mutmut itself failed; 2, 4, 8: survivors, timeouts, slow ones
        print(f"mutate: mutmut failed (exit code {code})", file=sys.stderr)
        return 1
    if learned.exists():  # kept with the tests, so that a fresh copy starts with what this run learned
        KILLERS.write_text(json.dumps(json.loads(learned.read_text(encoding="utf-8")), indent=0, sort_keys=True) + "\n",
                           encoding="utf-8")
    minutes, seconds = divmod(int(time.monotonic() - started), 60)
    print(f"mutate: {minutes} min {seconds} s", flush=True)
    return score.main(["--cache", str(WORK / ".mutmut-cache"), *argv])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
