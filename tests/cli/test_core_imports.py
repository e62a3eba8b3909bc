"""The CLI and the analysis frames work with the core dependencies only: matplotlib is for the plots."""

from __future__ import annotations

import subprocess
import sys

BLOCKED = "import sys; sys.modules['matplotlib'] = None; "


def python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", BLOCKED + code], capture_output=True, text=True, timeout=120)


def test_analysis_frames_import_without_matplotlib() -> None:
    done = python("import evesim.cli; from evesim.analysis import load_run, load_sweep, funnel, outcome_stats; "
                  "print('ok')")
    assert done.returncode == 0 and done.stdout == "ok\n", done.stderr


def test_a_plot_without_matplotlib_says_what_to_install() -> None:
    done = python("from evesim import analysis; analysis.plot_funnel")
    assert done.returncode == 1
    assert "ImportError: plot_funnel needs matplotlib: pip install 'evesim[notebooks]'" in done.stderr


def test_plots_are_there_with_matplotlib() -> None:
    from evesim import analysis
    from evesim.analysis import plots

    assert all(getattr(analysis, name) is getattr(plots, name) for name in analysis.PLOTS)
    assert set(analysis.PLOTS) <= set(analysis.__all__)
