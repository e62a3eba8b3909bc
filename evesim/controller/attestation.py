"""Remote attestation as the controller sees it: CERT, NONCE, QUOTE and STORE_KEYS.

A pure step function: (request, stored state) -> (response, new state); random bytes come from ``draw``.
Simplification: no PCR templates; a good quote is one that verifies against the device's
attestation key, the last nonce and the PCR values the device reported with it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from cryptography.hazmat.primitives.asymmetric import ec

from evesim.api import pb, tpm_attest
from evesim.api.certs import CertError, load_cert
from evesim.controller.policy import Policy
from evesim.controller.reply import Refusal
from evesim.controller.stores import Attestation

NONCE_BYTES = 32
TOKEN_BYTES = 32
_AK = pb.certs.CERT_TYPE_DEVICE_RESTRICTED_SIGNING
_PEM_TYPES = (_AK, pb.certs.CERT_TYPE_DEVICE_ECDH_EXCHANGE, pb.certs.CERT_TYPE_DEVICE_ONBOARDING)
_A = pb.attest
SUCCESS = _A.Z_ATTEST_RESPONSE_CODE_SUCCESS


def step(
    request: pb.attest.ZAttestReq, state: Attestation, policy: Policy, draw: Callable[[int], bytes]
) -> tuple[pb.attest.ZAttestResponse, Attestation]:
    """Answer one attestation request; raise ``Refusal`` (422) for an unknown request type."""
    kind = request.reqType
    if kind == _A.ATTEST_REQ_CERT:
        return _certs(request, state)
    if kind == _A.ATTEST_REQ_NONCE:
        nonce = draw(NONCE_BYTES)
        response = _A.ZAttestResponse(respType=_A.ATTEST_RESP_NONCE, nonce=_A.ZAttestNonceResp(nonce=nonce))
        return response, replace(state, nonce=nonce)
    if kind == _A.ATTEST_REQ_QUOTE:
        return _quote(request.quote, state, policy, draw)
    if kind == _A.Z_ATTEST_REQ_TYPE_STORE_KEYS:
        return _store_keys(request.storage_keys, state)
    raise Refusal(422, f"unsupported attestation request type {kind}")


def _certs(request: pb.attest.ZAttestReq, state: Attestation) -> tuple[pb.attest.ZAttestResponse, Attestation]:
    for zcert in request.certs:
        if zcert.type in _PEM_TYPES:
            try:
                load_cert(zcert.cert)
            except CertError as exc:
                raise Refusal(400, f"attestation certificate of type {zcert.type} is not PEM") from exc
    kept = _A.ZAttestReq(reqType=_A.ATTEST_REQ_CERT, certs=request.certs).SerializeToString()
    return _A.ZAttestResponse(respType=_A.ATTEST_RESP_CERT), replace(state, certs=kept)


def _quote(
    quote: pb.attest.ZAttestQuote, state: Attestation, policy: Policy, draw: Callable[[int], bytes]
) -> tuple[pb.attest.ZAttestResponse, Attestation]:
    code = quote_result(quote, state, policy)
    response = _A.ZAttestResponse(respType=_A.ATTEST_RESP_QUOTE_RESP)
    response.quoteResp.response = code
    if code != SUCCESS:
        return response, replace(state, nonce=b"", token=b"")
    token = state.token or draw(TOKEN_BYTES).hex().encode()
    response.quoteResp.integrity_token = token
    if state.keys:
        response.quoteResp.keys.extend(_A.AttestStorageKeys.FromString(state.keys).keys)
    return response, replace(state, nonce=b"", token=token)


def quote_result(quote: pb.attest.ZAttestQuote, state: Attestation, policy: Policy) -> pb.attest.ZAttestResponseCode:
    """The ``ZAttestResponseCode`` for a quote, given the stored nonce and attestation cert."""
    if not quote.attestData and not quote.signature:
        return SUCCESS if policy.accept_tpmless_quote else _A.Z_ATTEST_RESPONSE_CODE_QUOTE_FAILED
    key = attestation_key(state)
    if key is None:
        return _A.Z_ATTEST_RESPONSE_CODE_NO_CERT_FOUND
    if not state.nonce:
        return _A.Z_ATTEST_RESPONSE_CODE_NONCE_MISMATCH
    pcrs = {value.index: value.value for value in quote.pcr_values}
    reason = tpm_attest.check(quote.attestData, quote.signature, key, state.nonce, pcrs)
    if reason is None:
        return SUCCESS
    if reason == "nonce mismatch":
        return _A.Z_ATTEST_RESPONSE_CODE_NONCE_MISMATCH
    return _A.Z_ATTEST_RESPONSE_CODE_QUOTE_FAILED


def attestation_key(state: Attestation) -> ec.EllipticCurvePublicKey | None:
    """The EC public key of the restricted-signing cert the device sent with ATTEST_REQ_CERT."""
    if not state.certs:
        return None
    for zcert in _A.ZAttestReq.FromString(state.certs).certs:
        if zcert.type == _AK:
            key = load_cert(zcert.cert).public_key()
            return key if isinstance(key, ec.EllipticCurvePublicKey) else None
    return None


def _store_keys(keys: pb.attest.AttestStorageKeys, state: Attestation) -> tuple[pb.attest.ZAttestResponse, Attestation]:
    response = _A.ZAttestResponse(respType=_A.Z_ATTEST_RESP_TYPE_STORE_KEYS)
    if not state.token or keys.integrity_token != state.token:
        response.storage_keys_resp.response = _A.ATTEST_STORAGE_KEYS_RESPONSE_CODE_ITOKEN_MISMATCH
        return response, state
    response.storage_keys_resp.response = _A.ATTEST_STORAGE_KEYS_RESPONSE_CODE_SUCCESS
    kept = _A.AttestStorageKeys(keys=keys.keys).SerializeToString()
    return response, replace(state, keys=kept)
