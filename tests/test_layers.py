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
