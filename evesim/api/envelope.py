"""EVE's signed envelope, ``auth.AuthContainer``: build, parse and verify it as EVE does.

Signature = ECDSA P-256 over SHA-256 of the payload, raw r‖s (64 bytes). In ``trusted``
crypto mode (simulation only) envelopes carry the right hashes and a zero signature of the
same size, and nobody signs or checks.
"""

from __future__ import annotations

import base64
import enum
from dataclasses import dataclass
from typing import Literal

from google.protobuf.message import DecodeError

from evesim.api import pb
from evesim.api.certs import verify_signature

SHA256_16 = pb.common.HASH_ALGORITHM_SHA256_16BYTES
SHA256_32 = pb.common.HASH_ALGORITHM_SHA256_32BYTES
SIGNATURE_SIZE = 64
ZERO_SIGNATURE = bytes(SIGNATURE_SIZE)


class CryptoMode(enum.StrEnum):
    """Whether envelope signatures are made and checked."""

    FULL = "full"
    TRUSTED = "trusted"


EnvelopeProblem = Literal["cert", "parse", "algo", "hash_size", "signature"]
"""What is wrong with an envelope (``EnvelopeError.kind``)."""


class EnvelopeError(ValueError):
    """An envelope that cannot be used; ``kind`` names EVE's matching sender status."""

    def __init__(self, kind: EnvelopeProblem, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True, slots=True)
class Envelope:
    """A parsed ``AuthContainer``."""

    payload: bytes
    algo: int
    sender_cert_hash: bytes
    signature: bytes
    sender_cert: bytes

    def sender_cert_pem(self) -> bytes:
        """The PEM carried in ``senderCert`` (base64 of PEM on the wire)."""
        try:
            return base64.b64decode(self.sender_cert, validate=True)
        except ValueError as exc:
            raise EnvelopeError("cert", "senderCert is not base64") from exc


def seal(
    payload: bytes,
    signature: bytes,
    cert_hash: bytes,
    *,
    algo: pb.common.HashAlgorithm = SHA256_32,
    sender_cert_pem: bytes | None = None,
) -> bytes:
    """Serialize an ``AuthContainer`` around ``payload`` with a ready signature."""
    container = pb.auth.AuthContainer(
        algo=algo,
        senderCertHash=truncate(cert_hash, algo),
        signatureHash=signature,
    )
    container.protectedPayload.payload = payload
    if sender_cert_pem is not None:
        container.senderCert = base64.b64encode(sender_cert_pem)
    return container.SerializeToString()


def truncate(digest: bytes, algo: int) -> bytes:
    """A SHA-256 digest cut to the size ``algo`` names."""
    return digest[:16] if algo == SHA256_16 else digest


def open_envelope(data: bytes) -> Envelope:
    """Parse and structurally check an ``AuthContainer`` (not its signature)."""
    container = pb.auth.AuthContainer()
    try:
        container.ParseFromString(data)
    except DecodeError as exc:
        raise EnvelopeError("parse", f"not an AuthContainer: {exc}") from exc
    if not container.HasField("protectedPayload"):
        raise EnvelopeError("parse", "AuthContainer has no protectedPayload")
    if container.algo not in (SHA256_16, SHA256_32):
        raise EnvelopeError("algo", f"unsupported hash algorithm {container.algo}")
    if len(container.senderCertHash) not in (16, 32):
        raise EnvelopeError("hash_size", f"senderCertHash has {len(container.senderCertHash)} bytes")
    return Envelope(
        payload=container.protectedPayload.payload,
        algo=container.algo,
        sender_cert_hash=container.senderCertHash,
        signature=container.signatureHash,
        sender_cert=container.senderCert,
    )


def hash_matches(envelope: Envelope, digest: bytes) -> bool:
    """True if the envelope names the certificate whose SHA-256 is ``digest``."""
    return envelope.sender_cert_hash == truncate(digest, envelope.algo)


def check_signature(envelope: Envelope, public_key: object, mode: CryptoMode) -> None:
    """Raise ``EnvelopeError('signature')`` unless the signature verifies (or mode is trusted)."""
    if mode is CryptoMode.TRUSTED:
        return
    if not verify_signature(public_key, envelope.payload, envelope.signature):
        raise EnvelopeError("signature", "envelope signature does not verify")
