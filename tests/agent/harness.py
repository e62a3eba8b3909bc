"""A scripted-effects harness: drive one sans-IO agent generator and answer its effects from a script.

``Script`` plays the device around the agent: a fake monotonic clock that only moves on
``Sleep``/``Wait``/``Request``, a dict filesystem, canned controller ``Response``s keyed by the
last path component, a real ``Bus`` for pubsub, and actions scheduled at given times. Every
effect is recorded with the time it was answered.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from typing import Any

from evesim.agent import effects as fx
from evesim.agent.pubsub import Bus

EPOCH = 1_780_272_000.0
"""Wall-clock unix time at monotonic 0."""

HARDWARE = fx.Hardware(serial="SN-TEST-1", manufacturer="Acme", product_name="Box-1", ncpu=4, memory_mb=4096,
                       storage_mb=65536, has_tpm=False, has_hw_watchdog=True, power_cycles=3,
                       watchdog_cardreset=False)
PARTITIONS = fx.PartitionView("IMGA", {"IMGA": "active", "IMGB": "unused"}, {"IMGA": "14.5.1", "IMGB": None})

Answer = fx.Response | Sequence[fx.Response] | Callable[[fx.Request], fx.Response]


class _Stop(Exception):
    """The run stops inside an effect; ``resume`` finishes that effect when the run continues."""

    def __init__(self, reason: str, resume: Callable[[], Any] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.resume = resume


@dataclass(frozen=True, slots=True)
class Step:
    """One answered effect: when, what, and what the agent got back."""

    time: float
    effect: Any
    result: Any


@dataclass(frozen=True, slots=True)
class Outcome:
    """Why a run stopped (returned, until, limit, blocked, time, reboot, poweroff) and the return value."""

    stop: str
    value: Any = None


@dataclass
class Script:
    """The scripted surroundings of an agent; fields may be changed between or during runs."""

    files: dict[str, bytes] = field(default_factory=dict)
    responses: dict[str, Answer] = field(default_factory=dict)
    random: float | Sequence[float] | Callable[[str], float] = 0.5
    hardware: fx.Hardware = HARDWARE
    partitions: fx.PartitionView = PARTITIONS
    persist: fx.DiskUsage = fx.DiskUsage(64 * 1024**3, 1024**3)
    memory: fx.Memory = fx.Memory(4096, 1024)
    links: tuple[fx.Link, ...] = (fx.Link("eth0", True, "10.0.0.2"),)
    flows: tuple[fx.Flow, ...] = ()
    """What ``CollectFlows`` answers."""
    pacs: dict[str, fx.PacFetched] = field(default_factory=dict)
    """What ``FetchPac`` answers for each URL (others: no such host)."""
    latency: float = 0.0
    quote: fx.QuoteResult | None = None
    tpm_check: fx.TpmCheck | None = "ok"
    device_certs: tuple[tuple[int, bytes], ...] = ()
    device_pem: bytes = b""
    pending_logs: list[fx.LogRecord] = field(default_factory=list)
    hypervisor: Callable[[fx.Domain], fx.DomainState] | None = None
    downloads: Callable[[fx.Download], fx.DownloadResult] | None = None
    sign: Callable[[str, bytes], bytes] = lambda key, data: b"\x01" * 64
    now: float = 0.0
    horizon: float = math.inf
    bus: Bus = field(default_factory=Bus)
    trace: list[Step] = field(default_factory=list)
    spawned: dict[str, Generator[Any, Any, Any]] = field(default_factory=dict)
    run_spawned: bool = False
    """Run a spawned process to its end at once (it must need no time), instead of only recording it."""
    _actions: list[tuple[float, int, Callable[[], None]]] = field(default_factory=list)
    _draws: int = 0
    _seq: int = 0

    # -------------------------------------------------------------- scripting

    def at(self, time: float, action: Callable[[], None]) -> None:
        """Run ``action`` when the clock reaches ``time`` (while the agent sleeps or waits)."""
        self._seq += 1
        heapq.heappush(self._actions, (time, self._seq, action))

    def publish_at(self, time: float, topic: str, value: Any) -> None:
        """Publish ``value`` on ``topic`` at ``time``."""
        self.at(time, lambda: self.bus.publish(topic, value))

    def drive(self, gen: Generator[Any, Any, Any]) -> Agent:
        """A handle that runs ``gen`` against this script, possibly in several legs."""
        return Agent(self, gen)

    def run(self, gen: Generator[Any, Any, Any], **limits: Any) -> Outcome:
        """Run ``gen`` once; see ``Agent.run`` for the limits."""
        return self.drive(gen).run(**limits)

    # -------------------------------------------------------------- looking at what happened

    def effects(self, kind: type) -> list[Any]:
        """Every recorded effect of one class, in order."""
        return [s.effect for s in self.trace if isinstance(s.effect, kind)]

    def steps(self, kind: type) -> list[Step]:
        """Every recorded step whose effect is of one class."""
        return [s for s in self.trace if isinstance(s.effect, kind)]

    def published(self, topic: str) -> list[Any]:
        """Values published on ``topic``, in order."""
        return [e.value for e in self.effects(fx.Publish) if e.topic == topic]

    def requests(self, action: str | None = None) -> list[fx.Request]:
        """Requests made, optionally only those whose path ends with ``/action``."""
        return [r for r in self.effects(fx.Request) if action is None or _matches(r.path, action)]

    def logs(self, kind: str | None = None) -> list[fx.Log]:
        """``Log`` effects, optionally of one kind."""
        return [e for e in self.effects(fx.Log) if kind is None or e.kind == kind]

    def sleeps(self) -> list[float]:
        """The seconds of every ``Sleep``."""
        return [e.seconds for e in self.effects(fx.Sleep)]

    # -------------------------------------------------------------- answering effects

    def answer(self, effect: Any) -> Any:
        """The result of one effect (may advance the clock or stop the run)."""
        handler = _HANDLERS.get(type(effect))
        if handler is None:
            raise AssertionError(f"the harness cannot answer {effect!r}")
        return handler(self, effect)

    def advance(self, until: float, horizon: float) -> None:
        """Move the clock to ``until``, running due actions; stop the run past ``horizon``."""
        while self._actions and self._actions[0][0] <= min(until, horizon):
            time, _, action = heapq.heappop(self._actions)
            self.now = max(self.now, time)
            action()
        if until > horizon:
            self.now = max(self.now, horizon)
            raise _Stop("time")
        self.now = max(self.now, until)

    def _sleep(self, deadline: float, then: Callable[[], Any] = lambda: None) -> Any:
        try:
            self.advance(deadline, self.horizon)
        except _Stop as stop:
            stop.resume = lambda: self._sleep(deadline, then)
            raise
        return then()

    def _wait(self, eff: fx.Wait, deadline: float) -> int:
        try:
            while not self.bus.changed_since(eff.topics, eff.since):
                upcoming = self._actions[0][0] if self._actions else math.inf
                if upcoming == deadline == math.inf:
                    raise _Stop("blocked")
                if upcoming > deadline:
                    self.advance(deadline, self.horizon)
                    break
                self.advance(upcoming, self.horizon)
        except _Stop as stop:
            stop.resume = lambda: self._wait(eff, deadline)
            raise
        return self.bus.version

    def _request(self, eff: fx.Request) -> fx.Response:
        return self._sleep(self.now + self.latency, lambda: self._respond(eff))

    def _respond(self, eff: fx.Request) -> fx.Response:
        for key, answer in self.responses.items():
            if _matches(eff.path, key):
                if callable(answer):
                    return answer(eff)
                if isinstance(answer, fx.Response):
                    return answer
                queue = list(answer)
                if len(queue) > 1:
                    self.responses[key] = queue[1:]
                return queue[0]
        raise AssertionError(f"unscripted request {eff.method} {eff.path}")

    def _random(self, eff: fx.Random) -> float:
        source = self.random
        if callable(source):
            return source(eff.stream)
        if isinstance(source, (int, float)):
            return float(source)
        value = source[min(self._draws, len(source) - 1)]
        self._draws += 1
        return value

    def _write(self, eff: fx.WriteFile) -> None:
        if eff.keep_bak:
            self.files[eff.path + ".bak"] = self.files.get(eff.path, eff.data)
        self.files[eff.path] = eff.data

    def _scripted(self, answer: Callable[[Any], Any] | None, eff: Any) -> Any:
        if answer is None:
            raise AssertionError(f"unscripted {eff!r}")
        return answer(eff)

    def _spawn(self, eff: fx.Spawn) -> None:
        self.spawned[eff.name] = eff.process
        if self.run_spawned:
            horizon = self.horizon
            outcome = Agent(self, eff.process).run(max_time=horizon)
            self.horizon = horizon
            if outcome.stop != "returned":
                raise AssertionError(f"spawned process {eff.name} stopped: {outcome.stop}")

    def _drain(self, eff: fx.DrainLogs) -> list[fx.LogRecord]:
        out, self.pending_logs = self.pending_logs[: eff.limit], self.pending_logs[eff.limit :]
        return out


def _matches(path: str, action: str) -> bool:
    return path == action or path.endswith("/" + action)


def _stop(reason: str) -> Callable[[Script, Any], Any]:
    def handler(script: Script, eff: Any) -> Any:
        raise _Stop(reason)

    return handler


_HANDLERS: dict[type, Callable[[Script, Any], Any]] = {
    fx.Now: lambda s, e: s.now,
    fx.WallClock: lambda s, e: EPOCH + s.now,
    fx.Random: Script._random,
    fx.Sleep: lambda s, e: s._sleep(s.now + max(e.seconds, 0.0)),
    fx.Request: Script._request,
    fx.LinkStatus: lambda s, e: s.links,
    fx.ApplyPorts: lambda s, e: None,
    fx.ApplyAppNetwork: lambda s, e: None,
    fx.CollectFlows: lambda s, e: s.flows,
    fx.ReadFile: lambda s, e: s.files.get(e.path),
    fx.WriteFile: Script._write,
    fx.RemoveFile: lambda s, e: s.files.pop(e.path, None) and None,
    fx.CreateDeviceIdentity: lambda s, e: s.device_pem,
    fx.Sign: lambda s, e: s.sign(e.key, e.data),
    fx.HardwareInfo: lambda s, e: s.hardware,
    fx.PersistUsage: lambda s, e: s.persist,
    fx.MemoryUsage: lambda s, e: s.memory,
    fx.Quote: lambda s, e: s.quote,
    fx.TpmSanity: lambda s, e: s.tpm_check,
    fx.DeviceCerts: lambda s, e: s.device_certs,
    fx.Partitions: lambda s, e: s.partitions,
    fx.Publish: lambda s, e: s.bus.publish(e.topic, e.value),
    fx.Read: lambda s, e: s.bus.get(e.topic),
    fx.Wait: lambda s, e: s._wait(e, math.inf if e.timeout is None else s.now + max(e.timeout, 0.0)),
    fx.Spawn: lambda s, e: s._spawn(e),
    fx.ListFiles: lambda s, e: tuple(sorted(
        p[len(e.path.rstrip("/")) + 1:] for p in s.files
        if p.startswith(e.path.rstrip("/") + "/") and "/" not in p[len(e.path.rstrip("/")) + 1:])),
    fx.Log: lambda s, e: None,
    fx.DrainLogs: Script._drain,
    fx.Domain: lambda s, e: s._scripted(s.hypervisor, e),
    fx.Download: lambda s, e: s._scripted(s.downloads, e),
    fx.FetchPac: lambda s, e: s.pacs.get(e.url, fx.PacFetched(None, "no such host")),
    fx.Reboot: _stop("reboot"),
    fx.PowerOff: _stop("poweroff"),
}


class Agent:
    """One agent generator being driven; ``run`` may be called again to continue it."""

    def __init__(self, script: Script, gen: Generator[Any, Any, Any]) -> None:
        self.script = script
        self.gen = gen
        self._result: Any = None
        self._resume: Callable[[], Any] | None = None
        self.stopped: str | None = None

    def run(self, until: Callable[[Script], bool] | None = None, limit: int = 10_000,
            max_time: float = math.inf) -> Outcome:
        """Answer effects until the agent returns, ``until(script)`` holds after an effect,
        ``limit`` effects were answered, simulated time would pass ``max_time``, or it blocks.

        A run stopped inside a timed effect finishes that effect first when continued.
        """
        if self.stopped in ("returned", "reboot", "poweroff"):
            raise AssertionError(f"the agent already stopped: {self.stopped}")
        script = self.script
        script.horizon = max_time
        for _ in range(limit):
            try:
                if self._resume is not None:
                    resume, self._resume = self._resume, None
                    self._result = resume()
                    if until is not None and until(script):
                        return self._stop("until")
                effect = self.gen.send(self._result)
            except StopIteration as stop:
                return self._stop("returned", stop.value)
            except _Stop as stop:
                self._resume = stop.resume
                return self._stop(stop.reason)
            try:
                self._result = script.answer(effect)
            except _Stop as stop:
                script.trace.append(Step(script.now, effect, None))
                self._resume = stop.resume
                return self._stop(stop.reason)
            script.trace.append(Step(script.now, effect, self._result))
            if until is not None and until(script):
                return self._stop("until")
        return self._stop("limit")

    def _stop(self, reason: str, value: Any = None) -> Outcome:
        self.stopped = reason
        return Outcome(reason, value)
