"""The scenario language's JSON Schema is published in the docs and kept current."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from evesim.scenario import model

DOC = Path(__file__).parents[2] / "docs" / "scenario.schema.json"


def test_published_schema_is_current() -> None:
    published = json.loads(DOC.read_text())
    assert published == model.schema(), (
        "regenerate with: .venv/bin/evesim schema > docs/scenario.schema.json"
    )


def test_schema_command_prints_it() -> None:
    done = subprocess.run([sys.executable, "-m", "evesim.cli", "schema"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    schema = json.loads(done.stdout)
    assert schema == model.schema()
    assert {"fleet", "timeline", "expectations", "controller", "network"} <= set(schema["properties"])
    assert schema["additionalProperties"] is False
