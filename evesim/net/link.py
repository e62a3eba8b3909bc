"""Link parameters and state."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkParams:
    """One-way latency and jitter (s), bandwidth (bit/s), packet loss probability."""

    latency_s: float = 0.005
    jitter_s: float = 0.0
    bandwidth_bps: float = 100e6
    loss: float = 0.0

    def __post_init__(self) -> None:
        if self.latency_s < 0 or self.jitter_s < 0:
            raise ValueError("latency and jitter must be >= 0")
        if self.bandwidth_bps <= 0:
            raise ValueError("bandwidth must be > 0")
        if not 0.0 <= self.loss < 1.0:
            raise ValueError("loss must be in [0, 1)")


@dataclass(slots=True)
class Link:
    """A link's parameters and whether it is up."""

    params: LinkParams
    up: bool = True
