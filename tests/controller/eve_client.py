"""A stand-alone EVE device client built from the published API only: its own protobuf codec, envelopes and certs.

Nothing here imports evesim: field numbers come from lf-edge/eve-api ``proto/``, crypto from ``cryptography``.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import http.client
import ssl
from collections.abc import Iterable

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from cryptography.x509.oid import NameOID

PROTO = "application/x-proto-binary"
API = "/api/v2/edgedevice"

# ---------------------------------------------------------------- protobuf wire format


def varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def field(number: int, value: int | bytes | str) -> bytes:
    """One field: ints as varints (wire type 0), bytes/str length-delimited (wire type 2)."""
    if isinstance(value, int):
        return varint(number << 3) + varint(value)
    data = value.encode() if isinstance(value, str) else value
    return varint(number << 3 | 2) + varint(len(data)) + data


def message(*fields: tuple[int, int | bytes | str]) -> bytes:
    return b"".join(field(n, v) for n, v in fields)


def decode(data: bytes) -> dict[int, list[int | bytes]]:
    """Field number -> values (varints as int, length-delimited as bytes)."""
    out: dict[int, list[int | bytes]] = {}
    pos = 0
    while pos < len(data):
        key, pos = _read_varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _read_varint(data, pos)
        elif wire == 2:
            size, pos = _read_varint(data, pos)
            value, pos = data[pos : pos + size], pos + size
        else:
            raise ValueError(f"unexpected wire type {wire}")
        out.setdefault(number, []).append(value)
    return out


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return result, pos


def first(fields: dict[int, list], number: int, default: int | bytes = b"") -> int | bytes:
    return fields.get(number, [default])[0]


# ---------------------------------------------------------------- certificates and envelopes


def self_signed(cn: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """An EC P-256 key with a self-signed cert, like EVE's soft device cert."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    start = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return key, cert


def pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def der_hash(cert: x509.Certificate) -> bytes:
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).digest()


def sign_raw(key: ec.EllipticCurvePrivateKey, payload: bytes) -> bytes:
    """ECDSA P-256 over SHA-256, raw r‖s of 32 bytes each (lf-edge/eve-api ``OBJECT-SIGNING.md``)."""
    r, s = decode_dss_signature(key.sign(payload, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def envelope(payload: bytes, signature: bytes, cert_hash: bytes, sender_cert_pem: bytes | None = None) -> bytes:
    """AuthContainer: protectedPayload=1 {payload=1}, algo=2 (2 = SHA256_32BYTES), senderCertHash=3,
    signatureHash=4, senderCert=5 (base64 of PEM)."""
    fields = [(1, field(1, payload)), (2, 2), (3, cert_hash), (4, signature)]
    if sender_cert_pem is not None:
        fields.append((5, base64.b64encode(sender_cert_pem)))
    return message(*fields)


def open_answer(body: bytes, signing_cert: x509.Certificate, signing_pem: bytes) -> bytes:
    """Check a controller answer as EVE does (hash of the signing cert's PEM, raw r‖s signature); its payload."""
    container = decode(body)
    payload = first(decode(first(container, 1)), 1)
    assert first(container, 2) == 2, "algo must be SHA256_32BYTES"
    assert first(container, 3) == hashlib.sha256(signing_pem).digest(), "senderCertHash is not the signing cert's"
    signature = first(container, 4)
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    signing_cert.public_key().verify(der, payload, ec.ECDSA(hashes.SHA256()))
    return payload


# ---------------------------------------------------------------- HTTPS


class Https:
    """One keep-alive HTTPS connection trusting the controller's root CA."""

    def __init__(self, host: str, port: int, root_pem: bytes) -> None:
        context = ssl.create_default_context(cadata=root_pem.decode())
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        self.host, self.port, self.context = host, port, context
        self.conn = http.client.HTTPSConnection(host, port, context=context, timeout=30)

    def request(
        self, method: str, path: str, body: bytes = b"", content_type: str | None = PROTO, headers: Iterable = ()
    ) -> tuple[int, bytes, str]:
        all_headers = dict(headers)
        if content_type and method == "POST":
            all_headers["Content-Type"] = content_type
        try:
            return self._exchange(method, path, body, all_headers)
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            # The server closed the idle keep-alive connection: reconnect once, as EVE's client does.
            self.conn.close()
            return self._exchange(method, path, body, all_headers)

    def _exchange(self, method: str, path: str, body: bytes, headers: dict) -> tuple[int, bytes, str]:
        self.conn.request(method, path, body=body if method != "GET" else None, headers=headers)
        response = self.conn.getresponse()
        return response.status, response.read(), response.getheader("Content-Type", "")

    def close(self) -> None:
        self.conn.close()
