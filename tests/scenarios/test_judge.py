"""The judge reads only the meters of expectations still open: what ``open`` names is what ``tick`` and ``finish``
read."""

from __future__ import annotations

from collections.abc import Callable

from evesim.scenario import loader
from evesim.scenario.expect import Judge

SCENARIO = """
name: j
duration: 10m
fleet: [{name: edge, count: 2}]
expectations:
  - {name: up, always: {metric: onboarded, min_fraction: 0.5}}
  - {name: soon, eventually: {metric: onboarded, min_fraction: 1.0}, by: 5m}
  - {name: end, at_end: {metric: onboarded, min_fraction: 1.0}}
"""


def test_open_names_exactly_the_meters_tick_and_finish_read() -> None:
    expectations = list(loader.loads(SCENARIO, "j.yaml").scenario.expectations)
    value = {0: (1.0, 2), 1: (1.0, 2), 2: (2.0, 2)}
    read: list[int] = []

    def meter(index: int) -> Callable[[], tuple[float, int]]:
        def reading() -> tuple[float, int]:
            read.append(index)
            return value[index]

        return reading

    judge = Judge(expectations, [meter(i) for i in range(3)])
    assert judge.open(final=False) == [0, 1] and judge.open(final=True) == [0, 1, 2]
    judge.tick(60.0)
    assert read == [0, 1] and judge.outcomes[1].passed is None
    value[1] = (2.0, 2)
    judge.tick(120.0)
    assert judge.outcomes[1].passed is True and judge.open(final=False) == [0]
    value[0] = (0.0, 2)
    judge.tick(180.0)
    assert judge.outcomes[0].passed is False and judge.open(final=True) == [2]
    read.clear()
    judge.finish(600.0)
    assert read == [2] and judge.outcomes[2].passed is True
