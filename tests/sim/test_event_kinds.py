"""``events.KINDS`` is exactly the set of kinds the code logs, and the scenario docs list them all."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from evesim.sim.events import KINDS, WORLD_KINDS

ROOT = Path(__file__).parents[2]


def _strings(arg: ast.expr) -> set[str]:
    """The kinds an argument can be: a string, or either string of ``a if c else b``."""
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return {arg.value}
    if isinstance(arg, ast.IfExp):
        return _strings(arg.body) | _strings(arg.orelse)
    return set()


def _logged_kinds() -> set[str]:
    """Kinds in the calls that log events: ``fx.Log(agent, kind)``, ``device.record(agent, kind)``,
    ``world.log.append(t, device, agent, kind)``, Xen's ``_later(..., kind)``, rollouts' ``_event(t, kind)``."""
    shapes = {"Log": 1, "record": 1, "log.append": 3, "_event": 1}
    kinds: set[str] = set()
    for file in (ROOT / "evesim").rglob("*.py"):
        if file.name.endswith("_pb2.py"):
            continue
        for node in ast.walk(ast.parse(file.read_text())):
            if not isinstance(node, ast.Call):
                continue
            callee = ast.unparse(node.func)
            for suffix, index in shapes.items():
                if (callee == suffix or callee.endswith("." + suffix)) and len(node.args) > index:
                    kinds |= _strings(node.args[index])
            if callee.endswith("._later") and node.args:
                kinds |= _strings(node.args[-1])
    return kinds


def test_the_registry_is_what_the_code_logs() -> None:
    logged = _logged_kinds()
    assert sorted(logged - KINDS) == [], "logged but not in events.KINDS"
    assert sorted(KINDS - logged) == [], "in events.KINDS but logged nowhere"
    assert WORLD_KINDS < KINDS


def test_the_scenario_docs_list_every_kind() -> None:
    text = (ROOT / "docs" / "scenario-language.md").read_text()
    listed = set(re.findall(r"`([a-z_]+)`", text.split("<!-- event kinds -->")[1].split("<!-- /event kinds -->")[0]))
    assert listed == set(KINDS)
