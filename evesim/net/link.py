"""Link parameters and state."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkParams:
    """One-way latency and jitter (s), bandwidth (bit/s), packet loss probability; on a device's access link,
    ``loss_down`` is the loss towards the device when it differs from ``loss`` (asymmetric loss)."""

    latency_s: float = 0.005
    jitter_s: float = 0.0
    bandwidth_bps: float = 100e6
    loss: float = 0.0
    loss_down: float | None = None

    def __post_init__(self) -> None:
        if self.latency_s < 0 or self.jitter_s < 0:
            raise ValueError("latency and jitter must be >= 0")
        if self.bandwidth_bps <= 0:
            raise ValueError("bandwidth must be > 0")
        if not 0.0 <= self.loss < 1.0 or not 0.0 <= (self.loss_down or 0.0) < 1.0:
            raise ValueError("loss must be in [0, 1)")

    @property
    def loss_towards_device(self) -> float:
        return self.loss if self.loss_down is None else self.loss_down


@dataclass(slots=True)
class Link:
    """A link's parameters and whether it is up."""

    params: LinkParams
    up: bool = True
