"""The TPM effects of the host and xen backends on a board TPM (``evesim.backends.tpm``), as EVE's tpmmgr does them.

The TPM holds the device identity only while ``/config`` holds no soft device key (EVE's ``IsTpmEnabled`` in
``pkg/pillar/evetpm/tpm.go``): a device first run without a TPM keeps its soft key, and its quotes stay empty.
The sealed vault key is returned to vaultmgr as a blob (EVE keeps it in two NV indices).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Literal, Protocol

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from evesim.agent import effects as fx
from evesim.agent import paths
from evesim.api import certs, pb

if TYPE_CHECKING:
    from evesim.backends.host import HostDevice

CREDENTIAL = "/config/tpm_credential"
"""``TpmCredentialsFileName``: a UUID made on first boot; its first 7 bytes are the device key's auth."""
ATTEST_CERT = "/persist/certs/attest.cert.pem"
ECDH_CERT = "/persist/certs/ecdh.cert.pem"
EK_CERT = "/persist/certs/ek.cert.pem"
AGENT = "tpmmgr"
KeyName = Literal["quote", "ecdh", "ek"]
"""The TPM keys EVE certifies with the device key: the quote key, the ECDH key, the endorsement key."""
CERTIFIED: tuple[tuple[int, str, KeyName, str], ...] = (
    (pb.certs.CERT_TYPE_DEVICE_RESTRICTED_SIGNING, ATTEST_CERT, "quote", "Device Attestation certificate"),
    (pb.certs.CERT_TYPE_DEVICE_ECDH_EXCHANGE, ECDH_CERT, "ecdh", "Device ECDH certificate"),
    (pb.certs.CERT_TYPE_DEVICE_ENDORSEMENT_RSA, EK_CERT, "ek", "Device Endorsement Key certificate"),
)
"""What ``DeviceCerts`` sends: (cert type, file, key, common name), as tpmmgr's ``create*Cert``."""


class TpmError(RuntimeError):
    """The TPM is unreachable or refused a command; the message says which."""


class Chip(Protocol):
    """What these effects need of a TPM (``evesim.backends.tpm.BoardTpm``)."""

    def provision(self, credential: bytes) -> ec.EllipticCurvePublicKey: ...

    def device_signer(self, credential: bytes) -> ec.EllipticCurvePrivateKey: ...

    def sign(self, credential: bytes, data: bytes) -> bytes: ...

    def public(self, key: KeyName) -> PublicKeyTypes: ...

    def quote(self, nonce: bytes) -> fx.QuoteResult: ...

    def seal(self, secret: bytes) -> bytes: ...

    def unseal(self, blob: bytes) -> bytes | None: ...

    def ecdh_round_trip(self, device_public: ec.EllipticCurvePublicKey) -> bool: ...

    def store_cert(self, pem: bytes) -> None: ...

    def stored_cert(self) -> bytes | None: ...

    def close(self) -> None: ...


def enabled(dev: HostDevice) -> bool:
    """EVE's ``IsTpmEnabled``: a TPM, and no soft device key."""
    return dev.tpm is not None and not dev.state.read(paths.DEVICE_KEY)


def _chip(dev: HostDevice) -> Chip:
    if dev.tpm is None:
        raise TpmError("this device has no TPM")
    return dev.tpm


def credential(dev: HostDevice) -> bytes:
    """The TPM credential from ``/config``, made on first use."""
    stored = dev.state.read(CREDENTIAL)
    if not stored:
        stored = str(uuid.uuid4()).encode()
        dev.state.write(CREDENTIAL, stored, mode=0o600)
    return stored.strip()


# ---------------------------------------------------------------- identity


def create_identity(dev: HostDevice) -> bytes:
    """The device cert for the TPM's device key (made with the other keys if missing), also kept in NV: a cert
    lost from ``/config`` comes back from NV, as EVE's tpmmgr keeps it at ``TpmDeviceCertHdl``."""
    chip = _chip(dev)
    secret = credential(dev)
    public = chip.provision(secret)
    pem = chip.stored_cert()
    if pem is None or not _certifies(pem, public):
        pem = dev.issue_device_cert(chip.device_signer(secret))
        chip.store_cert(pem)
    dev.state.write(paths.DEVICE_CERT, pem)
    return pem


def _certifies(pem: bytes, public: ec.EllipticCurvePublicKey) -> bool:
    try:
        return certs.load_cert(pem).public_key() == public
    except certs.CertError:
        return False


def sign(dev: HostDevice, data: bytes) -> bytes | None:
    """ECDSA with the TPM's device key (raw r‖s), or None when the TPM refuses."""
    try:
        return _chip(dev).sign(credential(dev), data)
    except TpmError as exc:
        dev.record(AGENT, "tpm_failed", {"operation": "sign", "error": str(exc)}, "error")
        return None


def device_certs(dev: HostDevice, eff: fx.DeviceCerts) -> tuple[tuple[int, bytes], ...]:
    """The attestation, ECDH and EK certs, signed by the device key; each made once, as tpmmgr's ``create*Cert``."""
    if not enabled(dev):
        return ()
    found = []
    for kind, path, key, cn in CERTIFIED:
        pem = dev.state.read(path)
        if not pem:
            try:
                pem = _issue(dev, cn, _chip(dev).public(key))
            except (TpmError, certs.CertError, ValueError) as exc:
                dev.record(AGENT, "tpm_failed", {"operation": f"certify {cn}", "error": str(exc)}, "error")
                continue
            dev.state.write(path, pem)
        found.append((kind, pem))
    return tuple(found)


def _issue(dev: HostDevice, cn: str, public: PublicKeyTypes) -> bytes:
    """A cert for ``public`` issued by the device cert, as tpmmgr's ``create*Template``: EVE's subject, the device
    cert's validity, key encipherment and signature, server auth."""
    device = certs.load_cert(dev.state.read(paths.DEVICE_CERT) or b"")
    subject = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
                         x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, "CA"),
                         x509.NameAttribute(NameOID.LOCALITY_NAME, "San Francisco"),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "The Linux Foundation"),
                         x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    usage = x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=True,
                          data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                          encipher_only=False, decipher_only=False)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(device.subject)
               .public_key(public).serial_number(secrets.randbits(127) + 1)  # type: ignore[arg-type]
               .not_valid_before(_utc(device.not_valid_before_utc)).not_valid_after(_utc(device.not_valid_after_utc))
               .add_extension(usage, critical=True)
               .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True))
    cert = builder.sign(_chip(dev).device_signer(credential(dev)), hashes.SHA256())
    return certs.cert_pem(cert)


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC)


# ---------------------------------------------------------------- timed effects


async def identity(dev: HostDevice, eff: fx.CreateDeviceIdentity) -> bytes:
    """The TPM's device identity; when the TPM fails, a soft key, as ``device-steps.sh`` falls back to
    ``tpmmgr createSoftDeviceCert``."""
    try:
        return await asyncio.to_thread(create_identity, dev)
    except TpmError as exc:
        dev.record(AGENT, "tpm_failed", {"operation": "create the device key", "error": str(exc)}, "error")
        return dev.create_identity()


async def quote(dev: HostDevice, eff: fx.Quote) -> fx.QuoteResult | None:
    """A quote, or None (an empty quote, as EVE sends when ``getQuote`` fails) without a TPM identity or on error."""
    if not enabled(dev):
        return None
    try:
        return await asyncio.to_thread(_chip(dev).quote, eff.nonce)
    except TpmError as exc:
        dev.record(AGENT, "tpm_failed", {"operation": "quote", "error": str(exc)}, "error")
        return None


async def seal(dev: HostDevice, eff: fx.SealKey) -> bytes:
    """The vault key sealed to today's PCRs (a TPM error fails the effect: vaultmgr starts over)."""
    return await asyncio.to_thread(_chip(dev).seal, eff.secret)


async def unseal(dev: HostDevice, eff: fx.UnsealKey) -> bytes | None:
    """The vault key, or None (the vault stays locked) when the PCRs changed or the TPM refuses."""
    try:
        return await asyncio.to_thread(_chip(dev).unseal, eff.blob)
    except TpmError as exc:
        dev.record(AGENT, "tpm_failed", {"operation": "unseal", "error": str(exc)}, "error")
        return None


async def sanity(dev: HostDevice, eff: fx.TpmSanity) -> fx.TpmCheck:
    """tpmmgr's ``tpmSanityCheck``: encrypt and decrypt through the ECDH key; its quote check is not made, since
    nodeagent acts only on an encryption failure (``pkg/pillar/cmd/nodeagent/nodeagent.go`` handleTpmStatusImpl)."""
    try:
        device = certs.load_cert(dev.state.read(paths.DEVICE_CERT) or b"").public_key()
        if isinstance(device, ec.EllipticCurvePublicKey) and await asyncio.to_thread(
                _chip(dev).ecdh_round_trip, device):
            return "ok"
        error = "the message did not come back unchanged"
    except (TpmError, certs.CertError) as exc:
        error = str(exc)
    dev.record(AGENT, "tpm_failed", {"operation": "encrypt and decrypt", "error": error}, "error")
    return "encryption"


TIMED: dict[type, Callable[[HostDevice, Any], Awaitable[Any]]] = {
    fx.CreateDeviceIdentity: identity, fx.Quote: quote, fx.SealKey: seal, fx.UnsealKey: unseal, fx.TpmSanity: sanity,
}
"""The handlers that replace the host backend's when the device has a TPM."""
INSTANT: dict[type, Callable[[HostDevice, Any], Any]] = {fx.DeviceCerts: device_certs}
