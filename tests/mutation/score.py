"""The score of `make mutate`: mutmut's results, less the mutants judged equivalent (equivalent.txt).

Prints killed, survived and equivalent per module, then each survivor not judged equivalent,
written the way equivalent.txt lists them (so that one judged equivalent can be copied there
with a line of why), and last: `mutation score: N% of M non-equivalent mutants`.

A mutant is named by a hash of its module, the function it is in, and its line before and after,
so that a name holds while other lines move; an edited line makes new mutants, and the score
says which listed names no longer match anything.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import sqlite3
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

EQUIVALENT = Path(__file__).with_name("equivalent.txt")
KILLED = ("ok_killed", "bad_timeout", "ok_suspicious")  # a hang or a slow run was noticed too


@dataclass(frozen=True)
class Mutant:
    path: str
    function: str
    before: str
    after: str
    status: str
    twin: int = 0  # how many lines before this one in the same function read the same (they mutate alike)

    @property
    def name(self) -> str:
        text = "\n".join((self.path, self.function, self.before.strip(), self.after.strip()))
        name = hashlib.sha1(text.encode("utf-8")).hexdigest()[:10]
        return f"{name}.{self.twin}" if self.twin else name

    def change(self, width: int = 60) -> str:
        """The line with the change shown in place: `int(total or [0→1])`."""
        before, after = self.before.strip(), self.after.strip()
        start = next((i for i, (a, b) in enumerate(zip(before, after)) if a != b), min(len(before), len(after)))
        end = 0
        while end < min(len(before), len(after)) - start and before[-1 - end] == after[-1 - end]:
            end += 1
        old, new = before[start:len(before) - end], after[start:len(after) - end]
        if len(old) > width:
            old = old[:width] + "…"
        return f"{before[:start]}[{old}→{new}]{before[len(before) - end:]}"

    def line(self) -> str:
        return f"{self.name}  {self.path} {self.function}: {self.change()}"


def enclosing(tree: ast.Module, number: int) -> str:
    """The qualified name of the function or class that holds line ``number`` (its decorators too), or <module>."""
    names: list[str] = []
    body = tree.body
    while True:
        inside = next((node for node in body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                       and min([node.lineno] + [d.lineno for d in node.decorator_list]) <= number
                       <= (node.end_lineno or node.lineno)), None)
        if inside is None:
            return ".".join(names) or "<module>"
        names.append(inside.name)
        body = inside.body


def place(source: str, tree: ast.Module, number: int) -> tuple[str, int]:
    """The function that holds line ``number`` and how many earlier lines there read the same."""
    function = enclosing(tree, number)
    lines = source.split("\n")
    text = lines[number - 1].strip()
    twin = sum(1 for n in range(1, number) if lines[n - 1].strip() == text and enclosing(tree, n) == function)
    return function, twin


def read_results(cache: Path) -> list[Mutant]:
    """Every mutant mutmut recorded, with its line as changed (mutmut's own mutate() redoes the change)."""
    from mutmut import Context, RelativeMutationID, mutate

    root = cache.parent
    with sqlite3.connect(cache) as db:
        rows = db.execute(
            "SELECT f.filename, l.line, l.line_number, m.\"index\", m.status FROM Mutant m "
            "JOIN Line l ON l.id = m.line JOIN SourceFile f ON f.id = l.sourcefile "
            "ORDER BY f.filename, l.line_number, m.\"index\"").fetchall()
    sources: dict[str, tuple[str, ast.Module]] = {}
    mutants = []
    for path, text, number, index, status in rows:
        if path not in sources:
            original = root / path
            if original.with_name(original.name + ".bak").exists():  # the run was cut short mid-mutant
                original = original.with_name(original.name + ".bak")
            source = original.read_text(encoding="utf-8")
            sources[path] = (source, ast.parse(source))
        source, tree = sources[path]
        current = source.split("\n")
        if number >= len(current) or current[number].strip() != text.strip():
            continue  # a line of an earlier run's copy (`make mutate AGAIN=1`) that is no longer there
        mutated, _ = mutate(Context(source=source, filename=path,
                                    mutation_id=RelativeMutationID(line=text, index=index, line_number=number)))
        changed = mutated.split("\n")
        after = changed[number] if number < len(changed) else ""
        function, twin = place(source, tree, number + 1)
        mutants.append(Mutant(path, function, text, after, status, twin))
    return mutants


def read_equivalent(path: Path = EQUIVALENT) -> dict[str, str]:
    """Name -> the line that lists it (blank lines and # comments aside)."""
    listed = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            listed[line.split()[0]] = line
    return listed


@dataclass
class Score:
    killed: int
    survived: int
    equivalent: int

    @property
    def real(self) -> int:
        return self.killed + self.survived

    def percent(self) -> float:
        return 100.0 * self.killed / self.real if self.real else 100.0


def tally(mutants: list[Mutant], equivalent: dict[str, str]) -> tuple[dict[str, Counter], list[Mutant]]:
    """Counts per module (killed, survived, equivalent, skipped, untested) and the real survivors."""
    counts: dict[str, Counter] = {}
    survivors = []
    for mutant in mutants:
        count = counts.setdefault(mutant.path, Counter())
        if mutant.status in KILLED:
            count["killed"] += 1
        elif mutant.status in ("bad_survived", "skipped") and mutant.name in equivalent:
            count["equivalent"] += 1  # skipped: mutmut_config.py does not run listed ones
        elif mutant.status == "bad_survived":
            count["survived"] += 1
            survivors.append(mutant)
        else:
            count[mutant.status] += 1  # skipped (only words changed), untested (the run was cut short)
    return counts, survivors


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=Path("mutants/.mutmut-cache"))
    parser.add_argument("--fail-under", type=float, default=0.0, help="exit 1 when the score is below this")
    args = parser.parse_args(argv)
    mutants = read_results(args.cache)
    equivalent = read_equivalent()
    counts, survivors = tally(mutants, equivalent)

    print(f"\n{'module':<26}{'killed':>8}{'survived':>10}{'equivalent':>12}{'skipped':>9}")
    total = Counter()
    for path, count in counts.items():
        total.update(count)
        print(f"{path:<26}{count['killed']:>8}{count['survived']:>10}{count['equivalent']:>12}{count['skipped']:>9}")
    print(f"{'all':<26}{total['killed']:>8}{total['survived']:>10}{total['equivalent']:>12}{total['skipped']:>9}")
    print("(skipped: only words a person reads were changed; killed includes timeouts)")
    if total["untested"]:
        print(f"\n{total['untested']} mutants were not tested: the run did not finish")
    names = {m.name: m for m in mutants}
    killed_but_listed = [name for name in equivalent if name in names and names[name].status in KILLED]
    stale = [name for name in equivalent if name not in names]
    for name in killed_but_listed:
        print(f"listed as equivalent but killed (take it out of equivalent.txt): {equivalent[name]}")
    for name in stale:
        print(f"listed as equivalent but no such mutant now (its line changed?): {equivalent[name]}")
    if survivors:
        print("\nSurvived (a test is missing, or the mutant is equivalent: then list it in equivalent.txt):")
        for mutant in survivors:
            print(f"  {mutant.line()}")
    score = Score(total["killed"], total["survived"], total["equivalent"])
    print(f"mutation score: {score.percent():.1f}% of {score.real} non-equivalent mutants")
    return 1 if score.percent() < args.fail_under or total["untested"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
