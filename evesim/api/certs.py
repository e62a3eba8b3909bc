"""X.509 helpers: EC P-256 keys and certificates for controllers and devices, chain checks.

Keys and certificates can be made deterministic (derived from a seed, RFC 6979 signatures,
fixed validity) so a simulation replays byte for byte.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import ipaddress
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import TypeVar

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

_CURVE_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
EPOCH = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
"""Default start of validity for deterministic certificates."""


_E = TypeVar("_E", bound=x509.ExtensionType)


class CertError(ValueError):
    """A certificate or chain is malformed or does not verify."""


class Usage(Enum):
    """What a certificate is for; decides its extensions."""

    CA = "ca"
    SIGNING = "signing"
    ECDH = "ecdh"
    TLS_SERVER = "tls-server"
    DEVICE = "device"
    ONBOARDING = "onboarding"
    ADMIN_CLIENT = "admin-client"


def make_key(seed: bytes | None = None) -> ec.EllipticCurvePrivateKey:
    """A P-256 private key; derived from ``seed`` when given, random otherwise."""
    if seed is None:
        return ec.generate_private_key(ec.SECP256R1())
    scalar = int.from_bytes(hashlib.sha256(b"evesim-key" + seed).digest(), "big")
    return ec.derive_private_key(scalar % (_CURVE_ORDER - 1) + 1, ec.SECP256R1())


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _serial(seed: bytes | None, cn: str) -> int:
    if seed is None:
        return x509.random_serial_number()
    return int.from_bytes(hashlib.sha256(b"evesim-serial" + seed + cn.encode()).digest()[:16], "big") >> 1


def _add_usage(builder: x509.CertificateBuilder, usage: Usage, sans: Sequence[str]) -> x509.CertificateBuilder:
    is_ca = usage is Usage.CA
    builder = builder.add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
    builder = builder.add_extension(
        x509.KeyUsage(
            digital_signature=not is_ca,
            content_commitment=False,
            key_encipherment=False,
            data_encipherment=False,
            key_agreement=usage in (Usage.ECDH, Usage.DEVICE),
            key_cert_sign=is_ca,
            crl_sign=is_ca,
            encipher_only=False,
            decipher_only=False,
        ),
        critical=True,
    )
    if usage is Usage.TLS_SERVER:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        builder = builder.add_extension(x509.SubjectAlternativeName([_san(s) for s in sans]), critical=False)
    if usage is Usage.ADMIN_CLIENT:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
    return builder


def _san(value: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(value))
    except ValueError:
        return x509.DNSName(value)


@dataclass(frozen=True)
class Issued:
    """A key with its certificate."""

    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate

    @property
    def cert_pem(self) -> bytes:
        return cert_pem(self.cert)

    @property
    def key_pem(self) -> bytes:
        return key_pem(self.key)


def issue(
    cn: str,
    usage: Usage,
    *,
    issuer: Issued | None = None,
    key: ec.EllipticCurvePrivateKey | None = None,
    seed: bytes | None = None,
    sans: Sequence[str] = (),
    not_before: dt.datetime | None = None,
    days: int = 3650,
) -> Issued:
    """Make a certificate for ``cn``; self-signed when ``issuer`` is None.

    With ``seed`` the key, serial and signature are deterministic and validity starts at
    ``EPOCH`` unless ``not_before`` says otherwise.
    """
    key = key or make_key(None if seed is None else seed + cn.encode())
    start = not_before or (EPOCH if seed is not None else dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
    signer_key = issuer.key if issuer else key
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(issuer.cert.subject if issuer else _name(cn))
        .public_key(key.public_key())
        .serial_number(_serial(seed, cn))
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=days))
    )
    builder = _add_usage(builder, usage, sans)
    cert = builder.sign(signer_key, hashes.SHA256(), ecdsa_deterministic=True)
    return Issued(key=key, cert=cert)


def cert_pem(cert: x509.Certificate) -> bytes:
    """PEM bytes of a certificate."""
    return cert.public_bytes(serialization.Encoding.PEM)


def cert_der(cert: x509.Certificate) -> bytes:
    """DER bytes of a certificate."""
    return cert.public_bytes(serialization.Encoding.DER)


def key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    """Unencrypted PKCS#8 PEM of a private key."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def load_cert(pem: bytes) -> x509.Certificate:
    """Parse one PEM certificate, its public key and extensions included (cryptography parses those only when
    asked); raises ``CertError`` if it is not one or either part is unreadable."""
    try:
        with warnings.catch_warnings():
            # what cryptography only warns about today (a serial number that is not positive), Go refuses
            warnings.simplefilter("error", CryptographyDeprecationWarning)
            cert = x509.load_pem_x509_certificate(pem)
        cert.public_key()
        cert.extensions  # noqa: B018 - parsed now, so that later reads cannot raise
    except (ValueError, UnsupportedAlgorithm, CryptographyDeprecationWarning) as exc:
        raise CertError(f"not a usable PEM certificate: {exc}") from exc
    return cert


def pem_from_text(value: str | bytes) -> bytes:
    """PEM bytes given as PEM text or as base64 of them (Go's JSON []byte, EVE's ``pemCert``); else ``CertError``."""
    try:
        data = value.encode() if isinstance(value, str) else bytes(value)
        return data if data.lstrip().startswith(b"-----BEGIN") else base64.b64decode(data, validate=True)
    except ValueError as exc:  # binascii.Error and UnicodeEncodeError (a lone surrogate) are ValueErrors
        raise CertError("not PEM text or base64 of PEM bytes") from exc


def load_certs(pem: bytes) -> list[x509.Certificate]:
    """Parse a PEM bundle of one or more certificates."""
    try:
        certs = x509.load_pem_x509_certificates(pem)
    except ValueError as exc:
        raise CertError(f"not a PEM certificate bundle: {exc}") from exc
    return certs


def load_key(pem: bytes) -> ec.EllipticCurvePrivateKey:
    """Parse a PEM EC private key."""
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise CertError(f"not a PEM private key: {exc}") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise CertError("private key is not an EC key")
    return key


def der_hash(cert: x509.Certificate) -> bytes:
    """SHA-256 of the certificate's DER: how EVE names a device or onboarding cert."""
    return hashlib.sha256(cert_der(cert)).digest()


def pem_hash(pem: bytes) -> bytes:
    """SHA-256 of PEM bytes: how EVE names the controller signing cert from ``/certs``."""
    return hashlib.sha256(pem).digest()


@functools.lru_cache(maxsize=4096)
def directly_signed(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """True if ``issuer`` signed ``cert`` (names and signature); answers are cached per pair."""
    if cert.issuer != issuer.subject:
        return False
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def verify_chain(
    leaf: x509.Certificate,
    intermediates: Iterable[x509.Certificate],
    roots: Iterable[x509.Certificate],
    at: dt.datetime | None = None,
) -> None:
    """Check ``leaf`` chains to one of ``roots`` through ``intermediates`` as Go's ``Certificate.Verify`` does for
    EVE's controller certs (lf-edge/eve pkg/pillar/controllerconn/authen.go ``verifySignatureWithRootPEM``, default
    options); raise ``CertError``.

    Besides signatures and validity (the root's too): every intermediate must be a CA (basic constraints), no CA may
    have more intermediates below it than its path length allows, every certificate that names extended key usages
    must allow serverAuth (Go's default usage) or any, and none may carry a critical extension Go does not know. Key
    usage bits are ignored, as Go ignores them. Simplified: the first parent found is the only one tried (Go tries
    every candidate, so a renewed intermediate listed after an expired one with the same name and key still works).
    """
    roots = list(roots)
    pool = list(intermediates)
    chain = [leaf]
    for _ in range(len(pool) + 2):
        current = chain[-1]
        _check_validity(current, at)
        root = next((r for r in roots if current == r or directly_signed(current, r)), None)
        if root is not None:
            _check_validity(root, at)
            _check_chain(chain if current == root else [*chain, root])
            return
        parent = next((c for c in pool if directly_signed(current, c)), None)
        if parent is None:
            break
        pool.remove(parent)
        chain.append(parent)
    raise CertError(f"certificate {leaf.subject.rfc4514_string()} does not chain to the trusted root")


def _check_chain(chain: list[x509.Certificate]) -> None:
    """Go's checks of a built chain (leaf first, root last): CA intermediates, path lengths, extended key usage."""
    for depth, cert in enumerate(chain):
        constraints = _extension(cert, x509.BasicConstraints)
        name = cert.subject.rfc4514_string()
        if any(ext.critical and isinstance(ext.value, x509.UnrecognizedExtension) for ext in cert.extensions):
            raise CertError(f"certificate {name} has a critical extension Go does not handle")
        if 0 < depth < len(chain) - 1 and (constraints is None or not constraints.ca):
            raise CertError(f"certificate {name} is not a CA, so it may not sign certificates")
        if depth and constraints is not None and constraints.path_length is not None:
            if depth - 1 > constraints.path_length:
                raise CertError(f"certificate {name} allows {constraints.path_length} intermediates below it")
        usages = _extension(cert, x509.ExtendedKeyUsage)
        if usages is not None and not {ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE} \
                & set(usages):
            raise CertError(f"certificate {name} is not for server authentication (extended key usage)")


def _extension(cert: x509.Certificate, kind: type[_E]) -> _E | None:
    try:
        return cert.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None


def _check_validity(cert: x509.Certificate, at: dt.datetime | None) -> None:
    if at is None:
        return
    if not cert.not_valid_before_utc <= at <= cert.not_valid_after_utc:
        raise CertError(f"certificate {cert.subject.rfc4514_string()} is not valid at {at.isoformat()}")


def verify_signature(public_key: object, data: bytes, signature: bytes) -> bool:
    """Check a SHA-256 signature the way EVE does: ECDSA raw r‖s (or DER), or RSA PKCS#1 v1.5."""
    try:
        if isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(_ecdsa_der(signature, public_key.curve.key_size), data, ec.ECDSA(hashes.SHA256()))
        elif isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
        else:
            return False
    except (InvalidSignature, ValueError):
        return False
    return True


def _ecdsa_der(signature: bytes, key_bits: int) -> bytes:
    """Raw r‖s → DER; DER passes through."""
    size = (key_bits + 7) // 8
    if len(signature) != 2 * size:
        return signature
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    r = int.from_bytes(signature[:size], "big")
    s = int.from_bytes(signature[size:], "big")
    return encode_dss_signature(r, s)


def sign_raw(key: ec.EllipticCurvePrivateKey, data: bytes) -> bytes:
    """ECDSA-SHA256 over ``data`` as raw r‖s, each padded to the curve size (EVE's format)."""
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    der = key.sign(data, ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
    r, s = decode_dss_signature(der)
    size = (key.curve.key_size + 7) // 8
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")
