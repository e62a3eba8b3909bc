"""``benchmarks/fleet.py`` measures what it says (on a tiny fleet; no timing is asserted)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

pytestmark = pytest.mark.e2e
SCRIPT = Path(__file__).parents[2] / "benchmarks" / "fleet.py"


def _benchmark() -> ModuleType:
    """The script as a module, its folder on the path as when it runs (it imports ``results`` from there)."""
    if str(SCRIPT.parent) not in sys.path:
        sys.path.append(str(SCRIPT.parent))
    spec = importlib.util.spec_from_file_location("fleet_benchmark", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_time_split_sees_every_part_and_restores_the_transport() -> None:
    bench = _benchmark()
    plain = bench.transport.exchange
    split = bench.time_split(4, 0.5, "trusted", warmup_s=1200.0)
    assert bench.transport.exchange is plain
    assert split["core_us"] > 0 and split["transport_us"] > 0 and split["agents_us"] > 0
    # EVE's default timers: config and metrics each every [0.3, 1.0] x 60 s (~92 an hour), plus info and logs.
    assert 150 < split["requests_per_device_hour"] < 260


def test_memory_split_finds_the_twin_and_the_controller_store() -> None:
    split = _benchmark().memory_split(3, "trusted", settle_s=1200.0)
    assert split["twin_kb"] > 10 and split["controller_kb"] > 1


def test_breakdown_from_the_command_line() -> None:
    out = subprocess.run([sys.executable, str(SCRIPT), "--devices", "3", "--hours", "0.1", "--breakdown"],
                         capture_output=True, text=True, check=True, timeout=300).stdout
    assert "fleet: 3 devices (3 onboarded)" in out
    assert "controller core" in out and "agents, effects and SimPy" in out
    assert "device twin" in out and "kept by the controller" in out
