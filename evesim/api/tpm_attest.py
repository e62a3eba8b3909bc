"""TPM 2.0 quotes as EVE sends them: the raw ``TPMS_ATTEST`` (big-endian) and an ASN.1 DER ECDSA signature.

``ZAttestQuote.attestData`` carries the ``TPMS_ATTEST`` bytes and ``signature`` the quote's ECDSA (r, s) re-encoded
as ASN.1 DER, not the TPM's ``TPMT_SIGNATURE`` (``pkg/pillar/cmd/tpmmgr/tpmmgr.go`` getQuote); the controller
checks both here.
Simplification: the signer's name is ``nameAlg || SHA-256(DER of the AK public key)``.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

TPM_GENERATED_VALUE = 0xFF544347
TPM_ST_ATTEST_QUOTE = 0x8018
TPM_ALG_SHA256 = 0x000B
PCR_SELECT_BYTES = 3


class QuoteFormatError(ValueError):
    """Bytes that are not a well-formed quote or signature."""


@dataclass(frozen=True)
class Quote:
    """The fields of a ``TPMS_ATTEST`` of type quote."""

    qualified_signer: bytes
    extra_data: bytes
    clock: int
    reset_count: int
    restart_count: int
    safe: bool
    firmware_version: int
    pcrs: tuple[int, ...]
    pcr_digest: bytes


def signer_name(public_key: ec.EllipticCurvePublicKey) -> bytes:
    """The TPM name of an attestation key (simplified: nameAlg || SHA-256 of its DER)."""
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return struct.pack(">H", TPM_ALG_SHA256) + hashlib.sha256(der).digest()


def pcr_digest(values: list[bytes]) -> bytes:
    """SHA-256 over the selected PCR values in index order, as ``TPMS_QUOTE_INFO.pcrDigest``."""
    return hashlib.sha256(b"".join(values)).digest()


def _tpm2b(data: bytes) -> bytes:
    return struct.pack(">H", len(data)) + data


def pcr_selection(pcrs: Iterable[int]) -> bytes:
    """Marshalled ``TPML_PCR_SELECTION`` of the SHA-256 bank (3-byte bitmap) for ``pcrs``."""
    bitmap = bytearray(PCR_SELECT_BYTES)
    for index in pcrs:
        if not 0 <= index < 8 * PCR_SELECT_BYTES:
            raise QuoteFormatError(f"PCR index {index} out of range")
        bitmap[index // 8] |= 1 << (index % 8)
    return struct.pack(">IHB", 1, TPM_ALG_SHA256, PCR_SELECT_BYTES) + bytes(bitmap)


def encode(quote: Quote) -> bytes:
    """Marshal a quote as ``TPMS_ATTEST``."""
    return b"".join(
        [
            struct.pack(">IH", TPM_GENERATED_VALUE, TPM_ST_ATTEST_QUOTE),
            _tpm2b(quote.qualified_signer),
            _tpm2b(quote.extra_data),
            struct.pack(">QIIB", quote.clock, quote.reset_count, quote.restart_count, int(quote.safe)),
            struct.pack(">Q", quote.firmware_version),
            pcr_selection(quote.pcrs),
            _tpm2b(quote.pcr_digest),
        ]
    )


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, fmt: str) -> tuple:
        size = struct.calcsize(fmt)
        if self.pos + size > len(self.data):
            raise QuoteFormatError("truncated TPM structure")
        values = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += size
        return values

    def tpm2b(self) -> bytes:
        (size,) = self.take(">H")
        if self.pos + size > len(self.data):
            raise QuoteFormatError("truncated TPM2B field")
        value = self.data[self.pos : self.pos + size]
        self.pos += size
        return value


def decode(data: bytes) -> Quote:
    """Parse ``TPMS_ATTEST`` bytes of a quote; raise ``QuoteFormatError`` otherwise."""
    reader = _Reader(data)
    magic, kind = reader.take(">IH")
    if magic != TPM_GENERATED_VALUE or kind != TPM_ST_ATTEST_QUOTE:
        raise QuoteFormatError("not a TPM-generated quote")
    signer, extra = reader.tpm2b(), reader.tpm2b()
    clock, resets, restarts, safe = reader.take(">QIIB")
    (firmware,) = reader.take(">Q")
    pcrs = _read_selection(reader)
    digest = reader.tpm2b()
    if reader.pos != len(data):
        raise QuoteFormatError("trailing bytes after TPMS_ATTEST")
    return Quote(signer, extra, clock, resets, restarts, bool(safe), firmware, pcrs, digest)


def _read_selection(reader: _Reader) -> tuple[int, ...]:
    (count,) = reader.take(">I")
    pcrs: list[int] = []
    for _ in range(count):
        alg, size = reader.take(">HB")
        bitmap = reader.take(f">{size}s")[0]
        if alg == TPM_ALG_SHA256:
            pcrs += [8 * i + b for i, byte in enumerate(bitmap) for b in range(8) if byte >> b & 1]
    return tuple(pcrs)


def sign(key: ec.EllipticCurvePrivateKey, attest: bytes) -> bytes:
    """ECDSA-SHA256 over ``attest`` (deterministic), ASN.1 DER as EVE sends it."""
    return key.sign(attest, ec.ECDSA(hashes.SHA256(), deterministic_signing=True))


def verify_signature(public_key: ec.EllipticCurvePublicKey, attest: bytes, signature: bytes) -> bool:
    """True if ``signature`` (ECDSA, ASN.1 DER) signs ``attest`` with ``public_key``."""
    try:
        public_key.verify(signature, attest, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError):
        return False
    return True


def check(
    attest: bytes,
    signature: bytes,
    public_key: ec.EllipticCurvePublicKey,
    nonce: bytes,
    pcr_values: dict[int, bytes],
) -> str | None:
    """Verify a quote against the expected nonce and reported PCRs; None if good, else the reason."""
    try:
        quote = decode(attest)
    except QuoteFormatError as exc:
        return f"malformed quote: {exc}"
    if not verify_signature(public_key, attest, signature):
        return "quote signature does not verify"
    if quote.extra_data != nonce:
        return "nonce mismatch"
    if any(i not in pcr_values for i in quote.pcrs):
        return "quote selects PCRs that were not reported"
    if pcr_digest([pcr_values[i] for i in quote.pcrs]) != quote.pcr_digest:
        return "PCR digest mismatch"
    return None
