"""Flash timing from a board profile: one latency per I/O plus bytes over bandwidth.

Simplification: a write streams at a constant rate after a fixed setup latency (no caches,
no wear levelling pauses).
"""

from __future__ import annotations

import math

from evesim.hw.board import BoardProfile


def write_seconds(profile: BoardProfile, nbytes: int) -> float:
    """Seconds one write of ``nbytes`` takes; 0 for an empty write."""
    return _seconds(nbytes, profile.flash_latency_s, profile.flash_write_bps)


def read_seconds(profile: BoardProfile, nbytes: int) -> float:
    """Seconds one read of ``nbytes`` takes; 0 for an empty read."""
    return _seconds(nbytes, profile.flash_latency_s, profile.flash_read_bps)


def bytes_written(profile: BoardProfile, elapsed_s: float) -> int:
    """Bytes a write started ``elapsed_s`` ago has put on flash (inverse of ``write_seconds``)."""
    if elapsed_s < 0 or math.isnan(elapsed_s):
        raise ValueError(f"elapsed time must be >= 0, got {elapsed_s}")
    streaming = elapsed_s - profile.flash_latency_s
    if streaming <= 0:
        return 0
    exact = streaming * profile.flash_write_bps
    nearest = round(exact)
    return nearest if abs(exact - nearest) <= 1e-9 * max(1.0, exact) else math.floor(exact)


def _seconds(nbytes: int, latency_s: float, bps: float) -> float:
    if nbytes < 0:
        raise ValueError(f"byte count must be >= 0, got {nbytes}")
    return 0.0 if nbytes == 0 else latency_s + nbytes / bps
