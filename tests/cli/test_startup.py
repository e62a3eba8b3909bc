"""``evesim --help`` and the commands' help start without loading the simulation, the server or the HTTP client
(issue 16: the CLI took over a second to start)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("pandas", "numpy", "simpy", "networkx", "fastapi", "uvicorn", "httpx", "pyarrow")
PROBE = """
import json, sys
from evesim.cli import main
sys.argv = ["evesim", *ARGS]
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted(m for m in HEAVY if m in sys.modules)))
"""


@pytest.mark.parametrize("args", [["--help"], ["controller", "--help"], ["controller", "serve", "--help"],
                                  ["run", "--help"], ["sweep", "--help"], ["agent", "--help"], ["list", "fixes"]])
def test_help_loads_no_heavy_module(args: list[str]) -> None:
    code = PROBE.replace("ARGS", repr(args)).replace("HEAVY", repr(HEAVY))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []
