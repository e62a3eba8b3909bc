"""The backends' contract: each performs exactly the effect vocabulary (imports: pyproject's import-linter)."""

from __future__ import annotations

import typing

from evesim.agent import effects as fx
from evesim.backends import host
from evesim.sim import backend as sim_backend

VOCABULARY = set(typing.get_args(fx.Effect))


def test_the_sim_performs_exactly_the_vocabulary() -> None:
    assert set(sim_backend.INSTANT).isdisjoint(sim_backend.TIMED)
    assert fx.Request not in set(sim_backend.INSTANT) | set(sim_backend.TIMED), "drive performs requests itself"
    assert set(sim_backend.INSTANT) | set(sim_backend.TIMED) | {fx.Request} == VOCABULARY


def test_the_host_performs_exactly_the_vocabulary() -> None:
    assert set(host.INSTANT).isdisjoint(host.TIMED)
    assert set(host.INSTANT) | set(host.TIMED) == VOCABULARY


def test_instant_effects_are_instant_in_both_backends() -> None:
    assert set(sim_backend.INSTANT) == set(host.INSTANT)
