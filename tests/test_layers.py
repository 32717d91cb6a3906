"""The layers hold: read from the source, so a change that breaks one fails here, not in a review.

- Only store/ imports sqlite3; only ui/ imports textual.
- The core never imports cli/ or ui/; cli/ and ui/ reach the core only through the library (and the
  text helpers, which have no state): nothing else of it.
- No import cycles between modules; no module much over 500 lines.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "newsreader"
#: What the command line and the reader may import of the core.
FACADE = ("newsreader.library", "newsreader.text")
MAX_LINES = 560


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imports(path: Path) -> Iterator[tuple[str, bool]]:
    """(module imported, at module level) for every import, leaving out `if TYPE_CHECKING:` blocks."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])

    def walk(node: ast.AST, top: bool) -> Iterator[tuple[str, bool]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield alias.name, top
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    base = ".".join(package.split(".")[: len(package.split(".")) - child.level + 1] + ([base] if base else []))
                yield base, top
                for alias in child.names:  # `from newsreader.cli import fetching` imports a module too
                    yield f"{base}.{alias.name}", top
            else:
                inner = top and not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                yield from walk(child, inner)

    yield from walk(tree, True)


def layer(name: str) -> str:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else ""


ALL = modules()


def test_the_package_is_there() -> None:
    assert {"newsreader.library", "newsreader.store.store", "newsreader.ui.app", "newsreader.cli"} <= set(ALL)


@pytest.mark.parametrize("name", sorted(ALL))
def test_only_the_store_runs_sql_and_only_the_reader_draws(name: str) -> None:
    for imported, _top in imports(ALL[name]):
        root = imported.split(".")[0]
        if root == "sqlite3":
            assert layer(name) == "store", f"{name} imports sqlite3: only store/ may"
        if root == "textual":
            assert layer(name) == "ui", f"{name} imports textual: only ui/ may"


@pytest.mark.parametrize("name", sorted(ALL))
def test_the_core_never_imports_the_cli_or_the_reader(name: str) -> None:
    if layer(name) in ("cli", "ui", "__main__"):
        return
    for imported, _top in imports(ALL[name]):
        assert not imported.startswith(("newsreader.cli", "newsreader.ui")), f"{name} imports {imported}"


@pytest.mark.parametrize("name", sorted(n for n in ALL if layer(n) in ("cli", "ui")))
def test_the_cli_and_the_reader_use_the_library_only(name: str) -> None:
    own = f"newsreader.{layer(name)}"
    for imported, _top in imports(ALL[name]):
        if not imported.startswith("newsreader.") or imported in ("newsreader.__version__",):
            continue
        if imported.startswith((own, "newsreader.ui")):  # the CLI opens the reader
            continue
        assert imported.startswith(FACADE), f"{name} imports {imported}: go through newsreader.library"


def test_no_import_cycles() -> None:
    graph: dict[str, set[str]] = {}
    for name, path in ALL.items():
        targets = set()
        for imported, _top in imports(path):
            # the longest known module the import names (a name imported from a module is not a module)
            parts = imported.split(".")
            for end in range(len(parts), 0, -1):
                candidate = ".".join(parts[:end])
                if candidate in ALL:
                    if candidate != name and not name.startswith(candidate + "."):  # a package's own __init__
                        targets.add(candidate)
                    break
        graph[name] = targets
    seen: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        seen[node] = 1
        for target in graph[node]:
            if seen.get(target) == 1:
                cycles.append(path[path.index(target):] + [target] if target in path else [node, target])
            elif target not in seen:
                visit(target, [*path, target])
        seen[node] = 2

    for name in sorted(graph):
        if name not in seen:
            visit(name, [name])
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(cycle) for cycle in cycles)


@pytest.mark.parametrize("name", sorted(ALL))
def test_no_module_is_a_crowd(name: str) -> None:
    lines = len(ALL[name].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{name} has {lines} lines: split it by what it holds"
