"""Attestation: CERT, NONCE, QUOTE (TPM and TPM-less) and STORE_KEYS, and what they do to config access."""

from __future__ import annotations

import hashlib

import pytest

from evesim.api import certs, pb, tpm_attest
from evesim.api.certs import Usage
from evesim.controller import Controller, Policy

from .conftest import Device

A = pb.attest
PCRS = {i: hashlib.sha256(bytes([i])).digest() for i in range(16)}


class Tpm:
    """A device TPM reduced to what a quote needs: an attestation key and PCR values."""

    def __init__(self) -> None:
        self.ak = certs.issue("ak", Usage.DEVICE, seed=b"tpm")

    def cert_request(self) -> pb.attest.ZAttestReq:
        request = A.ZAttestReq(reqType=A.ATTEST_REQ_CERT)
        request.certs.add(type=pb.certs.CERT_TYPE_DEVICE_RESTRICTED_SIGNING, cert=self.ak.cert_pem)
        return request

    def quote(
        self, nonce: bytes, pcrs: dict[int, bytes] = PCRS, reported: dict[int, bytes] = PCRS
    ) -> pb.attest.ZAttestReq:
        selected = tuple(sorted(pcrs))
        attest = tpm_attest.encode(
            tpm_attest.Quote(
                qualified_signer=tpm_attest.signer_name(self.ak.key.public_key()),
                extra_data=nonce,
                clock=1,
                reset_count=0,
                restart_count=0,
                safe=True,
                firmware_version=1,
                pcrs=selected,
                pcr_digest=tpm_attest.pcr_digest([pcrs[i] for i in selected]),
            )
        )
        request = A.ZAttestReq(reqType=A.ATTEST_REQ_QUOTE)
        request.quote.attestData = attest
        request.quote.signature = tpm_attest.sign(self.ak.key, attest)
        for index, value in sorted(reported.items()):
            request.quote.pcr_values.add(index=index, hash_algo=A.TPM_HASH_ALGO_SHA256, value=value)
        return request


@pytest.fixture
def fresh(ctl: Controller, onboard) -> Device:
    dev = Device(ctl, onboard, "tpm-dev")
    dev.onboard_device()
    return dev


def _nonce(dev: Device) -> bytes:
    answer = dev.attest(A.ZAttestReq(reqType=A.ATTEST_REQ_NONCE))
    assert answer.respType == A.ATTEST_RESP_NONCE
    return answer.nonce.nonce


def test_cert_request_is_201_and_stored(fresh: Device) -> None:
    tpm = Tpm()
    answer = fresh.attest(tpm.cert_request())
    assert answer.respType == A.ATTEST_RESP_CERT
    stored = A.ZAttestReq.FromString(fresh.ctl.attestation(fresh.uuid).certs)
    assert stored.certs[0].cert == tpm.ak.cert_pem


def test_nonces_are_fresh(fresh: Device) -> None:
    first, second = _nonce(fresh), _nonce(fresh)
    assert first != second and len(first) == 32
    assert fresh.ctl.attestation(fresh.uuid).nonce == second


def test_tpm_quote_success_gives_token_and_config(fresh: Device) -> None:
    tpm = Tpm()
    fresh.attest(tpm.cert_request())
    nonce = _nonce(fresh)
    answer = fresh.attest(tpm.quote(nonce))
    assert answer.quoteResp.response == A.Z_ATTEST_RESPONSE_CODE_SUCCESS
    token = answer.quoteResp.integrity_token
    assert token and fresh.ctl.attestation(fresh.uuid).token == token
    fresh.token = token
    assert fresh.poll().status == 200


@pytest.mark.parametrize(
    ("mutate", "code"),
    [
        (lambda tpm, nonce: tpm.quote(b"x" * 32), A.Z_ATTEST_RESPONSE_CODE_NONCE_MISMATCH),
        (lambda tpm, nonce: tpm.quote(nonce, reported={**PCRS, 0: bytes(32)}), A.Z_ATTEST_RESPONSE_CODE_QUOTE_FAILED),
        (lambda tpm, nonce: _resigned(tpm.quote(nonce)), A.Z_ATTEST_RESPONSE_CODE_QUOTE_FAILED),
    ],
)
def test_bad_quotes_fail_and_give_no_token(fresh: Device, mutate, code: int) -> None:
    tpm = Tpm()
    fresh.attest(tpm.cert_request())
    answer = fresh.attest(mutate(tpm, _nonce(fresh)))
    assert answer.quoteResp.response == code and not answer.quoteResp.integrity_token
    assert fresh.poll(token=b"").status == 403


def test_quote_without_attestation_cert(fresh: Device) -> None:
    answer = fresh.attest(Tpm().quote(_nonce(fresh)))
    assert answer.quoteResp.response == A.Z_ATTEST_RESPONSE_CODE_NO_CERT_FOUND


def test_nonce_is_single_use(fresh: Device) -> None:
    tpm = Tpm()
    fresh.attest(tpm.cert_request())
    nonce = _nonce(fresh)
    assert fresh.attest(tpm.quote(nonce)).quoteResp.response == A.Z_ATTEST_RESPONSE_CODE_SUCCESS
    assert fresh.attest(tpm.quote(nonce)).quoteResp.response == A.Z_ATTEST_RESPONSE_CODE_NONCE_MISMATCH


def test_failed_quote_revokes_token(fresh: Device) -> None:
    token = fresh.attest_tpmless()
    assert fresh.poll().status == 200
    tpm = Tpm()
    fresh.attest(tpm.cert_request())
    fresh.attest(tpm.quote(b"wrong"))
    assert fresh.poll(token=token).status == 403


def test_tpmless_refused_by_policy(make_controller, onboard) -> None:
    ctl = make_controller(policy=Policy(accept_tpmless_quote=False))
    dev = Device(ctl, onboard, "a")
    dev.onboard_device()
    answer = dev.attest(A.ZAttestReq(reqType=A.ATTEST_REQ_QUOTE))
    assert answer.quoteResp.response == A.Z_ATTEST_RESPONSE_CODE_QUOTE_FAILED
    assert dev.poll(token=b"").status == 403


def test_store_keys_needs_token_and_keys_come_back(fresh: Device) -> None:
    token = fresh.attest_tpmless()
    key = A.AttestVolumeKey(key_type=A.ATTEST_VOLUME_KEY_TYPE_VSK, key=b"sealed-vault-key")
    bad = fresh.attest(
        A.ZAttestReq(
            reqType=A.Z_ATTEST_REQ_TYPE_STORE_KEYS, storage_keys=A.AttestStorageKeys(integrity_token=b"no", keys=[key])
        )
    )
    assert bad.storage_keys_resp.response == A.ATTEST_STORAGE_KEYS_RESPONSE_CODE_ITOKEN_MISMATCH
    assert fresh.ctl.attestation(fresh.uuid).keys == b""
    good = fresh.attest(
        A.ZAttestReq(
            reqType=A.Z_ATTEST_REQ_TYPE_STORE_KEYS, storage_keys=A.AttestStorageKeys(integrity_token=token, keys=[key])
        )
    )
    assert good.storage_keys_resp.response == A.ATTEST_STORAGE_KEYS_RESPONSE_CODE_SUCCESS
    again = fresh.attest(A.ZAttestReq(reqType=A.ATTEST_REQ_QUOTE))
    assert list(again.quoteResp.keys) == [key] and again.quoteResp.integrity_token == token


def test_unknown_request_type_is_422(fresh: Device) -> None:
    assert fresh.post("attest", A.ZAttestReq(reqType=A.ATTEST_REQ_NONE)).status == 422


def test_unparseable_attestation_cert_is_400(fresh: Device) -> None:
    request = A.ZAttestReq(reqType=A.ATTEST_REQ_CERT)
    request.certs.add(type=pb.certs.CERT_TYPE_DEVICE_RESTRICTED_SIGNING, cert=b"junk")
    assert fresh.post("attest", request).status == 400
    assert fresh.ctl.attestation(fresh.uuid).certs == b""


def _resigned(request: pb.attest.ZAttestReq) -> pb.attest.ZAttestReq:
    other = certs.make_key(b"other-ak")
    request.quote.signature = tpm_attest.sign(other, request.quote.attestData)
    return request
