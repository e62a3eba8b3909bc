"""Run evesim's agents (through the scripted harness) against evesim's controller core.

The controller answers every request as its ``Policy`` says; a fault (``{action: status}``) makes it
answer that status to that action instead, as a simulated world's controller fault rule does.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from evesim.agent import effects as fx
from evesim.agent import topics, zedclient
from evesim.agent.topics import Attestation, ConfigGet, DpcState, Led, NetworkStatus, NodeStatus
from evesim.agent.zedagent import config, deferred
from evesim.agent.zedagent.state import Zedagent
from evesim.api import certs, pb
from evesim.api.envelope import CryptoMode
from evesim.controller import Controller, Policy
from evesim.controller.stores import MemoryStore
from tests.agent.harness import EPOCH, HARDWARE, Script
from tests.agent.support import CONTROLLER, DEVICE, ONBOARD, bootstrap_files, conn

SERIAL = "SN-TEST-1"
ACTIONS = ("certs", "register", "uuid", "config", "attest", "info", "metrics", "newlogs")


@dataclass
class Answering:
    """A controller core that answers the harness's requests, with ``faults`` forced per action."""

    ctl: Controller
    faults: dict[str, int] = field(default_factory=dict)

    def __call__(self, request: fx.Request) -> fx.Response:
        action = request.path.rsplit("/", 1)[-1]
        if action in self.faults:
            return fx.Response(self.faults[action], b"fault rule", "text/plain")
        reply = self.ctl.handle(request.method, request.path, request.body or b"", None)
        return fx.Response(reply.status, reply.body, reply.content_type)


def controller(policy: Policy | None = None) -> Controller:
    """A controller with the agent tests' identity that allows the onboarding cert for any serial."""
    ctl = Controller(store=MemoryStore(), identity=CONTROLLER, crypto=CryptoMode.FULL, clock=lambda: EPOCH,
                     rng=random.Random(7), policy=policy)
    ctl.onboard_add(ONBOARD.cert_pem, ["*"])
    return ctl


def script(answering: Answering, onboard: bool = True) -> Script:
    """A device on a working network whose requests ``answering`` answers, signing with its real keys."""
    s = Script(files=bootstrap_files(onboard=onboard), responses=dict.fromkeys(ACTIONS, answering))
    s.sign = lambda key, data: certs.sign_raw((ONBOARD if key == "onboard" else DEVICE).key, data)
    s.bus.publish(topics.NETWORK, NetworkStatus(DpcState.SUCCESS, True))
    return s


@dataclass(frozen=True)
class Seen:
    """What the device did: LEDs published, requests made (last path component), sender status etc."""

    leds: list[Led]
    requests: list[str]
    onboarded: bool = False
    status: ConfigGet | None = None
    attest_restarts: int = 0
    queued: bool = False
    extra: Mapping[str, object] = field(default_factory=dict)


def seen(s: Script) -> Seen:
    status = s.bus.get(topics.CONFIG_STATUS)
    return Seen(leds=s.published(topics.LED), requests=[r.path.rsplit("/", 1)[-1] for r in s.requests()],
                onboarded=s.bus.get(topics.ONBOARDING) is not None, status=status.status if status else None,
                attest_restarts=len(s.published(topics.ATTEST_RESTART)))


def onboarding(answering: Answering, onboard: bool = True, max_time: float = 0.5) -> Seen:
    """zedclient from a fresh device until ``max_time``."""
    s = script(answering, onboard)
    s.run(zedclient.run(conn(with_certs=False), DEVICE.cert_pem, SERIAL), max_time=max_time)
    return seen(s)


def registered(ctl: Controller) -> str:
    """Register the test device directly (as pre-provisioning would); its UUID."""
    return ctl.device_add(DEVICE.cert_pem)


def polling(answering: Answering, uuid: str, *, polls: int = 1, updating: bool = False,
            token: bytes = b"", then: Callable[[], object] | None = None) -> Seen:
    """zedagent's config task after a first poll: ``polls`` more polls, faults (and ``then``) applied to those."""
    faults, answering.faults = answering.faults, {}
    s = script(answering)
    s.bus.publish(topics.ATTEST, Attestation(pb.info.ATTESTATION_STATE_COMPLETE, token))
    task = config.ConfigTask(Zedagent(conn=conn(), uuid=uuid, hardware=HARDWARE))
    s.run(task.poll())
    first = len(s.trace)
    answering.faults = faults
    if then is not None:
        then()
    if updating:
        s.bus.publish(topics.NODE, NodeStatus(5, "", 0, 0.0, update_in_progress=True))
    for n in range(polls):
        s.now = 60.0 * (n + 1)
        s.run(task.poll())
    result = seen(s)
    del s.trace[:first]
    after = seen(s)
    return Seen(result.leds, after.requests, result.onboarded, result.status, result.attest_restarts,
                extra={"leds_after_first": after.leds, "all_requests": result.requests})


def posting_info(answering: Answering, uuid: str, max_time: float = 4000.0) -> Seen:
    """zedagent's deferred queue with one info item, for ``max_time`` seconds."""
    s = script(answering)
    z = Zedagent(conn=conn(), uuid=uuid, hardware=HARDWARE)
    queue = deferred.Queue()
    effect = queue.put("device", f"/api/v2/edgedevice/id/{uuid}/info", pb.info.ZInfoMsg().SerializeToString())
    s.bus.publish(effect.topic, effect.value)
    s.run(deferred.run(z, queue), max_time=max_time)
    times = [st.time for st in s.steps(fx.Request)]
    return Seen(s.published(topics.LED), [r.path.rsplit("/", 1)[-1] for r in s.requests()], queued=bool(queue.items),
                extra={"times": times, "dropped": bool(s.logs("info_dropped"))})


def posting_metrics(answering: Answering, uuid: str, max_time: float = 100.0) -> Seen:
    """zedagent's metrics task for ``max_time`` seconds (``timer.metric.interval`` 60 s, draw 0.5: every 39 s)."""
    from evesim.agent.zedagent import tasks

    s = script(answering)
    s.run(tasks.metrics(Zedagent(conn=conn(), uuid=uuid, hardware=HARDWARE)), max_time=max_time)
    return Seen(s.published(topics.LED), [r.path.rsplit("/", 1)[-1] for r in s.requests()],
                extra={"times": [st.time for st in s.steps(fx.Request)]})
