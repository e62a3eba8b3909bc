"""The rooms' import rules (``[tool.importlinter]`` in pyproject.toml) hold, and each one catches a planted break."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` over the package under ``root`` with the project's contracts."""
    return subprocess.run([str(LINT_IMPORTS), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
                          cwd=root, env={"PYTHONPATH": str(root), "PATH": ""}, capture_output=True, text=True,
                          timeout=120)


def test_the_tree_keeps_every_contract() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize("module, line, contract", [
    ("agent/nim.py", "import time", "Agents are sans-IO"),
    ("agent/zedagent/report.py", "from evesim.sim import world", "Agents are sans-IO"),
    ("hw/flash.py", "import simpy", "Hardware models import only"),
    ("backends/host.py", "from evesim.hw import disk", "Real-machine backends"),
    ("controller/core.py", "from evesim.agent import topics", "The controller core"),
    ("api/pb.py", "from evesim.scenario import model", "Layers"),
    ("net/link.py", "from evesim.sim import rng", "Layers"),
])
def test_a_planted_import_breaks_its_contract(tmp_path: Path, module: str, line: str, contract: str) -> None:
    shutil.copytree(ROOT / "evesim", tmp_path / "evesim", ignore=shutil.ignore_patterns("__pycache__"))
    with (tmp_path / "evesim" / module).open("a") as file:
        file.write(f"\n{line}\n")
    result = lint_imports(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    broken = [text for text in result.stdout.split("\n\n") if "BROKEN" in text]
    assert any(contract in " ".join(text.split()) for text in broken), result.stdout
