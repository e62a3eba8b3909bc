"""The contract: each reference scenario's event log is byte-identical to the recorded one.

A refactor or an optimisation keeps every digest; a behaviour change records them again
(``python -m tests.references.record``) in the commit that makes it, and says so.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.references.cases import CASES, event_log_sha256, recorded


def test_every_library_scenario_has_a_reference() -> None:
    library = {file.stem for file in Path(__file__).resolve().parents[2].joinpath("scenarios").glob("*.yaml")}
    assert set(CASES) == library == set(recorded())


@pytest.mark.parametrize("name", sorted(CASES))
def test_event_log_is_the_recorded_one(name: str, tmp_path: Path) -> None:
    assert event_log_sha256(name, tmp_path) == recorded()[name], (
        f"{name}: the event log moved; if on purpose, record it again (python -m tests.references.record)")
