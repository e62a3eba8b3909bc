"""Watchdogs as bookkeeping with explicit times: the simulation decides when to act on them."""

from __future__ import annotations

import math

DEFAULT_CHANGE_S = 500.0
"""The watchdog daemon's ``change`` for touch files. EVE: pkg/grub/rootfs.cfg ``set_generic`` boots every GRUB board
with ``change=500``, which pkg/watchdog/init.sh writes into the daemon's config (its own fallback, 300 s, is used
only without it)."""


class SoftwareWatchdog:
    """Linux ``watchdog`` daemon over agents' touch files: each must change within ``change_s``.

    Simplification: pid-file watches (WatchdogPid) are left to the simulation's process table.
    """

    __slots__ = ("change_s", "_last")

    def __init__(self, change_s: float = DEFAULT_CHANGE_S) -> None:
        if not math.isfinite(change_s) or change_s <= 0:
            raise ValueError(f"change_s must be positive, got {change_s}")
        self.change_s = change_s
        self._last: dict[str, float] = {}

    def watch(self, name: str, now: float) -> None:
        """Start watching ``name``'s touch file, counting ``now`` as its last change."""
        if not name:
            raise ValueError("watch name must not be empty")
        self._last.setdefault(name, now)

    def touch(self, name: str, now: float) -> None:
        """Record that ``name`` touched its file at ``now``; ``KeyError`` if it is not watched."""
        if name not in self._last:
            raise KeyError(f"{name!r} is not watched")
        self._last[name] = max(self._last[name], now)

    def unwatch(self, name: str) -> None:
        """Stop watching ``name`` (no effect if it is not watched)."""
        self._last.pop(name, None)

    @property
    def watched(self) -> list[str]:
        """Watched names, sorted."""
        return sorted(self._last)

    def stale(self, now: float) -> list[str]:
        """Watched names whose file has not changed for more than ``change_s`` at ``now``, sorted."""
        return sorted(name for name, last in self._last.items() if now - last > self.change_s)

    def next_deadline(self) -> float | None:
        """The earliest time at which some watched file is due; None when nothing is watched."""
        return min(self._last.values()) + self.change_s if self._last else None


class HardwareWatchdog:
    """A ``/dev/watchdog`` timer: armed by opening it, reset by every pet, fires at ``deadline``."""

    __slots__ = ("timeout_s", "deadline")

    def __init__(self, timeout_s: float) -> None:
        if not math.isfinite(timeout_s) or timeout_s <= 0:
            raise ValueError(f"hardware watchdog timeout must be positive, got {timeout_s}")
        self.timeout_s = timeout_s
        self.deadline: float | None = None

    @property
    def armed(self) -> bool:
        """True while the timer runs."""
        return self.deadline is not None

    def arm(self, now: float) -> None:
        """Open the device: the timer starts."""
        self.deadline = now + self.timeout_s

    def pet(self, now: float) -> None:
        """Restart the timer; ``RuntimeError`` if it is not armed."""
        if self.deadline is None:
            raise RuntimeError("cannot pet a hardware watchdog that is not armed")
        self.deadline = now + self.timeout_s

    def disarm(self) -> None:
        """Magic close, or a reset of the board: the timer stops."""
        self.deadline = None

    def expired(self, now: float) -> bool:
        """True if the armed timer has run out at ``now``."""
        return self.deadline is not None and now >= self.deadline
