"""A pytest plugin for the coverage run of `make mutate`: how long each test takes, and which
modules the tests import (server.py imports those it can once, for all the runs)."""

from __future__ import annotations

import json
import os
import sys
from collections import defaultdict
from pathlib import Path

from tests.mutation.server import PACKAGES  # ours

_took: dict[str, float] = defaultdict(float)
# Not preloaded: the coverage run's own tools, and what is not a library.
_LEAVE = ("__main__", "coverage", "pytest_cov", "mutmut_config")


def pytest_runtest_logreport(report) -> None:
    _took[report.nodeid] += report.duration


def libraries() -> list[str]:
    """Modules loaded, in the order they were first imported: from outside this tree, and ours but not the tests
    (server.py decides which of these it can load once)."""
    here = str(Path.cwd().resolve()) + os.sep
    names = []
    for name, module in list(sys.modules.items()):
        where = getattr(module, "__file__", None) or ""
        if name.split(".")[0] in _LEAVE or where.startswith(here) and name.split(".")[0] not in PACKAGES:
            continue
        names.append(name)
    return names


def pytest_sessionfinish(session) -> None:
    for variable, value in (("LOUZU_MUTATION_TIMINGS", dict(_took)), ("LOUZU_MUTATION_PRELOAD", libraries())):
        target = os.environ.get(variable)
        if target:
            Path(target).write_text(json.dumps(value, indent=0), encoding="utf-8")
