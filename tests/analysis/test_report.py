"""``evesim report``: the HTML of a run (every plot, verdicts, campaigns, the first failing device) and of two runs
compared (outcome differences, the first divergence), read back with an HTML parser as a browser would."""

from __future__ import annotations

import base64
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from evesim import analysis
from evesim.analysis import compare, report
from evesim.cli import app
from evesim.scenario import loader
from evesim.scenario.run import run

ROOT = Path(__file__).resolve().parents[2]
CANARY = ROOT / "scenarios" / "bad-image-canary.yaml"
TINY = ROOT / "tests" / "sweep" / "tiny-update.yaml"
PNG = b"\x89PNG\r\n\x1a\n"
runner = CliRunner()


class Page(HTMLParser):
    """What a reader of the page finds: figures and their images, headings, table cells, outside references."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.figures: dict[str, str] = {}
        self.headings: dict[str, str] = {}
        self.cells: list[str] = []
        self.outside: list[str] = []
        self.scripts = 0
        self._figure: str | None = None
        self._heading: str | None = None
        self._cell: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        for name in ("src", "href"):
            value = found.get(name) or ""
            if value and not value.startswith("data:"):
                self.outside.append(value)
        if tag == "script" or tag == "link":
            self.scripts += 1
        if tag == "figure":
            self._figure = found.get("id")
        if tag == "img" and self._figure:
            self.figures[self._figure] = found.get("src") or ""
        if tag == "h2":
            self._heading = found.get("id") or ""
            self.headings[self._heading] = ""
        if tag == "td":
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "figure":
            self._figure = None
        if tag == "h2":
            self._heading = None
        if tag == "td" and self._cell is not None:
            self.cells.append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._heading is not None:
            self.headings[self._heading] += data
        if self._cell is not None:
            self._cell.append(data)


def _png(src: str) -> bytes:
    prefix = "data:image/png;base64,"
    assert src.startswith(prefix), src[:40]
    return base64.b64decode(src.removeprefix(prefix), validate=True)


@pytest.fixture(scope="module")
def canary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("canary")
    run(loader.load(CANARY)).write(out)
    return out


def test_the_report_of_a_run_holds_every_plot_verdict_campaign_and_the_first_failing_device(canary: Path) -> None:
    result = runner.invoke(app, ["report", str(canary)])
    assert result.exit_code == 0, result.output
    page = Page((canary / "report.html").read_text())
    wanted = {f"plot-{name}" for name, _, _ in report.plots(analysis.load_run(canary))}
    assert {"plot-device-states", "plot-rollout-progress", "plot-time-to-update", "plot-faults",
            "plot-boot-reasons"} <= wanted
    assert set(page.figures) == wanted
    for name, src in page.figures.items():
        image = _png(src)
        assert image.startswith(PNG) and len(image) > 5000, name
    assert page.outside == [] and page.scripts == 0, "the report must stand alone"
    assert "PASS" in page.cells and "the campaign halts" in page.cells
    assert "1 of 1 campaigns at 7200s" in page.cells
    assert "halted" in page.cells and "failure rate 1 exceeds 0.1" in page.cells
    assert page.headings["first-failing-device"] == "First failing device: canary-00000 (rolled_back)"
    assert "boot" in page.cells and "update_ready" in page.cells


def test_compare_reports_outcome_differences_and_the_first_divergence(tmp_path: Path) -> None:
    loaded = loader.load(TINY)
    for name, seed in (("a", 1), ("b", 2), ("a2", 1)):
        run(loaded, seed).write(tmp_path / name)
    result = runner.invoke(app, ["report", str(tmp_path / "a"), str(tmp_path / "b"), "--out",
                                 str(tmp_path / "ab.html")])
    assert result.exit_code == 0, result.output
    page = Page((tmp_path / "ab.html").read_text())
    a, b = analysis.load_run(tmp_path / "a"), analysis.load_run(tmp_path / "b")
    found = compare.divergence(a.events, b.events)
    assert found.index is not None
    assert page.headings["divergence"] == "First divergence"
    assert f"The logs agree on their first {found.index} events" in (tmp_path / "ab.html").read_text()
    assert _png(page.figures["plot-outcomes"]).startswith(PNG)
    assert str(found.index) in page.cells
    same = runner.invoke(app, ["report", str(tmp_path / "a"), str(tmp_path / "a2")])
    assert same.exit_code == 0, same.output
    assert "The event logs are identical" in (tmp_path / "a2" / "compare.html").read_text()


def test_divergence_finds_the_first_differing_event_or_where_the_shorter_log_ends() -> None:
    rows = [{"time": float(t), "device": "d", "agent": "x", "kind": "boot", "severity": "info", "fields": "{}"}
            for t in range(5)]
    base = pd.DataFrame(rows)
    assert compare.divergence(base, base.copy()).identical
    changed = base.copy()
    changed.loc[3, "kind"] = "reboot"
    assert compare.divergence(base, changed).index == 3
    assert compare.divergence(base, base.iloc[:4]).index == 4


def test_a_folder_that_is_not_a_run_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["report", str(tmp_path)])
    assert result.exit_code == 2 and "missing summary.json" in result.output


def test_the_run_summary_lists_each_campaigns_batches_and_decision(canary: Path) -> None:
    fleet = analysis.load_run(canary)
    (campaign,) = fleet.summary["campaigns"]
    assert campaign["state"] == "halted" and campaign["reason"] == "failure rate 1 exceeds 0.1"
    assert [(b["index"], b["started_s"], b["devices"], b["counts"]["failed"]) for b in campaign["batches"]] == [
        (0, 900.0, 2, 2)]
    progress = analysis.rollout_progress(fleet)
    assert progress[["batch", "started", "devices", "failed"]].values.tolist() == [[0, 900.0, 2, 2]]
    assert progress["settled"].iloc[0] == campaign["batches"][0]["settled_s"]
    decisions = analysis.campaign_decisions(fleet)
    assert decisions["decision"].tolist() == ["created", "halted"]


def test_device_states_add_up_to_the_fleet_at_every_sample(canary: Path) -> None:
    fleet = analysis.load_run(canary)
    states = analysis.device_states(fleet)
    assert set(states.columns) <= {"off", "booting", "running", "bricked"}
    assert (states.sum(axis=1) == fleet.summary["devices"]).all()
    assert analysis.boot_reasons(fleet).to_dict()["FIRST"] == fleet.summary["devices"]


def test_every_public_name_of_evesim_analysis_resolves() -> None:
    assert sorted(analysis.__all__) == sorted(analysis.HOMES)
    for name in analysis.__all__:
        assert getattr(analysis, name) is not None
