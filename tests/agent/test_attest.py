"""zedagent's attestation task: CERT → NONCE → QUOTE → token, refusal, retry."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from evesim.agent import effects as fx
from evesim.agent import topics
from evesim.agent.topics import Attestation
from evesim.agent.zedagent import attest
from evesim.agent.zedagent.state import Zedagent
from evesim.api import envelope, pb

from .harness import HARDWARE, Script
from .support import DEVICE, UUID, conn, signed

S = pb.info
NONCE = b"n" * 32
CERT_OK = signed(pb.attest.ZAttestResponse(respType=pb.attest.ATTEST_RESP_CERT).SerializeToString(), 201)
NONCE_OK = signed(pb.attest.ZAttestResponse(respType=pb.attest.ATTEST_RESP_NONCE, nonce={"nonce": NONCE})
                  .SerializeToString(), 201)


def quote_answer(code: int = pb.attest.Z_ATTEST_RESPONSE_CODE_SUCCESS, token: bytes = b"token-1") -> fx.Response:
    """A QUOTE answer with a response code and an integrity token."""
    msg = pb.attest.ZAttestResponse(respType=pb.attest.ATTEST_RESP_QUOTE_RESP)
    msg.quoteResp.response = code
    msg.quoteResp.integrity_token = token
    return signed(msg.SerializeToString(), 201)


def controller(**answers: fx.Response | list[fx.Response]) -> Callable[[fx.Request], fx.Response]:
    """Answer each ``ZAttestReq`` by its type: cert, nonce, quote (lists are consumed in order)."""
    table: dict[str, list[fx.Response]] = {"cert": [CERT_OK], "nonce": [NONCE_OK], "quote": [quote_answer()]}
    table.update({k: v if isinstance(v, list) else [v] for k, v in answers.items()})
    names = {pb.attest.ATTEST_REQ_CERT: "cert", pb.attest.ATTEST_REQ_NONCE: "nonce",
             pb.attest.ATTEST_REQ_QUOTE: "quote"}

    def handle(request: fx.Request) -> fx.Response:
        kind = names[_request(request).reqType]
        queue = table[kind]
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return handle


def _request(request: fx.Request) -> pb.attest.ZAttestReq:
    return pb.attest.ZAttestReq.FromString(envelope.open_envelope(request.body).payload)


def _start(script: Script, **limits: object):
    z = Zedagent(conn=conn(), uuid=UUID, hardware=HARDWARE)
    agent = script.drive(attest.run(z))
    return agent, agent.run(**limits)


def _kinds(script: Script) -> list[int]:
    return [_request(r).reqType for r in script.requests("attest")]


def _states(script: Script) -> list[int]:
    return [a.state for a in script.published(topics.ATTEST)]


def test_cert_nonce_quote_then_token() -> None:
    script = Script(responses={"attest": controller()})
    agent, out = _start(script)
    assert out.stop == "blocked"
    assert _kinds(script) == [pb.attest.ATTEST_REQ_CERT, pb.attest.ATTEST_REQ_NONCE, pb.attest.ATTEST_REQ_QUOTE]
    assert _states(script) == [S.ATTESTATION_STATE_NONCE_WAIT, S.ATTESTATION_STATE_TPM_QUOTE_WAIT,
                               S.ATTESTATION_STATE_ATTEST_WAIT, S.ATTESTATION_STATE_COMPLETE]
    assert script.bus.get(topics.ATTEST) == Attestation(S.ATTESTATION_STATE_COMPLETE, b"token-1")
    assert script.requests()[0].path == f"/api/v2/edgedevice/id/{UUID}/attest"


def test_quote_is_empty_without_a_tpm() -> None:
    script = Script(responses={"attest": controller()})
    _start(script)
    quote = _request(script.requests("attest")[2])
    assert quote.quote.attestData == b"" and quote.quote.signature == b"" and len(quote.quote.pcr_values) == 0
    assert script.effects(fx.Quote) == [fx.Quote(NONCE)]


def test_quote_carries_the_tpm_quote_and_pcrs() -> None:
    script = Script(responses={"attest": controller()},
                    quote=fx.QuoteResult(b"attest-data", b"sig", {1: b"\x01" * 32, 0: b"\x00" * 32}))
    _start(script)
    quote = _request(script.requests("attest")[2]).quote
    assert quote.attestData == b"attest-data" and quote.signature == b"sig"
    assert [(p.index, p.value) for p in quote.pcr_values] == [(0, b"\x00" * 32), (1, b"\x01" * 32)]


@pytest.mark.parametrize("answer", [fx.Response(403), fx.Response(400), fx.Response(401), fx.Response(503)])
def test_refused_cert_marks_certs_refused_and_is_retried_every_15s(answer: fx.Response) -> None:
    script = Script(responses={"attest": controller(cert=[answer, answer, answer, CERT_OK])})
    _start(script)
    cert_times = [s.time for s in script.steps(fx.Request) if _request(s.effect).reqType == pb.attest.ATTEST_REQ_CERT]
    assert cert_times == [0.0, 15.0, 30.0, 45.0]
    refused = script.published(topics.ATTEST)[1]
    assert refused.certs_refused and refused.state == S.ATTESTATION_STATE_RESTART_WAIT
    assert script.logs("attest_certs_refused")
    assert script.bus.get(topics.ATTEST) == Attestation(S.ATTESTATION_STATE_COMPLETE, b"token-1")


def test_cert_post_lost_in_transit_is_not_a_refusal() -> None:
    script = Script(responses={"attest": controller(cert=[fx.Response(None, error="timeout"), CERT_OK])})
    _start(script)
    assert not any(a.certs_refused for a in script.published(topics.ATTEST))
    assert script.bus.get(topics.ATTEST).state == S.ATTESTATION_STATE_COMPLETE


@pytest.mark.parametrize(
    "answers",
    [
        {"nonce": [fx.Response(503), NONCE_OK]},
        {"nonce": [fx.Response(None, error="timeout"), NONCE_OK]},
        {"nonce": [signed(pb.attest.ZAttestResponse().SerializeToString(), 201), NONCE_OK]},
        {"quote": [quote_answer(pb.attest.Z_ATTEST_RESPONSE_CODE_NONCE_MISMATCH), quote_answer()]},
        {"quote": [fx.Response(500), quote_answer()]},
    ],
    ids=["nonce-503", "nonce-timeout", "empty-nonce", "nonce-mismatch", "quote-500"],
)
def test_failure_waits_15s_in_restart_wait_and_starts_over_from_nonce(answers: dict) -> None:
    script = Script(responses={"attest": controller(**answers)})
    _start(script)
    assert S.ATTESTATION_STATE_RESTART_WAIT in _states(script)
    assert script.sleeps() == [15.0]
    kinds = _kinds(script)
    assert kinds.count(pb.attest.ATTEST_REQ_CERT) == 1
    assert kinds[-2:] == [pb.attest.ATTEST_REQ_NONCE, pb.attest.ATTEST_REQ_QUOTE]
    assert script.bus.get(topics.ATTEST).state == S.ATTESTATION_STATE_COMPLETE
    assert script.bus.get(topics.ATTEST).error == ""


def test_restart_request_runs_nonce_and_quote_again_for_a_new_token() -> None:
    quotes = [quote_answer(token=b"token-1"), quote_answer(token=b"token-2")]
    script = Script(responses={"attest": controller(quote=quotes)})
    agent, out = _start(script)
    assert out.stop == "blocked"
    script.bus.publish(topics.ATTEST_RESTART, 100.0)
    agent.run()
    assert _kinds(script)[3:] == [pb.attest.ATTEST_REQ_NONCE, pb.attest.ATTEST_REQ_QUOTE]
    assert script.bus.get(topics.ATTEST).token == b"token-2"
    # EVE's handleRestartAtStateComplete: 15 s in RESTART_WAIT, still offering the old token, then a new nonce
    waiting = [a for a in script.published(topics.ATTEST) if a.state == S.ATTESTATION_STATE_RESTART_WAIT]
    assert [a.token for a in waiting] == [b"token-1"] and script.sleeps() == [15.0]


def test_device_certs_are_sent_with_the_cert_request() -> None:
    pem = DEVICE.cert_pem
    script = Script(responses={"attest": controller()},
                    device_certs=((pb.certs.CERT_TYPE_DEVICE_RESTRICTED_SIGNING, pem),))
    _start(script)
    cert = _request(script.requests("attest")[0]).certs[0]
    assert cert.type == pb.certs.CERT_TYPE_DEVICE_RESTRICTED_SIGNING and cert.cert == pem
    assert cert.hashAlgo == pb.common.HASH_ALGORITHM_SHA256_32BYTES and len(cert.certHash) == 32
