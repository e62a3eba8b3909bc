"""zedagent's config task: polling, applying, checkpoints, temporary failures, LEDs."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evesim.agent import effects as fx
from evesim.agent import paths, topics
from evesim.agent.bootreason import BootReason
from evesim.agent.fixes import Fix
from evesim.agent.topics import Attestation, ConfigGet, Led, NodeStatus
from evesim.agent.zedagent import config
from evesim.agent.zedagent.state import Zedagent
from evesim.api import envelope, pb

from .harness import HARDWARE, Script
from .support import CONTROLLER, OTHER_CONTROLLER, ROTATED, UUID, certs_answer, conn, signed

COMPLETE = pb.info.ATTESTATION_STATE_COMPLETE


def edge_config(stamp: int = 1000, items: dict[str, str] | None = None, reboot: int = 0) -> pb.config.EdgeDevConfig:
    """A device config with a timestamp, config items and a reboot counter."""
    cfg = pb.config.EdgeDevConfig()
    cfg.id.uuid = UUID
    cfg.config_timestamp.seconds = stamp
    cfg.reboot.counter = reboot
    for key, value in (items or {}).items():
        cfg.configItems.add(key=key, value=value)
    return cfg


def payload(cfg: pb.config.EdgeDevConfig, config_hash: str) -> bytes:
    """The ``ConfigResponse`` bytes the controller signs (and the device checkpoints)."""
    return pb.config.ConfigResponse(config=cfg, configHash=config_hash).SerializeToString()


def answer(cfg: pb.config.EdgeDevConfig, config_hash: str) -> fx.Response:
    """A signed 200 carrying ``cfg``."""
    return signed(payload(cfg, config_hash))


A = edge_config(1000, {"timer.config.interval": "11"})
B = edge_config(2000, {"timer.config.interval": "22"})


def _setup(*answers: fx.Response, token: bytes = b"token-1") -> tuple[Script, config.ConfigTask]:
    script = Script(responses={"config": list(answers)})
    script.bus.publish(topics.ATTEST, Attestation(COMPLETE, token))
    z = Zedagent(conn=conn(), uuid=UUID, hardware=HARDWARE, attestation_tries=1)
    return script, config.ConfigTask(z)


def _poll(script: Script, task: config.ConfigTask, at: float | None = None) -> None:
    if at is not None:
        script.now = at
    assert script.run(task.poll()).stop == "returned"


def _interval(script: Script) -> int:
    return script.bus.get(topics.GLOBAL_CONFIG).config.int("timer.config.interval")


# -------------------------------------------------------------- the request


def test_request_carries_config_hash_and_integrity_token() -> None:
    script, task = _setup(answer(A, "hash-a"), fx.Response(304))
    _poll(script, task)
    _poll(script, task)
    first, second = (pb.config.ConfigRequest.FromString(_open(r.body)) for r in script.requests("config"))
    assert first.configHash == "" and first.integrity_token == b"token-1"
    assert second.configHash == "hash-a"
    assert script.requests()[0].path == f"/api/v2/edgedevice/id/{UUID}/config"


def _open(body: bytes) -> bytes:
    return envelope.open_envelope(body).payload


# -------------------------------------------------------------- success


def test_new_config_is_applied_published_and_checkpointed() -> None:
    script, task = _setup(answer(A, "hash-a"))
    _poll(script, task)
    assert _interval(script) == 11
    assert script.bus.get(topics.DEVICE_OPS) == topics.OpsCommands(reboot=0, shutdown=0)
    assert script.files[paths.LASTCONFIG] == payload(A, "hash-a")
    assert task.z.config_hash == "hash-a"
    assert script.bus.get(topics.CONFIG_STATUS).status is ConfigGet.SUCCESS
    assert script.bus.get(topics.LED) == Led.ONBOARDED


def test_304_changes_nothing() -> None:
    script, task = _setup(answer(A, "hash-a"), fx.Response(304))
    _poll(script, task)
    before = len(script.effects(fx.Publish))
    writes = len(script.effects(fx.WriteFile))
    _poll(script, task, at=60.0)
    published = [e.topic for e in script.effects(fx.Publish)[before:]]
    assert published == []
    assert len(script.effects(fx.WriteFile)) == writes
    assert task.z.config_hash == "hash-a"


def test_200_with_the_same_hash_changes_nothing() -> None:
    script, task = _setup(answer(A, "hash-a"), answer(A, "hash-a"))
    _poll(script, task)
    _poll(script, task, at=60.0)
    assert len(script.logs("config_applied")) == 1
    assert [e.path for e in script.effects(fx.WriteFile)] == [paths.LASTCONFIG] + [paths.LASTCONFIG_BAK] * 2


def test_a_changed_config_replaces_the_checkpoint() -> None:
    script, task = _setup(answer(A, "hash-a"), answer(B, "hash-b"))
    _poll(script, task)
    _poll(script, task, at=60.0)
    assert _interval(script) == 22
    assert script.files[paths.LASTCONFIG] == payload(B, "hash-b")


def test_older_config_timestamp_is_rejected() -> None:
    script, task = _setup(answer(B, "hash-b"), answer(A, "hash-a"))
    _poll(script, task)
    _poll(script, task, at=60.0)
    assert _interval(script) == 22
    assert task.z.config_hash == "hash-b"
    assert script.files[paths.LASTCONFIG] == payload(B, "hash-b")
    assert script.logs("config_obsolete")
    # EVE's obsoleteConfig: the fetch's ConfigGetFail stands
    assert script.bus.get(topics.CONFIG_STATUS).status is ConfigGet.FAIL


@pytest.mark.parametrize("fixes", [frozenset(), frozenset({"config-device-check"})])
def test_a_config_recorded_for_another_device(fixes: frozenset[Fix]) -> None:
    """EVE applies a config naming another device; the config-device-check fix refuses it."""
    other = edge_config(2000, {"timer.config.interval": "22"})
    other.id.uuid = "0b6b2b6e-0f6e-4a39-9d7e-5c3c9f7e2a11"
    script, task = _setup(answer(A, "hash-a"), answer(other, "hash-other"))
    task.z.fixes = fixes
    _poll(script, task)
    _poll(script, task, at=60.0)
    refused = bool(fixes)
    assert _interval(script) == (11 if refused else 22)
    assert script.files[paths.LASTCONFIG] == (payload(A, "hash-a") if refused else payload(other, "hash-other"))
    assert bool(script.logs("config_for_another_device")) is refused


def test_a_200_carrying_the_applied_hash_is_received_but_a_failed_fetch_without_led() -> None:
    script, task = _setup(answer(A, "hash-a"), fx.Response(503), answer(A, "hash-a"))
    _poll(script, task)
    _poll(script, task, at=60.0)
    assert script.bus.get(topics.LED) == Led.CONNECTED
    _poll(script, task, at=120.0)
    # EVE: requestConfigByURL jumps to cfgReceived: no LED 4, no ConfigGetSuccess
    assert script.bus.get(topics.LED) == Led.CONNECTED
    assert script.bus.get(topics.CONFIG_STATUS).status is ConfigGet.FAIL and task.received


def test_reboot_counter_is_published_as_device_ops() -> None:
    script, task = _setup(answer(A, "hash-a"), answer(edge_config(1500, reboot=4), "hash-r"))
    _poll(script, task)
    _poll(script, task, at=60.0)
    assert script.published(topics.DEVICE_OPS) == [topics.OpsCommands(reboot=0, shutdown=0),
                                                   topics.OpsCommands(reboot=4, shutdown=0)]


# -------------------------------------------------------------- lastconfig.bak


def _bak_writes(script: Script) -> int:
    return len([w for w in script.effects(fx.WriteFile) if w.path == paths.LASTCONFIG_BAK])


def test_first_change_of_a_boot_is_backed_up_at_once_later_ones_only_past_the_window() -> None:
    # EVE: pkg/pillar/cmd/zedagent/handleconfig.go backupSavedConfig: lastConfigBackup starts at zero time, and a
    # change is backed up only when it is more than timer.test.baseimage.update after the last backup
    c = edge_config(3000, {"timer.config.interval": "33"})
    script, task = _setup(answer(A, "hash-a"), answer(B, "hash-b"), fx.Response(304), answer(c, "hash-c"))
    _poll(script, task, at=0.0)
    assert script.files[paths.LASTCONFIG_BAK] == payload(A, "hash-a")
    _poll(script, task, at=300.0)
    _poll(script, task, at=5000.0)
    assert script.files[paths.LASTCONFIG_BAK] == payload(A, "hash-a")
    _poll(script, task, at=5001.0)
    assert script.files[paths.LASTCONFIG_BAK] == payload(c, "hash-c")


def test_bak_window_follows_the_config_item() -> None:
    short, second, third = (edge_config(t, {"timer.test.baseimage.update": "30"}) for t in (1000, 2000, 3000))
    script, task = _setup(answer(short, "hash-s"), answer(second, "hash-2"), answer(third, "hash-3"))
    _poll(script, task, at=0.0)
    _poll(script, task, at=30.0)
    assert script.files[paths.LASTCONFIG_BAK] == payload(short, "hash-s")
    _poll(script, task, at=31.0)
    assert script.files[paths.LASTCONFIG_BAK] == payload(third, "hash-3")


# -------------------------------------------------------------- failures and LEDs


@pytest.mark.parametrize(
    "response, led",
    [
        (fx.Response(503), Led.CONNECTED),
        (fx.Response(404), Led.CONNECTED),
        (fx.Response(400), Led.CONNECTED),
        (fx.Response(None, error="refused"), Led.CONNECTED),
        (fx.Response(None, error="cert_invalid"), Led.CONNECTED),
        (signed(payload(A, "x"), content_type="text/plain"), Led.CONNECTED),
        (signed(payload(A, "x"), key=OTHER_CONTROLLER), Led.INVALID_AUTH_CONTAINER),
        (signed(payload(A, "x"), identity=OTHER_CONTROLLER), Led.INVALID_AUTH_CONTAINER),
        (fx.Response(200, b"\x0a\xff garbage", "application/x-proto-binary"), Led.INVALID_AUTH_CONTAINER),
        (fx.Response(None, error="timeout"), Led.CONNECTING),
        (fx.Response(None, error="unreachable"), Led.CONNECTING),
        (fx.Response(500), Led.CONNECTING),
        (fx.Response(403), Led.CONNECTING),
    ],
    ids=["503", "404", "400", "refused", "cert-invalid", "content-type", "forged", "cert-miss", "garbage",
         "timeout", "unreachable", "500", "403"],
)
def test_failure_led_after_being_onboarded(response: fx.Response, led: Led) -> None:
    script, task = _setup(answer(A, "hash-a"), response)
    script.responses.update(uuid=fx.Response(400), certs=certs_answer())
    _poll(script, task)
    assert script.bus.get(topics.LED) == Led.ONBOARDED
    _poll(script, task, at=60.0)
    assert script.bus.get(topics.LED) == led
    assert script.bus.get(topics.CONFIG_STATUS).status is ConfigGet.FAIL
    assert _interval(script) == 11 and task.z.config_hash == "hash-a"


@pytest.mark.parametrize("response", [fx.Response(None, error="timeout"), fx.Response(500), fx.Response(403)])
def test_transport_failure_leaves_other_leds_alone(response: fx.Response) -> None:
    script, task = _setup(response)
    script.bus.publish(topics.LED, Led.CONNECTED)
    script.responses.update(uuid=fx.Response(400))
    _poll(script, task)
    assert script.bus.get(topics.LED) == Led.CONNECTED


def test_success_after_failure_lights_4_again() -> None:
    script, task = _setup(answer(A, "hash-a"), fx.Response(503), fx.Response(304))
    for t in (0.0, 60.0, 120.0):
        _poll(script, task, at=t)
    assert script.published(topics.LED) == [Led.ONBOARDED, Led.CONNECTED, Led.ONBOARDED]
    assert script.bus.get(topics.CONFIG_STATUS).status is ConfigGet.SUCCESS


# -------------------------------------------------------------- reactions to specific failures


def test_404_retries_uuid_at_most_every_10_minutes_counted_from_zedagents_start() -> None:
    script, task = _setup(*[fx.Response(404)] * 25)
    script.responses["uuid"] = signed(pb.uuid.UuidResponse(uuid=UUID).SerializeToString())
    times = [60.0 * i for i in range(25)]
    for t in times:
        _poll(script, task, at=t)
    uuid_times = [s.time for s in script.steps(fx.Request) if s.effect.path.endswith("/uuid")]
    assert uuid_times == [600.0, 1200.0]
    assert script.published(topics.ONBOARDING) == []


def test_404_then_a_new_uuid_from_the_controller_is_adopted() -> None:
    new = "0f0e0d0c-0b0a-4909-8807-060504030201"
    script, task = _setup(fx.Response(404))
    script.responses["uuid"] = signed(pb.uuid.UuidResponse(uuid=new, manufacturer="Acme", product_name="Box-1")
                                      .SerializeToString())
    task.z.config_hash = "hash-old"
    _poll(script, task, at=600.0)
    assert task.z.uuid == new and task.z.config_hash == ""
    assert script.bus.get(topics.ONBOARDING) == topics.Onboarding(new, "Acme.Box-1")
    assert script.files[paths.UUID] == new.encode()


def test_403_restarts_attestation_once_a_quote_was_sent() -> None:
    script, task = _setup(fx.Response(403))
    _poll(script, task)
    assert script.published(topics.ATTEST_RESTART) == [0.0]


def test_403_before_any_quote_this_boot_neither_restarts_attestation_nor_is_temporary() -> None:
    # EVE: pkg/pillar/cmd/zedagent/handleconfig.go requestConfigByURL: both only when attestationTryCount > 0
    script, task = _setup(fx.Response(403))
    task.z.attestation_tries = 0
    _updating(script)
    _poll(script, task)
    assert script.published(topics.ATTEST_RESTART) == []
    assert script.bus.get(topics.CONFIG_STATUS).status is ConfigGet.FAIL


def test_403_restarts_attestation_whatever_its_state() -> None:
    # EVE: restartAttestation is sent on every such 403; the state machine keeps one pending during an attempt
    script, task = _setup(fx.Response(403), fx.Response(403))
    script.bus.publish(topics.ATTEST, Attestation(pb.info.ATTESTATION_STATE_NONCE_WAIT))
    _poll(script, task)
    _poll(script, task, at=30.0)
    assert script.published(topics.ATTEST_RESTART) == [0.0, 30.0]


def test_after_403_the_next_poll_keeps_the_ticker_even_when_a_new_token_arrives() -> None:
    script = Script(responses={"config": [fx.Response(403), answer(A, "hash-a")]}, random=0.0)
    script.bus.publish(topics.ATTEST, Attestation(COMPLETE, b"token-1"))
    script.publish_at(7.0, topics.ATTEST, Attestation(COMPLETE, b"token-2"))
    z = Zedagent(conn=conn(), uuid=UUID, hardware=HARDWARE)
    script.run(config.run(z), until=lambda s: len(s.requests("config")) == 2)
    second = script.steps(fx.Request)[-1]
    # the range ticker's draw of 0 is 0.3 × 60 s
    assert second.time == pytest.approx(18.0)
    assert pb.config.ConfigRequest.FromString(_open(second.effect.body)).integrity_token == b"token-2"


def test_cert_miss_refetches_certs_and_recovers() -> None:
    script, task = _setup(answer(A, "hash-a"), signed(payload(B, "hash-b"), identity=ROTATED),
                          signed(payload(B, "hash-b"), identity=ROTATED))
    script.files[paths.ROOT_CERT] = CONTROLLER.root_pem
    script.responses["certs"] = certs_answer(ROTATED)
    _poll(script, task)
    _poll(script, task, at=60.0)
    assert len(script.requests("certs")) == 1
    assert script.bus.get(topics.CONTROLLER_CERTS).signing_hash == ROTATED.signing_hash
    assert task.z.conn.controller.signing_hash == ROTATED.signing_hash
    _poll(script, task, at=120.0)
    assert _interval(script) == 22 and script.bus.get(topics.LED) == Led.ONBOARDED


def test_refetched_certs_from_another_root_are_not_adopted() -> None:
    script, task = _setup(signed(payload(A, "x"), identity=OTHER_CONTROLLER))
    script.files[paths.ROOT_CERT] = CONTROLLER.root_pem
    script.responses["certs"] = certs_answer(OTHER_CONTROLLER)
    _poll(script, task)
    assert task.z.conn.controller.signing_hash == CONTROLLER.signing_hash
    assert script.logs("certs_failed")


# -------------------------------------------------------------- temporary failures during an update


def _updating(script: Script) -> None:
    script.bus.publish(topics.NODE, NodeStatus(int(BootReason.UPDATE), "", 0, 0.0, update_in_progress=True))


@pytest.mark.parametrize("response", [fx.Response(503), fx.Response(404), fx.Response(403),
                                      fx.Response(None, error="refused"), fx.Response(None, error="cert_invalid")])
def test_controller_reachable_failures_are_temporary_during_update(response: fx.Response) -> None:
    script, task = _setup(response)
    script.responses.update(uuid=fx.Response(400), certs=certs_answer())
    _updating(script)
    _poll(script, task, at=42.0)
    assert script.bus.get(topics.CONFIG_STATUS).status is ConfigGet.TEMPORARY_FAIL


@pytest.mark.parametrize("response", [fx.Response(None, error="timeout"), fx.Response(500)])
def test_unreachable_controller_is_a_plain_failure_during_update(response: fx.Response) -> None:
    script, task = _setup(response)
    _updating(script)
    _poll(script, task, at=42.0)
    assert script.bus.get(topics.CONFIG_STATUS).status is ConfigGet.FAIL


def test_failures_outside_an_update_are_not_temporary() -> None:
    script, task = _setup(fx.Response(503))
    _poll(script, task)
    assert script.bus.get(topics.CONFIG_STATUS).status is ConfigGet.FAIL


# -------------------------------------------------------------- checkpoint at boot

BAK_REASONS = [BootReason.FALLBACK, BootReason.FATAL, BootReason.OOM, BootReason.WATCHDOG_HUNG,
               BootReason.WATCHDOG_PID, BootReason.VAULT_FAILED, BootReason.HW_WATCHDOG, BootReason.FIRST,
               BootReason.NONE]
LAST_REASONS = [BootReason.REBOOT_CMD, BootReason.UPDATE, BootReason.DISCONNECT, BootReason.KERNEL,
                BootReason.POWER_FAIL, BootReason.UNKNOWN]


def _saved(reason: BootReason,
           response: fx.Response = fx.Response(None, error="timeout")) -> tuple[Script, config.ConfigTask]:
    script, task = _setup(response)
    script.files[paths.LASTCONFIG] = payload(B, "hash-b")
    script.files[paths.LASTCONFIG_BAK] = payload(A, "hash-a")
    script.bus.publish(topics.NODE, NodeStatus(int(reason), "", 1, 0.0))
    return script, task


@pytest.mark.parametrize("reason", BAK_REASONS, ids=lambda r: r.name)
def test_bad_endings_start_from_lastconfig_bak(reason: BootReason) -> None:
    script, task = _saved(reason)
    _poll(script, task)
    assert _interval(script) == 11 and task.z.config_hash == "hash-a"
    assert script.bus.get(topics.CONFIG_STATUS).status is ConfigGet.READ_SAVED


@pytest.mark.parametrize("reason", LAST_REASONS, ids=lambda r: r.name)
def test_clean_endings_start_from_lastconfig(reason: BootReason) -> None:
    script, task = _saved(reason)
    _poll(script, task)
    assert _interval(script) == 22 and task.z.config_hash == "hash-b"
    assert script.bus.get(topics.CONFIG_STATUS).status is ConfigGet.READ_SAVED


@pytest.mark.parametrize("response", [fx.Response(503), fx.Response(None, error="timeout")])
def test_checkpoint_is_read_once_and_only_without_config(response: fx.Response) -> None:
    script, task = _saved(BootReason.KERNEL, response)
    script.responses["uuid"] = fx.Response(400)
    _poll(script, task)
    _poll(script, task, at=60.0)
    assert len(script.logs("config_read_saved")) == 1
    assert script.bus.get(topics.CONFIG_STATUS).status is ConfigGet.FAIL


@pytest.mark.parametrize(("response", "led"), [
    (signed(b"x", key=OTHER_CONTROLLER), Led.INVALID_AUTH_CONTAINER),
    (signed(payload(A, "x"), content_type="text/plain"), Led.CONNECTED),
    (signed(b"\x0a\xff not a ConfigResponse"), Led.CONNECTED),
], ids=["forged", "content-type", "unparseable"])
def test_an_answer_that_is_no_usable_config_reads_no_checkpoint(response: fx.Response, led: Led) -> None:
    # EVE's invalidConfig: the LED says why, ConfigGetFail stands, lastconfig is not read, nothing was received
    script, task = _saved(BootReason.KERNEL, response)
    _poll(script, task)
    assert script.logs("config_read_saved") == [] and task.z.config_hash == ""
    assert script.bus.get(topics.LED) == led
    assert script.bus.get(topics.CONFIG_STATUS).status is ConfigGet.FAIL and not task.received


def test_a_failure_before_zedagents_first_success_leaves_the_led_zedclient_set() -> None:
    script, task = _setup(fx.Response(None, error="timeout"))
    script.bus.publish(topics.LED, Led.ONBOARDED)  # zedclient's /uuid 200
    _poll(script, task)
    assert script.bus.get(topics.LED) == Led.ONBOARDED


def test_only_the_first_failure_after_a_success_changes_the_led() -> None:
    script, task = _setup(answer(A, "hash-a"), fx.Response(503), fx.Response(None, error="timeout"))
    _poll(script, task)
    _poll(script, task, at=60.0)
    assert script.bus.get(topics.LED) == Led.CONNECTED
    _poll(script, task, at=120.0)
    assert script.bus.get(topics.LED) == Led.CONNECTED


def test_no_checkpoint_after_config_from_the_controller() -> None:
    script, task = _saved(BootReason.KERNEL, answer(A, "hash-a"))
    script.responses["config"] = [answer(A, "hash-a"), fx.Response(None, error="timeout")]
    _poll(script, task)
    _poll(script, task, at=60.0)
    assert script.logs("config_read_saved") == []


def test_unreadable_lastconfig_falls_back_to_bak_and_is_healed() -> None:
    script, task = _saved(BootReason.KERNEL)
    script.files[paths.LASTCONFIG] = bytes(b ^ 0xFF for b in payload(B, "hash-b"))
    _poll(script, task)
    assert _interval(script) == 11
    assert script.files[paths.LASTCONFIG] == payload(A, "hash-a")
    (log,) = script.logs("config_checkpoint_unreadable")
    assert log.fields["file"] == paths.LASTCONFIG and log.severity == "warning"


def test_unreadable_bak_after_a_bad_ending_is_no_config_and_lastconfig_is_not_read() -> None:
    # EVE: pkg/pillar/cmd/zedagent/handleconfig.go requestConfigByURL reads only .bak then (invalidConfig, no fall back)
    script, task = _saved(BootReason.WATCHDOG_HUNG)
    script.files[paths.LASTCONFIG_BAK] = b"\xff\xff\xff"
    _poll(script, task)
    assert script.bus.get(topics.GLOBAL_CONFIG) is None
    assert script.bus.get(topics.CONFIG_STATUS).status is ConfigGet.FAIL
    assert script.files[paths.LASTCONFIG_BAK] == b"\xff\xff\xff"
    assert [w.path for w in script.effects(fx.WriteFile)] == []


def test_no_checkpoint_at_all_keeps_defaults_and_fails() -> None:
    script, task = _setup(fx.Response(None, error="timeout"))
    script.bus.publish(topics.NODE, NodeStatus(int(BootReason.KERNEL), "", 1, 0.0))
    _poll(script, task)
    assert script.bus.get(topics.GLOBAL_CONFIG) is None
    assert script.bus.get(topics.CONFIG_STATUS).status is ConfigGet.FAIL


# -------------------------------------------------------------- the poll loop: jitter


def _loop(draws: list[float], *answers: fx.Response, polls: int = 6) -> Script:
    script = Script(responses={"config": list(answers)}, random=draws)
    script.bus.publish(topics.ATTEST, Attestation(COMPLETE, b"t"))
    z = Zedagent(conn=conn(), uuid=UUID, hardware=HARDWARE)
    script.run(config.run(z), until=lambda s: len(s.requests("config")) == polls)
    return script


def _gaps(script: Script) -> list[float]:
    """The time between consecutive ``/config`` requests (the loop also wakes every 25 s in between)."""
    times = [s.time for s in script.steps(fx.Request) if s.effect.path.endswith("/config")]
    return [b - a for a, b in zip(times, times[1:], strict=False)]


def test_first_poll_is_immediate_and_ticks_follow_the_draws() -> None:
    draws = [0.0, 0.5, 0.999, 0.25, 0.75]
    script = _loop(draws, fx.Response(304))
    assert script.steps(fx.Request)[0].time == 0.0
    assert _gaps(script) == pytest.approx([60 * (0.3 + 0.7 * d) for d in draws])
    assert [e.stream for e in script.effects(fx.Random)] == ["config"] * 5


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(0.0, 1.0, exclude_max=True), min_size=3, max_size=3))
def test_every_tick_is_within_0_3_and_1_0_of_the_interval(draws: list[float]) -> None:
    script = _loop(draws, answer(A, "hash-a"), fx.Response(304), polls=4)
    assert _gaps(script)[0] == pytest.approx(11 * (0.3 + 0.7 * draws[0]))
    for gap in _gaps(script):
        assert 0.3 * 11 - 1e-9 <= gap <= 11.0 + 1e-9


def test_interval_change_applies_to_the_next_tick() -> None:
    script = _loop([0.999], fx.Response(304), answer(B, "hash-b"), fx.Response(304), polls=4)
    gaps = _gaps(script)
    assert gaps[0] == pytest.approx(60 * (0.3 + 0.7 * 0.999))
    assert gaps[1] == pytest.approx(22 * (0.3 + 0.7 * 0.999))
    assert gaps[2] == pytest.approx(22 * (0.3 + 0.7 * 0.999))


# -------------------------------------------------------------- app hold during a base OS activation


def _with_update(stamp: int, apps: tuple[str, ...], version: str | None = "14.6.0",
                 activate: bool = True) -> pb.config.EdgeDevConfig:
    """A config with app instances named ``apps`` and, unless ``version`` is None, a base OS to activate."""
    cfg = edge_config(stamp)
    for i, name in enumerate(apps):
        app = cfg.apps.add(displayname=name)
        app.uuidandversion.uuid = f"00000000-0000-0000-0000-00000000000{i}"
    if version is not None:
        cfg.baseos.content_tree_uuid = "baseos-tree"
        cfg.baseos.base_os_version = version
        cfg.baseos.activate = activate
    return cfg


def _apps(script: Script) -> list[str]:
    return [app.name for app in script.bus.get(topics.APP_CONFIG) or ()]


def _failed(version: str) -> topics.BaseOsReport:
    sw = topics.DevSw(partition="IMGB", partition_state="inprogress", version=version,
                      status=pb.info.ZSwState.INSTALLED,
                      user_status=pb.info.BaseOsStatus.FAILED, error="boot failed")
    return topics.BaseOsReport(sw=(sw,))


def _hold_setup(*answers: fx.Response, fixes: frozenset[Fix] = frozenset()) -> tuple[Script, config.ConfigTask]:
    script, task = _setup(*answers)
    task.z.fixes = fixes
    return script, task


def test_eve_drops_the_apps_of_a_config_that_starts_a_base_os_activation() -> None:
    script, task = _hold_setup(answer(_with_update(1000, ("web",), version=None), "h1"),
                               answer(_with_update(2000, ("web", "db")), "h2"))
    _poll(script, task)
    assert _apps(script) == ["web"]
    _poll(script, task)
    assert _apps(script) == ["web"]
    assert script.bus.get(topics.BASEOS_CONFIG).version == "14.6.0"
    # the skipped config is saved, counts as a failed fetch for nodeagent and does not set the LED
    assert pb.config.ConfigResponse.FromString(script.files[paths.LASTCONFIG]).configHash == "h2"
    assert script.bus.get(topics.CONFIG_STATUS).status is ConfigGet.FAIL


def test_eve_lifts_the_hold_on_a_304_without_publishing_the_held_apps() -> None:
    script, task = _hold_setup(answer(_with_update(1000, ("web",), version=None), "h1"),
                               answer(_with_update(2000, ("web", "db")), "h2"), fx.Response(304), fx.Response(304))
    for _ in range(4):
        _poll(script, task)
    assert not task.skipping
    assert _apps(script) == ["web"]
    assert script.bus.get(topics.CONFIG_STATUS).status is ConfigGet.SUCCESS


def test_eve_keeps_the_hold_while_each_fetch_brings_a_new_config() -> None:
    # EVE: pkg/pillar/cmd/zedagent/parseconfig.go parseConfig: configProcessingRV == skipConfigUpdate keeps dropping
    script, task = _hold_setup(answer(_with_update(1000, ("web",), version=None), "h1"),
                               answer(_with_update(2000, ("web", "db")), "h2"),
                               answer(_with_update(3000, ("web", "db", "cache")), "h3"),
                               fx.Response(304), answer(_with_update(4000, ("web", "cache")), "h4"))
    for _ in range(3):
        _poll(script, task)
    assert _apps(script) == ["web"]
    _poll(script, task)
    _poll(script, task)
    # the base OS element is unchanged, so the next new config publishes its apps
    assert _apps(script) == ["web", "cache"]


def test_eve_holds_the_first_config_after_a_fallback_boot_and_then_runs_no_apps() -> None:
    # after a failed update the old image runs, the config still activates 14.6.0 and baseOSPrevConfigHash is empty
    cfg = _with_update(2000, ("web", "db"))
    script, task = _hold_setup(answer(cfg, "h2"), fx.Response(304), fx.Response(304))
    script.bus.publish(topics.BASEOS_STATUS, _failed("14.6.0"))
    for _ in range(3):
        _poll(script, task)
    assert script.bus.get(topics.APP_CONFIG) is None


def test_fix_release_app_hold_publishes_the_held_apps_once_the_update_failed() -> None:
    cfg = _with_update(2000, ("web", "db"))
    script, task = _hold_setup(answer(cfg, "h2"), fx.Response(304), fixes=frozenset({"release-app-hold"}))
    _poll(script, task)
    assert script.bus.get(topics.APP_CONFIG) is None
    script.bus.publish(topics.BASEOS_STATUS, _failed("14.6.0"))
    _poll(script, task)
    assert _apps(script) == ["web", "db"]


def test_a_saved_config_does_not_start_the_hold() -> None:
    script, task = _hold_setup(fx.Response(503))
    script.files[paths.LASTCONFIG] = payload(_with_update(2000, ("web",)), "h2")
    script.bus.publish(topics.NODE, NodeStatus(int(BootReason.KERNEL), "", 1, 0.0))
    _poll(script, task)
    assert _apps(script) == ["web"]
    assert script.bus.get(topics.CONFIG_STATUS).status is ConfigGet.READ_SAVED


def test_a_failure_after_a_skipped_fetch_reads_the_skipped_config_and_keeps_the_hold() -> None:
    script, task = _hold_setup(answer(_with_update(2000, ("web",)), "h2"), fx.Response(503), fx.Response(304))
    _poll(script, task)
    _poll(script, task)
    assert task.skipping and script.bus.get(topics.APP_CONFIG) is None
    _poll(script, task)
    assert not task.skipping and script.bus.get(topics.APP_CONFIG) is None


def test_a_running_version_or_no_activate_does_not_hold() -> None:
    script, task = _hold_setup(answer(_with_update(2000, ("web",), version="14.5.1"), "h2"),
                               answer(_with_update(3000, ("web", "db"), activate=False), "h3"))
    _poll(script, task)
    assert _apps(script) == ["web"]
    _poll(script, task)
    assert _apps(script) == ["web", "db"]


@pytest.mark.parametrize("fixes", [frozenset(), frozenset({"config-timestamp-floor"})])
def test_an_older_config_after_a_reboot(fixes: frozenset[Fix]) -> None:
    """EVE forgets the applied config's timestamp at a reboot and applies an older one; the fix keeps the floor."""
    script, task = _setup(answer(A, "hash-a"))
    task.z.fixes = fixes
    script.files[paths.LASTCONFIG] = payload(B, "hash-b")
    _poll(script, task)
    refused = bool(fixes)
    assert bool(script.logs("config_obsolete")) is refused
    assert script.files[paths.LASTCONFIG] == (payload(B, "hash-b") if refused else payload(A, "hash-a"))
    if not refused:
        assert _interval(script) == 11


def test_the_floor_ignores_a_checkpoint_it_cannot_read() -> None:
    script, task = _setup(answer(A, "hash-a"))
    task.z.fixes = frozenset({"config-timestamp-floor"})
    script.files[paths.LASTCONFIG] = b"\xff not a config"
    _poll(script, task)
    assert _interval(script) == 11 and not script.logs("config_obsolete")
