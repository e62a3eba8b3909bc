"""zedagent's deferred event queue: reliable delivery of info, keyed per object (EVE's
``pkg/pillar/controllerconn/deferred.go``).

A newer payload for a key replaces the queued one in place; only the very same bytes keep
the item's retry state. Every ``put`` kicks an immediate pass (``KickTimerNow``) besides the
queue's ticker: 1 min doubling to 15 min, each tick ±30 s (``UpdateExpTicker``), restarted
when the queue fills from empty, and ``KickTimerWithinMinute`` when the DPC turns to success.
A pass sends every item whose retry time has come: a transport failure ends the pass;
retriable refusals (401, 403, 407, 408, 429, 5xx) hold the item back 1, 2, 4, 8, 15 min and
move it to the tail; any other 4xx drops it.
Simplification: an empty queue has no ticker (EVE's 24–48 h range ticker only finds nothing to send).
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

from evesim.agent import effects as fx
from evesim.agent import topics
from evesim.agent.topics import DpcState
from evesim.agent.zedagent.state import Zedagent

AGENT = "zedagent"
TOPIC = "zedagent.deferred"
RETRIABLE = frozenset({401, 403, 407, 408, 429})
ITEM_BACKOFF_S = (60.0, 900.0)
TICKER_S = (60.0, 900.0)
"""``shortTime1``, ``shortTime2``: the queue ticker's start and cap."""
TICKER_NOISE_S = 60.0
WITHIN_MINUTE_S = 1.0
"""``KickTimerWithinMinute`` restarts the ticker from 1 s (clamped to noise/2: the first ticks fall in 0–60 s)."""


@dataclass(slots=True)
class Item:
    """One queued message."""

    path: str
    payload: bytes
    attempts: int = 0
    not_before: float = 0.0


class Queue:
    """Queued messages by key, in queue order."""

    __slots__ = ("in_pass", "items", "kicked", "restart")

    def __init__(self) -> None:
        self.items: dict[str, Item] = {}
        self.kicked = False
        """``KickTimerNow`` is pending: run a pass at once."""
        self.restart: float | None = None
        """A ticker restart is pending, from this start (``startTimer`` / ``KickTimerWithinMinute``)."""
        self.in_pass = False

    def put(self, key: str, path: str, payload: bytes) -> fx.Publish:
        """Queue (or replace) an item (``SetDeferred``); yield the returned effect to wake the sender."""
        # EVE: pkg/pillar/controllerconn/deferred.go handleDeferred takes the whole queue for a pass, so a
        # SetDeferred during a pass finds it empty and startTimer restarts the ticker from 1 min
        if not self.items or self.in_pass:
            self.restart = TICKER_S[0]
        # during a pass the queued items are out of the queue (handleDeferred's snapshot): nothing to inherit from
        old = None if self.in_pass else self.items.get(key)
        item = Item(path, payload)
        if old is not None and old.payload == payload:
            item.attempts, item.not_before = old.attempts, old.not_before
        self.items[key] = item
        self.kicked = True
        return fx.Publish(TOPIC, len(self.items))


def _retriable(status: int) -> bool:
    # EVE: pkg/pillar/controllerconn/deferred.go retriableHTTPStatus; any other 4xx would be refused again: dropped
    return status in RETRIABLE or status >= 500


def retry_delay(attempts: int) -> float:
    """An item's hold-off after its ``attempts``-th refusal (``retryDelay``: 1, 2, 4, 8, 15 min, no noise)."""
    return min(ITEM_BACKOFF_S[0] * 2 ** (attempts - 1), ITEM_BACKOFF_S[1])


def _send(z: Zedagent, queue: Queue, key: str, item: Item) -> Generator[Any, Any, str]:
    """Send one item: ``done`` (sent or dropped), ``retry`` (held back) or ``stop`` (no HTTP answer:
    ``itemStopPass`` ends the pass)."""
    reply = yield from z.conn.post(item.path, item.payload)
    z.counters.count(reply, (yield fx.WallClock()))
    if reply.status is None:
        return "stop"
    current = queue.items.get(key) is item
    if reply.status in fx.SUCCESS:
        if current:
            del queue.items[key]
        return "done"
    if _retriable(reply.status):
        item.attempts += 1
        item.not_before = (yield fx.Now()) + retry_delay(item.attempts)
        return "retry"
    if current:
        del queue.items[key]
    yield fx.Log(AGENT, "info_dropped", {"key": key, "status": reply.status}, "error")
    return "done"


def _pass(z: Zedagent, queue: Queue) -> Generator[Any, Any, None]:
    """One ``handleDeferred``: send the items whose retry time has come, in queue order."""
    snapshot = list(queue.items.items())
    done: set[str] = set()
    queue.in_pass = True
    try:
        for key, item in snapshot:
            if item.not_before > (yield fx.Now()):
                continue
            result = yield from _send(z, queue, key, item)
            if result == "done":
                done.add(key)
            elif result == "stop":
                break
    finally:
        queue.in_pass = False
    # mergeQueuesNoLock: the unsent items first, those waiting out a hold-off behind them (so a refused
    # one cannot hold up the rest), each replaced in place by a newer put; items new in this pass last
    now = yield fx.Now()
    unsent = [(key, item) for key, item in snapshot if key not in done and key in queue.items]
    head = [key for key, item in unsent if item.not_before <= now]
    head += [key for key, item in unsent if item.not_before > now]
    order = head + [key for key in queue.items if key not in head]
    items = dict(queue.items)
    queue.items.clear()
    queue.items.update((key, items[key]) for key in order)


def _tick_delay(start: float, factor: int) -> Generator[Any, Any, float]:
    """The flextimer exponential ticker's next delay: base doubling to the cap, ±noise/2."""
    base = max(min(start * factor, TICKER_S[1]), TICKER_NOISE_S / 2)
    return base - TICKER_NOISE_S / 2 + TICKER_NOISE_S * (yield fx.Random("deferred"))


def run(z: Zedagent, queue: Queue) -> Generator[Any, Any, None]:
    """Deliver queued items forever: a pass on every kick and every tick of the queue ticker."""
    seen = 0
    dpc: DpcState | None = None
    start, factor = TICKER_S[0], 1
    next_tick: float | None = None
    while True:
        network = yield fx.Read(topics.NETWORK)
        state = network.state if network is not None else None
        if state == DpcState.SUCCESS and dpc != DpcState.SUCCESS:
            # EVE: pkg/pillar/cmd/zedagent/zedagent.go handleDNSImpl: a DPC success kicks the queue within a minute
            queue.restart = WITHIN_MINUTE_S
        dpc = state
        now = yield fx.Now()
        tick = next_tick is not None and now >= next_tick
        if queue.restart is not None:
            start, factor, queue.restart, tick = queue.restart, 1, None, False
            next_tick = None
        if not queue.items:
            next_tick = None
        elif next_tick is None or tick:
            # flextimer: the exponent grows with every tick; a restart sets it back to 1
            next_tick = now + (yield from _tick_delay(start, factor))
            if start * factor < TICKER_S[1]:
                factor *= 2
        if tick or queue.kicked:
            queue.kicked = False
            yield from _pass(z, queue)
            continue
        seen = yield fx.Wait((TOPIC, topics.NETWORK), seen, None if next_tick is None else max(next_tick - now, 0.0))
