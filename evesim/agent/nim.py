"""nim: management-port connectivity — wait for an address, test the controller with ``/ping``.

Simplification: one management port and one DPC (no fallback list, no last-resort
switching); the test result drives DeviceNetworkStatus as EVE's ``pkg/pillar/dpcmanager`` does.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from evesim.agent import effects as fx
from evesim.agent import topics
from evesim.agent.controllerconn import Conn, url
from evesim.agent.topics import DpcState, Led, NetworkStatus
from evesim.api.vocab import TransportError

AGENT = "nim"
REMOTE_TEMPORARY: frozenset[TransportError] = frozenset({"refused", "cert_invalid"})
"""Transport errors that still show the controller is there (``RemoteTempFailure``)."""


def classify(link: fx.Link, response: fx.Response | None) -> NetworkStatus:
    """DPC state from the port and the ``/ping`` answer."""
    if not link.up or link.address is None:
        return NetworkStatus(DpcState.IPDNS_WAIT if link.up else DpcState.FAIL, False, "no address")
    if response is None:
        return NetworkStatus(DpcState.IPDNS_WAIT, True)
    if response.ok:
        return NetworkStatus(DpcState.SUCCESS, True)
    # EVE: pkg/pillar/controllerconn/send.go VerifyAllIntf: refused, a cert error or a 5xx is a remote temporary failure
    if response.error in REMOTE_TEMPORARY or (response.status is not None and response.status >= 500):
        why = response.status or response.error
        return NetworkStatus(DpcState.REMOTE_WAIT, True, f"remote temporary failure: {why}")
    return NetworkStatus(DpcState.FAIL_WITH_IP_AND_DNS, True, f"ping failed: {response.status or response.error}")


def run(conn: Conn) -> Generator[Any, Any, None]:
    """Test connectivity on start, on link changes and every ``timer.port.testinterval``; show the LED
    as ledmanager derives it (``DeriveLedCounter``): 1 without an address, else at least 2.

    Simplification: ``topics.LED`` is both what agents set and what shows; while there is no address
    nim keeps what they set and shows 1 over it, so a value set then shows for an instant.
    """
    current: NetworkStatus | None = None
    stored: Led | None = None
    """The LED the other agents set while there is no address (ledmanager's ``ledCounter``)."""
    seen = 0
    yield fx.Publish(topics.LED, Led.WAITING_FOR_IP)
    own = True
    """nim's own 1 is on the bus and will wake it once while it watches the LED."""
    while True:
        config = yield from topics.global_config()
        link = yield fx.LinkStatus()
        response = None
        if link.up and link.address is not None:
            response = yield from conn.get(url("ping"), timeout=float(config.int("timer.port.timeout")))
        status = classify(link, response)
        if status != current:
            current = status
            yield fx.Publish(topics.NETWORK, status)
            yield fx.Log(AGENT, "dpc", {"state": status.state.name, "error": status.last_error})
            led = yield fx.Read(topics.LED)
            if not status.has_address and stored is None:
                # EVE: pkg/pillar/types/ledmanagertypes.go DeriveLedCounter: no usable address shows 1 over any value
                stored = led if led is not None else Led.UNDEFINED
                if led != Led.WAITING_FOR_IP:
                    yield fx.Publish(topics.LED, Led.WAITING_FOR_IP)
                    own = True
            elif status.has_address:
                # ... and once there is one, the value set meanwhile, at least 2
                shown = max(stored if stored is not None else (led or Led.UNDEFINED), Led.CONNECTING)
                stored = None
                if shown != led:
                    yield fx.Publish(topics.LED, Led(shown))
        if stored is None:
            own = False
        interval = config.int("timer.port.testinterval")
        if not status.has_address:
            interval = min(interval, config.int("timer.port.testduration"))
        now = yield fx.Now()
        due = now + float(interval)
        while True:
            seen = yield fx.Wait((topics.LINK, topics.LED) if stored is not None else (topics.LINK,),
                                 seen, max(due - (yield fx.Now()), 0.0))
            led = yield fx.Read(topics.LED)
            if stored is None or (yield fx.Now()) >= due:
                break
            if led != Led.WAITING_FOR_IP:
                stored = led  # another agent set the LED while there is no address: keep it, still show 1
                yield fx.Publish(topics.LED, Led.WAITING_FOR_IP)
                own = True
            elif own:
                own = False  # woken by nim's own 1
            else:
                break
