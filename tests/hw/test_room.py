"""evesim.hw may import only the standard library, numpy, cryptography, evesim.api and itself."""

import ast
import sys
from pathlib import Path

import evesim.hw

ALLOWED = {"numpy", "cryptography"}
ALLOWED_EVESIM = ("evesim.api", "evesim.hw")


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


def test_hw_stays_in_its_room() -> None:
    package = Path(evesim.hw.__file__).parent
    modules = sorted(package.glob("*.py"))
    assert len(modules) > 5
    for path in modules:
        for name in _imports(path):
            top = name.split(".")[0]
            ok = top in sys.stdlib_module_names or top in ALLOWED or name.startswith(ALLOWED_EVESIM)
            assert ok, f"{path.name} imports {name}"
