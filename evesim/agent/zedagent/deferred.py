"""zedagent's deferred event queue: reliable delivery of info, keyed per object.

A newer payload for a key replaces the queued one. Transport failures back off the whole
queue (1 → 15 min); retriable refusals (401, 403, 407, 408, 429, 5xx) back off the item
(1, 2, 4 … 15 min); any other 4xx drops the item (EVE's ``pkg/pillar/controllerconn/deferred.go``).
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

from evesim.agent import effects as fx
from evesim.agent.controllerconn import Backoff
from evesim.agent.zedagent.state import Zedagent

AGENT = "zedagent"
TOPIC = "zedagent.deferred"
RETRIABLE = frozenset({401, 403, 407, 408, 429})
ITEM_BACKOFF_S = (60.0, 900.0)


@dataclass(slots=True)
class Item:
    """One queued message."""

    path: str
    payload: bytes
    attempts: int = 0
    not_before: float = 0.0


class Queue:
    """Queued messages by key, oldest key first."""

    __slots__ = ("items",)

    def __init__(self) -> None:
        self.items: dict[str, Item] = {}

    def put(self, key: str, path: str, payload: bytes) -> fx.Publish:
        """Queue (or replace) an item; yield the returned effect to wake the sender."""
        old = self.items.get(key)
        self.items[key] = Item(path, payload, old.attempts if old else 0, old.not_before if old else 0.0)
        return fx.Publish(TOPIC, len(self.items))


def _retriable(status: int) -> bool:
    # EVE: pkg/pillar/controllerconn/deferred.go retriableHTTPStatus; any other 4xx would be refused again: dropped
    return status in RETRIABLE or status >= 500


def _send(z: Zedagent, queue: Queue, key: str, item: Item, now: float) -> Generator[Any, Any, bool]:
    """Send one item; False means the link failed and the queue should back off."""
    reply = yield from z.conn.post(item.path, item.payload)
    z.counters.count(reply, (yield fx.WallClock()))
    if reply.status in fx.SUCCESS:
        if queue.items.get(key) is item:
            del queue.items[key]
        return True
    if reply.status is None:
        return False
    if _retriable(reply.status):
        item.attempts += 1
        item.not_before = now + min(ITEM_BACKOFF_S[0] * 2 ** (item.attempts - 1), ITEM_BACKOFF_S[1])
        return True
    if queue.items.get(key) is item:
        del queue.items[key]
    yield fx.Log(AGENT, "info_dropped", {"key": key, "status": reply.status}, "error")
    return True


def run(z: Zedagent, queue: Queue) -> Generator[Any, Any, None]:
    """Deliver queued items forever."""
    backoff = Backoff(60.0, 900.0)
    seen = 0
    while True:
        now = yield fx.Now()
        due = [(key, item) for key, item in queue.items.items() if item.not_before <= now]
        if not due:
            waits = [item.not_before - now for item in queue.items.values()]
            seen = yield fx.Wait((TOPIC,), seen, min(waits) if waits else None)
            continue
        for key, item in due:
            if not (yield from _send(z, queue, key, item, now)):
                yield fx.Sleep(backoff.next())
                break
        else:
            backoff.reset()
