"""mutmut's hook for `make mutate`; __main__.py copies it to the root of mutants/, where mutmut looks.

For each mutant: the tests that ran the mutated statement in the coverage run (pytest stops at
the first failure), those that killed mutants of the same function or module first (most
mutants of a function fall to the same few tests), then the quickest first. A statement that
ran only at import (a module-level query, a decorator) gets the tests of the functions that use
it (witnesses() in __main__.py); what no test ran gets every test that ran its module.

Skipped: a mutant that only changes words a person reads (text with Chinese in it), since
exact-reply tests pin the wording and this run is about boundaries and rules; and a mutant
listed in equivalent.txt, which no test can kill (score.py counts it as equivalent). With
LOUZU_MUTATION_RECHECK set, listed ones run too, and score.py says if one was killed after all.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shlex
from functools import lru_cache
from pathlib import Path

from tests.mutation.score import Mutant, place, read_equivalent

WORDS = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def changed_line(context) -> tuple[str, str]:
    """The mutated line, before and after."""
    from mutmut import Context, mutate  # not at the top: mutmut imports this module while it is itself imported

    mutated, _ = mutate(Context(source=context.source, mutation_id=context.mutation_id, filename=context.filename,
                                dict_synonyms=context.dict_synonyms))
    number = context.mutation_id.line_number
    after = mutated.split("\n")
    return context.source.split("\n")[number], after[number] if number < len(after) else ""  # lines may go


def only_words(before: str, after: str) -> bool:
    """Whether the mutation wraps "XX" round a text with Chinese in it and does nothing else."""
    if after.replace("XX", "", 2) != before:
        return False
    start, end = after.find("XX"), after.rfind("XX")
    return bool(WORDS.search(after[start:end])) if 0 <= start < end else False


@lru_cache(maxsize=None)
def _tree(source: str) -> ast.Module:
    return ast.parse(source)


@lru_cache(maxsize=None)
def selection() -> dict:
    """Tests by module and line, written by the coverage run (__main__.py)."""
    return json.loads(Path(".mutation-tests.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=None)
def took() -> dict[str, float]:
    """Seconds each test took in the coverage run (slower than these runs: coverage measures)."""
    return json.loads(Path(".mutation-timings.json").read_text(encoding="utf-8"))


def budget(tests: list[str]) -> float:
    """Long enough for the tests on a busy machine; a mutant that makes them hang takes no longer."""
    return 30 + 5 * sum(took().get(test, 1.0) for test in tests)


EQUIVALENT = set() if os.environ.get("LOUZU_MUTATION_RECHECK") else set(read_equivalent())
KILLER = Path(".mutation-killer")  # run_tests.py writes the test that failed here
LAST = Path(".mutation-last.json")  # which function the last mutant run was in
KILLERS = Path(".mutation-killers.json")  # tests that killed mutants, by module and function, latest first
CHOSEN = Path(".mutation-chosen.txt")  # a long choice of tests (a decorator's: every test), for run_tests.py
LONGEST_COMMAND = 64_000


def learn_from_the_last_run() -> dict:
    killers = json.loads(KILLERS.read_text(encoding="utf-8")) if KILLERS.exists() else {}
    if LAST.exists() and KILLER.exists():
        path, function = json.loads(LAST.read_text(encoding="utf-8"))
        test = KILLER.read_text(encoding="utf-8")
        for key in (function, "*"):
            known = killers.setdefault(path, {}).setdefault(key, [])
            killers[path][key] = [test] + [t for t in known if t != test][:19]
        KILLERS.write_text(json.dumps(killers), encoding="utf-8")
    KILLER.unlink(missing_ok=True)
    LAST.unlink(missing_ok=True)
    return killers


def in_order(tests: list[str], first: list[str]) -> list[str]:
    chosen = set(tests)
    ahead = [t for t in dict.fromkeys(first) if t in chosen]
    taken = set(ahead)
    return ahead + [t for t in tests if t not in taken]


def pre_mutation(context) -> None:
    try:
        choose_tests(context)
    except Exception:  # an error here would stop mutmut's worker, and mutmut would wait for it forever
        import traceback

        traceback.print_exc()  # the mutant then runs every test


def choose_tests(context) -> None:
    killers = learn_from_the_last_run()
    before, after = changed_line(context)
    if only_words(before, after):
        context.skip = True
        return
    function, twin = place(context.source, _tree(context.source), context.mutation_id.line_number + 1)
    if Mutant(context.filename, function, before, after, "", twin).name in EQUIVALENT:
        context.skip = True
        return
    lines = selection()["lines"].get(context.filename, {})
    tests = lines.get(str(context.mutation_id.line_number + 1)) or selection()["files"].get(context.filename) or []
    known = killers.get(context.filename, {})
    tests = in_order(tests, known.get(function, []) + known.get("*", []))
    LAST.write_text(json.dumps([context.filename, function]), encoding="utf-8")
    if tests:  # (none: every test runs, within mutmut's own timeout)
        named = "".join(" " + shlex.quote(t) for t in tests)
        if len(named) > LONGEST_COMMAND:  # one argument of a shell command can hold only 128 KiB
            CHOSEN.write_text("\n".join(tests), encoding="utf-8")
            named = f" --from={CHOSEN}"
        context.config.test_command += f" --budget={budget(tests):.0f}" + named
