"""A run's outcomes are classified once, at its end, and the summary built once, however many outputs use them."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from evesim.scenario import loader
from evesim.scenario.run import run
from evesim.sim import outcome

TINY = Path(__file__).parents[1] / "sweep" / "tiny-update.yaml"


def test_outputs_classify_each_device_once(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    calls: Counter[str] = Counter()
    classify = outcome.classify

    def counted(world, device):  # type: ignore[no-untyped-def]
        calls[device.name] += 1
        return classify(world, device)

    monkeypatch.setattr(outcome, "classify", counted)
    result = run(loader.load(TINY))
    assert result.world is not None
    assert sorted(calls) == sorted(d.name for d in result.world.devices)
    during = dict(calls)
    summary = result.summary()
    result.write(tmp_path)
    assert result.summary() is summary
    assert calls == during, "the outputs classified devices again"
    devices = pd.read_parquet(tmp_path / "devices.parquet")
    assert dict(Counter(devices["outcome"])) == {k: v for k, v in summary["outcomes"].items() if v}
    assert json.loads((tmp_path / "summary.json").read_text())["outcomes"] == summary["outcomes"]
