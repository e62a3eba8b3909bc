"""A board installs evesim without the simulation and controller extras: ``evesim agent`` must not need them."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("pandas", "numpy", "pyarrow", "simpy", "networkx", "yaml", "fastapi", "uvicorn", "starlette")
"""What the ``sim`` and ``controller`` extras bring (typer imports pydantic itself when it is there)."""


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)


def test_the_agent_command_imports_no_simulation_or_controller_package() -> None:
    done = _run(f"""
import sys
sys.argv = ["evesim", "agent", "--help"]
from evesim.cli import main
try:
    main()
except SystemExit:
    pass
print("LOADED", sorted(m for m in {HEAVY!r} if m in sys.modules))
""")
    assert "--state-dir" in done.stdout
    assert done.stdout.strip().splitlines()[-1] == "LOADED []", done.stderr


@pytest.mark.parametrize("command", ["run", "controller"])
def test_other_commands_on_a_board_install_say_what_to_install(command: str) -> None:
    done = _run(f"""
import sys
sys.modules["fastapi"] = None  # as on a board: the controller extra is not installed
sys.argv = ["evesim", "{command}", "--help"]
from evesim.cli import main
main()
""")
    assert done.returncode == 2
    assert f"`{command}` needs the simulation and controller packages" in done.stderr
    assert "pip install 'evesim[full]'" in done.stderr
