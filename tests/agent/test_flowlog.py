"""zedagent's flow log sender as EVE's ``flowlogTask``: a queue of 100, one message at a time over the management
ports, failures retried after 1, 2, 4 ... 128 s, dropped while the queue is more than 90% full."""

from __future__ import annotations

from collections import deque

from evesim.agent import effects as fx
from evesim.agent import topics
from evesim.agent.zedagent import flowlog
from evesim.agent.zedagent.state import Zedagent
from evesim.api import envelope
from evesim.api.envelope import CryptoMode

from .harness import HARDWARE, Script
from .support import UUID, conn


def _z() -> Zedagent:
    return Zedagent(conn=conn(CryptoMode.TRUSTED), uuid=UUID, hardware=HARDWARE)


def test_messages_go_in_order_and_a_failed_one_is_retried_with_doubling_waits() -> None:
    script = Script(responses={"flowlog": [fx.Response(503), fx.Response(None, error="timeout"), fx.Response(503),
                                           fx.Response(201), fx.Response(200)]})
    queue = deque([b"first", b"second"])
    script.run(flowlog.send(_z(), queue), until=lambda s: len(s.requests("flowlog")) == 5 and not queue)
    sent = [envelope.open_envelope(r.body).payload for r in script.requests("flowlog")]
    assert sent == [b"first"] * 4 + [b"second"]
    assert script.requests("flowlog")[0].path == f"/api/v2/edgedevice/id/{UUID}/flowlog"
    assert script.sleeps() == [1.0, 2.0, 4.0]
    assert [log.kind for log in script.logs()] == ["flowlog_sent", "flowlog_sent"]


def test_a_failed_message_is_dropped_while_the_queue_is_over_90_percent_full() -> None:
    script = Script(responses={"flowlog": fx.Response(503)})
    queue = deque([b"m%d" % i for i in range(92)])
    script.run(flowlog.send(_z(), queue), until=lambda s: len(queue) == 90)
    assert script.sleeps() == [] and [log.kind for log in script.logs()] == ["flowlog_dropped"] * 2
    script.run(flowlog.send(_z(), queue), until=lambda s: len(s.requests("flowlog")) == 6)
    assert len(queue) == 90 and script.sleeps() == [1.0, 2.0, 4.0], "at 90 the message is kept and retried"


def test_a_full_queue_drops_new_messages() -> None:
    script = Script()
    script.publish_at(1.0, topics.FLOWS, (1, tuple(b"m%d" % i for i in range(105))))
    script.run(flowlog.run(_z()), max_time=10.0)
    drops = script.logs("flowlog_dropped")
    assert len(drops) == 5 and drops[0].fields == {"why": "queue full", "queued": 100}
    assert script.published(flowlog.QUEUED) == [105]
