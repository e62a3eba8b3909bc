"""The controller's ``/certs`` answer (``certs.ZControllerCert``): build it, and check it as EVE does."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from google.protobuf.message import DecodeError

from evesim.api import pb
from evesim.api.certs import CertError, load_cert, pem_hash, verify_chain

SIGNING = pb.certs.CERT_TYPE_CONTROLLER_SIGNING
INTERMEDIATE = pb.certs.CERT_TYPE_CONTROLLER_INTERMEDIATE
ECDH = pb.certs.CERT_TYPE_CONTROLLER_ECDH_EXCHANGE


@dataclass(frozen=True)
class ControllerCerts:
    """What a device keeps from ``/certs``: the signing cert, its PEM and PEM hash."""

    signing: x509.Certificate
    signing_pem: bytes
    signing_hash: bytes
    ecdh_pems: tuple[bytes, ...]


def build(signing_pem: bytes, ecdh_pems: list[bytes], intermediate_pems: Sequence[bytes] = ()) -> bytes:
    """Serialize a ``ZControllerCert`` listing the given PEM certificates."""
    msg = pb.certs.ZControllerCert()
    for kind, pems in ((SIGNING, [signing_pem]), (INTERMEDIATE, intermediate_pems), (ECDH, ecdh_pems)):
        for pem in pems:
            msg.certs.add(
                hashAlgo=pb.common.HASH_ALGORITHM_SHA256_32BYTES,
                certHash=pem_hash(pem),
                type=kind,
                cert=pem,
            )
    return msg.SerializeToString()


def verify(data: bytes, roots: list[x509.Certificate], at: dt.datetime | None = None) -> ControllerCerts:
    """Parse a ``ZControllerCert`` and apply EVE's rules; raise ``CertError`` when they fail.

    Exactly one SIGNING cert, at least one ECDH cert, no other kinds than those and
    INTERMEDIATE, and SIGNING and ECDH leaves must chain to one of ``roots``.
    """
    msg = pb.certs.ZControllerCert()
    try:
        msg.ParseFromString(data)
    except DecodeError as exc:
        raise CertError(f"not a ZControllerCert: {exc}") from exc
    by_kind: dict[int, list[bytes]] = {SIGNING: [], INTERMEDIATE: [], ECDH: []}
    for zcert in msg.certs:
        if zcert.type not in by_kind:
            raise CertError(f"unexpected certificate type {zcert.type} in /certs")
        by_kind[zcert.type].append(zcert.cert)
    if len(by_kind[SIGNING]) != 1:
        raise CertError(f"/certs has {len(by_kind[SIGNING])} signing certificates, want exactly 1")
    if not by_kind[ECDH]:
        raise CertError("/certs has no ECDH exchange certificate")
    intermediates = [load_cert(p) for p in by_kind[INTERMEDIATE]]
    signing_pem = by_kind[SIGNING][0]
    signing = load_cert(signing_pem)
    for leaf in [signing, *(load_cert(p) for p in by_kind[ECDH])]:
        verify_chain(leaf, intermediates, roots, at)
    return ControllerCerts(
        signing=signing,
        signing_pem=signing_pem,
        signing_hash=pem_hash(signing_pem),
        ecdh_pems=tuple(by_kind[ECDH]),
    )
