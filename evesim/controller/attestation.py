"""Remote attestation as the controller sees it: CERT, NONCE, QUOTE and STORE_KEYS.

A pure step function: (request, stored state) -> (response, new state); random bytes come from ``draw``.
A good quote verifies against the device's attestation key, the last nonce and the PCR values the device
reported with it; with enforced PCR templates (Adam's global options) its PCRs must also match the template of
the EVE version it names, as Adam's ``templateAttest`` (lf-edge/adam pkg/server/attestation.go) checks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

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
ANY_VALUE = ("", "*")
"""Template PCR values that match anything (Adam skips them)."""


@dataclass(frozen=True)
class PcrTemplate:
    """The PCR values (lowercase hex) expected of devices running one EVE version (and firmware version)."""

    eve_version: str
    firmware_version: str = ""
    pcrs: tuple[tuple[int, str], ...] = ()


@dataclass(frozen=True)
class PcrTemplates:
    """Adam's global options: whether quotes must match a template, and the templates."""

    enforce: bool = False
    templates: tuple[PcrTemplate, ...] = ()


NO_TEMPLATES = PcrTemplates()


def step(
    request: pb.attest.ZAttestReq, state: Attestation, policy: Policy, draw: Callable[[int], bytes],
    templates: PcrTemplates = NO_TEMPLATES,
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
        return _quote(request.quote, state, policy, draw, templates)
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
    quote: pb.attest.ZAttestQuote, state: Attestation, policy: Policy, draw: Callable[[int], bytes],
    templates: PcrTemplates,
) -> tuple[pb.attest.ZAttestResponse, Attestation]:
    code = quote_result(quote, state, policy)
    if code == SUCCESS and quote.pcr_values:
        code = template_result(quote, templates)
    response = _A.ZAttestResponse(respType=_A.ATTEST_RESP_QUOTE_RESP)
    response.quoteResp.response = code
    state = replace(state, quote=_received(quote))
    if code != SUCCESS:
        return response, replace(state, nonce=b"", token=b"")
    token = state.token or draw(TOKEN_BYTES).hex().encode()
    response.quoteResp.integrity_token = token
    if state.keys:
        response.quoteResp.keys.extend(_A.AttestStorageKeys.FromString(state.keys).keys)
    return response, replace(state, nonce=b"", token=token)


def quote_result(quote: pb.attest.ZAttestQuote, state: Attestation, policy: Policy) -> pb.attest.ZAttestResponseCode:
    """The ``ZAttestResponseCode`` for a quote, given the stored nonce and attestation cert."""
    # a TPM-less device sends no PCR values either (as Adam: a quote with PCR values must be a signed one)
    if not quote.attestData and not quote.signature and not quote.pcr_values:
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


def template_result(quote: pb.attest.ZAttestQuote, templates: PcrTemplates) -> pb.attest.ZAttestResponseCode:
    """SUCCESS unless templates are enforced and the quote's PCRs miss its EVE version's template.

    As Adam: a quote naming no EVE version, or a version without a template, is INVALID; the last template of the
    version wins unless one also names the quote's firmware version; a missing or different PCR is QUOTE_FAILED.
    """
    if not templates.enforce:
        return SUCCESS
    versions = {v.version_type: v.version for v in quote.versions}
    eve, firmware = versions.get(_A.ATTEST_VERSION_TYPE_EVE, ""), versions.get(_A.ATTEST_VERSION_TYPE_FIRMWARE, "")
    if not eve:
        return _A.Z_ATTEST_RESPONSE_CODE_INVALID
    chosen = None
    for template in templates.templates:
        if template.eve_version == eve:
            chosen = template
            if template.firmware_version == firmware:
                break
    if chosen is None:
        return _A.Z_ATTEST_RESPONSE_CODE_INVALID
    reported = {value.index: value.value.hex() for value in quote.pcr_values}
    for index, expected in chosen.pcrs:
        if expected not in ANY_VALUE and reported.get(index) != expected:
            return _A.Z_ATTEST_RESPONSE_CODE_QUOTE_FAILED
    return SUCCESS


def _received(quote: pb.attest.ZAttestQuote) -> bytes:
    """What is kept of a quote: its PCR values and versions."""
    return _A.ZAttestQuote(pcr_values=quote.pcr_values, versions=quote.versions).SerializeToString()


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
