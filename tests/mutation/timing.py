"""A pytest plugin for the coverage run of `make mutate`: how long each test takes, and which
libraries the tests import (server.py imports those once, for all the runs)."""

from __future__ import annotations

import json
import os
import sys
from collections import defaultdict
from pathlib import Path

_took: dict[str, float] = defaultdict(float)
# Not preloaded: the coverage run's own tools, and what is not a library.
_LEAVE = ("__main__", "coverage", "pytest_cov", "mutmut_config")


def pytest_runtest_logreport(report) -> None:
    _took[report.nodeid] += report.duration


def libraries() -> list[str]:
    """Modules loaded from outside this tree, in the order they were first imported."""
    here = str(Path.cwd().resolve()) + os.sep
    names = []
    for name, module in list(sys.modules.items()):
        where = getattr(module, "__file__", None) or ""
        if where.startswith(here) or name.split(".")[0] in _LEAVE:
            continue
        names.append(name)
    return names


def pytest_sessionfinish(session) -> None:
    for variable, value in (("LOUZU_MUTATION_TIMINGS", dict(_took)), ("LOUZU_MUTATION_PRELOAD", libraries())):
        target = os.environ.get(variable)
        if target:
            Path(target).write_text(json.dumps(value, indent=0), encoding="utf-8")
