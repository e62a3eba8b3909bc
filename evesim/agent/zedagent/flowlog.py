"""zedagent's flow log sender: zedrouter's FlowMessages queued and posted to ``flowlog`` one at a time.

EVE: ``pkg/pillar/cmd/zedagent/handlenetworkinstance.go`` (``handleAppFlowMonitorImpl``, ``flowlogTask``): each
message is queued (100 at most; a new one is dropped when the queue is full) and sent over all management ports;
a failed one is retried after 1, 2, 4 ... 128 s, unless the queue is more than 90% full, when it is dropped.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Generator
from typing import Any

from evesim.agent import effects as fx
from evesim.agent import topics
from evesim.agent.controllerconn import url
from evesim.agent.zedagent.state import Zedagent

AGENT = "zedagent"
QUEUE_CAP = 100
"""``flowlogQueueCap``."""
DROP_FAILED_ABOVE = 90
"""A message that failed is dropped while the queue is more than this percent full."""
MAX_BACKOFF_EXP = 7
QUEUED = "FlowlogQueued"
"""zedagent-internal: how many flow messages were queued so far (wakes the sender)."""


def run(z: Zedagent) -> Generator[Any, Any, None]:
    """Queue each new flow collection's messages and wake the sender."""
    queue: deque[bytes] = deque()
    seen, last, queued = 0, 0, 0
    while True:
        seen = yield fx.Wait((topics.FLOWS,), seen)
        number, messages = (yield fx.Read(topics.FLOWS)) or (0, ())
        if number == last:
            continue
        if not last:  # the sender starts with the first flows (EVE's runs idle until then)
            yield fx.Spawn(f"{AGENT}.flowlog.send", send(z, queue))
        last = number
        for message in messages:
            if len(queue) >= QUEUE_CAP:
                yield fx.Log(AGENT, "flowlog_dropped", {"why": "queue full", "queued": len(queue)}, "warning")
                continue
            queue.append(message)
        queued += len(messages)
        yield fx.Publish(QUEUED, queued)


def send(z: Zedagent, queue: deque[bytes]) -> Generator[Any, Any, None]:
    """Post the queued messages in order; back off on failure, or drop the message if the queue is nearly full."""
    seen = 0
    failures = 0
    while True:
        if not queue:
            seen = yield fx.Wait((QUEUED,), seen)
            continue
        message = queue[0]
        reply = yield from z.conn.post(url("flowlog", z.uuid), message)
        if reply.status in fx.SUCCESS:
            queue.popleft()
            failures = 0
            yield fx.Log(AGENT, "flowlog_sent", {"bytes": len(message), "queued": len(queue)})
            continue
        if 100 * len(queue) > DROP_FAILED_ABOVE * QUEUE_CAP:
            queue.popleft()
            failures = 0
            yield fx.Log(AGENT, "flowlog_dropped", {"why": "send failed", "queued": len(queue)}, "warning")
            continue
        yield fx.Sleep(float(2 ** min(failures, MAX_BACKOFF_EXP)))
        failures += 1
