"""The fleet-analysis notebook: committed without outputs, parameterised, and it runs."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from evesim.scenario import loader
from evesim.scenario import sweep as sweep_mod

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
NOTEBOOK = NOTEBOOKS / "fleet-analysis.ipynb"
TINY = ROOT / "tests" / "sweep" / "tiny-update.yaml"
OVERRIDES = {"fleet.0.count": 6, "fleet.1.count": 2, "duration": "2h"}

spec = importlib.util.spec_from_file_location("strip_notebooks", NOTEBOOKS / "strip.py")
strip = importlib.util.module_from_spec(spec)
spec.loader.exec_module(strip)


def _parameters_index(notebook: nbformat.NotebookNode) -> int:
    tagged = [i for i, cell in enumerate(notebook.cells) if "parameters" in cell.metadata.get("tags", [])]
    assert len(tagged) == 1
    return tagged[0]


def _with_parameters(notebook: nbformat.NotebookNode, **values: object) -> nbformat.NotebookNode:
    """Papermill's convention: a cell tagged ``injected-parameters`` right after the ``parameters`` cell."""
    source = "\n".join(f"{name} = {value!r}" for name, value in values.items())
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": ["injected-parameters"]})
    notebook.cells.insert(_parameters_index(notebook) + 1, cell)
    return notebook


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> tuple[nbformat.NotebookNode, Path]:
    """The notebook run on a small fleet, with a small sweep to show across seeds."""
    tmp = tmp_path_factory.mktemp("notebook")
    loaded = loader.load(TINY)
    sweep_mod.SweepResult(loaded, sweep_mod.frame(sweep_mod.run_chunk(loaded, range(3)), loaded.scenario),
                          "local", 1, 1.0).write(tmp / "sweep")
    notebook = _with_parameters(nbformat.read(NOTEBOOK, as_version=4), seed=5, overrides=OVERRIDES,
                                out_dir=str(tmp / "run"), sweep_dir=str(tmp / "sweep"))
    NotebookClient(notebook, kernel_name="python3", timeout=120,
                   resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    return notebook, tmp / "run"


def test_committed_notebooks_have_no_outputs():
    notebooks = sorted(NOTEBOOKS.glob("*.ipynb"))
    assert NOTEBOOK in notebooks
    assert [path for path in notebooks if strip.unstripped(path)] == []
    result = subprocess.run([sys.executable, str(NOTEBOOKS / "strip.py"), "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_notebook_declares_its_kernel_and_parameters():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    assert notebook.metadata.kernelspec.name == "python3"
    index = _parameters_index(notebook)
    names = {line.split("=")[0].strip() for line in notebook.cells[index].source.splitlines() if "=" in line}
    assert {"scenario", "seed", "overrides", "out_dir", "sweep_dir"} <= names
    later = "\n".join(cell.source for cell in notebook.cells[index + 1:] if cell.cell_type == "code")
    assert all(name in later for name in names)


def test_notebook_runs_and_shows_every_plot(executed):
    notebook, run_dir = executed
    outputs = [out for cell in notebook.cells if cell.cell_type == "code" for out in cell.outputs]
    assert not [out for out in outputs if out.output_type == "error"]
    images = [out for out in outputs if "image/png" in out.get("data", {})]
    assert len(images) == 8
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["seed"] == 5
    assert summary["devices"] == OVERRIDES["fleet.0.count"] + OVERRIDES["fleet.1.count"]


def test_strip_removes_what_a_run_adds(executed, tmp_path):
    notebook, _ = executed
    path = tmp_path / "executed.ipynb"
    nbformat.write(notebook, path)
    assert strip.unstripped(path)
    assert strip.main(["--check", str(path)]) == 1
    assert strip.main([str(path)]) == 0
    assert not strip.unstripped(path)
    cleaned = nbformat.read(path, as_version=4)
    assert all(cell.outputs == [] and cell.execution_count is None
               for cell in cleaned.cells if cell.cell_type == "code")
    assert [cell.source for cell in cleaned.cells] == [cell.source for cell in notebook.cells]


def test_defaults_fit_any_scenario_and_leave_no_temporary_directory(tmp_path: Path, monkeypatch) -> None:
    """A one-group scenario with the default overrides (the first defaults named two groups), and the run's outputs in
    a temporary directory gone when the kernel stops (issue 16: /tmp/evesim-* folders were left behind)."""
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    notebook = _with_parameters(nbformat.read(NOTEBOOK, as_version=4),
                                scenario=str(ROOT / "scenarios" / "fleet-onboarding.yaml"))
    NotebookClient(notebook, kernel_name="python3", timeout=120,
                   resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    printed = "".join(o.get("text", "") for cell in notebook.cells if cell.cell_type == "code"
                      for o in cell.outputs)
    assert "fleet-onboarding, seed" in printed and "12 devices" in printed
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("evesim-")) == []
