"""Rollout campaigns: move a set of devices to a base-OS version in batches, halting when too many fail.

A campaign is a deterministic state machine advanced by ``tick(now)`` with the controller's clock.
It reads each device's result from the latest ``ZInfoDevice`` the controller stored: an ``swList``
entry for the version with userStatus UPDATED (updated) or FAILED (failed); a device still
undecided at its batch's deadline has timed out (counted as failed).
Simplification: campaigns live in memory only, and a campaign never retries a failed device.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import logging
import math
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import KW_ONLY, dataclass, field
from typing import Any, Literal, Protocol, get_args

from evesim.api import pb
from evesim.controller.devconfig import ConfigError, check_image

CampaignState = Literal["running", "waiting", "halted", "done"]
"""``running``: a batch is in flight; ``waiting``: between batches; ``halted``: no new batches until
resumed; ``done``: every batch settled."""
STATES: tuple[CampaignState, ...] = get_args(CampaignState)
DeviceOutcome = Literal["pending", "updated", "failed", "timed_out"]
"""Where one device of a batch stands; ``timed_out`` counts as failed."""
RESULTS: tuple[DeviceOutcome, ...] = get_args(DeviceOutcome)
RolloutEventKind = Literal["created", "batch_started", "batch_settled", "halted", "resumed", "done"]
"""What a campaign logs (each is also an ``EventKind``)."""
_FRACTION_SLACK = 1e-9
_log = logging.getLogger(__name__)


class RolloutError(ConfigError):
    """A campaign that cannot be created as asked (bad plan, unknown devices)."""


class RolloutConflict(RuntimeError):
    """The request does not fit the campaign's state, or its devices are in another active campaign."""


class UnknownRollout(LookupError):
    """No campaign with this id."""


class Fleet(Protocol):
    """What a campaign needs from the controller (``Controller`` provides it)."""

    def device_uuids(self) -> list[str]: ...

    def set_base_os(self, dev_uuid: str, version: str, *, url: str, sha256: str, size_bytes: int) -> int: ...

    def latest_device_info(self, dev_uuid: str) -> pb.info.ZInfoDevice | None: ...


@dataclass(frozen=True)
class Plan:
    """What to roll out, to whom, and how (by name): batch sizes (or fractions of all devices; the last
    one repeats), the wait after a batch settles, each batch's deadline and the failure rate that halts."""

    devices: tuple[str, ...]
    version: str
    url: str
    sha256: str
    size_bytes: int
    _: KW_ONLY
    batch_size: tuple[int, ...] = ()
    batch_fraction: tuple[float, ...] = ()
    wait_s: float = 0.0
    deadline_s: float = 3600.0
    halt_failure_rate: float = 0.0

    def __post_init__(self) -> None:
        problems = _plan_problems(self)
        if problems:
            raise RolloutError("; ".join(problems))

    def batches(self) -> list[tuple[str, ...]]:
        """The devices split into batches, in the order given."""
        total = len(self.devices)
        sizes = self.batch_size or tuple(max(1, math.ceil(f * total - _FRACTION_SLACK)) for f in self.batch_fraction)
        out: list[tuple[str, ...]] = []
        start = 0
        while start < total:
            size = sizes[min(len(out), len(sizes) - 1)]
            out.append(self.devices[start : start + size])
            start += size
        return out


def stages(value: int | float | Sequence[int] | Sequence[float] | None) -> tuple:
    """A batch size or fraction, or a list of them, as the tuple a ``Plan`` takes (None: empty)."""
    if value is None:
        return ()
    return tuple(value) if isinstance(value, Sequence) else (value,)


def _plan_problems(plan: Plan) -> list[str]:
    problems = []
    if not plan.devices:
        problems.append("a rollout needs at least one device")
    if len(set(plan.devices)) != len(plan.devices):
        problems.append("devices must not repeat")
    if not plan.version:
        problems.append("version must not be empty")
    try:
        check_image(plan.url, plan.sha256, plan.size_bytes)
    except ConfigError as exc:
        problems.append(str(exc))
    if bool(plan.batch_size) == bool(plan.batch_fraction):
        problems.append("give exactly one of batch_size and batch_fraction")
    if any(not isinstance(n, int) or isinstance(n, bool) or n < 1 for n in plan.batch_size):
        problems.append("batch sizes must be integers >= 1")
    if any(not 0.0 < f <= 1.0 for f in plan.batch_fraction):
        problems.append("batch fractions must be in (0, 1]")
    if not (math.isfinite(plan.wait_s) and plan.wait_s >= 0.0):
        problems.append("wait must be a finite number of seconds >= 0")
    if not (math.isfinite(plan.deadline_s) and plan.deadline_s > 0.0):
        problems.append("deadline must be a finite number of seconds > 0")
    if not 0.0 <= plan.halt_failure_rate <= 1.0:
        problems.append("halt_failure_rate must be in [0, 1]")
    return problems


@dataclass
class DeviceResult:
    """One device of a batch: its result so far and when it was decided."""

    uuid: str
    result: DeviceOutcome = "pending"
    at: float | None = None


@dataclass
class Batch:
    """Devices started together; settled once none is pending."""

    index: int
    started_at: float
    deadline_at: float
    devices: list[DeviceResult]
    settled_at: float | None = None

    def counts(self) -> dict[DeviceOutcome, int]:
        """Devices per result."""
        counts = dict.fromkeys(RESULTS, 0)
        for device in self.devices:
            counts[device.result] += 1
        return counts


@dataclass(frozen=True)
class RolloutEvent:
    """Something a campaign did."""

    at: float
    rollout: str
    kind: RolloutEventKind
    fields: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class Campaign:
    """One rollout campaign; advance it with ``tick(fleet, now)``."""

    id: str
    plan: Plan
    created_at: float
    state: CampaignState = "waiting"
    reason: str = ""
    next_batch_at: float | None = None
    batches: list[Batch] = field(default_factory=list)
    events: list[RolloutEvent] = field(default_factory=list)
    _planned: list[tuple[str, ...]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._planned = self.plan.batches()
        if self.next_batch_at is None:
            self.next_batch_at = self.created_at
        self._event(self.created_at, "created", devices=len(self.plan.devices), batches=len(self._planned))

    # ---------------------------------------------------------------- driving

    def tick(self, fleet: Fleet, now: float) -> list[RolloutEvent]:
        """Observe the batch in flight, settle it, halt or finish, start the next batch when due."""
        first = len(self.events)
        while self._step(fleet, now):
            pass
        return self.events[first:]

    def halt(self, now: float, reason: str = "halted by the operator") -> RolloutEvent:
        """Stop starting batches (the batch in flight keeps being observed)."""
        if self.state in ("halted", "done"):
            raise RolloutConflict(f"rollout {self.id} is {self.state}")
        self.state, self.reason, self.next_batch_at = "halted", reason, None
        return self._event(now, "halted", reason=reason, **self._rate_fields())

    def resume(self, now: float) -> RolloutEvent:
        """Continue a halted campaign: the next batch starts at the next tick."""
        if self.state != "halted":
            raise RolloutConflict(f"rollout {self.id} is {self.state}, not halted")
        self.reason = ""
        if self._in_flight() is not None:
            self.state = "running"
        elif len(self.batches) < len(self._planned):
            self.state, self.next_batch_at = "waiting", now
        else:
            self.state = "done"
        event = self._event(now, "resumed")
        if self.state == "done":
            self._event(now, "done", **self._rate_fields())
        return event

    def _step(self, fleet: Fleet, now: float) -> bool:
        batch = self._in_flight()
        if batch is not None:
            self._observe(fleet, batch, now)
            if any(d.result == "pending" for d in batch.devices):
                return False
            self._settle(batch, now)
            return True
        if self.state == "waiting" and self.next_batch_at is not None and now >= self.next_batch_at:
            self._start(fleet, now)
            return True
        return False

    def _start(self, fleet: Fleet, now: float) -> None:
        plan = self.plan
        uuids = self._planned[len(self.batches)]
        batch = Batch(len(self.batches), now, now + plan.deadline_s, [DeviceResult(u) for u in uuids])
        self.batches.append(batch)
        self.state, self.next_batch_at = "running", None
        for device in batch.devices:
            try:
                fleet.set_base_os(device.uuid, plan.version, url=plan.url, sha256=plan.sha256,
                                  size_bytes=plan.size_bytes)
            except (LookupError, ConfigError):  # forgotten by the controller, or its config refuses the edit
                device.result, device.at = "failed", now
        self._event(now, "batch_started", batch=batch.index, devices=len(uuids))

    def _observe(self, fleet: Fleet, batch: Batch, now: float) -> None:
        for device in batch.devices:
            if device.result != "pending":
                continue
            result = _result(fleet, device.uuid, self.plan.version)
            if result == "pending" and now >= batch.deadline_at:
                result = "timed_out"
            if result != "pending":
                device.result, device.at = result, now

    def _settle(self, batch: Batch, now: float) -> None:
        batch.settled_at = now
        self._event(now, "batch_settled", batch=batch.index, **batch.counts(), **self._rate_fields())
        if self.state == "halted":
            return
        rate = self.failure_rate()
        if rate > self.plan.halt_failure_rate:
            self.halt(now, f"failure rate {rate:.3g} exceeds {self.plan.halt_failure_rate:g}")
        elif len(self.batches) < len(self._planned):
            self.state, self.next_batch_at = "waiting", now + self.plan.wait_s
        else:
            self.state = "done"
            self._event(now, "done", **self._rate_fields())

    def _in_flight(self) -> Batch | None:
        return self.batches[-1] if self.batches and self.batches[-1].settled_at is None else None

    def _event(self, now: float, kind: RolloutEventKind, **fields: Any) -> RolloutEvent:
        event = RolloutEvent(now, self.id, kind, {"version": self.plan.version, **fields})
        self.events.append(event)
        return event

    # ---------------------------------------------------------------- reading

    def counts(self) -> dict[str, int]:
        """Devices per result over the campaign, plus ``not_started`` and ``devices``."""
        counts: dict[str, int] = dict.fromkeys(RESULTS, 0)
        for batch in self.batches:
            for name, count in batch.counts().items():
                counts[name] += count
        started = sum(len(b.devices) for b in self.batches)
        return {"devices": len(self.plan.devices), "not_started": len(self.plan.devices) - started, **counts}

    def failure_rate(self) -> float:
        """Failed and timed-out devices over all devices of the settled batches."""
        settled = [d for b in self.batches if b.settled_at is not None for d in b.devices]
        failed = sum(1 for d in settled if d.result in ("failed", "timed_out"))
        return failed / len(settled) if settled else 0.0

    def _rate_fields(self) -> dict[str, Any]:
        return {"failure_rate": round(self.failure_rate(), 6)}

    def summary(self) -> dict[str, Any]:
        """State, plan and counts (no per-device detail)."""
        plan = self.plan
        return {
            "id": self.id,
            "state": self.state,
            "reason": self.reason,
            "version": plan.version,
            "url": plan.url,
            "sha256": plan.sha256,
            "size_bytes": plan.size_bytes,
            "batch_size": list(plan.batch_size) or None,
            "batch_fraction": list(plan.batch_fraction) or None,
            "wait": plan.wait_s,
            "deadline": plan.deadline_s,
            "halt_failure_rate": plan.halt_failure_rate,
            "created_at": self.created_at,
            "next_batch_at": self.next_batch_at,
            "batches_planned": len(self._planned),
            "batches_started": len(self.batches),
            "counts": self.counts(),
            "failure_rate": self.failure_rate(),
        }

    def status(self) -> dict[str, Any]:
        """The summary with every batch's devices and results, and the campaign's events."""
        return {
            **self.summary(),
            "batches": [
                {
                    "index": b.index,
                    "started_at": b.started_at,
                    "deadline_at": b.deadline_at,
                    "settled_at": b.settled_at,
                    "counts": b.counts(),
                    "devices": [{"uuid": d.uuid, "result": d.result, "at": d.at} for d in b.devices],
                }
                for b in self.batches
            ],
            "events": [{"at": e.at, "kind": e.kind, **e.fields} for e in self.events],
        }


def _result(fleet: Fleet, dev_uuid: str, version: str) -> DeviceOutcome:
    """updated / failed from the device's latest info, else pending; a forgotten device has failed."""
    try:
        info = fleet.latest_device_info(dev_uuid)
    except LookupError:
        return "failed"
    if info is None:
        return "pending"
    for sw in info.swList:
        if sw.shortVersion == version:
            if sw.userStatus == pb.info.UPDATED:
                return "updated"
            if sw.userStatus == pb.info.FAILED:
                return "failed"
    return "pending"


class Rollouts:
    """The controller's campaigns, ids ``r1``, ``r2``, ... in creation order."""

    def __init__(self, fleet: Fleet, clock: Callable[[], float]) -> None:
        self.fleet = fleet
        self.clock = clock
        self._campaigns: dict[str, Campaign] = {}

    def create(self, plan: Plan) -> Campaign:
        """Start a campaign (its first batch starts now); refuses unknown or busy devices.

        The campaign is kept only once its first tick succeeded: one that fails at once is not listed.
        """
        known = set(self.fleet.device_uuids())
        unknown = [u for u in plan.devices if u not in known]
        if unknown:
            raise RolloutError(f"unknown devices: {', '.join(unknown[:5])}" + (" ..." if len(unknown) > 5 else ""))
        self._check_free(plan.devices, None)
        campaign = Campaign(f"r{len(self._campaigns) + 1}", plan, self.clock())
        campaign.tick(self.fleet, campaign.created_at)
        self._campaigns[campaign.id] = campaign
        return campaign

    def get(self, rollout_id: str) -> Campaign:
        """The campaign with this id; raises ``UnknownRollout``."""
        campaign = self._campaigns.get(rollout_id)
        if campaign is None:
            raise UnknownRollout(rollout_id)
        return campaign

    def list(self) -> list[Campaign]:
        """Every campaign, oldest first."""
        return list(self._campaigns.values())

    def halt(self, rollout_id: str) -> Campaign:
        """Stop a campaign from starting batches."""
        campaign = self.get(rollout_id)
        campaign.halt(self.clock())
        return campaign

    def resume(self, rollout_id: str) -> Campaign:
        """Continue a halted campaign now."""
        campaign = self.get(rollout_id)
        if campaign.state == "halted":
            self._check_free(campaign.plan.devices, campaign.id)
        now = self.clock()
        campaign.resume(now)
        campaign.tick(self.fleet, now)
        return campaign

    def tick(self, on_error: Callable[[Campaign, Exception], None] | None = None) -> builtins.list[RolloutEvent]:
        """Advance every unfinished campaign to the controller's now.

        A campaign whose tick raises is passed to ``on_error`` and the others still advance; without
        ``on_error`` the exception propagates.
        """
        now = self.clock()
        events: builtins.list[RolloutEvent] = []
        for campaign in self._campaigns.values():
            if campaign.state == "done":
                continue
            try:
                events += campaign.tick(self.fleet, now)
            except Exception as exc:
                if on_error is None:
                    raise
                on_error(campaign, exc)
        return events

    def _check_free(self, devices: Sequence[str], own: str | None) -> None:
        wanted = set(devices)
        for other in self._campaigns.values():
            if other.id != own and other.state in ("running", "waiting") and wanted.intersection(other.plan.devices):
                raise RolloutConflict(f"devices are already in active rollout {other.id}")


@contextlib.asynccontextmanager
async def ticking(rollouts: Rollouts, every_s: float) -> AsyncIterator[None]:
    """While the context is open, tick ``rollouts`` every ``every_s`` seconds on the running event loop.

    A campaign whose tick fails is logged and ticked again next time; the other campaigns carry on.
    """

    async def loop() -> None:
        while True:
            await asyncio.sleep(every_s)
            rollouts.tick(on_error=_log_failure)

    task = asyncio.create_task(loop())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def _log_failure(campaign: Campaign, exc: Exception) -> None:
    _log.error("rollout %s: tick failed: %s", campaign.id, exc, exc_info=exc)
