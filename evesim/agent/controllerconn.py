"""Talking to the controller the way EVE's ``controllerconn`` does: URLs, envelopes, sender status.

Generators here are meant for ``yield from`` inside agents: they yield effects and return
a ``Reply``.
"""

from __future__ import annotations

import enum
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any, Literal

from evesim.agent import effects as fx
from evesim.api import envelope
from evesim.api.controller_certs import ControllerCerts
from evesim.api.envelope import CryptoMode, EnvelopeError
from evesim.api.vocab import TransportError

SigningKey = Literal["device", "onboard"]
"""The keys a request can be signed with: the device's own and the fleet's onboarding key."""
BASE = "/api/v2/edgedevice/"
PROTO = "application/x-proto-binary"


class Sender(enum.Enum):
    """EVE's ``SenderStatus`` (``pkg/pillar/types/global.go``) plus the transport outcomes it folds into
    a failure; REFUSED and CERT_INVALID carry the ``TransportError`` they come from."""

    NONE = "none"
    UPGRADE = "upgrade"
    REFUSED = "refused"
    CERT_INVALID = "cert_invalid"
    NOT_FOUND = "not_found"
    FORBIDDEN = "forbidden"
    CERT_MISS = "cert_miss"
    SIGN_VERIFY_FAIL = "sign_verify_fail"
    ALGO_FAIL = "algo_fail"
    HASH_SIZE_ERROR = "hash_size_error"
    BAD_CONTENT_TYPE = "bad_content_type"
    HTTP_ERROR = "http_error"
    TRANSPORT = "transport"


TRANSPORT_SENDERS: dict[TransportError, Sender] = {"refused": Sender.REFUSED, "cert_invalid": Sender.CERT_INVALID}
"""Transport errors EVE gives a sender status of their own (``handleHTTPReqFailure``); the rest are TRANSPORT."""

_ENVELOPE_SENDERS = {"algo": Sender.ALGO_FAIL, "hash_size": Sender.HASH_SIZE_ERROR}
"""``EnvelopeError.kind`` values with a sender status of their own; the rest are SIGN_VERIFY_FAIL."""

ENVELOPE_FAILURES = frozenset({Sender.CERT_MISS, Sender.SIGN_VERIFY_FAIL, Sender.ALGO_FAIL, Sender.HASH_SIZE_ERROR})
"""An answer's AuthContainer could not be verified: EVE lights LED 15."""


@dataclass(frozen=True, slots=True)
class Reply:
    """An exchange's outcome: HTTP status (None on transport failure), sender status, inner payload."""

    status: int | None
    sender: Sender
    payload: bytes | None = None
    error: str = ""

    @property
    def ok(self) -> bool:
        """EVE's success codes: 200, 201, 204, 304."""
        return self.status in fx.SUCCESS and self.sender is Sender.NONE


def url(action: str, uuid: str | None = None) -> str:
    """EVE's URL path for an action; per-device actions carry ``id/<uuid>/``."""
    return f"{BASE}id/{uuid}/{action}" if uuid else f"{BASE}{action}"


def unsigned(key: str) -> str:
    """The error of a request that was not sent because ``key`` could not sign it."""
    return f"not sent: the {key} key is missing or unusable"


def status_sender(response: fx.Response) -> Sender:
    """Map an HTTP status or transport error to EVE's sender status."""
    if response.status is None:
        return TRANSPORT_SENDERS.get(response.error, Sender.TRANSPORT) if response.error else Sender.TRANSPORT
    code = response.status
    if code in fx.SUCCESS:
        return Sender.NONE
    # EVE: pkg/pillar/controllerconn/send.go SendOnAllIntf folds 503 into Upgrade, 400 and 404 into NotFound
    if code == 503:
        return Sender.UPGRADE
    if code in (400, 404):
        return Sender.NOT_FOUND
    if code == 403:
        return Sender.FORBIDDEN
    return Sender.HTTP_ERROR


@dataclass(slots=True)
class Conn:
    """The device's side of the conversation: its cert hash, the controller's certs, the crypto mode."""

    mode: CryptoMode
    device_cert_hash: bytes
    controller: ControllerCerts | None = None
    _last_sealed: tuple[bytes, bytes] = (b"", b"")

    def seal(self, payload: bytes, key: SigningKey = "device", cert_hash: bytes | None = None,
             sender_cert_pem: bytes | None = None) -> Generator[Any, Any, bytes | None]:
        """Wrap ``payload`` in a signed AuthContainer (signing via the ``Sign`` effect); None if ``key``
        cannot sign (missing or unusable)."""
        if self.mode is CryptoMode.FULL:
            signature = yield fx.Sign(key, payload)
            if signature is None:
                return None
        else:
            signature = envelope.ZERO_SIGNATURE
        return envelope.seal(payload, signature, cert_hash or self.device_cert_hash,
                             sender_cert_pem=sender_cert_pem)

    def post(self, path: str, payload: bytes, *, key: SigningKey = "device", cert_hash: bytes | None = None,
             sender_cert_pem: bytes | None = None, timeout: float = 120.0,
             reuse: bool = False, accept: tuple[str, ...] = (PROTO,)) -> Generator[Any, Any, Reply]:
        """POST a signed payload; verify and unwrap a signed answer.

        ``reuse`` keeps the last envelope made this way and sends it again for an identical
        device-signed payload (a config poll repeats until the config changes). ``accept`` lists
        the content types a body may have.
        """
        body: bytes | None
        if reuse and self._last_sealed[1] and self._last_sealed[0] == payload:
            body = self._last_sealed[1]
        else:
            body = yield from self.seal(payload, key, cert_hash, sender_cert_pem)
            if body is None:
                return Reply(None, Sender.TRANSPORT, None, unsigned(key))
            if reuse:
                self._last_sealed = (payload, body)
        response = yield fx.Request("POST", path, body, timeout)
        return self.unwrap(response, accept)

    def get(self, path: str, *, timeout: float = 120.0) -> Generator[Any, Any, fx.Response]:
        """GET without a body (ping, certs): the raw response."""
        return (yield fx.Request("GET", path, None, timeout))

    def unwrap(self, response: fx.Response, accept: tuple[str, ...] = (PROTO,)) -> Reply:
        """Check status, content type and envelope of an answer; return the inner payload."""
        sender = status_sender(response)
        if sender is not Sender.NONE or not response.body:
            return Reply(response.status, sender, None, response.error or "")
        if response.content_type.split(";")[0].strip() not in accept:
            return Reply(response.status, Sender.BAD_CONTENT_TYPE, None, response.content_type)
        return self._verify(response)

    def _verify(self, response: fx.Response) -> Reply:
        try:
            env = envelope.open_envelope(response.body)
        except EnvelopeError as exc:
            kind = _ENVELOPE_SENDERS.get(exc.kind, Sender.SIGN_VERIFY_FAIL)
            return Reply(response.status, kind, None, str(exc))
        certs = self.controller
        if certs is None or not envelope.hash_matches(env, certs.signing_hash):
            return Reply(response.status, Sender.CERT_MISS, None, "unknown controller signing cert")
        try:
            envelope.check_signature(env, certs.signing.public_key(), self.mode)
        except EnvelopeError as exc:
            return Reply(response.status, Sender.SIGN_VERIFY_FAIL, None, str(exc))
        return Reply(response.status, Sender.NONE, env.payload)


@dataclass(slots=True)
class Backoff:
    """Exponential backoff without jitter (EVE's ``flextimer.NewExpTicker`` with no noise: doubling to a cap)."""

    start: float
    cap: float
    current: float = 0.0

    def next(self) -> float:
        """The next delay."""
        self.current = self.start if self.current == 0 else min(self.cap, self.current * 2)
        return self.current

    def reset(self) -> None:
        """Start again from ``start``."""
        self.current = 0.0
