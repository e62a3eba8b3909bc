"""The backends' contract: every effect the sim performs, the host performs too (imports: pyproject's import-linter)."""

from __future__ import annotations

from evesim.agent import effects as fx
from evesim.backends import host
from evesim.sim import backend as sim_backend


def test_the_host_performs_every_effect_the_sim_performs() -> None:
    host_effects = set(host.INSTANT) | set(host.TIMED)
    sim_effects = set(sim_backend.INSTANT) | set(sim_backend.TIMED)
    assert sim_effects - host_effects == set()
    assert fx.Domain in host_effects
    assert set(host.INSTANT).isdisjoint(host.TIMED)


def test_instant_effects_are_instant_in_both_backends() -> None:
    shared = set(sim_backend.INSTANT) & (set(host.INSTANT) | set(host.TIMED))
    assert shared <= set(host.INSTANT)
