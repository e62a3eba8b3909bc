"""zedclient: onboarding, uuid and hardware model, LEDs."""

from __future__ import annotations

import base64

import pytest

from evesim.agent import effects as fx
from evesim.agent import paths, topics, zedclient
from evesim.agent.pubsub import Bus
from evesim.agent.topics import DpcState, Led, NetworkStatus
from evesim.api import controller_certs, envelope, pb
from evesim.api.certs import der_hash

from .harness import Script
from .support import (
    CONTROLLER,
    DEVICE,
    DEVICE_HASH,
    ONBOARD,
    OTHER_CONTROLLER,
    UUID,
    bootstrap_files,
    certs_answer,
    conn,
    signed,
)

SUCCESS = NetworkStatus(DpcState.SUCCESS, True)
UUID_ANSWER = signed(pb.uuid.UuidResponse(uuid=UUID, manufacturer="Acme", product_name="Box-1").SerializeToString())


def _script(**responses: object) -> Script:
    answers = {"certs": certs_answer(), "register": fx.Response(201), "uuid": UUID_ANSWER}
    answers.update(responses)
    script = Script(files=bootstrap_files(), responses=answers)
    script.bus.publish(topics.NETWORK, SUCCESS)
    return script


def _run(script: Script, **limits: object):
    return script.run(zedclient.run(conn(with_certs=False), DEVICE.cert_pem, "SN-TEST-1"), **limits)


def _onboarded(script: Script) -> bool:
    return script.bus.get(topics.ONBOARDING) is not None


# -------------------------------------------------------------- the happy path


def test_onboards_through_certs_register_uuid() -> None:
    script = _script()
    assert _run(script).stop == "returned"
    assert [r.path.rsplit("/", 1)[1] for r in script.requests()] == ["certs", "register", "uuid"]
    assert script.bus.get(topics.ONBOARDING) == topics.Onboarding(UUID, "Acme.Box-1")
    assert script.files[paths.UUID] == UUID.encode()
    assert script.files[paths.HARDWARE_MODEL] == b"Acme.Box-1"
    assert script.bus.get(topics.LED) == Led.ONBOARDED
    assert script.bus.get(topics.CONTROLLER_CERTS).signing_hash == CONTROLLER.signing_hash


def test_register_is_signed_by_the_onboarding_key_and_carries_the_device_cert() -> None:
    script = _script()
    script.sign = lambda key, data: key.encode().ljust(64, b"-")
    _run(script)
    request = script.requests("register")[0]
    env = envelope.open_envelope(request.body)
    assert env.signature == b"onboard".ljust(64, b"-")
    assert env.sender_cert_hash == der_hash(ONBOARD.cert)
    assert env.sender_cert_pem() == ONBOARD.cert_pem
    msg = pb.register.ZRegisterMsg.FromString(env.payload)
    assert msg.serial == "SN-TEST-1" and msg.softSerial == "soft-1"
    assert base64.b64decode(msg.pemCert) == DEVICE.cert_pem
    uuid_env = envelope.open_envelope(script.requests("uuid")[0].body)
    assert uuid_env.sender_cert_hash == DEVICE_HASH
    assert uuid_env.signature == b"device".ljust(64, b"-")


def test_controller_certs_are_checkpointed() -> None:
    script = _script()
    _run(script)
    saved = script.files[paths.CONTROLLER_CERTS]
    assert saved == CONTROLLER.certs_message()
    assert controller_certs.verify(saved, [CONTROLLER.root.cert]).signing_hash == CONTROLLER.signing_hash


def test_without_onboarding_cert_only_uuid_is_asked() -> None:
    script = _script()
    script.files = bootstrap_files(onboard=False)
    _run(script)
    assert [r.path.rsplit("/", 1)[1] for r in script.requests()] == ["certs", "uuid"]
    assert _onboarded(script)


def test_model_without_manufacturer_is_the_product_name() -> None:
    answer = signed(pb.uuid.UuidResponse(uuid=UUID, product_name="Box-1").SerializeToString())
    script = _script(uuid=answer)
    _run(script)
    assert script.bus.get(topics.ONBOARDING).hardware_model == "Box-1"


# -------------------------------------------------------------- waiting for the network, backoff


def test_waits_for_a_usable_network_before_talking() -> None:
    script = _script()
    script.bus = Bus()
    script.publish_at(40.0, topics.NETWORK, NetworkStatus(DpcState.IPDNS_WAIT, False))
    script.publish_at(90.0, topics.NETWORK, NetworkStatus(DpcState.REMOTE_WAIT, True))
    _run(script)
    first = script.steps(fx.Request)[0]
    assert first.time == 90.0
    assert _onboarded(script)


@pytest.mark.parametrize("state", [DpcState.SUCCESS, DpcState.FAIL_WITH_IP_AND_DNS, DpcState.REMOTE_WAIT])
def test_usable_dpc_states(state: DpcState) -> None:
    script = _script()
    script.bus.publish(topics.NETWORK, NetworkStatus(state, True))
    _run(script)
    assert _onboarded(script)


def test_backoff_doubles_from_1s_to_600s_without_jitter() -> None:
    script = _script(certs=fx.Response(503))
    out = _run(script, max_time=5000.0)
    assert out.stop == "time"
    assert script.sleeps()[:12] == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 600, 600]
    times = [s.time for s in script.steps(fx.Request)]
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert gaps[:11] == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 600]
    assert not _onboarded(script)


# -------------------------------------------------------------- /certs


def test_certs_from_an_untrusted_root_light_14_and_are_retried() -> None:
    script = _script(certs=certs_answer(OTHER_CONTROLLER))
    _run(script, max_time=30.0)
    assert script.bus.get(topics.LED) == Led.INVALID_CONTROLLER_CERT
    assert len(script.requests("certs")) >= 3
    assert script.requests("register") == [] and script.requests("uuid") == []
    assert script.logs("certs_failed")
    assert paths.CONTROLLER_CERTS not in script.files


def test_a_root_certificate_fixed_while_retrying_is_picked_up() -> None:
    script = _script()
    script.files[paths.ROOT_CERT] = OTHER_CONTROLLER.root_pem
    script.at(100.0, lambda: script.files.__setitem__(paths.ROOT_CERT, CONTROLLER.root_pem))
    _run(script)
    assert _onboarded(script)
    assert script.steps(fx.Request)[-1].time == 127.0


def test_certs_without_ecdh_cert_are_refused() -> None:
    message = controller_certs.build(CONTROLLER.signing_pem, [])
    script = _script(certs=signed(message))
    _run(script, max_time=10.0)
    assert script.bus.get(topics.LED) == Led.INVALID_CONTROLLER_CERT
    assert not _onboarded(script)


def test_bad_certs_then_good_certs_onboard() -> None:
    script = _script(certs=[certs_answer(OTHER_CONTROLLER), fx.Response(None, error="timeout"), certs_answer()])
    _run(script)
    assert _onboarded(script)
    assert len(script.requests("certs")) == 3


# -------------------------------------------------------------- /register answers


@pytest.mark.parametrize(
    "status, led",
    [
        (201, Led.ONBOARDED),
        (200, Led.ONBOARDED),
        (304, Led.ONBOARDING_CONFLICT),
        (403, Led.ONBOARDING_NOT_FOUND),
        (404, Led.CONNECTED),
        (400, Led.CONNECTED),
        (409, None),
        (401, None),
        (500, None),
        (504, None),
        (503, None),
    ],
)
def test_register_answer_sets_eve_led_and_uuid_is_tried(status: int, led: Led | None) -> None:
    script = _script(register=fx.Response(status), uuid=fx.Response(400))
    _run(script, max_time=0.5)
    # each /uuid 400 (SenderStatusNotFound) shows 3 after whatever /register showed
    assert script.published(topics.LED) == ([led] if led is not None else []) + [Led.CONNECTED, Led.CONNECTED]
    assert [r.path.rsplit("/", 1)[-1] for r in script.requests()][-3:] == ["register", "uuid", "uuid"]


def test_adams_500_after_registering_still_onboards_through_uuid() -> None:
    script = _script(register=fx.Response(500))
    _run(script)
    assert _onboarded(script)
    assert script.bus.get(topics.ONBOARDING).uuid == UUID


@pytest.mark.parametrize("status, led", [(409, None), (304, Led.ONBOARDING_CONFLICT)])
def test_conflict_is_retried_forever(status: int, led: Led | None) -> None:
    script = _script(register=fx.Response(status), uuid=fx.Response(409))
    _run(script, max_time=3600.0)
    assert len(script.requests("register")) >= 10
    assert script.bus.get(topics.LED) == led
    assert not _onboarded(script)


def test_register_is_repeated_every_round_until_uuid_answers() -> None:
    script = _script(uuid=[fx.Response(503)] * 4 + [UUID_ANSWER])
    _run(script)
    assert len(script.requests("register")) == 3
    assert len(script.requests("uuid")) == 5
    assert _onboarded(script)


# -------------------------------------------------------------- /uuid answers


def test_uuid_cert_miss_refetches_certs() -> None:
    script = _script(uuid=[signed(b"x", identity=OTHER_CONTROLLER), UUID_ANSWER])
    _run(script)
    assert len(script.requests("certs")) == 2
    assert _onboarded(script)


@pytest.mark.parametrize(
    "answer",
    [
        signed(b"\xff\xff\xff"),
        signed(pb.uuid.UuidResponse().SerializeToString()),
        signed(pb.uuid.UuidResponse(uuid=UUID).SerializeToString(), key=OTHER_CONTROLLER),
        fx.Response(200, b"not an envelope", "application/x-proto-binary"),
    ],
    ids=["unparseable", "empty-uuid", "forged", "garbage"],
)
def test_bad_uuid_answers_are_not_accepted_and_retried(answer: fx.Response) -> None:
    script = _script(uuid=[answer, UUID_ANSWER])
    _run(script)
    assert len(script.requests("uuid")) == 2
    assert script.bus.get(topics.ONBOARDING).uuid == UUID
    assert script.logs("uuid_failed")


@pytest.mark.parametrize(
    "answer",
    [
        signed(pb.uuid.UuidResponse(uuid=UUID).SerializeToString(), key=OTHER_CONTROLLER),
        signed(pb.uuid.UuidResponse(uuid=UUID).SerializeToString(), identity=OTHER_CONTROLLER),
        fx.Response(200, b"not an envelope", "application/x-proto-binary"),
    ],
    ids=["forged", "unknown-signer", "garbage"],
)
def test_unverifiable_uuid_answer_lights_15(answer: fx.Response) -> None:
    script = _script(uuid=answer)
    _run(script, max_time=10.0)
    assert script.bus.get(topics.LED) == Led.INVALID_AUTH_CONTAINER
    assert not _onboarded(script)


@pytest.mark.parametrize("content_type", ["application/json", "text/plain"])
def test_zedclient_tolerates_json_and_text_content_types(content_type: str) -> None:
    answer = signed(pb.uuid.UuidResponse(uuid=UUID).SerializeToString(), content_type=content_type)
    script = _script(uuid=answer)
    _run(script)
    assert script.bus.get(topics.ONBOARDING).uuid == UUID


# -------------------------------------------------------------- fast path


def _onboarded_before() -> Script:
    script = _script(certs=fx.Response(None, error="timeout"), uuid=fx.Response(None, error="timeout"))
    script.files[paths.UUID] = b"11111111-2222-4333-8444-555555555555\n"
    script.files[paths.HARDWARE_MODEL] = b"Acme.Box-1"
    script.files[paths.CONTROLLER_CERTS] = CONTROLLER.certs_message()
    return script


def test_fast_path_after_5s_without_network() -> None:
    script = _onboarded_before()
    script.bus = Bus()
    _run(script)
    onboarding = script.bus.get(topics.ONBOARDING)
    assert onboarding == topics.Onboarding("11111111-2222-4333-8444-555555555555", "Acme.Box-1")
    assert script.requests() == []
    assert script.now == 5.0
    assert script.bus.get(topics.CONTROLLER_CERTS).signing_hash == CONTROLLER.signing_hash


def test_fast_path_when_network_is_usable_but_not_success() -> None:
    script = _onboarded_before()
    script.bus.publish(topics.NETWORK, NetworkStatus(DpcState.REMOTE_WAIT, True))
    _run(script)
    assert script.bus.get(topics.ONBOARDING).uuid.startswith("11111111")
    assert script.now == 5.0


def test_no_fast_path_when_network_is_success() -> None:
    script = _onboarded_before()
    script.responses.update(certs=certs_answer(), uuid=UUID_ANSWER)
    _run(script)
    assert script.bus.get(topics.ONBOARDING).uuid == UUID
    assert script.files[paths.UUID] == UUID.encode()
    assert len(script.requests("register")) == 1


def test_no_fast_path_without_a_certs_checkpoint() -> None:
    script = _onboarded_before()
    del script.files[paths.CONTROLLER_CERTS]
    script.bus = Bus()
    out = _run(script, max_time=3600.0)
    assert out.stop == "time" and not _onboarded(script)


def test_no_fast_path_with_a_malformed_saved_uuid() -> None:
    script = _onboarded_before()
    script.files[paths.UUID] = bytes(b ^ 0xFF for b in b"11111111-2222-4333-8444-555555555555\n")
    script.bus = Bus()
    out = _run(script, max_time=3600.0)
    assert out.stop == "time" and not _onboarded(script)


def test_fast_path_heals_certs_checkpoint_from_bak() -> None:
    script = _onboarded_before()
    script.files[paths.CONTROLLER_CERTS + ".bak"] = script.files[paths.CONTROLLER_CERTS]
    script.files[paths.CONTROLLER_CERTS] = b"\x00garbage"
    script.bus = Bus()
    _run(script)
    assert _onboarded(script) and script.now == 5.0
