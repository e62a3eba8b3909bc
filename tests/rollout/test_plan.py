"""A rollout plan: validation of every field and how devices are split into batches."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evesim.controller.rollout import Plan, RolloutError, stages

from .fleet import SHA, VERSION

URL = "https://datastore.example/eve.img"


def plan(devices: tuple[str, ...] = ("a", "b", "c"), **kw: object) -> Plan:
    args: dict[str, object] = {"batch_size": (1,)}
    args.update(kw)
    return Plan(devices, args.pop("version", VERSION), args.pop("url", URL), args.pop("sha256", SHA),
                args.pop("size_bytes", 1000), **args)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"devices": ()}, "at least one device"),
        ({"devices": ("a", "a")}, "must not repeat"),
        ({"version": ""}, "version must not be empty"),
        ({"url": ""}, "unsupported image URL ''"),
        ({"url": "ftp://x/y"}, "unsupported image URL 'ftp://x/y'"),
        ({"url": "https:///no-host"}, "unsupported image URL"),
        ({"url": "http://[::1/eve.img"}, "malformed image URL"),
        ({"sha256": "AB" * 32}, "64 lowercase hex"),
        ({"sha256": "ab"}, "64 lowercase hex"),
        ({"size_bytes": -1}, "size_bytes must be between 0 and"),
        ({"size_bytes": 2**64}, "size_bytes must be between 0 and"),
        ({"batch_size": ()}, "exactly one of batch_size and batch_fraction"),
        ({"batch_fraction": (0.5,)}, "exactly one of batch_size and batch_fraction"),
        ({"batch_size": (2, 0)}, "integers >= 1"),
        ({"batch_size": (True,)}, "integers >= 1"),
        ({"batch_size": (), "batch_fraction": (0.0,)}, "in (0, 1]"),
        ({"batch_size": (), "batch_fraction": (1.5,)}, "in (0, 1]"),
        ({"batch_size": (), "batch_fraction": (math.nan,)}, "in (0, 1]"),
        ({"wait_s": -1.0}, "wait must be"),
        ({"wait_s": math.inf}, "wait must be"),
        ({"deadline_s": 0.0}, "deadline must be"),
        ({"deadline_s": math.nan}, "deadline must be"),
        ({"halt_failure_rate": 1.5}, "halt_failure_rate"),
        ({"halt_failure_rate": math.nan}, "halt_failure_rate"),
    ],
)
def test_bad_plans_are_refused_with_the_reason(kw: dict[str, object], message: str) -> None:
    devices = kw.pop("devices", ("a", "b", "c"))
    with pytest.raises(RolloutError, match=re.escape(message)):
        plan(devices, **kw)  # type: ignore[arg-type]


def test_sizes_grow_stage_by_stage_and_the_last_repeats() -> None:
    devices = tuple(f"d{i}" for i in range(10))
    batches = plan(devices, batch_size=(1, 2, 3)).batches()
    assert [len(b) for b in batches] == [1, 2, 3, 3, 1]
    assert sum(batches, ()) == devices


def test_fractions_are_of_the_whole_fleet_rounded_up() -> None:
    devices = tuple(f"d{i}" for i in range(30))
    batches = plan(devices, batch_size=(), batch_fraction=(0.001, 0.1, 0.5)).batches()
    assert [len(b) for b in batches] == [1, 3, 15, 11]


def test_stages_accept_one_value_or_a_list() -> None:
    assert stages(None) == ()
    assert stages(5) == (5,)
    assert stages([0.1, 0.5]) == (0.1, 0.5)


@given(
    n=st.integers(1, 200),
    sizes=st.lists(st.integers(1, 50), min_size=1, max_size=5),
    fractions=st.lists(st.floats(0.001, 1.0), min_size=1, max_size=5),
    by_fraction=st.booleans(),
)
def test_batches_split_the_devices_in_order(n: int, sizes: list[int], fractions: list[float],
                                            by_fraction: bool) -> None:
    devices = tuple(f"d{i}" for i in range(n))
    kw = {"batch_size": (), "batch_fraction": tuple(fractions)} if by_fraction else {"batch_size": tuple(sizes)}
    batches = plan(devices, **kw).batches()
    assert sum(batches, ()) == devices
    wanted = [max(1, math.ceil(f * n - 1e-9)) for f in fractions] if by_fraction else sizes
    for k, batch in enumerate(batches[:-1]):
        assert len(batch) == wanted[min(k, len(wanted) - 1)]
    assert 1 <= len(batches[-1]) <= wanted[min(len(batches) - 1, len(wanted) - 1)]
