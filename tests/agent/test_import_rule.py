"""The one rule (DESIGN.md): agents are sans-IO; time and randomness only come through effects."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import evesim.agent

AGENT_DIR = Path(list(evesim.agent.__path__)[0])
FORBIDDEN = ("simpy", "evesim.sim", "evesim.hw", "evesim.net", "evesim.backends", "evesim.controller",
             "evesim.scenario", "evesim.analysis", "evesim.cli", "socket", "ssl", "threading", "asyncio",
             "time", "subprocess", "httpx", "requests", "urllib.request", "os", "pathlib", "random",
             "multiprocessing", "importlib")
EVESIM_ALLOWED = ("evesim.agent", "evesim.api")


def imported_modules(source: str, module: str) -> list[str]:
    """Absolute names of every module an agent file imports (relative imports resolved)."""
    package = module.rsplit(".", 1)[0]
    names: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            names.append(base)
            names += [f"{base}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "__import__":
            names.append("__import__")
    return names


def violations(names: list[str]) -> list[str]:
    """The names that break the rule."""
    bad = []
    for name in names:
        if name == "__import__" or any(name == f or name.startswith(f + ".") for f in FORBIDDEN):
            bad.append(name)
        elif name.startswith("evesim.") and not any(name == a or name.startswith(a + ".") for a in EVESIM_ALLOWED):
            bad.append(name)
        elif name == "evesim":
            bad.append(name)
    return bad


def _agent_files() -> list[Path]:
    return sorted(AGENT_DIR.rglob("*.py"))


def _module(path: Path) -> str:
    rel = path.relative_to(AGENT_DIR.parent.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts[-1] = "_"
    return ".".join(parts)


def test_agent_package_has_modules_to_check() -> None:
    names = {p.name for p in _agent_files()}
    assert {"client.py", "nodeagent.py", "effects.py", "config.py"} <= names


@pytest.mark.parametrize("path", _agent_files(), ids=lambda p: str(p.relative_to(AGENT_DIR)))
def test_agent_module_imports_nothing_forbidden(path: Path) -> None:
    names = imported_modules(path.read_text(), _module(path))
    assert violations(names) == [], f"{path.name} breaks the sans-IO rule"


@pytest.mark.parametrize(
    "source, module",
    [
        ("import simpy", "evesim.agent.x"),
        ("import os.path", "evesim.agent.x"),
        ("from time import monotonic", "evesim.agent.x"),
        ("from random import Random", "evesim.agent.x"),
        ("from evesim.sim import world", "evesim.agent.x"),
        ("from evesim import hw", "evesim.agent.x"),
        ("from ...sim import backend", "evesim.agent.zedagent.x"),
        ("from .. import controller", "evesim.agent.x"),
        ("import pathlib as p", "evesim.agent.x"),
        ("def f():\n    import socket", "evesim.agent.x"),
        ("m = __import__('threading')", "evesim.agent.x"),
        ("import evesim.backends.host", "evesim.agent.x"),
    ],
)
def test_checker_catches_forbidden_imports(source: str, module: str) -> None:
    assert violations(imported_modules(source, module))


@pytest.mark.parametrize(
    "source, module",
    [
        ("from evesim.api import pb", "evesim.agent.x"),
        ("from evesim.agent import effects as fx", "evesim.agent.x"),
        ("from . import topics", "evesim.agent.x"),
        ("from ..controllerconn import Conn", "evesim.agent.zedagent.x"),
        ("import json, zlib, struct", "evesim.agent.x"),
        ("from google.protobuf import json_format", "evesim.agent.x"),
        ("import timeit_like_name", "evesim.agent.x"),
    ],
)
def test_checker_allows_pure_imports(source: str, module: str) -> None:
    assert violations(imported_modules(source, module)) == []
