"""Fleet metrics and the scenario's expectations over them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import assert_never

from evesim.agent import topics
from evesim.api import pb
from evesim.scenario import checks, infopath
from evesim.scenario.checks import AnyCheck, Expectation
from evesim.scenario.fields import Target
from evesim.scenario.timeline import select
from evesim.scenario.vocab import ExpectationKind
from evesim.sim import outcome, rng
from evesim.sim.device import SimDevice
from evesim.sim.world import World


def app_state(device: SimDevice, app: str | None) -> str | None:
    """The state (a ``ZSwState`` name) the running device's domainmgr gives its instance of ``app``; else None."""
    if device.state != "running":
        return None
    for status in device.bus.get(topics.APP_STATUS) or ():
        if status.name == app:
            return pb.info.ZSwState.Name(status.state)
    return None


class EventTally:
    """Counts a check's events incrementally: each ``measure`` reads only the events logged since the last."""

    def __init__(self, world: World, check: checks.Events, index: int) -> None:
        devices = select(world, check.target, rng.stream(world.seed, "expectation", str(index)))
        self.log = world.log
        self.kind = check.value
        self.fields = dict(check.fields)
        self.names = None if check.target == Target() else {d.name for d in devices}
        self.population = len(devices)
        self.count = 0
        self.seen = 0

    def measure(self) -> tuple[float, int]:
        """Matching events so far, and the number of devices they may come from."""
        events = self.log.events
        for event in events[self.seen :]:
            if event.kind == self.kind and (self.names is None or event.device in self.names):
                data = event.data() if self.fields else {}
                self.count += all(data.get(k) == v for k, v in self.fields.items())
        self.seen = len(events)
        return float(self.count), self.population


def meters(world: World, expectations: list[Expectation]) -> list[Callable[[], tuple[float, int]]]:
    """A meter for each expectation."""
    return [meter(world, e.check, i) for i, e in enumerate(expectations)]


def meter(world: World, check: AnyCheck, index: int) -> Callable[[], tuple[float, int]]:
    """A function giving the check's value and population at each call (events are tallied incrementally)."""
    if isinstance(check, checks.Events):
        return EventTally(world, check, index).measure
    return lambda: measure(world, check, index)


def measure(world: World, check: AnyCheck, index: int) -> tuple[float, int]:
    """A check's value (a count, or reboots summed) and its population, counted afresh."""
    if isinstance(check, checks.Campaigns):  # every shard has the campaigns: the first counts them
        campaigns = world.core.rollouts.list() if world.shard.primary else []
        return float(sum(1 for c in campaigns if c.state == check.value)), len(campaigns)
    if isinstance(check, checks.Events):
        return EventTally(world, check, index).measure()
    devices = select(world, check.target, rng.stream(world.seed, "expectation", str(index)))
    if isinstance(check, checks.Reboots):
        return float(sum(max(d.boots - 1, 0) for d in devices)), len(devices)
    return float(sum(1 for d in devices if _counts(world, check, d))), len(devices)


CountingCheck = (checks.Onboarded | checks.Bricked | checks.RunningVersion | checks.UpdateOutcome | checks.State
                 | checks.Led | checks.Info | checks.AppInstance)
"""The checks that count devices matching a predicate."""


def _counts(world: World, check: CountingCheck, device: SimDevice) -> bool:
    """True if ``device`` is one the check counts."""
    match check:
        case checks.Onboarded():
            return bool(device.uuid)
        case checks.Bricked():
            return device.state == "bricked"
        case checks.RunningVersion():
            return device.running_version == check.value
        case checks.UpdateOutcome():
            return outcome.classify(world, device) == check.value
        case checks.State():
            return device.state == check.value
        case checks.Led():
            return device.led.name == check.value
        case checks.Info():
            info = world.core.latest_device_info(device.uuid) if device.uuid else None
            return infopath.matches(info, check.path, check.value, check.match)
        case checks.AppInstance():
            return app_state(device, check.app) == check.value
        case _:
            assert_never(check)


def holds(check: AnyCheck, value: float, population: int) -> bool:
    """True if ``value`` out of ``population`` is within the check's bounds."""
    fraction = value / population if population else 0.0
    return (
        (check.min is None or value >= check.min)
        and (check.max is None or value <= check.max)
        and (check.min_fraction is None or fraction >= check.min_fraction)
        and (check.max_fraction is None or fraction <= check.max_fraction)
    )


def describe(check: AnyCheck) -> str:
    """A short human description of a check."""
    subject = check.metric + (f"[{check.app}]" if isinstance(check, checks.AppInstance) else "")
    value = None if isinstance(check, (checks.Onboarded, checks.Bricked, checks.Reboots)) else check.value
    subject += f"={value}" if value is not None else ""
    if isinstance(check, checks.Events) and check.fields:
        subject += "{" + ", ".join(f"{k}={v}" for k, v in check.fields.items()) + "}"
    bounds = [f"{name} {getattr(check, name)}" for name in ("min", "max", "min_fraction", "max_fraction")
              if getattr(check, name) is not None]
    return f"{subject} ({', '.join(bounds)})"


def amount(check: AnyCheck, value: float, population: int) -> str:
    """A check's value in words: devices (or campaigns) out of how many, or a total over how many devices."""
    if isinstance(check, checks.Reboots):
        return f"{value:g} reboots across {population} devices"
    if isinstance(check, checks.Events):
        return f"{value:g} {check.value} events from {population} devices"
    if isinstance(check, checks.Campaigns):
        return f"{value:g} of {population} campaigns"
    return f"{value:g} of {population} devices"


@dataclass
class Outcome:
    """An expectation's verdict so far."""

    name: str
    kind: ExpectationKind
    passed: bool | None = None
    at: float | None = None
    value: float | None = None
    population: int = 0
    detail: str = ""


@dataclass
class Judge:
    """Evaluates the expectations as the run goes and at its end, each with its meter (value and population)."""

    expectations: list[Expectation]
    _meters: list[Callable[[], tuple[float, int]]] = field(repr=False)
    outcomes: list[Outcome] = field(init=False)

    def __post_init__(self) -> None:
        self.outcomes = [
            Outcome(e.name or f"{e.kind} {describe(e.check)}" + (f" by {e.by:g}s" if e.by is not None else ""), e.kind)
            for e in self.expectations
        ]

    @staticmethod
    def of(world: World, expectations: list[Expectation]) -> Judge:
        """A judge of a world's run."""
        return Judge(expectations, meters(world, expectations))

    def deadlines(self) -> list[float]:
        """The ``by`` times of the ``eventually`` expectations, sorted: the run checks exactly at each."""
        return sorted({e.by for e in self.expectations if e.kind == "eventually" and e.by is not None})

    def open(self, final: bool) -> list[int]:
        """The expectations whose meters the next ``tick`` reads (with ``final``: ``finish``'s too)."""
        return [index for index, (exp, out) in enumerate(zip(self.expectations, self.outcomes, strict=True))
                if (exp.kind == "always" and out.passed is not False)
                or (exp.kind == "eventually" and out.passed is None) or (final and exp.kind == "at_end")]

    def tick(self, now: float) -> None:
        """Check ``always`` and ``eventually`` expectations at ``now``."""
        for index, (exp, out) in enumerate(zip(self.expectations, self.outcomes, strict=False)):
            if exp.kind == "always" and out.passed is not False:
                self._record(index, exp, out, now, fail_only=True)
            elif exp.kind == "eventually" and out.passed is None and exp.by is not None and now <= exp.by:
                self._record(index, exp, out, now, pass_only=True)

    def finish(self, now: float) -> None:
        """Settle every expectation at the end of the run."""
        self.tick(now)
        for index, (exp, out) in enumerate(zip(self.expectations, self.outcomes, strict=False)):
            if exp.kind == "at_end":
                self._record(index, exp, out, now)
            elif exp.kind == "always" and out.passed is None:
                out.passed = True
                out.detail = f"held at every check up to {now:g}s"
            elif exp.kind == "eventually" and out.passed is None:
                value, population = self._meters[index]()
                out.passed, out.value, out.population = False, value, population
                out.detail = f"not reached by {exp.by:g}s (at the end: {amount(exp.check, value, population)})"

    def _record(self, index: int, exp: Expectation, out: Outcome, now: float,
                fail_only: bool = False, pass_only: bool = False) -> None:
        value, population = self._meters[index]()
        ok = holds(exp.check, value, population)
        if (fail_only and ok) or (pass_only and not ok):
            return
        out.passed, out.at, out.value, out.population = ok, now, value, population
        out.detail = f"{amount(exp.check, value, population)} at {now:g}s"

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.passed is False]
