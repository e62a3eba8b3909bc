"""Fleet metrics and the scenario's expectations over them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from evesim.scenario import model
from evesim.scenario.timeline import select
from evesim.sim import outcome, rng
from evesim.sim.device import SimDevice
from evesim.sim.world import World


def _version(device: SimDevice) -> str:
    return device.running_image.version if device.running_image is not None else ""


PREDICATES: dict[str, Callable[[SimDevice, str | None], bool]] = {
    "onboarded": lambda d, v: bool(d.uuid),
    "bricked": lambda d, v: d.state == "bricked",
    "version": lambda d, v: _version(d) == v,
    "state": lambda d, v: d.state == v,
    "led": lambda d, v: d.led.name == v,
}


def measure(world: World, check: model.Check, index: int) -> tuple[float, int]:
    """The metric's value (a count, or reboots summed) and the size of its population."""
    devices = select(world, check.target, rng.stream(world.seed, "expectation", str(index)))
    if check.metric == "reboots":
        return float(sum(max(d.boots - 1, 0) for d in devices)), len(devices)
    if check.metric == "outcome":
        return float(sum(1 for d in devices if outcome.classify(world, d) == check.value)), len(devices)
    predicate = PREDICATES[check.metric]
    return float(sum(1 for d in devices if predicate(d, check.value))), len(devices)


def holds(check: model.Check, value: float, population: int) -> bool:
    """True if ``value`` out of ``population`` is within the check's bounds."""
    fraction = value / population if population else 0.0
    return (
        (check.min is None or value >= check.min)
        and (check.max is None or value <= check.max)
        and (check.min_fraction is None or fraction >= check.min_fraction)
        and (check.max_fraction is None or fraction <= check.max_fraction)
    )


def describe(check: model.Check) -> str:
    """A short human description of a check."""
    subject = check.metric + (f"={check.value}" if check.value is not None else "")
    bounds = [f"{name} {getattr(check, name)}" for name in ("min", "max", "min_fraction", "max_fraction")
              if getattr(check, name) is not None]
    return f"{subject} ({', '.join(bounds)})"


@dataclass
class Outcome:
    """An expectation's verdict so far."""

    name: str
    kind: str
    passed: bool | None = None
    at: float | None = None
    value: float | None = None
    population: int = 0
    detail: str = ""


@dataclass
class Judge:
    """Evaluates the expectations as the run goes and at its end."""

    world: World
    expectations: list[model.Expectation]
    outcomes: list[Outcome] = field(init=False)

    def __post_init__(self) -> None:
        self.outcomes = [
            Outcome(e.name or f"{e.kind} {describe(e.check)}" + (f" by {e.by:g}s" if e.by is not None else ""), e.kind)
            for e in self.expectations
        ]

    def tick(self, now: float) -> None:
        """Check ``always`` and ``eventually`` expectations at ``now``."""
        for index, (exp, out) in enumerate(zip(self.expectations, self.outcomes)):
            if exp.kind == "always" and out.passed is not False:
                self._record(index, exp, out, now, fail_only=True)
            elif exp.kind == "eventually" and out.passed is None and now <= exp.by:
                self._record(index, exp, out, now, pass_only=True)

    def finish(self, now: float) -> None:
        """Settle every expectation at the end of the run."""
        self.tick(now)
        for index, (exp, out) in enumerate(zip(self.expectations, self.outcomes)):
            if exp.kind == "at_end":
                self._record(index, exp, out, now)
            elif exp.kind == "always" and out.passed is None:
                out.passed = True
                out.detail = f"held at every check up to {now:g}s"
            elif exp.kind == "eventually" and out.passed is None:
                value, population = measure(self.world, exp.check, index)
                out.passed, out.value, out.population = False, value, population
                out.detail = f"not reached by {exp.by:g}s (at the end: {value:g} of {population})"

    def _record(self, index: int, exp: model.Expectation, out: Outcome, now: float,
                fail_only: bool = False, pass_only: bool = False) -> None:
        value, population = measure(self.world, exp.check, index)
        ok = holds(exp.check, value, population)
        if (fail_only and ok) or (pass_only and not ok):
            return
        out.passed, out.at, out.value, out.population = ok, now, value, population
        out.detail = f"{value:g} of {population} at {now:g}s"

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.passed is False]
