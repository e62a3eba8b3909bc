"""Same seed, same clock, same requests: the controller answers with the same bytes."""

from __future__ import annotations

import random

from evesim.api import certs, pb
from evesim.api.certs import Usage
from evesim.controller import Controller, ControllerIdentity
from evesim.controller.stores import MemoryStore

from .conftest import Clock, Device


def _run() -> list[bytes]:
    clock = Clock()
    ctl = Controller(
        store=MemoryStore(),
        identity=ControllerIdentity.generate(seed=b"replay"),
        clock=clock,
        rng=random.Random(42),
    )
    onboard = certs.issue("replay-onboard", Usage.ONBOARDING, seed=b"replay")
    ctl.onboard_add(onboard.cert_pem)
    replies = []
    for name in ("a", "b"):
        dev = Device(ctl, onboard, name)
        replies += [dev.register().body, dev.fetch_uuid().body]
        nonce = dev.post("attest", pb.attest.ZAttestReq(reqType=pb.attest.ATTEST_REQ_NONCE))
        quote = dev.post("attest", pb.attest.ZAttestReq(reqType=pb.attest.ATTEST_REQ_QUOTE))
        dev.token = pb.attest.ZAttestResponse.FromString(dev.open(quote)).quoteResp.integrity_token
        clock.now += 7.5
        ctl.set_app(dev.uuid, "web")
        ctl.set_config_items(dev.uuid, {"timer.config.interval": "10"})
        replies += [nonce.body, quote.body, dev.poll().body]
    return replies


def test_seeded_controller_replays_byte_for_byte() -> None:
    first, second = _run(), _run()
    assert first == second
    assert len(set(first)) > 4
