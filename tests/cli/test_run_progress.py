"""``evesim run``'s progress (fleet counts, refreshed between ticks) and Ctrl-C (prompt, nothing left behind, no
shard process either)."""

from __future__ import annotations

import io
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from rich.console import Console

from evesim.scenario import loader, progress
from evesim.scenario.run import run

ROOT = Path(__file__).parents[2]
TINY = ROOT / "tests" / "sweep" / "tiny-update.yaml"
ONBOARDING = ROOT / "scenarios" / "fleet-onboarding.yaml"


def _terminal() -> tuple[Console, io.StringIO]:
    text = io.StringIO()
    return Console(file=text, force_terminal=True, width=200, color_system=None), text


def test_the_progress_shows_fleet_counts_and_changes_nothing_in_the_run(tmp_path: Path) -> None:
    loaded = loader.load(TINY)
    console, text = _terminal()
    shown = progress.RunProgress(console, loaded.scenario.duration, quiet=False)
    with shown:
        watched = run(loaded, 11, shown.tick)
    output = text.getvalue()
    assert "3/3 onboarded" in output and "3 running" in output and "14.6.0: " in output, output
    assert "sim 00:45:00 / 00:45:00" in output
    assert watched.summary()["event_log_sha256"] == run(loaded, 11).summary()["event_log_sha256"]


def test_the_progress_follows_the_world_between_ticks(monkeypatch) -> None:
    monkeypatch.setattr(progress, "REFRESH_S", 0.01)
    console, _ = _terminal()
    world = SimpleNamespace(env=SimpleNamespace(now=0.0), devices=[], log=[])
    shown = progress.RunProgress(console, 100.0, quiet=False)
    with shown:
        shown.tick(0.0, 100.0, world)  # type: ignore[arg-type]
        world.env.now = 42.0  # the simulation moved on; no tick came
        deadline = time.monotonic() + 5
        while shown.progress.tasks[0].completed != 42.0 and time.monotonic() < deadline:
            time.sleep(0.01)
    assert shown.progress.tasks[0].completed == 42.0
    assert shown.progress.tasks[0].description == "sim 00:00:42 / 00:01:40"


def test_the_progress_shows_events_and_simulated_seconds_per_wall_second(monkeypatch) -> None:
    monkeypatch.setattr(progress, "RATE_WINDOW_S", 0.5)
    clock = [100.0]
    console, _ = _terminal()
    world = SimpleNamespace(env=SimpleNamespace(now=0.0), devices=[], log=[])
    shown = progress.RunProgress(console, 3600.0, quiet=True, clock=lambda: clock[0])
    shown.tick(0.0, 3600.0, world)  # type: ignore[arg-type]
    assert "events/s" not in shown.progress.tasks[0].fields["fleet"]  # nothing measured yet
    clock[0], world.env.now, world.log = 102.0, 600.0, [None] * 5000
    shown.refresh()
    assert shown.progress.tasks[0].fields["fleet"].endswith("2,500 events/s · 300x simulated/wall")
    clock[0], world.env.now, world.log = 104.0, 601.0, [None] * 5001
    shown.refresh()  # a slow stretch still shows its speed
    assert shown.progress.tasks[0].fields["fleet"].endswith("0.5 events/s · 0.5x simulated/wall")


def _children(pid: int) -> set[int]:
    """The processes whose parent is ``pid``."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


@pytest.mark.parametrize(("options", "shards"), [(["--reference"], 0), (["--shards", "2"], 2)],
                         ids=["one process", "2 shards"])
def test_ctrl_c_stops_a_run_at_once_and_leaves_no_empty_out(tmp_path: Path, options: list[str], shards: int) -> None:
    out = tmp_path / "new" / "out"
    proc = subprocess.Popen([sys.executable, "-m", "evesim.cli", "run", str(ONBOARDING), *options, "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(4.0)  # the 1,000-device fleet is being simulated by then (it runs for minutes)
    assert proc.poll() is None
    children = _children(proc.pid)
    assert len(children) == shards
    proc.send_signal(signal.SIGINT)
    since = time.monotonic()
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert time.monotonic() - since < 5
    assert "nothing was written" in err and "Traceback" not in err
    assert not any(Path(f"/proc/{pid}").exists() for pid in children), "a shard was left behind"
    assert list(tmp_path.iterdir()) == []
