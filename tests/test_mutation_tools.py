"""`make mutate`'s own parts (tests/mutation/): how mutants are named, skipped, counted and given tests."""

from __future__ import annotations

import ast

from tests.mutation.__main__ import decorator_lines, witnesses
from tests.mutation.mutmut_config import in_order, only_words
from tests.mutation.score import Mutant, place, read_equivalent, tally

SOURCE = '''\
LIMIT = 3
TWICE = LIMIT * 2


def over(n):
    return n > TWICE


def under(n):
    x = 1
    x = 1
    return n < x
'''


def test_a_mutant_shows_its_change_in_place_and_keeps_its_name_when_other_lines_move():
    mutant = Mutant("m.py", "over", "    return n > TWICE", "    return n >= TWICE", "bad_survived")
    assert mutant.change() == "return n >[→=] TWICE"
    moved = Mutant("m.py", "over", "        return n > TWICE", "        return n >= TWICE", "bad_survived")
    assert moved.name == mutant.name and len(mutant.name) == 10
    assert Mutant("m.py", "under", "x = 1", "x = 2", "", twin=1).name.endswith(".1")


def test_lines_that_read_the_same_in_one_function_are_told_apart():
    tree = ast.parse(SOURCE)
    assert place(SOURCE, tree, 10) == ("under", 0) and place(SOURCE, tree, 11) == ("under", 1)
    assert place(SOURCE, tree, 1) == ("<module>", 0) and place(SOURCE, tree, 6) == ("over", 0)


def test_what_runs_at_import_is_witnessed_by_the_functions_that_use_it():
    found = witnesses(ast.parse(SOURCE))
    assert found[1] == found[2] == {6}  # LIMIT, through TWICE, is used by over()
    assert found[5] == {6} and found[6] == {6}  # a def line: its body; a statement: itself
    assert found[12] == {12}


def test_a_cached_functions_lines_are_tested_by_its_callers_tests():
    source = (
        "import functools\n"        # 1
        "\n"
        "@functools.cache\n"        # 3
        "def statement(some):\n"    # 4
        "    x = some > 0\n"        # 5
        "    return x\n"             # 6
        "\n"
        "def ranking(n):\n"          # 8
        "    return statement(n)\n"  # 9
        "\n"
        "def other():\n"             # 11
        "    return 1\n")            # 12
    found = witnesses(ast.parse(source))
    assert found[5] == {5, 9} and found[3] == {5, 6, 9}  # its body ran once, in whichever test called it first
    assert found[12] == {12}
    assert decorator_lines(ast.parse(source)) == {3}  # then every test, its function's first


def test_only_changes_to_words_people_read_are_skipped():
    assert only_words('    raise Refusal("请写上原因")', '    raise Refusal("XX请写上原因XX")')
    assert not only_words('    kind="claim",', '    kind="XXclaimXX",')
    assert not only_words('    if a < b: x = "原因"', '    if a <= b: x = "原因"')


def test_tests_that_killed_before_go_first_and_only_chosen_ones_run():
    assert in_order(["a", "b", "c"], ["c", "x", "c", "b"]) == ["c", "b", "a"]


def test_the_score_leaves_out_listed_equivalents_and_counts_timeouts_as_killed(tmp_path):
    survivor = Mutant("m.py", "over", "return n > TWICE", "return n >= TWICE", "bad_survived")
    listed = Mutant("m.py", "under", "return n < x", "return n <= x", "bad_survived")
    skipped = Mutant("m.py", "under", "x = 1", "x = 2", "skipped", twin=1)
    mutants = [survivor, listed, skipped, Mutant("m.py", "over", "a", "b", "bad_timeout"),
               Mutant("m.py", "over", "a", "c", "ok_killed")]
    file = tmp_path / "equivalent.txt"
    file.write_text(f"# a comment\n\n{listed.line()}  — why\n{skipped.name}  m.py under: why\n", encoding="utf-8")
    counts, survivors = tally(mutants, read_equivalent(file))
    assert dict(counts["m.py"]) == {"killed": 2, "survived": 1, "equivalent": 2}
    assert survivors == [survivor]


def test_again_copies_the_work_tree_over_the_last_run_and_keeps_its_results(tmp_path, monkeypatch):
    import subprocess

    from tests.mutation import __main__ as mutate

    root, work = tmp_path / "tree", tmp_path / "tree" / "mutants"
    root.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    (root / ".gitignore").write_text("mutants/\n", encoding="utf-8")
    (root / "ledger.py").write_text("LIMIT = 3\n", encoding="utf-8")
    monkeypatch.setattr(mutate, "ROOT", root)
    monkeypatch.setattr(mutate, "WORK", work)
    mutate.copy_work_tree()
    (work / ".mutmut-cache").write_text("results", encoding="utf-8")
    (root / "ledger.py").write_text("LIMIT = 4\n", encoding="utf-8")
    mutate.copy_work_tree(again=True)
    assert (work / ".mutmut-cache").read_text(encoding="utf-8") == "results"
    assert (work / "ledger.py").read_text(encoding="utf-8") == "LIMIT = 4\n"
    mutate.copy_work_tree()  # afresh: the last run's results go
    assert not (work / ".mutmut-cache").exists() and (work / "mutmut_config.py").exists()


def test_only_modules_that_reach_no_mutant_are_loaded_once_for_all_runs(tmp_path, monkeypatch):
    from tests.mutation.server import load_once

    files = {
        "storage/__init__.py": "",
        "storage/money.py": "LIMIT = 3\n",  # mutated
        "storage/types.py": "import enum\n",
        "storage/uses.py": "from storage.money import LIMIT\n",
        "storage/later.py": "def f():\n    from storage import money\n    return money\n",  # in a function
        "storage/outside.py": "import wechaty\n",  # a library not loaded once
        "bot/__init__.py": "",
        "bot/cli/__init__.py": "def _register():\n    from storage import uses\n\n_register()\n",
        "bot/cli/ui.py": "import click\n",  # its package reaches the mutant
        "bot/core.py": "from storage import types\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert load_once(["storage/money.py"]) == {"storage", "storage.types", "bot", "bot.core"}
