"""Certificates, chains and EVE's /certs rules."""

import base64
import datetime as dt

import pytest

from evesim.api import certs, controller_certs, pb
from evesim.api.certs import CertError, Usage


@pytest.fixture(scope="module")
def pki() -> dict[str, certs.Issued]:
    root = certs.issue("root", Usage.CA, seed=b"k")
    inter = certs.issue("inter", Usage.CA, issuer=root, seed=b"k")
    return {
        "root": root,
        "inter": inter,
        "signing": certs.issue("signing", Usage.SIGNING, issuer=inter, seed=b"k"),
        "ecdh": certs.issue("ecdh", Usage.ECDH, issuer=root, seed=b"k"),
        "rogue": certs.issue("signing", Usage.SIGNING, seed=b"rogue"),
    }


def test_deterministic_issue() -> None:
    a = certs.issue("d", Usage.DEVICE, seed=b"same")
    b = certs.issue("d", Usage.DEVICE, seed=b"same")
    c = certs.issue("d", Usage.DEVICE, seed=b"other")
    assert a.cert_pem == b.cert_pem and a.key_pem == b.key_pem
    assert a.cert_pem != c.cert_pem


def test_controller_certs_verify_through_intermediate(pki: dict[str, certs.Issued]) -> None:
    data = controller_certs.build(pki["signing"].cert_pem, [pki["ecdh"].cert_pem], [pki["inter"].cert_pem])
    got = controller_certs.verify(data, [pki["root"].cert])
    assert got.signing_pem == pki["signing"].cert_pem
    assert got.signing_hash == certs.pem_hash(pki["signing"].cert_pem)


def test_missing_intermediate_fails(pki: dict[str, certs.Issued]) -> None:
    data = controller_certs.build(pki["signing"].cert_pem, [pki["ecdh"].cert_pem])
    with pytest.raises(CertError, match="chain"):
        controller_certs.verify(data, [pki["root"].cert])


def test_rogue_signing_cert_fails(pki: dict[str, certs.Issued]) -> None:
    data = controller_certs.build(pki["rogue"].cert_pem, [pki["ecdh"].cert_pem])
    with pytest.raises(CertError):
        controller_certs.verify(data, [pki["root"].cert])


def test_ecdh_required(pki: dict[str, certs.Issued]) -> None:
    data = controller_certs.build(pki["signing"].cert_pem, [], [pki["inter"].cert_pem])
    with pytest.raises(CertError, match="ECDH"):
        controller_certs.verify(data, [pki["root"].cert])


def test_exactly_one_signing_and_no_foreign_types(pki: dict[str, certs.Issued]) -> None:
    msg = pb.certs.ZControllerCert.FromString(
        controller_certs.build(pki["signing"].cert_pem, [pki["ecdh"].cert_pem], [pki["inter"].cert_pem])
    )
    msg.certs.add(type=pb.certs.CERT_TYPE_CONTROLLER_SIGNING, cert=pki["signing"].cert_pem)
    with pytest.raises(CertError, match="exactly 1"):
        controller_certs.verify(msg.SerializeToString(), [pki["root"].cert])
    msg.certs.pop()
    msg.certs.add(type=pb.certs.CERT_TYPE_DEVICE_ONBOARDING, cert=pki["signing"].cert_pem)
    with pytest.raises(CertError, match="unexpected"):
        controller_certs.verify(msg.SerializeToString(), [pki["root"].cert])


def test_validity_checked_when_time_given(pki: dict[str, certs.Issued]) -> None:
    data = controller_certs.build(pki["signing"].cert_pem, [pki["ecdh"].cert_pem], [pki["inter"].cert_pem])
    with pytest.raises(CertError, match="not valid"):
        controller_certs.verify(data, [pki["root"].cert], at=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))


def test_garbage_is_cert_error() -> None:
    with pytest.raises(CertError):
        controller_certs.verify(b"\xff\xff\xff", [])
    with pytest.raises(CertError):
        certs.load_cert(b"nope")


def test_pem_from_text_takes_pem_or_base64_of_pem(pki: dict[str, certs.Issued]) -> None:
    pem = pki["root"].cert_pem
    encoded = base64.b64encode(pem)
    for given in (pem, pem.decode(), b"\n  " + pem, encoded, encoded.decode()):
        assert certs.load_cert(certs.pem_from_text(given)) == pki["root"].cert


@pytest.mark.parametrize("given", ["%%%", b"not base64!", "abc", "\ud800", b"\xff\xfe"])
def test_pem_from_text_refuses_anything_else_with_a_cert_error(given: str | bytes) -> None:
    with pytest.raises(CertError, match="not PEM text or base64 of PEM bytes"):
        certs.pem_from_text(given)
