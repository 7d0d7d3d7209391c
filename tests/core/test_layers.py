"""The layout is the documentation: layers only point down, and no module imports its way back to itself.

flows -> tasks' duty packages -> shared pieces -> store -> runbooks, core. Every import counts, lazy ones
inside functions too, because a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

from conftest import REPO

PRODUCT = ("tasks", "flows", "runbooks", "blocks", "deployments")

# Lower numbers are lower layers; a module may import its own layer or any layer below.
LAYERS: list[tuple[str, int]] = [
    ("tasks", 0),  # the namespace itself
    ("tasks.core", 0),
    ("runbooks", 1),
    ("blocks", 1),
    ("tasks.store", 2),
    ("tasks.io", 3), ("tasks.render", 3), ("tasks.slack", 3), ("tasks.metrics", 3), ("tasks.common", 3),
    ("tasks.drift", 4), ("tasks.outcomes", 4), ("tasks.cost", 4), ("tasks.compliance", 4), ("tasks.refresh", 4),
    ("tasks.change", 4), ("tasks.approvals", 4), ("tasks.owner", 4),
    ("flows", 5),
    ("deployments", 6),
]
DEMO = "deployments.demo"
MAY_IMPORT_DEMO = ("deployments.demo", "deployments.cli")  # `steward demo` is a command of the CLI


def layer(module: str) -> int:
    """The layer of the longest prefix that names ``module``'s package (-1: in no layer)."""
    matches = [(len(prefix), rank) for prefix, rank in LAYERS if module == prefix or module.startswith(prefix + ".")]
    return max(matches)[1] if matches else -1


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports() -> dict[str, set[str]]:
    """Every Steward module and the Steward modules it imports (module-level and lazy)."""
    graph: dict[str, set[str]] = {}
    for package in PRODUCT:
        for path in (REPO / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            name = module_name(path)
            found: set[str] = set()
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Import):
                    found |= {alias.name for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    found.add(node.module)
                    found |= {f"{node.module}.{alias.name}" for alias in node.names}
            graph[name] = {m for m in found if m.split(".")[0] in PRODUCT}
    known = set(graph)
    return {name: {m for m in targets if m in known and m != name} for name, targets in graph.items()}


GRAPH = imports()


def test_the_walk_sees_the_product() -> None:
    assert "flows.drift_check" in GRAPH and "tasks.core.windows" in GRAPH["flows.drift_check"]
    assert all(layer(m) >= 0 for m in GRAPH), [m for m in GRAPH if layer(m) < 0]


def test_no_upward_import() -> None:
    upward = sorted(f"{a} -> {b}" for a, targets in GRAPH.items() for b in targets if layer(b) > layer(a))
    assert not upward, "imports that point up a layer:\n" + "\n".join(upward)


def circle(graph: dict[str, set[str]]) -> list[str]:
    """One import circle of ``graph`` (a package importing its own modules is no circle), or []."""
    try:
        TopologicalSorter({a: {b for b in t if not b.startswith(a + ".")} for a, t in graph.items()}).prepare()
    except CycleError as exc:
        return list(exc.args[1])
    return []


def test_no_import_circle() -> None:
    assert not circle(GRAPH), f"import circle: {' -> '.join(circle(GRAPH))}"


def test_core_imports_nothing_of_stewards_but_core() -> None:
    leaks = sorted(f"{a} -> {b}" for a, t in GRAPH.items() if a.startswith("tasks.core") for b in t
                   if not b.startswith("tasks.core"))
    assert not leaks, leaks


def test_no_product_module_imports_the_demo() -> None:
    leaks = sorted(f"{a} -> {b}" for a, t in GRAPH.items() for b in t
                   if b.startswith(DEMO) and not a.startswith(MAY_IMPORT_DEMO))
    assert not leaks, leaks


@pytest.mark.parametrize(("graph", "found"), [({"a": {"b"}, "b": {"c"}, "c": {"a"}}, True),
                                             ({"a": {"b", "a.x"}, "a.x": {"a"}, "b": set()}, False)])
def test_the_circle_finder_finds_circles(graph: dict[str, set[str]], found: bool) -> None:
    assert bool(circle(graph)) is found


def test_the_layer_check_would_see_an_upward_import() -> None:
    assert layer("tasks.store.alerts") < layer("tasks.common.duty") < layer("flows.drift_check")
