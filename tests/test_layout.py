"""The layout holds: each room imports only what it may (README "How it is built"), and no module cycles.

Every import counts, wherever it stands: at the top, inside a function, or behind
TYPE_CHECKING (an import kept there only to dodge a cycle is still a cycle).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers", "schedules", "storage")

# Room of a module -> the rooms it may import (besides its own).
ROOMS = {
    "storage": set(),
    "core": {"storage"},
    "transport": {"core", "storage"},
    "schedules": {"core", "storage"},
    "handlers": {"core", "schedules", "storage"},
    "web": {"core", "schedules", "storage"},
    "app": {"core", "transport", "handlers", "schedules", "storage"},
    "cli": {"app", "core", "transport", "web", "handlers", "schedules", "storage"},
}


def room_of(module: str) -> str:
    parts = module.split(".")
    if parts[0] != "bot":
        return parts[0]
    if len(parts) == 1 or parts[1] in ("__main__", "cli"):
        return "cli"  # `python -m bot` is the command line
    return {"core": "core", "transport": "transport", "web": "web", "app": "app"}[parts[1]]


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            relative = path.relative_to(ROOT).with_suffix("")
            if "migrations" in relative.parts:
                continue  # Alembic's scripts: loaded by Alembic, importing storage.models only
            name = ".".join(relative.parts)
            found[name.removesuffix(".__init__")] = path
    return found


def imports_of(path: Path, known: dict[str, Path]) -> set[str]:
    """The modules of ours that ``path`` imports (``from pkg import mod`` counts as pkg.mod)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in known else node.module
                     for alias in node.names]
        else:
            continue
        found.update(name for name in names if name.split(".")[0] in PACKAGES)
    return found


MODULES = modules()
GRAPH = {name: imports_of(path, MODULES) for name, path in MODULES.items()}


def test_the_walk_sees_every_room():
    assert {room_of(name) for name in GRAPH} == set(ROOMS)
    assert "bot.core.dispatcher" in GRAPH["bot.app"] and "storage.models" in GRAPH["bot.core.context"]


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_each_module_imports_only_what_its_room_may(module):
    room = room_of(module)
    forbidden = sorted(f"{target} ({room_of(target)})" for target in GRAPH[module]
                       if room_of(target) != room and room_of(target) not in ROOMS[room])
    assert not forbidden, f"{module} ({room}) may not import {', '.join(forbidden)}"


def test_no_import_cycles():
    """Tarjan's strongly connected components: any with two or more modules is a cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in GRAPH.get(node, ()):
            if target not in GRAPH:
                continue
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(GRAPH):
        if node not in index:
            visit(node)
    assert not cycles, f"import cycles: {cycles}"


def test_a_forbidden_arrow_is_caught(tmp_path):
    """The walker itself: storage importing the kernel is flagged."""
    path = tmp_path / "bad.py"
    path.write_text("from bot.core.messages import Reply\n", encoding="utf-8")
    targets = imports_of(path, {"bot.core.messages": path})
    assert targets == {"bot.core.messages"} and room_of("bot.core.messages") not in ROOMS["storage"]
