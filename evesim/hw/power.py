"""Power supply schedules: when a device loses and regains power."""

from __future__ import annotations

import math


def brownout(start_s: float, cycles: int, on_s: float, off_s: float) -> list[tuple[float, bool]]:
    """Rapid repeated cuts: ``cycles`` times off for ``off_s`` then on for ``on_s``, from ``start_s``.

    Returns ``(time, powered)`` transitions in time order, ending with power restored.
    """
    if cycles < 0:
        raise ValueError(f"cycles must be >= 0, got {cycles}")
    for name, value in (("start_s", start_s), ("on_s", on_s), ("off_s", off_s)):
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"{name} must be a finite number >= 0, got {value}")
    if cycles and (on_s == 0 or off_s == 0):
        raise ValueError("on_s and off_s must be positive for a brownout")
    schedule: list[tuple[float, bool]] = []
    for cycle in range(cycles):
        cut = start_s + cycle * (on_s + off_s)
        schedule += [(cut, False), (cut + off_s, True)]
    return schedule
