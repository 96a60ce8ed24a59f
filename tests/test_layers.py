"""Imports only point down: lower layers never import higher ones."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "sluice"

# layer -> Sluice packages it must not import
FORBIDDEN = {
    "errors": {"sluice."},
    "secrets": {
        "sluice.datasets",
        "sluice.systems",
        "sluice.pipes",
        "sluice.sync",
        "sluice.cli",
        "sluice.simulators",
    },
    "datasets": {
        "sluice.systems",
        "sluice.pipes",
        "sluice.sync",
        "sluice.cli",
        "sluice.simulators",
        "prefect",
    },
    "systems": {
        "sluice.datasets",
        "sluice.pipes",
        "sluice.sync",
        "sluice.cli",
        "sluice.simulators",
        "prefect",
    },
    "simulators": {
        "sluice.systems",
        "sluice.datasets",
        "sluice.pipes",
        "sluice.sync",
        "sluice.cli",
        "prefect",
    },
    "pipes": {"sluice.systems", "sluice.sync", "sluice.cli", "sluice.simulators", "prefect"},
    "sync": {"sluice.cli", "sluice.simulators", "sluice.project", "prefect"},
    "config": {
        "sluice.datasets",
        "sluice.systems",
        "sluice.pipes",
        "sluice.sync",
        "sluice.cli",
        "sluice.simulators",
        "sluice.project",
        "prefect",
    },
    "project": {"sluice.cli", "sluice.simulators", "prefect"},
}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def modules_of(layer: str) -> list[Path]:
    single = PACKAGE / f"{layer}.py"
    return [single] if single.exists() else sorted((PACKAGE / layer).rglob("*.py"))


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_point_down(layer: str) -> None:
    offenders = []
    for path in modules_of(layer):
        for name in imports_of(path):
            if any(
                name == bad.rstrip(".")
                or name.startswith(bad.rstrip(".") + ".")
                or (bad.endswith(".") and name.startswith(bad))
                for bad in FORBIDDEN[layer]
            ):
                offenders.append(f"{path.relative_to(PACKAGE.parent)} imports {name}")
    assert not offenders, "\n".join(offenders)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _resolved_imports(path: Path) -> set[str]:
    """Every module ``path`` imports, relative imports resolved (``from . import reads`` -> ``pkg.reads``)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = _module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package[: len(package) - (node.level - 1)]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def test_no_import_cycles_inside_the_package() -> None:
    """Module-level import cycles (``TYPE_CHECKING`` ones too) make code hard to follow: there are none."""
    paths = sorted(PACKAGE.rglob("*.py"))
    modules = {_module_name(p): p for p in paths}
    graph = {
        name: {m for m in _resolved_imports(path) if m in modules and m != name and not name.startswith(m + ".")}
        for name, path in modules.items()
    }
    done: set[str] = set()
    cycles = []

    def visit(name: str, stack: list[str]) -> None:
        if name in stack:
            cycles.append(" -> ".join([*stack[stack.index(name) :], name]))
            return
        if name in done:
            return
        for dep in sorted(graph[name]):
            visit(dep, [*stack, name])
        done.add(name)

    for name in sorted(graph):
        visit(name, [])
    assert not cycles, "\n".join(cycles)


def test_the_cli_never_imports_the_prefect_folder() -> None:
    """``flows/`` is not in the wheel: a CLI command importing it works only from a checkout."""
    offenders = [
        f"{path.relative_to(PACKAGE.parent)} imports {name}"
        for path in sorted((PACKAGE / "cli").rglob("*.py"))
        for name in _resolved_imports(path)
        if name == "flows" or name.startswith("flows.")
    ]
    assert not offenders, "\n".join(offenders)
