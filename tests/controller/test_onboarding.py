"""Register and /uuid through the service core: every status code the spec names."""

from __future__ import annotations

import random
import uuid as uuidlib

import pytest

from evesim.api import certs, envelope, pb
from evesim.api.certs import Usage
from evesim.api.envelope import CryptoMode
from evesim.controller import ConfigError, Controller

from .conftest import API, Device


def test_register_then_uuid(ctl: Controller, onboard) -> None:
    dev = Device(ctl, onboard, "a")
    assert dev.register().status == 201
    assert dev.fetch_uuid().status == 200
    assert ctl.device_uuids() == [dev.uuid]
    record = ctl.device(dev.uuid)
    assert record.serial == dev.serial and record.onboard_cn == "fleet-onboard"
    assert record.cert_hash == dev.cert_hash


def test_repeat_with_same_cert_is_200(ctl: Controller, onboard) -> None:
    dev = Device(ctl, onboard, "a")
    assert dev.register().status == 201
    assert dev.register().status == 200
    assert len(ctl.device_uuids()) == 1


def test_same_serial_other_cert_is_409(ctl: Controller, onboard) -> None:
    first = Device(ctl, onboard, "a", serial="S1")
    second = Device(ctl, onboard, "b", serial="S1")
    assert first.register().status == 201
    assert second.register().status == 409
    assert len(ctl.device_uuids()) == 1


def test_unknown_onboarding_cert_is_403(ctl: Controller) -> None:
    stranger = certs.issue("stranger", Usage.ONBOARDING, seed=b"x")
    assert Device(ctl, stranger, "a").register().status == 403
    assert ctl.device_uuids() == []


def test_onboarding_cert_with_same_cn_but_other_key_is_403(ctl: Controller) -> None:
    impostor = certs.issue("fleet-onboard", Usage.ONBOARDING, seed=b"impostor")
    assert Device(ctl, impostor, "a").register().status == 403


def test_serial_allow_list_and_soft_serial_fallback(ctl: Controller, onboard) -> None:
    ctl.onboard_add(onboard.cert_pem, ["S1", "SOFT2"])
    assert Device(ctl, onboard, "a", serial="nope").register().status == 403
    assert Device(ctl, onboard, "b", serial="nope", soft_serial="SOFT2").register().status == 201
    assert ctl.device(ctl.device_uuids()[0]).serial == "SOFT2"
    assert Device(ctl, onboard, "c", serial="S1").register().status == 201


def test_removed_onboarding_cert_is_403(ctl: Controller, onboard) -> None:
    assert ctl.onboard_remove("fleet-onboard")
    assert not ctl.onboard_remove("fleet-onboard")
    assert Device(ctl, onboard, "a").register().status == 403


def test_bad_register_signature_is_401(ctl: Controller, onboard) -> None:
    dev = Device(ctl, onboard, "a")
    payload = pb.register.ZRegisterMsg(pemCert=dev.identity.cert_pem, serial="x").SerializeToString()
    forged = envelope.seal(
        payload, certs.sign_raw(dev.identity.key, payload), b"h" * 32, sender_cert_pem=onboard.cert_pem
    )
    assert ctl.handle("POST", f"{API}/register", forged).status == 401
    assert ctl.device_uuids() == []


def test_trusted_mode_skips_signatures(make_controller, onboard) -> None:
    ctl = make_controller(CryptoMode.TRUSTED)
    dev = Device(ctl, onboard, "a")
    payload = pb.register.ZRegisterMsg(pemCert=dev.identity.cert_pem, serial="x").SerializeToString()
    unsigned = envelope.seal(
        payload, envelope.ZERO_SIGNATURE, certs.der_hash(onboard.cert), sender_cert_pem=onboard.cert_pem
    )
    assert ctl.handle("POST", f"{API}/register", unsigned).status == 201
    assert dev.fetch_uuid().status == 200


@pytest.mark.parametrize("pem_cert", [b"not a cert", b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"])
def test_malformed_device_cert_is_422(ctl: Controller, onboard, pem_cert: bytes) -> None:
    assert Device(ctl, onboard, "a").register(pem_cert=pem_cert).status == 422
    assert ctl.device_uuids() == []


def test_malformed_register_payload_is_422_and_a_malformed_envelope_400(ctl: Controller, onboard) -> None:
    def signed(payload: bytes) -> bytes:
        signature = certs.sign_raw(onboard.key, payload)
        return envelope.seal(payload, signature, certs.der_hash(onboard.cert), sender_cert_pem=onboard.cert_pem)

    truncated_field = b"\x0a\x05ab"  # pemCert says 5 bytes, 2 follow
    reply = ctl.handle("POST", f"{API}/register", signed(truncated_field))
    assert (reply.status, reply.body) == (422, b"body is not a valid ZRegisterMsg")
    good = signed(pb.register.ZRegisterMsg(pemCert=onboard.cert_pem, serial="x").SerializeToString())
    assert ctl.handle("POST", f"{API}/register", good[:-7]).status == 400
    assert ctl.device_uuids() == []


def test_raw_pem_device_cert_accepted(ctl: Controller, onboard) -> None:
    dev = Device(ctl, onboard, "a")
    assert dev.register(pem_cert=dev.identity.cert_pem).status == 201


def test_uuid_for_unknown_device_is_400(ctl: Controller, onboard) -> None:
    assert Device(ctl, onboard, "a").fetch_uuid().status == 400


def test_uuid_answer_is_signed_and_names_model(make_controller, onboard) -> None:
    from evesim.controller import Policy

    ctl = make_controller(policy=Policy(manufacturer="acme", product_name="box"))
    dev = Device(ctl, onboard, "a")
    dev.register()
    reply = dev.fetch_uuid()
    answer = pb.uuid.UuidResponse.FromString(dev.open(reply))
    assert (answer.manufacturer, answer.product_name) == ("acme", "box")


def test_uuids_come_from_the_rng(make_controller, onboard) -> None:
    uuids = []
    for _ in range(2):
        ctl = make_controller()
        Device(ctl, onboard, "a").register()
        uuids.append(ctl.device_uuids())
    assert uuids[0] == uuids[1]
    expected = uuidlib.UUID(int=random.Random(7).getrandbits(128), version=4)
    assert uuids[0] == [str(expected)]


def test_device_add_and_remove(ctl: Controller, onboard) -> None:
    dev = Device(ctl, onboard, "pre")
    uuid = ctl.device_add(dev.identity.cert_pem)
    assert dev.fetch_uuid().status == 200 and dev.uuid == uuid
    with pytest.raises(ConfigError):
        ctl.device_add(dev.identity.cert_pem)
    assert ctl.remove_device(uuid)
    assert dev.fetch_uuid().status == 400
    assert dev.register().status == 201


def test_onboard_add_rejects_garbage(ctl: Controller, onboard) -> None:
    with pytest.raises(ConfigError):
        ctl.onboard_add(b"garbage")
    with pytest.raises(ConfigError):
        ctl.onboard_add(onboard.cert_pem, [])
    assert [e.cn for e in ctl.onboard_list()] == ["fleet-onboard"]
