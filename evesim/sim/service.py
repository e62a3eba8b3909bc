"""The controller as the simulated network sees it: workers, service time, outages, fault rules.

The service core handles the request when it arrives; the answer leaves when a worker has
served it. The controller is a few cells (backends behind a load balancer that pins each device to
one), each an M/D/c queue on a heap of its workers' free times: devices of one cell never queue
behind another's, which is what lets a fleet be split over processes by cell.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Literal

from evesim.api.vocab import TransportError
from evesim.controller import Controller, Reply

FaultAction = Literal["status", "close", "delay"]
"""What a fault rule does to a request it matches: answer ``status``, close the connection, or delay it."""


@dataclass(slots=True)
class FaultRule:
    """evetest's controller fault: match method + path suffix, then answer ``status``, close or delay.

    ``count`` limits how many requests it hits (None = unlimited); ``start``/``end`` bound it in
    simulated seconds.
    """

    action: FaultAction
    method: str = ""
    path_suffix: str = ""
    status: int = 503
    delay_s: float = 0.0
    count: int | None = None
    start: float = 0.0
    end: float = float("inf")

    def matches(self, method: str, path: str, now: float) -> bool:
        """True if this rule applies to the request now."""
        if self.count is not None and self.count <= 0:
            return False
        if not self.start <= now < self.end:
            return False
        return (not self.method or self.method == method) and path.endswith(self.path_suffix)


@dataclass(frozen=True, slots=True)
class Served:
    """What happened at the controller: when the answer leaves, and the answer or a failure."""

    done_at: float
    reply: Reply | None
    error: TransportError | None = None


class SimController:
    """A controller service core behind a bounded pool of workers."""

    def __init__(self, core: Controller, workers: int = 8, service_time_s: float = 0.002, cells: int = 1) -> None:
        if workers < 1 or cells < 1:
            raise ValueError("the controller needs at least one worker and one cell")
        self.core = core
        self.service_time_s = service_time_s
        self.free_at = [[0.0] * n for n in split(workers, cells)]
        self.up = True
        self.rules: list[FaultRule] = []
        self.served = 0
        self.max_wait_s = 0.0

    @property
    def cells(self) -> int:
        """How many cells the workers are split into."""
        return len(self.free_at)

    def serve(self, arrival: float, method: str, path: str, body: bytes, cell: int = 0) -> Served:
        """Handle one request arriving at ``arrival`` at one of the controller's cells."""
        if not self.up:
            return Served(arrival, None, "refused")
        delay = 0.0
        rule = next((r for r in self.rules if r.matches(method, path, arrival)), None)
        if rule is not None:
            if rule.count is not None:
                rule.count -= 1
            if rule.action == "close":
                return Served(arrival, None, "reset")
            if rule.action == "status":
                return Served(arrival, Reply(rule.status))
            delay = rule.delay_s
        free_at = self.free_at[cell]
        start = max(arrival, heapq.heappop(free_at))
        done = start + self.service_time_s
        heapq.heappush(free_at, done)
        self.served += 1
        self.max_wait_s = max(self.max_wait_s, start - arrival)
        return Served(done + delay, self.core.handle(method, path, body))


def split(workers: int, cells: int) -> list[int]:
    """Workers per cell: as even as can be, at least one each (so at most ``workers`` cells)."""
    cells = min(cells, workers)
    return [workers // cells + (1 if c < workers % cells else 0) for c in range(cells)]
