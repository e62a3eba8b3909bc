"""``evesim run``'s progress bar: simulated time, fleet counts and speed, refreshed twice a second between the run's
ticks.

A thread reads the world while the simulation runs; it only reads (no random draw, no event), so
the run's outputs are the same with or without it. A sharded run has no world here: its ticks bring the
fleet's counts added up over the shards.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

if TYPE_CHECKING:
    from evesim.sim.world import World

REFRESH_S = 0.5
RATE_WINDOW_S = 2.0
"""Wall seconds over which the speed shown (events logged and simulated seconds per wall second) is measured."""
SHOWN_VERSIONS = 3
"""How many running EVE versions the line names (the most common first)."""


def hms(seconds: float) -> str:
    """Seconds as ``[Dd ]HH:MM:SS``."""
    days, rest = divmod(int(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    return (f"{days}d " if days else "") + f"{hours:02d}:{minutes:02d}:{secs:02d}"


@dataclass(frozen=True)
class Status:
    """The fleet at one simulated time: devices, how many onboarded, per state and per running version, events."""

    now: float
    devices: int
    onboarded: int
    states: Counter[str]
    versions: Counter[str]
    events: int

    @staticmethod
    def of_world(world: World) -> Status:
        """A world's fleet now."""
        devices = world.devices
        versions = Counter(d.running_version for d in devices if d.running_version)
        return Status(world.env.now, len(devices), sum(1 for d in devices if d.uuid),
                      Counter(d.state for d in devices), versions, len(world.log))

    @staticmethod
    def of_sample(sample: dict[str, Any], devices: int) -> Status:
        """The fleet from a run's sample (``evesim.scenario.run.sample``) of ``devices`` devices."""
        def prefixed(prefix: str) -> Counter[str]:
            return Counter({key.removeprefix(prefix): int(value) for key, value in sample.items()
                            if key.startswith(prefix)})

        return Status(sample["time"], devices, int(sample["onboarded"]), prefixed("state:"), prefixed("version:"),
                      int(sample["events"]))


def fleet_line(status: Status) -> str:
    """The fleet now: onboarded, running, booting, off and bricked devices, the versions running, events logged."""
    states = status.states
    parts = [f"{status.onboarded}/{status.devices} onboarded"]
    parts += [f"{states[state]} {state}" for state in ("running", "booting", "off", "bricked") if states[state]]
    parts += [f"{version}: {count}" for version, count in status.versions.most_common(SHOWN_VERSIONS)]
    parts.append(f"{status.events} events")
    return " · ".join(parts)


def _rate(value: float) -> str:
    """A rate for the progress line: whole numbers from 10 up, two significant digits below."""
    return f"{value:,.0f}" if value >= 10 else f"{value:.2g}"


class RunProgress:
    """A transient progress bar for one run; ``tick`` is the run's ``on_tick``."""

    def __init__(self, console: Console, duration: float, quiet: bool,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.duration = duration
        self.clock = clock
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(bar_width=20), TimeElapsedColumn(),
                                 TextColumn("{task.fields[fleet]}"), console=console, disable=quiet, transient=True)
        self.task: TaskID = self.progress.add_task(self._clock(0.0), total=duration, fleet="")
        self.quiet = quiet
        self.world: World | None = None
        self.status: Status | None = None
        """The fleet as last shown."""
        self._mark: tuple[float, float, int] | None = None
        self._speed = ""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._follow, name="evesim-progress", daemon=True)

    def __enter__(self) -> RunProgress:
        self.progress.__enter__()
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        self.progress.__exit__(kind, value, trace)

    def tick(self, now: float, total: float, source: World | Status) -> None:
        """At each of the run's ticks: show it, and start following the world between ticks (a sharded run's
        ``Status`` is shown as it is)."""
        if isinstance(source, Status):
            self._show(source)
            return
        self.world = source
        self.refresh()
        if not self.quiet and not self._thread.is_alive() and not self._stop.is_set():
            self._thread.start()

    def refresh(self) -> None:
        """Show the world's clock and fleet counts as they are now."""
        if self.world is None:
            return
        try:
            status = Status.of_world(self.world)
        except RuntimeError:  # the simulation changed a collection while it was counted: next time
            return
        self._show(status)

    def reached(self) -> float | None:
        """The simulated time the run reached (None before its first tick)."""
        if self.world is not None:
            return self.world.env.now
        return self.status.now if self.status is not None else None

    def _show(self, status: Status) -> None:
        self.status = status
        line = fleet_line(status)
        now = min(status.now, self.duration)
        self._measure(status.now, status.events)
        fleet = f"{line} · {self._speed}" if self._speed else line
        self.progress.update(self.task, completed=now, description=self._clock(now), fleet=fleet)

    def _measure(self, now: float, events: int) -> None:
        """Update the speed shown once ``RATE_WINDOW_S`` of wall time passed since it was last measured."""
        wall = self.clock()
        if self._mark is None:
            self._mark = (wall, now, events)
            return
        since, then, before = self._mark
        if wall - since < RATE_WINDOW_S:
            return
        took = wall - since
        self._speed = f"{_rate((events - before) / took)} events/s · {_rate((now - then) / took)}x simulated/wall"
        self._mark = (wall, now, events)

    def _clock(self, now: float) -> str:
        return f"sim {hms(now)} / {hms(self.duration)}"

    def _follow(self) -> None:
        while not self._stop.wait(REFRESH_S):
            self.refresh()
