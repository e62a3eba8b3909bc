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


def test_help_on_a_device_install_shows_what_it_can_do() -> None:
    done = _run("""
import sys
sys.modules["fastapi"] = None
sys.argv = ["evesim", "--help"]
from evesim.cli import main
try:
    main()
except SystemExit as exit:
    print("EXIT", exit.code)
""")
    assert "agent" in done.stdout and "EXIT 0" in done.stdout and "run" not in done.stdout.split("Commands")[-1]


def test_a_real_import_error_is_not_taken_for_a_device_install() -> None:
    done = _run("""
import sys
sys.modules["evesim.scenario.cli"] = None
sys.argv = ["evesim", "run", "--help"]
from evesim.cli import main
main()
""")
    assert done.returncode == 1 and "ModuleNotFoundError" in done.stderr and "installed for a device" not in done.stderr
