"""EVE's real agents on the host backend against a wrong root CA and a controller answering garbage.

The device logs it, shows the LED EVE would show, stores nothing it was sent and never crashes.
"""

from __future__ import annotations

import asyncio
import io
import json
from typing import Any

from evesim.agent.device_steps import Settings
from evesim.api import certs
from evesim.backends.runner import Options, Runner
from evesim.backends.statedir import StateDir

from .conftest import bootstrap
from .tls import Answer, Answering, Pki


def _run_device(state: StateDir, seconds: float) -> list[dict[str, Any]]:
    """Boot the real agents (identity already made: no 10 s cert sync) for ``seconds``."""
    identity = certs.issue("SER-BAD", certs.Usage.DEVICE, seed=b"bad")
    state.write("/config/device.cert.pem", identity.cert_pem)
    state.write("/config/device.key.pem", identity.key_pem)
    state.write("/config/onboard.cert.pem", identity.cert_pem)
    state.write("/config/onboard.key.pem", identity.key_pem)
    out = io.StringIO()
    options = Options(stream=out, seed=3, system=state.root / "no-system", link_poll_s=0.05)
    assert asyncio.run(Runner(state.root, Settings(), options).run(duration=seconds)) == 0
    return [json.loads(line) for line in out.getvalue().splitlines()]


def _kinds(events: list[dict[str, Any]], agent: str) -> list[str]:
    return [e["kind"] for e in events if e["agent"] == agent]


def test_wrong_root_ca(state: StateDir, https_server: Answering) -> None:
    bootstrap(state, https_server.server, Pki.make("not-the-controllers").ca.cert_pem)
    events = _run_device(state, 1.0)
    dpc = [e["fields"] for e in events if e["kind"] == "dpc"]
    assert dpc[-1]["state"] != "SUCCESS" and dpc[-1]["error"].endswith("ping failed: cert_unknown_authority")
    assert "agent_crashed" not in _kinds(events, "host") and https_server.seen == []
    assert state.read("/persist/status/uuid") is None


def test_controller_answering_garbage(state: StateDir, pki: Pki, https_server: Answering) -> None:
    bootstrap(state, https_server.server, pki.ca.cert_pem)
    https_server.answer = Answer(200, b"\xff\x00 garbage \x13\x37", "application/x-proto-binary")
    events = _run_device(state, 1.5)
    assert "certs_failed" in _kinds(events, "zedclient")
    leds = [e["fields"]["state"] for e in events if e["kind"] == "led"]
    assert leds[-1] == "INVALID_CONTROLLER_CERT"
    assert "agent_crashed" not in _kinds(events, "host")
    assert [s.path for s in https_server.seen].count("/api/v2/edgedevice/certs") >= 1
    assert state.read("/persist/status/uuid") is None and state.read("/persist/checkpoint/controllercerts") is None
