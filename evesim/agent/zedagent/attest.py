"""zedagent's attestation task: CERT, then NONCE → QUOTE → STORE_KEYS (EVE: ``pkg/pillar/cmd/zedagent/attesttask.go``).

A failed step waits 15 s (EVE's ``retryTimeInterval``) and starts over from NONCE, as does a restart asked for by a
config 403. A CERT request the controller refuses marks ``certs_refused`` (nodeagent then enters maintenance mode).
Simplification: EVE retries a failed QUOTE or STORE_KEYS alone, and escrows a new vault key without a new quote.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from google.protobuf.message import DecodeError

from evesim.agent import effects as fx
from evesim.agent import topics
from evesim.agent.controllerconn import Reply, url
from evesim.agent.topics import Attestation
from evesim.agent.zedagent.state import Zedagent
from evesim.api import pb
from evesim.api.certs import pem_hash

AGENT = "zedagent"
RETRY_S = 15.0
A = pb.info


def _post(z: Zedagent,
          request: pb.attest.ZAttestReq) -> Generator[Any, Any, tuple[Reply, pb.attest.ZAttestResponse | None]]:
    reply = yield from z.conn.post(url("attest", z.uuid), request.SerializeToString())
    wall = yield fx.WallClock()
    z.counters.count(reply, wall)
    if not reply.ok:
        return reply, None
    try:
        return reply, pb.attest.ZAttestResponse.FromString(reply.payload or b"")
    except DecodeError:
        return reply, None


def _publish(state: pb.info.AttestationState, token: bytes = b"", refused: bool = False, error: str = "") -> fx.Publish:
    return fx.Publish(topics.ATTEST, Attestation(state, token, refused, error))


def send_certs(z: Zedagent) -> Generator[Any, Any, Reply]:
    """ATTEST_REQ_CERT with the device's edge-node certificates."""
    request = pb.attest.ZAttestReq(reqType=pb.attest.ATTEST_REQ_CERT)
    for kind, pem in (yield fx.DeviceCerts()):
        request.certs.add(hashAlgo=pb.common.HASH_ALGORITHM_SHA256_32BYTES, certHash=pem_hash(pem), type=kind, cert=pem,
                          attributes={"is_tpm": z.hardware.has_tpm})
    reply, _ = yield from _post(z, request)
    return reply


def _quote_request(quote: fx.QuoteResult | None) -> pb.attest.ZAttestReq:
    request = pb.attest.ZAttestReq(reqType=pb.attest.ATTEST_REQ_QUOTE)
    if quote is not None:
        request.quote.attestData = quote.attest
        request.quote.signature = quote.signature
        for index in sorted(quote.pcr_values):
            request.quote.pcr_values.add(index=index, hash_algo=pb.attest.TPM_HASH_ALGO_SHA256,
                                         value=quote.pcr_values[index])
    return request


def attest_once(z: Zedagent) -> Generator[Any, Any, bytes | str]:
    """NONCE → QUOTE → STORE_KEYS; returns the integrity token or an error string."""
    yield _publish(A.ATTESTATION_STATE_NONCE_WAIT)
    reply, answer = yield from _post(z, pb.attest.ZAttestReq(reqType=pb.attest.ATTEST_REQ_NONCE))
    if answer is None or not answer.nonce.nonce:
        return f"nonce: {reply.status or reply.error}"
    yield _publish(A.ATTESTATION_STATE_TPM_QUOTE_WAIT)
    quote = yield fx.Quote(answer.nonce.nonce)
    yield _publish(A.ATTESTATION_STATE_ATTEST_WAIT)
    z.attestation_tries += 1  # EVE: pkg/pillar/cmd/zedagent/attesttask.go recordAttestationTry
    reply, answer = yield from _post(z, _quote_request(quote))
    if answer is None or answer.quoteResp.response != pb.attest.Z_ATTEST_RESPONSE_CODE_SUCCESS:
        code = answer.quoteResp.response if answer is not None else reply.status
        return f"quote: {code or reply.error}"
    token = answer.quoteResp.integrity_token
    for key in answer.quoteResp.keys:
        if key.key_type == pb.attest.ATTEST_VOLUME_KEY_TYPE_VSK and key.key:
            yield fx.Publish(topics.ESCROWED_KEY, key.key)
    return (yield from _store_keys(z, token))


def _store_keys(z: Zedagent, token: bytes) -> Generator[Any, Any, bytes | str]:
    vault = yield fx.Read(topics.VAULT)
    if vault is None or not vault.escrow:
        return token
    yield _publish(A.ATTESTATION_STATE_ATTEST_ESCROW_WAIT)
    request = pb.attest.ZAttestReq(reqType=pb.attest.Z_ATTEST_REQ_TYPE_STORE_KEYS)
    request.storage_keys.integrity_token = token
    request.storage_keys.keys.add(key_type=pb.attest.ATTEST_VOLUME_KEY_TYPE_VSK, key=vault.escrow)
    reply, answer = yield from _post(z, request)
    ok = pb.attest.ATTEST_STORAGE_KEYS_RESPONSE_CODE_SUCCESS
    if answer is None or answer.storage_keys_resp.response != ok:
        return f"store keys: {reply.status or reply.error}"
    return token


def _wanted(restart: object, escrow: bytes) -> Generator[Any, Any, bool]:
    """Sleep until attestation is asked for again (True: a config 403, even during the attempt) or the vault has a
    new key to escrow (False)."""
    seen = 0
    while True:
        now_restart = yield fx.Read(topics.ATTEST_RESTART)
        vault = yield fx.Read(topics.VAULT)
        now_escrow = vault.escrow if vault is not None else b""
        if now_restart != restart:
            return True
        if now_escrow != escrow:
            return False
        seen = yield fx.Wait((topics.ATTEST_RESTART, topics.VAULT), seen)


def run(z: Zedagent) -> Generator[Any, Any, None]:
    """Attest, then sleep until a restart is asked for or the vault needs escrow."""
    certs_sent = False
    while True:
        restart = yield fx.Read(topics.ATTEST_RESTART)
        vault = yield fx.Read(topics.VAULT)
        escrow = vault.escrow if vault is not None else b""
        if not certs_sent:
            reply = yield from send_certs(z)
            certs_sent = reply.ok
            if not reply.ok and reply.status is not None:
                yield _publish(A.ATTESTATION_STATE_UNSPECIFIED, refused=True, error=f"certs refused: {reply.status}")
                yield fx.Log(AGENT, "attest_certs_refused", {"status": reply.status}, "error")
        result: bytes | str = "certs not accepted"
        if certs_sent:
            result = yield from attest_once(z)
        if isinstance(result, bytes):
            yield _publish(A.ATTESTATION_STATE_COMPLETE, result)
            yield fx.Log(AGENT, "attested", {})
            if (yield from _wanted(restart, escrow)):
                # EVE: pkg/pillar/cmd/zedagent/attesttask.go handleRestartAtStateComplete: a restart waits out
                # retryTimeInterval in RestartWait (the old token still sent meanwhile) before a new nonce
                yield _publish(A.ATTESTATION_STATE_RESTART_WAIT, result)
                yield fx.Sleep(RETRY_S)
            continue
        attest = yield fx.Read(topics.ATTEST)
        yield _publish(A.ATTESTATION_STATE_RESTART_WAIT, refused=attest is not None and attest.certs_refused,
                       error=str(result))
        yield fx.Sleep(RETRY_S)
