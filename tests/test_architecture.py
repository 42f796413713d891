"""The house: layers import downwards only, no import cycles, lazy imports only where needed.

The layer contract itself is in pyproject.toml (``lint-imports`` runs it in CI); these tests pin
what it cannot say.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import grimp

PACKAGE = Path(__file__).resolve().parents[1] / "coordlint"
ABOVE_LOADING = (
    "coordlint.execution",
    "coordlint.core",
    "coordlint.cli",
    "coordlint.api",
    "coordlint.formatters",
    "coordlint.testing",
    "coordlint.rules",
)


def _imported_after(statement: str) -> set[str]:
    probe = f"import sys\n{statement}\nprint('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return {m for m in out.stdout.split() if m.startswith("coordlint")}


def test_importing_loading_imports_nothing_above_it():
    loaded = _imported_after("import coordlint.loading")
    assert "coordlint.loading.file_loader" in loaded  # the probe imported something real
    assert not {m for m in loaded if m.startswith(ABOVE_LOADING)}


def test_importing_the_package_imports_only_the_face():
    loaded = _imported_after("import coordlint")
    assert "coordlint.run" in loaded
    assert not {m for m in loaded if m.startswith((*ABOVE_LOADING, "coordlint.loading"))}
    # The API is there when asked for, loaded on first use.
    assert "coordlint.api" in _imported_after("import coordlint; coordlint.check")


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.find_modules_directly_imported_by(node):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def test_no_import_cycles():
    graph = grimp.build_graph("coordlint")
    # The package's lazy re-export of the API (coordlint.check/load) is not a module-level
    # dependency: importing coordlint does not import the API (see the test above).
    graph.remove_import(importer="coordlint", imported="coordlint.api")
    assert _cycles(graph) == []


def test_a_cycle_is_found_when_there_is_one():
    graph = grimp.ImportGraph()
    for module in ("a", "b", "c"):
        graph.add_module(module)
    graph.add_import(importer="a", imported="b")
    graph.add_import(importer="b", imported="a")
    graph.add_import(importer="b", imported="c")
    assert _cycles(graph) == [["a", "b"]]


def test_no_function_level_import_of_coordlint_modules():
    """A function-level import of our own code exists only to dodge a cycle: none is left (the
    package root's lazy API re-export aside). Lazy imports of heavy or optional third-party
    packages (pandas, matplotlib, fsspec) stay, for start-up time."""
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == PACKAGE / "__init__.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for func in ast.walk(tree):
            if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(func):
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("coordlint"):
                    offenders.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
                elif isinstance(node, ast.Import) and any(
                    a.name.startswith("coordlint") for a in node.names
                ):
                    offenders.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    assert offenders == []


def test_no_module_is_over_400_lines():
    long = {
        name: n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400
        and (name := str(p.relative_to(PACKAGE.parent)))
    }
    assert long == {}


def test_the_api_is_not_shadowed_by_a_subpackage():
    """``coordlint.check`` and ``coordlint.load`` are functions, even after every subpackage
    has been imported (a subpackage named ``check`` once replaced the function)."""
    probe = (
        "import coordlint, coordlint.cli, coordlint.core.engine, coordlint.execution.collect\n"
        "assert callable(coordlint.check) and callable(coordlint.load)\n"
        "import pkgutil\n"
        "names = {m.name for m in pkgutil.iter_modules(coordlint.__path__)}\n"
        "assert not names & {'check', 'load'}, names\n"
    )
    subprocess.run([sys.executable, "-c", probe], check=True)
