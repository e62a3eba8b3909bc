"""Bad input in a simulated world (issue 3): corrupt or missing state files, a controller answering
garbage, unsigned or forged bodies, a wrong root CA. The device logs it, shows EVE's LED,
keeps what it had, retries, never crashes, and recovers once the fault is gone."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from evesim.agent import paths, topics
from evesim.agent.topics import Led
from evesim.api import certs, controller_certs, envelope, pb
from evesim.api.envelope import CryptoMode
from evesim.controller import ControllerIdentity
from evesim.controller.reply import PROTO, Reply
from evesim.sim.device import SimDevice
from evesim.sim.service import FaultRule
from evesim.sim.world import Group, World, WorldSpec

MINUTE = 60.0
IMPOSTOR = ControllerIdentity.generate(seed=b"sim-bad-input-impostor")


def _world(crypto: CryptoMode = CryptoMode.TRUSTED, count: int = 3, start: bool = True) -> World:
    world = World(WorldSpec(seed=21, groups=(Group("fleet", count),), crypto=crypto))
    if start:
        world.start()
    return world


def _settled(crypto: CryptoMode = CryptoMode.TRUSTED) -> World:
    """A fleet 20 minutes after power-on: onboarded, configured, ``lastconfig.bak`` written."""
    world = _world(crypto)
    world.run(20 * MINUTE)
    for device in world.devices:
        assert device.led == Led.ONBOARDED
        assert device.hw.fs.read(paths.LASTCONFIG_BAK) is not None
    return world


def _events(world: World, device: SimDevice, kind: str, since: float = 0.0) -> list[dict]:
    return [e.data() for e in world.log.of_kind(kind) if e.device == device.name and e.time >= since]


def _config(device: SimDevice) -> dict[str, object]:
    return dict(device.bus.get(topics.GLOBAL_CONFIG).config)


def _healthy(world: World, devices: list[SimDevice]) -> None:
    for device in devices:
        assert device.state == "running" and device.led == Led.ONBOARDED
        assert device.bus.get(topics.CONFIG_STATUS).status is topics.ConfigGet.SUCCESS


def _answer_config(world: World, change: Callable[[Reply, str], Reply]) -> Callable[[], None]:
    """Let the controller's ``/config`` answers pass through ``change``; returns the undo."""
    core = world.core
    real = core.handle

    def handle(method: str, path: str, body: bytes, headers: object = None) -> Reply:
        reply = real(method, path, body, headers)
        return change(reply, path.split("/")[-2]) if path.endswith("/config") else reply

    core.handle = handle
    return lambda: setattr(core, "handle", real)


def _forged_config(world: World, uuid: str, key: object) -> bytes:
    """A ConfigResponse that sets a 5 s poll interval, signed by ``key`` under the real signing-cert hash."""
    config = world.core.config(uuid)
    config.configItems.add(key="timer.config.interval", value="5")
    config.config_timestamp.seconds += 3600
    payload = pb.config.ConfigResponse(config=config, configHash="forged").SerializeToString()
    signature = certs.sign_raw(key, payload) if key is not None else envelope.ZERO_SIGNATURE
    return envelope.seal(payload, signature, world.core.identity.signing_hash)


# -------------------------------------------------------------- a controller answering badly


@pytest.mark.parametrize(
    "make_body, content_type, led",
    [
        (lambda world, uuid: b"\x0a\x03abc this is not an AuthContainer", PROTO, Led.INVALID_AUTH_CONTAINER),
        (lambda world, uuid: pb.config.ConfigResponse(config=world.core.config(uuid)).SerializeToString(), PROTO,
         Led.INVALID_AUTH_CONTAINER),
        (lambda world, uuid: _forged_config(world, uuid, IMPOSTOR.signing.key), PROTO, Led.INVALID_AUTH_CONTAINER),
        (lambda world, uuid: _forged_config(world, uuid, None), PROTO, Led.INVALID_AUTH_CONTAINER),
        (lambda world, uuid: _forged_config(world, uuid, world.core.identity.signing.key), "text/html", Led.CONNECTED),
    ],
    ids=["garbage", "unsigned-bare-protobuf", "forged-signature", "zero-signature", "wrong-content-type"],
)
def test_bad_config_answers_are_refused_and_the_device_recovers(make_body, content_type: str, led: Led) -> None:
    world = _settled(CryptoMode.FULL)
    before = {d.name: (_config(d), d.hw.fs.read(paths.LASTCONFIG)) for d in world.devices}
    start = world.env.now
    undo = _answer_config(world, lambda reply, uuid: Reply(200, make_body(world, uuid), content_type))
    world.run(start + 10 * MINUTE)
    for device in world.devices:
        assert device.state == "running"
        assert device.led == led
        assert (_config(device), device.hw.fs.read(paths.LASTCONFIG)) == before[device.name]
        assert len(_events(world, device, "config_failed", start)) >= 8
    undo()
    world.run(world.env.now + 2 * MINUTE)
    _healthy(world, world.devices)


def test_forged_signature_is_not_noticed_in_trusted_mode() -> None:
    world = _settled(CryptoMode.TRUSTED)
    undo = _answer_config(world,
                          lambda reply, uuid: Reply(200, _forged_config(world, uuid, IMPOSTOR.signing.key), PROTO))
    world.run(world.env.now + 2 * MINUTE)
    undo()
    assert all(_config(d)["timer.config.interval"] == 5 for d in world.devices)


@pytest.mark.parametrize(
    "rule, led, sender",
    [
        (FaultRule("status", path_suffix="/config", status=503), Led.CONNECTED, "upgrade"),
        # the first 404 shows 3, then the /uuid re-check's 200 shows 4, and later 404s leave it (zedagent's own
        # ledBlinkCount is 3 by then): EVE's LED says onboarded while /config is refused
        (FaultRule("status", path_suffix="/config", status=404), Led.ONBOARDED, "not_found"),
        (FaultRule("status", path_suffix="/config", status=500), Led.CONNECTING, "http_error"),
        (FaultRule("close", path_suffix="/config"), Led.CONNECTING, "transport"),
    ],
    ids=["503", "404", "500", "connection-reset"],
)
def test_config_refusals_keep_the_saved_config(rule: FaultRule, led: Led, sender: str) -> None:
    world = _settled()
    before = {d.name: _config(d) for d in world.devices}
    start = world.env.now
    world.controller.rules.append(rule)
    world.run(start + 15 * MINUTE)
    for device in world.devices:
        assert device.led == led
        assert _config(device) == before[device.name]
        failures = _events(world, device, "config_failed", start)
        assert len(failures) >= 10 and {f["sender"] for f in failures} == {sender}
    world.controller.rules.remove(rule)
    world.run(world.env.now + 2 * MINUTE)
    _healthy(world, world.devices)


def test_404_makes_the_device_ask_uuid_again_at_most_every_10_minutes() -> None:
    world = _settled()
    device = world.devices[0]
    asked: list[float] = []
    real = world.core.handle

    def handle(method: str, path: str, body: bytes, headers: object = None) -> Reply:
        if path.endswith("/uuid") and world.core.handle is handle:
            asked.append(world.env.now)
        return real(method, path, body, headers)

    start = world.env.now
    world.core.handle = handle
    world.controller.rules.append(FaultRule("status", path_suffix=f"{device.uuid}/config", status=404))
    world.run(start + 35 * MINUTE)
    assert 4 <= len(asked) <= 5
    assert all(b - a >= 10 * MINUTE for a, b in zip(asked, asked[1:], strict=False))
    assert device.uuid in world.core.device_uuids() and device.state == "running"
    assert [d.led for d in world.devices] == [Led.ONBOARDED] * 3


def test_controller_outage_keeps_devices_configured_and_they_return() -> None:
    world = _settled()
    before = {d.name: _config(d) for d in world.devices}
    world.controller.up = False
    world.run(world.env.now + 30 * MINUTE)
    for device in world.devices:
        assert device.led == Led.CONNECTED and _config(device) == before[device.name]
        assert _events(world, device, "config_failed")[-1]["sender"] == "refused"
    world.controller.up = True
    world.run(world.env.now + 2 * MINUTE)
    _healthy(world, world.devices)


# -------------------------------------------------------------- corrupt or missing state files, then a reboot


def _reboot_offline(world: World, device: SimDevice, minutes: float = 10.0) -> float:
    """Reboot ``device`` with the controller down; returns when the controller came back."""
    world.controller.up = False
    device.reset("soft", "test reboot")
    world.run(world.env.now + minutes * MINUTE)
    return world.env.now


def test_corrupt_lastconfig_falls_back_to_lastconfig_bak() -> None:
    world = _settled()
    device = world.devices[0]
    expected = _config(device)
    device.hw.fs.corrupt(paths.LASTCONFIG)
    _reboot_offline(world, device)
    assert device.state == "running" and device.boots == 2
    assert _events(world, device, "config_read_saved")[-1]["file"] == paths.LASTCONFIG_BAK
    assert _config(device) == expected
    # the client fetches /certs at every boot; unreachable, it shows 14, which zedagent leaves until a success
    assert device.led == Led.INVALID_CONTROLLER_CERT
    world.controller.up = True
    world.run(world.env.now + 2 * MINUTE)
    _healthy(world, [device])
    assert _events(world, device, "config_checkpoint_unreadable")[-1]["file"] == paths.LASTCONFIG
    healed = pb.config.ConfigResponse.FromString(device.hw.fs.read(paths.LASTCONFIG))
    assert healed.config.id.uuid == device.uuid


@pytest.mark.parametrize("damage", ["corrupt", "remove"])
def test_no_usable_checkpoint_means_defaults_until_the_controller_answers(damage: str) -> None:
    world = _settled()
    device = world.devices[0]
    for path in (paths.LASTCONFIG, paths.LASTCONFIG_BAK):
        getattr(device.hw.fs, damage)(path)
        device.hw.fs.fsync_dir("/persist/checkpoint")
    _reboot_offline(world, device)
    assert device.state == "running" and device.led == Led.INVALID_CONTROLLER_CERT
    assert device.bus.get(topics.GLOBAL_CONFIG) is None
    assert _events(world, device, "config_read_saved") == []
    assert _events(world, device, "onboarded")[-1]["fast_path"] is True
    world.controller.up = True
    world.run(world.env.now + 2 * MINUTE)
    _healthy(world, [device])
    assert device.hw.fs.read(paths.LASTCONFIG)


def test_corrupt_controller_certs_checkpoint_heals_from_bak() -> None:
    world = _settled()
    device = world.devices[0]
    device.hw.fs.corrupt(paths.CONTROLLER_CERTS)
    _reboot_offline(world, device)
    assert _events(world, device, "onboarded")[-1] == {"fast_path": True, "uuid": device.uuid}
    assert _events(world, device, "checkpoint_unusable")[-1]["file"] == paths.CONTROLLER_CERTS
    assert _events(world, device, "config_read_saved")
    world.controller.up = True
    world.run(world.env.now + 2 * MINUTE)
    _healthy(world, [device])
    for path in (paths.CONTROLLER_CERTS, paths.CONTROLLER_CERTS + ".bak"):
        assert controller_certs.verify(device.hw.fs.read(path), [world.core.identity.root.cert])


def test_corrupt_uuid_file_is_ignored_and_the_uuid_comes_back_from_the_controller() -> None:
    world = _settled()
    device = world.devices[0]
    uuid = device.uuid
    device.hw.fs.corrupt(paths.UUID)
    device.reset("soft", "test reboot")
    world.run(world.env.now + 5 * MINUTE)
    assert _events(world, device, "uuid_file_malformed")
    assert _events(world, device, "onboarded")[-1] == {"fast_path": False, "uuid": uuid}
    assert device.hw.fs.read(paths.UUID) == uuid.encode()
    _healthy(world, [device])


def test_corrupt_uuid_file_with_the_controller_down_waits_for_the_controller() -> None:
    world = _settled()
    device = world.devices[0]
    device.hw.fs.corrupt(paths.UUID)
    _reboot_offline(world, device)
    assert device.bus.get(topics.ONBOARDING) is None
    world.controller.up = True
    world.run(world.env.now + 12 * MINUTE)
    _healthy(world, [device])


def test_corrupt_device_cert_is_recreated_from_the_tpm_key() -> None:
    world = _settled()
    device = world.devices[0]
    uuid = device.uuid
    device.hw.fs.corrupt(paths.DEVICE_CERT)
    device.reset("soft", "test reboot")
    world.run(world.env.now + 5 * MINUTE)
    assert _events(world, device, "device_cert_unreadable")
    assert _events(world, device, "register")[-1]["status"] == 200
    assert device.uuid == uuid
    _healthy(world, [device])


@pytest.mark.parametrize("path", [paths.BOOT_REASON, paths.RESTART_COUNTER, paths.REBOOT_CONFIG_COUNTER,
                                  paths.HARDWARE_MODEL])
def test_corrupt_bookkeeping_files_do_not_stop_the_device(path: str) -> None:
    world = _settled()
    device = world.devices[0]
    device.write_durable(path, b"\xff\xfe\x00 not a number")
    device.reset("soft", "test reboot")
    world.run(world.env.now + 5 * MINUTE)
    _healthy(world, [device])
    assert world.core.latest_device_info(device.uuid) is not None


# -------------------------------------------------------------- a wrong root CA on the device


def test_wrong_root_ca_shows_14_retries_and_recovers_when_fixed() -> None:
    world = _settled()
    device, others = world.devices[0], world.devices[1:]
    good_root = device.hw.fs.read(paths.ROOT_CERT)
    saved = device.hw.fs.read(paths.LASTCONFIG)
    device.write_durable(paths.ROOT_CERT, IMPOSTOR.root_pem)
    device.reset("soft", "test reboot")
    start = world.env.now
    world.run(start + 60 * MINUTE)
    assert device.state == "running" and device.led == Led.INVALID_CONTROLLER_CERT
    failures = _events(world, device, "certs_failed", start)
    assert len(failures) >= 8
    assert device.hw.fs.read(paths.LASTCONFIG) == saved
    _healthy(world, others)
    device.write_durable(paths.ROOT_CERT, good_root)
    world.run(world.env.now + 11 * MINUTE)
    _healthy(world, [device])


def test_fresh_device_with_a_wrong_root_ca_does_not_onboard_until_fixed() -> None:
    world = _world(count=2, start=False)
    device = world.devices[1]
    device.write_durable(paths.ROOT_CERT, IMPOSTOR.root_pem)
    world.start()
    world.run(30 * MINUTE)
    assert device.uuid == "" and device.led == Led.INVALID_CONTROLLER_CERT
    assert world.core.device_uuids() == [world.devices[0].uuid]
    device.write_durable(paths.ROOT_CERT, world.bootstrap.root_pem)
    world.run(world.env.now + 11 * MINUTE)
    _healthy(world, world.devices)


@pytest.mark.parametrize(
    "suffix, body, led",
    [
        ("/certs", envelope.seal(b"\x0a\x05junk!", envelope.ZERO_SIGNATURE, b"\x00" * 32), Led.INVALID_CONTROLLER_CERT),
        ("/certs", b"\xff\xfe not even an envelope", Led.INVALID_CONTROLLER_CERT),
        ("/uuid", b"\x0a\x03abc garbage", Led.INVALID_AUTH_CONTAINER),
    ],
    ids=["certs-junk-payload", "certs-garbage", "uuid-garbage"],
)
def test_garbage_onboarding_answers_block_onboarding_until_fixed(suffix: str, body: bytes, led: Led) -> None:
    world = _world(count=2)
    real = world.core.handle

    def handle(method: str, path: str, request: bytes, headers: object = None) -> Reply:
        return Reply(200, body, PROTO) if path.endswith(suffix) else real(method, path, request, headers)

    world.core.handle = handle
    world.run(15 * MINUTE)
    assert all(d.led == led and d.uuid == "" and d.state == "running" for d in world.devices)
    world.core.handle = real
    world.run(world.env.now + 11 * MINUTE)
    _healthy(world, world.devices)


def test_a_corrupt_soft_device_key_sends_nothing_and_the_run_goes_on() -> None:
    world = World(WorldSpec(seed=21, groups=(Group("pi", 2, board="rpi4"),), crypto=CryptoMode.FULL))
    world.start()
    world.run(20 * MINUTE)
    device, other = world.devices
    assert device.led == Led.ONBOARDED and not device.hw.tpm
    key = device.hw.fs.read(paths.DEVICE_KEY)
    device.write_durable(paths.DEVICE_KEY, b"not a key")
    since = world.env.now
    device.reset("soft", "test reboot")
    world.run(since + 5 * MINUTE)
    failed = _events(world, device, "uuid_failed", since)
    assert len(failed) > 2 and {f["error"] for f in failed} == {"not sent: the device key is missing or unusable"}
    assert device.hw.fs.read(paths.DEVICE_KEY) == b"not a key" and device.state == "running"
    _healthy(world, [other])
    uuid = device.uuid
    device.write_durable(paths.DEVICE_KEY, key)
    world.run(world.env.now + 15 * MINUTE)
    _healthy(world, [device])
    assert device.uuid == uuid
