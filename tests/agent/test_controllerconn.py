"""controllerconn: URLs, sender status, content type, envelopes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evesim.agent import effects as fx
from evesim.agent.controllerconn import BASE, PROTO, TRANSPORT_SENDERS, Backoff, Sender, status_sender, url
from evesim.api import certs, envelope, pb
from evesim.api.envelope import CryptoMode

from .harness import Script
from .support import CONTROLLER, DEVICE_HASH, OTHER_CONTROLLER, UUID, conn, signed

PAYLOAD = pb.uuid.UuidResponse(uuid=UUID).SerializeToString()


def _exchange(response: fx.Response, mode: CryptoMode = CryptoMode.FULL, with_certs: bool = True):
    script = Script(responses={"uuid": response})
    out = script.run(conn(mode, with_certs).post(url("uuid"), b"request"))
    return out.value, script


# -------------------------------------------------------------- URLs


def test_global_actions_have_no_uuid_in_the_path() -> None:
    for action in ("certs", "ping", "register", "uuid"):
        assert url(action) == f"/api/v2/edgedevice/{action}"


def test_per_device_actions_carry_id_and_uuid() -> None:
    assert url("config", UUID) == f"/api/v2/edgedevice/id/{UUID}/config"
    assert url("newlogs", UUID) == f"/api/v2/edgedevice/id/{UUID}/newlogs"
    assert BASE == "/api/v2/edgedevice/"


# -------------------------------------------------------------- status → sender


@pytest.mark.parametrize(
    "response, sender",
    [
        (fx.Response(200), Sender.NONE),
        (fx.Response(201), Sender.NONE),
        (fx.Response(204), Sender.NONE),
        (fx.Response(304), Sender.NONE),
        (fx.Response(503), Sender.UPGRADE),
        (fx.Response(404), Sender.NOT_FOUND),
        (fx.Response(400), Sender.NOT_FOUND),
        (fx.Response(403), Sender.FORBIDDEN),
        (fx.Response(None, error="refused"), Sender.REFUSED),
        (fx.Response(None, error="cert_invalid"), Sender.CERT_INVALID),
        (fx.Response(None, error="timeout"), Sender.TRANSPORT),
        (fx.Response(None, error="unreachable"), Sender.TRANSPORT),
        (fx.Response(500), Sender.HTTP_ERROR),
        (fx.Response(401), Sender.HTTP_ERROR),
    ],
)
def test_status_maps_to_eve_sender_status(response: fx.Response, sender: Sender) -> None:
    assert status_sender(response) is sender


@given(st.integers(100, 599))
def test_only_eve_success_codes_count_as_success(code: int) -> None:
    assert fx.Response(code).ok == (code in (200, 201, 204, 304))
    assert (status_sender(fx.Response(code)) is Sender.NONE) == (code in (200, 201, 204, 304))


# -------------------------------------------------------------- requests


def test_post_is_a_signed_envelope_with_the_device_cert_hash() -> None:
    script = Script(responses={"uuid": fx.Response(201)}, sign=lambda key, data: key.encode().ljust(64, b"."))
    script.run(conn().post(url("uuid"), b"payload"))
    (request,) = script.requests()
    assert request.method == "POST"
    env = envelope.open_envelope(request.body)
    assert env.payload == b"payload"
    assert env.sender_cert_hash == DEVICE_HASH
    assert env.signature == b"device".ljust(64, b".")
    assert script.effects(fx.Sign)[0].data == b"payload"


def test_trusted_mode_sends_a_zero_signature_without_signing() -> None:
    script = Script(responses={"uuid": fx.Response(201)})
    script.run(conn(CryptoMode.TRUSTED).post(url("uuid"), b"payload"))
    assert script.effects(fx.Sign) == []
    assert envelope.open_envelope(script.requests()[0].body).signature == envelope.ZERO_SIGNATURE


def test_a_key_that_cannot_sign_sends_nothing_and_fails_like_a_transport_error() -> None:
    script = Script(responses={"uuid": fx.Response(201)}, sign=lambda key, data: None)
    reply = script.run(conn().post(url("uuid"), b"payload")).value
    assert script.requests() == []
    assert reply.status is None and reply.sender is Sender.TRANSPORT and not reply.ok
    assert reply.error == "not sent: the device key is missing or unusable"


def test_get_has_no_body() -> None:
    script = Script(responses={"ping": fx.Response(200)})
    response = script.run(conn().get(url("ping"))).value
    assert response.status == 200
    assert script.requests()[0] == fx.Request("GET", url("ping"), None, 120.0)


# -------------------------------------------------------------- answers: content type and envelope


def test_signed_answer_is_unwrapped() -> None:
    reply, _ = _exchange(signed(PAYLOAD))
    assert reply.ok and reply.sender is Sender.NONE
    assert reply.payload == PAYLOAD


def test_content_type_parameters_are_accepted() -> None:
    reply, _ = _exchange(signed(PAYLOAD, content_type=PROTO + "; charset=binary"))
    assert reply.ok and reply.payload == PAYLOAD


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", "", "text/html"])
def test_body_with_another_content_type_is_rejected(content_type: str) -> None:
    reply, _ = _exchange(signed(PAYLOAD, content_type=content_type))
    assert not reply.ok
    assert reply.sender is Sender.BAD_CONTENT_TYPE
    assert reply.payload is None


def test_empty_answer_skips_content_type_and_envelope_checks() -> None:
    reply, _ = _exchange(fx.Response(201, b"", "text/plain"), with_certs=False)
    assert reply.ok and reply.payload is None


def test_unknown_signing_cert_is_a_cert_miss() -> None:
    reply, _ = _exchange(signed(PAYLOAD, identity=OTHER_CONTROLLER))
    assert reply.sender is Sender.CERT_MISS and not reply.ok


def test_no_controller_certs_yet_is_a_cert_miss() -> None:
    reply, _ = _exchange(signed(PAYLOAD), with_certs=False)
    assert reply.sender is Sender.CERT_MISS


def test_forged_signature_fails_in_full_mode() -> None:
    forged = signed(PAYLOAD, key=OTHER_CONTROLLER)
    reply, _ = _exchange(forged)
    assert reply.sender is Sender.SIGN_VERIFY_FAIL and reply.payload is None


def test_forged_signature_is_accepted_in_trusted_mode() -> None:
    reply, _ = _exchange(signed(PAYLOAD, key=OTHER_CONTROLLER), mode=CryptoMode.TRUSTED)
    assert reply.ok and reply.payload == PAYLOAD


def test_tampered_payload_fails_verification() -> None:
    answer = signed(PAYLOAD)
    container = pb.auth.AuthContainer.FromString(answer.body)
    container.protectedPayload.payload = PAYLOAD + b"\x08\x01"
    reply, _ = _exchange(fx.Response(200, container.SerializeToString(), PROTO))
    assert reply.sender is Sender.SIGN_VERIFY_FAIL


def test_short_hash_algorithm_is_accepted() -> None:
    body = envelope.seal(PAYLOAD, certs.sign_raw(CONTROLLER.signing.key, PAYLOAD), CONTROLLER.signing_hash,
                         algo=envelope.SHA256_16)
    reply, _ = _exchange(fx.Response(200, body, PROTO))
    assert reply.ok and reply.payload == PAYLOAD


@pytest.mark.parametrize(
    "mutate, sender",
    [
        (lambda c: setattr(c, "algo", 0), Sender.ALGO_FAIL),
        (lambda c: setattr(c, "algo", 7), Sender.ALGO_FAIL),
        (lambda c: setattr(c, "senderCertHash", b"\x01" * 20), Sender.HASH_SIZE_ERROR),
    ],
)
def test_envelope_header_errors(mutate, sender: Sender) -> None:
    container = pb.auth.AuthContainer.FromString(signed(PAYLOAD).body)
    mutate(container)
    reply, _ = _exchange(fx.Response(200, container.SerializeToString(), PROTO))
    assert reply.sender is sender and not reply.ok


@given(st.binary(min_size=1, max_size=200))
def test_garbage_bodies_never_crash_and_never_pass(body: bytes) -> None:
    reply = conn().unwrap(fx.Response(200, body, PROTO))
    assert not reply.ok
    assert reply.payload is None


@pytest.mark.parametrize("status", [500, 503, 404, 403])
def test_error_status_is_not_unwrapped(status: int) -> None:
    reply, _ = _exchange(signed(PAYLOAD, status=status))
    assert reply.status == status and not reply.ok and reply.payload is None


def test_transport_failure_keeps_the_error() -> None:
    reply, _ = _exchange(fx.Response(None, error="timeout"))
    assert reply.status is None and reply.sender is Sender.TRANSPORT and reply.error == "timeout"


# -------------------------------------------------------------- backoff


def test_backoff_doubles_from_start_to_cap_without_jitter() -> None:
    backoff = Backoff(1.0, 600.0)
    delays = [backoff.next() for _ in range(12)]
    assert delays == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 600, 600]
    backoff.reset()
    assert backoff.next() == 1.0


def test_transport_senders_carry_the_transport_error_they_come_from() -> None:
    assert all(sender.value == error for error, sender in TRANSPORT_SENDERS.items())
