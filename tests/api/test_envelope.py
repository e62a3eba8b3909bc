"""AuthContainer building and verification, as EVE does it."""

import base64
import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evesim.api import certs, envelope, pb
from evesim.api.envelope import CryptoMode, EnvelopeError


@pytest.fixture(scope="module")
def device() -> certs.Issued:
    return certs.issue("device-1", certs.Usage.DEVICE, seed=b"t")


def test_signature_is_raw_r_s_and_hash_is_der(device: certs.Issued) -> None:
    payload = pb.config.ConfigRequest(configHash="h").SerializeToString()
    sig = certs.sign_raw(device.key, payload)
    raw = envelope.seal(payload, sig, certs.der_hash(device.cert))
    container = pb.auth.AuthContainer.FromString(raw)
    assert len(container.signatureHash) == 64
    assert container.senderCertHash == hashlib.sha256(certs.cert_der(device.cert)).digest()
    assert container.algo == pb.common.HASH_ALGORITHM_SHA256_32BYTES
    env = envelope.open_envelope(raw)
    envelope.check_signature(env, device.cert.public_key(), CryptoMode.FULL)


def test_register_envelope_carries_base64_pem(device: certs.Issued) -> None:
    signature = certs.sign_raw(device.key, b"x")
    raw = envelope.seal(b"x", signature, certs.der_hash(device.cert), sender_cert_pem=device.cert_pem)
    container = pb.auth.AuthContainer.FromString(raw)
    assert base64.b64decode(container.senderCert) == device.cert_pem
    assert envelope.open_envelope(raw).sender_cert_pem() == device.cert_pem


def test_forged_signature_rejected_in_full_mode_only(device: certs.Issued) -> None:
    other = certs.issue("other", certs.Usage.DEVICE, seed=b"u")
    raw = envelope.seal(b"p", certs.sign_raw(other.key, b"p"), certs.der_hash(device.cert))
    env = envelope.open_envelope(raw)
    with pytest.raises(EnvelopeError) as err:
        envelope.check_signature(env, device.cert.public_key(), CryptoMode.FULL)
    assert err.value.kind == "signature"
    envelope.check_signature(env, device.cert.public_key(), CryptoMode.TRUSTED)


def test_der_signature_also_accepted(device: certs.Issued) -> None:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    der = device.key.sign(b"p", ec.ECDSA(hashes.SHA256()))
    assert certs.verify_signature(device.cert.public_key(), b"p", der)


def test_truncated_hash_algorithm(device: certs.Issued) -> None:
    digest = certs.der_hash(device.cert)
    raw = envelope.seal(b"p", envelope.ZERO_SIGNATURE, digest, algo=envelope.SHA256_16)
    env = envelope.open_envelope(raw)
    assert len(env.sender_cert_hash) == 16
    assert envelope.hash_matches(env, digest)


@pytest.mark.parametrize(
    ("container", "kind"),
    [
        (pb.auth.AuthContainer(algo=2, senderCertHash=bytes(32)), "parse"),
        (pb.auth.AuthContainer(protectedPayload={"payload": b"x"}, algo=7, senderCertHash=bytes(32)), "algo"),
        (pb.auth.AuthContainer(protectedPayload={"payload": b"x"}, algo=2, senderCertHash=bytes(5)), "hash_size"),
    ],
)
def test_structural_errors(container: pb.auth.AuthContainer, kind: str) -> None:
    with pytest.raises(EnvelopeError) as err:
        envelope.open_envelope(container.SerializeToString())
    assert err.value.kind == kind


@given(st.binary(max_size=200))
def test_garbage_never_crashes(data: bytes) -> None:
    try:
        envelope.open_envelope(data)
    except EnvelopeError:
        pass
