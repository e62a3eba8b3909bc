"""The repository stands alone: no text in it points to a file that is not in it."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTSIDE = re.compile(r"\b(EVE|DESIGN|CONTROLLERS|TOOLING|DEVELOPERS)\.md\b|SIMULATION-ANCHORS|\.\./shared|§")
"""Notes kept outside the repository, and the section sign their citations used."""
TEXT = (".py", ".md", ".yaml", ".yml", ".toml", ".ipynb", ".json", ".proto", ".pyi", ".cfg", ".txt", "Makefile", "run")


def _tracked_text_files() -> list[Path]:
    names = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    return [ROOT / name for name in names if name.endswith(TEXT) and name != "tests/test_repository.py"]


def test_no_text_points_outside_the_repository() -> None:
    files = _tracked_text_files()
    assert len(files) > 100
    found = [f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
             for path in files
             for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
             if OUTSIDE.search(line)]
    assert not found, "\n".join(found)


def test_the_pattern_catches_each_kind_of_outside_reference() -> None:
    for text in ("see EVE.md for timers", "(DESIGN.md)", "SIMULATION-ANCHORS §3.3", "../shared/reference/x",
                 "rule of §4.4"):
        assert OUTSIDE.search(text), text
    assert not OUTSIDE.search("docs/eve-behaviour.md and pkg/pillar/cmd/zedagent/parseconfig.go")
