"""The backends' room (DESIGN.md) and their contract: every effect the sim performs, the host performs too."""

from __future__ import annotations

import ast
from pathlib import Path

import evesim.backends
from evesim.agent import effects as fx
from evesim.backends import host
from evesim.sim import backend as sim_backend

FORBIDDEN = ("evesim.sim", "evesim.hw", "evesim.net", "evesim.controller", "evesim.scenario", "evesim.analysis",
             "simpy")


def _imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


def test_backends_import_only_agent_api_and_libraries() -> None:
    package = Path(evesim.backends.__file__).parent
    modules = sorted(package.rglob("*.py"))
    assert len(modules) >= 5
    for module in modules:
        for name in _imports(module):
            assert not any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN), f"{module.name}: {name}"


def test_the_host_performs_every_effect_the_sim_performs() -> None:
    host_effects = set(host.INSTANT) | set(host.TIMED)
    sim_effects = set(sim_backend.INSTANT) | set(sim_backend.TIMED)
    assert sim_effects - host_effects == set()
    assert fx.Domain in host_effects
    assert set(host.INSTANT).isdisjoint(host.TIMED)


def test_instant_effects_are_instant_in_both_backends() -> None:
    shared = set(sim_backend.INSTANT) & (set(host.INSTANT) | set(host.TIMED))
    assert shared <= set(host.INSTANT)
