"""The rooms keep the one-way flow (docs/architecture.md): probes → store → coverage → maps."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# folder → the package it is installed as
PACKAGES = {"store": "phusong.store", "probes": "phusong.probes", "coverage": "phusong.coverage",
            "maps": "phusong.maps", "phusong": "phusong"}


def _modules() -> dict[str, Path]:
    found = {}
    for folder, package in PACKAGES.items():
        for path in (ROOT / folder).rglob("*.py"):
            parts = path.relative_to(ROOT / folder).with_suffix("").parts
            name = ".".join((package, *parts)).removesuffix(".__init__")
            found[name] = path
    return found


def _imports(name: str, path: Path) -> set[str]:
    """Every module ``name`` imports, at module level or inside a function."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            if node.module or not node.level:
                found.add(base)  # "from . import x" imports x, not the package's __init__
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {m for m in found if m.startswith("phusong")}


MODULES = _modules()
IMPORTS = {name: _imports(name, path) for name, path in MODULES.items()}


def _importers_of(prefix: str) -> set[str]:
    return {name for name, imported in IMPORTS.items()
            if any(m == prefix or m.startswith(prefix + ".") for m in imported)}


def test_the_store_is_its_own_room():
    assert "phusong.store" in MODULES and "phusong.store.readings" in MODULES


@pytest.mark.parametrize("room", ["phusong.coverage", "phusong.maps", "phusong.store"])
def test_nothing_downstream_imports_the_probes(room):
    offenders = {name for name in _importers_of("phusong.probes") if name.startswith(room)}
    assert not offenders


def test_the_store_imports_no_other_room():
    for room in ("phusong.probes", "phusong.coverage", "phusong.maps", "phusong.sim"):
        assert not {n for n in _importers_of(room) if n.startswith("phusong.store")}, room


def test_only_the_cli_imports_the_simulator():
    users = {n for n in _importers_of("phusong.sim") if not n.startswith("phusong.sim")}
    assert users and all(n == "phusong.cli" or n.startswith("phusong.cli.") for n in users), users


def test_the_probes_do_not_import_the_engine_or_the_maps():
    for room in ("phusong.coverage", "phusong.maps"):
        assert not {n for n in _importers_of(room) if n.startswith("phusong.probes")}, room


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                other = stack.pop()
                group.append(other)
                if other == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in graph:
        if node not in index:
            visit(node)
    return groups


def test_the_import_graph_has_no_cycle():
    """Imports inside functions count too: a circle hidden in a function is still one."""
    graph = {name: {m for m in imported if m in IMPORTS and m != name and
                    not name.startswith(m + ".")}  # a module's own package is not an edge
             for name, imported in IMPORTS.items()}
    assert not _cycles(graph)


def _function_lengths():
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield name, node.name, node.end_lineno - node.lineno + 1


def test_rooms_stay_small_enough_to_read():
    long_files = {name: n for name, path in MODULES.items()
                  if (n := len(path.read_text(encoding="utf-8").splitlines())) > 600}
    assert not long_files
    long_functions = [(module, function, n) for module, function, n in _function_lengths()
                      if n > (60 if module.startswith("phusong.cli") else 100)]
    assert not long_functions  # the CLI's commands parse and print only: 60 lines at most
