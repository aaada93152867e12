"""The core's import graph has no circle, and the core imports no particular check.

Every import counts, wherever it is written: at module level, under TYPE_CHECKING, or
inside a function. A circle there is a circle in the design, whether or not Python
happens to resolve it at run time.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).parent.parent
CORE = "auditor"


def imports_of(path: Path) -> set[str]:
    """The ftaudit modules (auditor.*, checks.*, reports.*) a file imports."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return {name for name in found if name.split(".")[0] in ("auditor", "checks", "reports")}


def core_graph() -> dict[str, set[str]]:
    graph = {}
    for path in sorted((ROOT / CORE).rglob("*.py")):
        name = module_name(path)
        graph[name] = {m for m in imports_of(path) if m != name}
    return graph


def module_name(path: Path) -> str:
    """`auditor.formats.openai` for auditor/formats/openai.py; a package by its folder."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def module_files(module: str) -> list[Path]:
    """The file of a module, or every file of a package."""
    path = ROOT.joinpath(*module.split("."))
    return sorted(path.rglob("*.py")) if path.is_dir() else [path.with_suffix(".py")]


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A circle of modules (first module repeated at the end), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in graph:
                continue
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_core_imports_have_no_circle() -> None:
    graph = core_graph()
    # The package's lazy public API (auditor/__init__.py) names modules, it imports none.
    graph.pop(CORE, None)
    assert find_cycle(graph) is None, " → ".join(find_cycle(graph) or [])


def test_the_cycle_finder_finds_a_circle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


#: The command line's modules: the front end, which renders reports.
CLI_MODULES = {"auditor.cli", "auditor.decide_cli", "auditor.cache_cli"}


def test_core_imports_no_check_or_report() -> None:
    offenders = {
        module: sorted(m for m in imported if m.startswith(("checks", "reports")))
        for module, imported in core_graph().items()
        if module not in CLI_MODULES
    }
    assert {m: found for m, found in offenders.items() if found} == {}


def test_cli_reaches_checks_through_the_registry() -> None:
    for module in sorted(CLI_MODULES):
        imported = imports_of(ROOT / CORE / f"{module.split('.')[1]}.py")
        assert not [m for m in imported if m.startswith("checks")], (module, imported)


def test_reading_depends_only_on_leaf_types() -> None:
    for module in ("io", "formats", "dataset", "schemas"):
        for path in module_files(f"{CORE}.{module}"):
            imported = imports_of(path)
            assert "auditor.check" not in imported and "auditor.context" not in imported, path
