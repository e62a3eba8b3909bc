"""The host backend's effect performers, driven through ``drive`` with small scripted agents."""

from __future__ import annotations

import asyncio
import io
import json
import os
import socket
import stat
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa as rsa_key

from evesim.agent import effects as fx
from evesim.agent import topics
from evesim.api import certs
from evesim.backends import host
from evesim.backends.host import UNSUPPORTED, Clock, HostDevice, drive
from evesim.backends.logsink import LogSink
from evesim.backends.statedir import StateDir

from .conftest import bootstrap
from .tls import Answering, Pki


class Recorder:
    """A stand-in for the runner: records lifecycle calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def start_agent(self, name: str, process: Generator[Any, Any, Any]) -> None:
        self.calls.append(("start", name))

    def reboot(self, reason: str) -> None:
        self.calls.append(("reboot", reason))

    def power_off(self, reason: str) -> None:
        self.calls.append(("poweroff", reason))


class FakeClock:
    def __init__(self) -> None:
        self.mono, self.wall = 100.0, 1_780_000_000.0


def _device(state: StateDir, *, quiet: bool = False, clock: Clock | None = None,
            ports: dict[str, str] | None = None) -> tuple[HostDevice, io.StringIO]:
    out = io.StringIO()
    clock = clock or Clock()
    dev = HostDevice(state, Recorder(), LogSink(out, clock.wall, quiet), clock=clock, seed=7,
                     system=state.root / "no-system", ports=ports)
    return dev, out


def _run(dev: HostDevice, *processes: Generator[Any, Any, Any]) -> None:
    async def go() -> None:
        await asyncio.gather(*(drive(dev, p, "test") for p in processes))
        await dev.client.aclose()

    asyncio.run(go())


def _results(effects: list[Any]) -> Generator[Any, Any, list[Any]]:
    out = []
    for effect in effects:
        out.append((yield effect))
    return out


def _collect(dev: HostDevice, effects: list[Any]) -> list[Any]:
    box: list[list[Any]] = []

    def agent() -> Generator[Any, Any, None]:
        box.append((yield from _results(effects)))

    _run(dev, agent())
    return box[0]


def test_identity_is_created_kept_private_and_signs(state: StateDir) -> None:
    dev, _ = _device(state)
    state.write("/config/serial", b"SER-42")
    pem, signature = _collect(dev, [fx.CreateDeviceIdentity(), fx.Sign("device", b"payload")])
    cert = certs.load_cert(pem)
    assert state.read("/config/device.cert.pem") == pem and "SER-42" in cert.subject.rfc4514_string()
    key_file = state.host_path("/config/device.key.pem")
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert len(signature) == 64 and certs.verify_signature(cert.public_key(), b"payload", signature)


def test_onboard_key_signs_and_a_missing_or_unusable_key_signs_nothing(state: StateDir) -> None:
    dev, _ = _device(state)
    onboard = certs.issue("fleet", certs.Usage.ONBOARDING, seed=b"fleet")
    state.write("/config/onboard.key.pem", onboard.key_pem)
    [signature] = _collect(dev, [fx.Sign("onboard", b"register")])
    assert certs.verify_signature(onboard.cert.public_key(), b"register", signature)
    with pytest.raises(fx.EffectFailed, match="unknown signing key"):
        _collect(dev, [fx.Sign("tpm", b"x")])
    assert _collect(dev, [fx.Sign("device", b"x")]) == [None]
    rsa = rsa_key.generate_private_key(public_exponent=65537, key_size=2048)
    for garbage in (b"garbage", rsa.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                  serialization.NoEncryption())):
        state.write("/config/device.key.pem", garbage)
        assert _collect(dev, [fx.Sign("device", b"x")]) == [None]


def test_a_lost_device_cert_is_made_again_from_the_kept_key(state: StateDir) -> None:
    dev, _ = _device(state)
    [pem] = _collect(dev, [fx.CreateDeviceIdentity()])
    key = state.read("/config/device.key.pem")
    state.write("/config/device.cert.pem", b"garbage")
    assert _collect(dev, [fx.CreateDeviceIdentity()]) == [pem]
    assert state.read("/config/device.key.pem") == key and state.read("/config/device.cert.pem") == pem


def test_a_serial_longer_than_a_cn_still_gets_an_identity(tmp_path: Path) -> None:
    state = StateDir(tmp_path)
    state.ensure()
    state.write("/config/serial", b"S" * 65 + b"\n")
    dev, _ = _device(state)
    [pem] = _collect(dev, [fx.CreateDeviceIdentity()])
    assert certs.load_cert(pem).subject.rfc4514_string() == "CN=" + "S" * 64


def test_clocks_and_random_streams(state: StateDir) -> None:
    fake = FakeClock()
    dev, _ = _device(state, clock=Clock(lambda: fake.mono, lambda: fake.wall))
    fake.mono += 12.5
    now, wall, a1, b1 = _collect(dev, [fx.Now(), fx.WallClock(), fx.Random("a"), fx.Random("b")])
    assert (now, wall) == (12.5, 1_780_000_000.0)
    other, _ = _device(state)
    assert _collect(other, [fx.Random("a"), fx.Random("b")]) == [a1, b1] and a1 != b1
    dev.new_boot()
    assert _collect(dev, [fx.Now()]) == [0.0]


def test_files_through_effects_and_refusals(state: StateDir) -> None:
    dev, _ = _device(state)
    results = _collect(dev, [fx.WriteFile("/persist/x", b"1", keep_bak=True), fx.ReadFile("/persist/x"),
                             fx.ReadFile("/persist/x.bak"), fx.RemoveFile("/persist/x"), fx.ReadFile("/persist/x")])
    assert results == [None, b"1", b"1", None, None]
    with pytest.raises(fx.EffectFailed, match="ValueError: refused device path .*outside /config, /persist and /run"):
        _collect(dev, [fx.WriteFile("/etc/evesim", b"no")])


def test_wait_wakes_on_publish_and_times_out(state: StateDir) -> None:
    dev, _ = _device(state)
    woke: list[int] = []

    def waiter() -> Generator[Any, Any, None]:
        woke.append((yield fx.Wait(("T",), 0, 5.0)))
        woke.append((yield fx.Wait(("T",), woke[-1], 0.02)))
        woke.append((yield fx.Wait(("T",), 0, None)))

    def publisher() -> Generator[Any, Any, None]:
        yield fx.Sleep(0.01)
        yield fx.Publish("T", "v")

    _run(dev, waiter(), publisher())
    assert woke[0] >= 1 and woke[1] == woke[0] and woke[2] == woke[0]
    assert dev.bus.get("T") == "v"


def test_logs_are_json_lines_and_drained_for_upload(state: StateDir) -> None:
    dev, out = _device(state)
    _, _, drained, rest = _collect(dev, [fx.Log("zedagent", "config_applied", {"hash": "ab", "blob": b"\x00"}),
                                         fx.Log("nim", "dpc", {}, "warning"), fx.DrainLogs(1), fx.DrainLogs(10)])
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(x["agent"], x["kind"], x["severity"]) for x in lines] == [("zedagent", "config_applied", "info"),
                                                                     ("nim", "dpc", "warning")]
    assert lines[0]["fields"] == {"hash": "ab", "blob": "b'\\x00'"} and lines[0]["time"].endswith("+00:00")
    assert [(r.agent, r.kind, r.msgid) for r in drained + rest] == [("zedagent", "config_applied", 1),
                                                                    ("nim", "dpc", 2)]
    assert dev.bus.get(topics.LOGS) == 2


def test_quiet_prints_only_warnings_and_errors_but_buffers_all(state: StateDir) -> None:
    dev, out = _device(state, quiet=True)
    _collect(dev, [fx.Log("a", "fine", {}), fx.Log("a", "bad", {}, "error")])
    assert [json.loads(line)["kind"] for line in out.getvalue().splitlines()] == ["bad"]
    assert len(dev.log.buffer) == 2


def test_led_changes_are_logged_once(state: StateDir) -> None:
    dev, out = _device(state)
    _collect(dev, [fx.Publish(topics.LED, topics.Led.CONNECTING), fx.Publish(topics.LED, topics.Led.CONNECTING),
                   fx.Publish(topics.LED, topics.Led.ONBOARDED)])
    leds = [json.loads(line)["fields"] for line in out.getvalue().splitlines()]
    assert leds == [{"blinks": 2, "state": "CONNECTING"}, {"blinks": 4, "state": "ONBOARDED"}]


def test_what_the_host_does_not_have(state: StateDir) -> None:
    dev, out = _device(state)
    results = _collect(dev, [fx.Quote(b"n"), fx.SealKey(b"k"), fx.UnsealKey(b"b"), fx.DeviceCerts(),
                             fx.WritePartition("IMGB", "/persist/downloads/x"),
                             fx.SetPartitionState("IMGB", "updating"),
                             fx.Domain("create", "app"), fx.UnlockVault(b"k"), fx.RandomBytes(16), fx.HardwareInfo(),
                             fx.Partitions(), fx.LinkStatus()])
    quote, seal, unseal, device_certs, write, set_state, domain, vault, random_bytes, hw, view, link = results
    assert (quote, seal, unseal, device_certs, set_state) == (None, None, None, (), None)
    assert write == UNSUPPORTED and domain == fx.DomainState("app", "absent", None, UNSUPPORTED)
    assert vault is True and state.host_path("/persist/vault").is_dir()
    assert isinstance(random_bytes, bytes) and len(random_bytes) == 16
    assert hw.has_tpm is False and view.current == "IMGA" and link == (fx.Link("eth0", False, None),)
    assert json.loads(out.getvalue().splitlines()[-1])["kind"] == "partition_state_refused"


def test_spawn_asks_the_runner(state: StateDir) -> None:
    dev, _ = _device(state)

    def child() -> Generator[Any, Any, None]:
        yield fx.Sleep(0)

    _collect(dev, [fx.Spawn("child", child())])
    assert dev.lifecycle.calls == [("start", "child")]


def test_unknown_effects_are_refused(state: StateDir) -> None:
    dev, _ = _device(state)
    with pytest.raises(fx.EffectFailed, match="cannot perform") as failed:
        _collect(dev, [object()])
    assert isinstance(failed.value.__cause__, TypeError)


def test_serial_headers_until_the_device_has_a_uuid(state: StateDir, pki: Pki, https_server: Answering) -> None:
    dev, _ = _device(state)
    bootstrap(state, https_server.server, pki.ca.cert_pem)
    state.write("/config/serial", b"SER-5")
    state.write("/config/soft_serial", b"soft-5\n")
    before, = _collect(dev, [fx.Request("POST", "/api/v2/edgedevice/register", b"x")])
    state.write("/persist/status/uuid", b"0b0a")
    after, = _collect(dev, [fx.Request("GET", "/api/v2/edgedevice/ping")])
    assert before.status == after.status == 200
    first, second = https_server.seen
    assert (first.headers["X-Serial-Number"], first.headers["X-Soft-Serial"]) == ("SER-5", "soft-5")
    assert "X-Serial-Number" not in second.headers and "Content-Type" not in second.headers
    assert first.headers["X-Request-Id"] != second.headers["X-Request-Id"]


def test_link_changes_are_published(state: StateDir) -> None:
    dev, _ = _device(state)
    dev.set_links((fx.Link("eth0", True, "10.0.0.2"),))
    version = dev.bus.version
    dev.set_links((fx.Link("eth0", True, "10.0.0.2"),))
    assert dev.bus.get(topics.LINK) == (fx.Link("eth0", True, "10.0.0.2"),)
    assert dev.bus.changed_since((topics.LINK,), version) is False
    dev.set_links((fx.Link("eth0", False, None),))
    assert dev.bus.get(topics.LINK) == (fx.Link("eth0", False, None),) == dev.links


def test_several_ports_are_logged_each_as_it_changes(state: StateDir) -> None:
    dev, out = _device(state, ports={"eth0": "127.0.0.2", "eth1": "127.0.0.3"})
    assert dev.links == (fx.Link("eth0", False, None), fx.Link("eth1", False, None))
    dev.set_links((fx.Link("eth0", True, "127.0.0.2"), fx.Link("eth1", False, None)))
    dev.set_links((fx.Link("eth0", True, "127.0.0.2"), fx.Link("eth1", True, "127.0.0.3")))
    changes = [json.loads(line)["fields"] for line in out.getvalue().splitlines() if '"link"' in line]
    assert changes == [{"port": "eth0", "up": True, "address": "127.0.0.2"},
                       {"port": "eth1", "up": True, "address": "127.0.0.3"}]


def test_requests_go_over_the_applied_ports_in_turn_from_their_addresses(
        state: StateDir, pki: Pki, https_server: Answering) -> None:
    """As EVE's SendOnAllIntf: the cheapest port first (here through a proxy that refuses), then the next one,
    each leaving from its own address; ``via`` a port the device does not have reaches nothing."""
    dev, _ = _device(state, ports={"eth0": "127.0.0.2", "eth1": "127.0.0.3"})
    bootstrap(state, https_server.server, pki.ca.cert_pem)
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        dead_proxy = f"127.0.0.1:{closed.getsockname()[1]}"
    dev.apply_ports((fx.Route("eth1", cost=1), fx.Route("eth0", cost=0, proxy=dead_proxy)))
    ping = "/api/v2/edgedevice/ping"
    failover, over_eth0, nowhere = _collect(dev, [fx.Request("GET", ping), fx.Request("GET", ping, via="eth0"),
                                                  fx.Request("GET", ping, via="wlan0")])
    assert failover.status == 200 and [seen.peer for seen in https_server.seen] == ["127.0.0.3"]
    assert (over_eth0.status, over_eth0.error) == (None, "refused")
    assert (nowhere.status, nowhere.error) == (None, "unreachable")
    dev.apply_ports((fx.Route("eth0", cost=0), fx.Route("eth1", cost=1)))
    direct, = _collect(dev, [fx.Request("GET", ping)])
    assert direct.status == 200 and https_server.seen[-1].peer == "127.0.0.2"


def test_a_new_boot_forgets_memory_not_files(state: StateDir) -> None:
    dev, _ = _device(state)
    _collect(dev, [fx.Publish("T", 1), fx.WriteFile("/persist/keep", b"1")])
    dev.new_boot()
    assert dev.bus.get("T") is None and state.read("/persist/keep") == b"1"


def test_fields_json_cannot_hold_are_printed_as_text(state: StateDir) -> None:
    dev, out = _device(state)
    _collect(dev, [fx.Log("a", "odd", {"map": {(1, 2): "tuple key"}}), fx.Publish(topics.LED, "odd")])
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert lines[0]["fields"] == "{'map': {(1, 2): 'tuple key'}}"
    assert lines[1]["fields"] == {"blinks": None, "state": "odd"}


def test_a_failing_handler_names_the_device_the_agent_and_the_effect(state: StateDir,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    dev, _ = _device(state)

    def broken(dev: HostDevice, eff: fx.ReadFile) -> bytes:
        raise OSError(5, "Input/output error")

    monkeypatch.setitem(host.INSTANT, fx.ReadFile, broken)
    with pytest.raises(fx.EffectFailed) as failed:
        _collect(dev, [fx.ReadFile("/persist/status/x")])
    message = str(failed.value)
    assert str(state.root) in message and "agent test" in message and "ReadFile(path='/persist/status/x')" in message
    assert isinstance(failed.value.__cause__, OSError)
