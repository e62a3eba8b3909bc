"""The simulation's modules see a device and the world through ``evesim.sim.ports``: no import cycles."""

from __future__ import annotations

import ast
from pathlib import Path

SIM = Path(__file__).parents[2] / "evesim" / "sim"
OWNERS = {"device": {"world"}, "world": set()}
"""Who may import the concrete device and world: only the world builds devices."""


def _imports(path: Path) -> set[str]:
    """The ``evesim.sim`` modules a file imports, at run time or for the type checker."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module == "evesim.sim":
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("evesim.sim."):
            found.add(node.module.split(".")[2])
    return found


def test_only_the_world_imports_the_device_and_nothing_imports_the_world() -> None:
    for path in SIM.glob("*.py"):
        for concrete, allowed in OWNERS.items():
            if concrete in _imports(path):
                assert path.stem in allowed, f"{path.name} imports sim.{concrete}: type against sim.ports instead"


def test_no_module_hides_an_import_from_the_run_time() -> None:
    assert [p.name for p in SIM.glob("*.py") if "TYPE_CHECKING" in p.read_text()] == []
