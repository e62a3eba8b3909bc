"""A TPM 2.0 model: EK/AK with manufacturer certificates, the device key, a SHA-256 PCR bank with
an event log, quotes in the real ``TPMS_ATTEST`` layout, and sealing to a PolicyPCR digest.

Keys come from the device seed and are made on first use. Simplifications: one SHA-256 bank;
a sealed blob is AES-GCM under a seed-derived key with the policy digest as associated data
(a real TPM keeps the key inside and checks ``authPolicy``); no lockout or NV wear.
"""

from __future__ import annotations

import functools
import hashlib
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from evesim.api import certs, tpm_attest
from evesim.api.tpm_layout import DEVICE_KEY_HANDLE, QUOTE_PCRS, VAULT_PCRS
from evesim.hw.image import EveImage

KeyName = Literal["ek", "ak", "device"]
"""The TPM's keys: endorsement, attestation and the device key."""

PCR_COUNT = 24
TPM_CC_POLICY_PCR = 0x0000017F
FIRMWARE_VERSION = 0x0000_0007_0055_0000
MANUFACTURER_CA_CN = "evesim simulated TPM manufacturer CA"

_ONES_PCRS = range(17, 23)
"""PCRs 17-22 (DRTM) start at all ones after TPM2_Startup, the others at zero."""
_SEAL_MAGIC = b"ESB1"
_SEPARATOR = hashlib.sha256(bytes(4)).digest()


class TpmError(ValueError):
    """A TPM command that fails: missing key, bad argument, damaged blob."""


class PolicyError(TpmError):
    """Unseal refused: the PCRs differ from those the secret was sealed to."""

    def __init__(self, mismatched: tuple[int, ...]) -> None:
        super().__init__(f"a policy check failed: PCRs {list(mismatched)} differ from the sealed values")
        self.mismatched = mismatched


@dataclass(frozen=True, slots=True)
class Event:
    """One measured-boot event log entry."""

    pcr: int
    digest: bytes
    description: str


@dataclass(frozen=True, slots=True)
class QuoteResult:
    """A signed quote: raw ``TPMS_ATTEST``, its ECDSA signature (ASN.1 DER, as EVE sends it) and the PCR values."""

    attest: bytes
    signature: bytes
    pcr_values: dict[int, bytes]


@functools.cache
def manufacturer_ca() -> certs.Issued:
    """The simulated TPM manufacturer CA that issues every EK and AK certificate."""
    return certs.issue(MANUFACTURER_CA_CN, certs.Usage.CA, seed=b"evesim-tpm-manufacturer")


def policy_pcr_digest(pcrs: Iterable[int], values: dict[int, bytes]) -> bytes:
    """The policy digest of a session holding one ``TPM2_PolicyPCR`` over ``pcrs`` at ``values``."""
    selected = _check_pcrs(pcrs)
    pcr_hash = tpm_attest.pcr_digest([values[i] for i in selected])
    command = struct.pack(">I", TPM_CC_POLICY_PCR)
    return hashlib.sha256(bytes(32) + command + tpm_attest.pcr_selection(selected) + pcr_hash).digest()


def _check_pcrs(pcrs: Iterable[int]) -> tuple[int, ...]:
    selected = tuple(sorted(set(pcrs)))
    if not selected or not all(isinstance(i, int) and 0 <= i < PCR_COUNT for i in selected):
        raise TpmError(f"PCR selection must be a non-empty set of indices 0-{PCR_COUNT - 1}, got {selected}")
    return selected


def _power_on_value(index: int) -> bytes:
    return b"\xff" * 32 if index in _ONES_PCRS else bytes(32)


class Tpm:
    """The TPM of one device. PCRs and the event log are volatile; keys and sealed data are not."""

    __slots__ = ("_seed", "serial", "firmware", "_pcrs", "_log", "reset_count", "_keys", "_certs", "_device_key",
                 "ecdh_fails")

    def __init__(self, seed: bytes, serial: str = "", firmware: str = "") -> None:
        self._seed = seed
        self.serial = serial
        self.firmware = firmware
        self._pcrs: list[bytes] | None = None
        self._log: list[Event] = []
        self.reset_count = 0
        self._keys: dict[KeyName, ec.EllipticCurvePrivateKey] | None = None
        self._certs: dict[KeyName, bytes] | None = None
        self._device_key = False
        self.ecdh_fails = False
        """A fault: ECDH key agreement (EVE's encrypt/decrypt with the TPM) fails; quotes and sealing still work."""

    # -- keys and certificates ----------------------------------------------

    def _key(self, kind: KeyName) -> ec.EllipticCurvePrivateKey:
        if self._keys is None:
            self._keys = {}
        if kind not in self._keys:
            self._keys[kind] = certs.make_key(self._seed + b"/tpm/" + kind.encode())
        return self._keys[kind]

    def _cert(self, kind: KeyName, usage: certs.Usage) -> bytes:
        if self._certs is None:
            self._certs = {}
        if kind not in self._certs:
            cn = f"TPM {kind.upper()} {self.serial}".rstrip()
            issued = certs.issue(cn, usage, issuer=manufacturer_ca(), key=self._key(kind), seed=self._seed)
            self._certs[kind] = issued.cert_pem
        return self._certs[kind]

    @property
    def ek_cert_pem(self) -> bytes:
        """The endorsement key's certificate, issued by the manufacturer CA."""
        return self._cert("ek", certs.Usage.ECDH)

    @property
    def ak_cert_pem(self) -> bytes:
        """The attestation (quote) key's certificate, issued by the manufacturer CA."""
        return self._cert("ak", certs.Usage.SIGNING)

    @property
    def ak_public_key(self) -> ec.EllipticCurvePublicKey:
        """The attestation key that signs quotes."""
        return self._key("ak").public_key()

    def device_key_exists(self) -> bool:
        """True once the device key has been created at its persistent handle."""
        return self._device_key

    def create_device_key(self) -> ec.EllipticCurvePublicKey:
        """Create the device key at handle 0x817FFFFF; ``TpmError`` if it already exists."""
        if self._device_key:
            raise TpmError(f"a key already exists at persistent handle {DEVICE_KEY_HANDLE:#x}")
        self._device_key = True
        return self.device_public_key

    @property
    def device_public_key(self) -> ec.EllipticCurvePublicKey:
        """The device key's public half; ``TpmError`` before it is created."""
        return self._device("read the device key").public_key()

    def sign(self, data: bytes) -> bytes:
        """ECDSA-SHA256 over ``data`` with the device key, raw r||s."""
        return certs.sign_raw(self._device("sign"), data)

    def device_cert_pem(self, cn: str) -> bytes:
        """A self-signed device certificate for the device key (what ``tpmmgr createDeviceCert`` makes)."""
        return certs.issue(cn, certs.Usage.DEVICE, key=self._device("certify the device key"), seed=self._seed).cert_pem

    def _device(self, what: str) -> ec.EllipticCurvePrivateKey:
        if not self._device_key:
            raise TpmError(f"cannot {what}: no device key at handle {DEVICE_KEY_HANDLE:#x}")
        return self._key("device")

    # -- PCRs ----------------------------------------------------------------

    def read(self, pcr: int) -> bytes:
        """The value of one PCR."""
        (index,) = _check_pcrs([pcr])
        return _power_on_value(index) if self._pcrs is None else self._pcrs[index]

    def pcr_values(self, pcrs: Iterable[int] = QUOTE_PCRS) -> dict[int, bytes]:
        """Values of the selected PCRs, by index."""
        return {i: self.read(i) for i in _check_pcrs(pcrs)}

    def extend(self, pcr: int, digest: bytes, description: str = "") -> None:
        """``PCR[pcr] = SHA-256(PCR[pcr] || digest)`` and log the event."""
        (index,) = _check_pcrs([pcr])
        if not isinstance(digest, bytes) or len(digest) != 32:
            raise TpmError("an extend digest must be 32 bytes (SHA-256)")
        if self._pcrs is None:
            self._pcrs = [_power_on_value(i) for i in range(PCR_COUNT)]
        self._pcrs[index] = hashlib.sha256(self._pcrs[index] + digest).digest()
        self._log.append(Event(index, digest, description))

    @property
    def event_log(self) -> list[Event]:
        """The events measured since the last reset, in order."""
        return list(self._log)

    def reset(self) -> None:
        """TPM reset (power-on or platform reset): PCRs back to their start values, log cleared."""
        self._pcrs = None
        self._log = []
        self.reset_count += 1

    # -- attestation and sealing ----------------------------------------------

    def quote(self, nonce: bytes, pcrs: Iterable[int] = QUOTE_PCRS, clock_ms: int = 0) -> QuoteResult:
        """``TPM2_Quote`` over ``pcrs`` with ``nonce`` as qualifying data, signed by the AK."""
        if not isinstance(nonce, bytes) or len(nonce) > 64:
            raise TpmError("quote nonce must be at most 64 bytes")
        values = self.pcr_values(pcrs)
        quote = tpm_attest.Quote(
            qualified_signer=tpm_attest.signer_name(self.ak_public_key),
            extra_data=nonce,
            clock=clock_ms,
            reset_count=self.reset_count,
            restart_count=0,
            safe=True,
            firmware_version=FIRMWARE_VERSION,
            pcrs=tuple(values),
            pcr_digest=tpm_attest.pcr_digest(list(values.values())),
        )
        attest = tpm_attest.encode(quote)
        return QuoteResult(attest, tpm_attest.sign(self._key("ak"), attest), values)

    def seal(self, secret: bytes, pcrs: Iterable[int] = VAULT_PCRS) -> bytes:
        """Seal ``secret`` to the current values of ``pcrs``."""
        values = self.pcr_values(pcrs)
        selected = tuple(values)
        policy = policy_pcr_digest(selected, values)
        nonce = hashlib.sha256(self._seal_key + policy + secret).digest()[:12]
        sealed = AESGCM(self._seal_key).encrypt(nonce, secret, policy)
        return _SEAL_MAGIC + tpm_attest.pcr_selection(selected) + b"".join(values.values()) + nonce + sealed

    def unseal(self, blob: bytes) -> bytes:
        """The sealed secret; ``PolicyError`` naming the PCRs that changed since sealing."""
        pcrs, sealed_values, nonce, sealed = _parse_blob(blob)
        current = self.pcr_values(pcrs)
        try:
            return AESGCM(self._seal_key).decrypt(nonce, sealed, policy_pcr_digest(pcrs, current))
        except InvalidTag:
            mismatched = tuple(i for i, value in zip(pcrs, sealed_values, strict=False) if current[i] != value)
            if mismatched:
                raise PolicyError(mismatched) from None
            raise TpmError("sealed blob is damaged or belongs to another TPM") from None

    @property
    def _seal_key(self) -> bytes:
        return hashlib.sha256(b"evesim-tpm-seal\0" + self._seed).digest()


def _parse_blob(blob: bytes) -> tuple[tuple[int, ...], list[bytes], bytes, bytes]:
    head = len(_SEAL_MAGIC) + 10
    if not isinstance(blob, bytes) or len(blob) < head or not blob.startswith(_SEAL_MAGIC):
        raise TpmError("not a sealed blob")
    count, alg, size = struct.unpack_from(">IHB", blob, len(_SEAL_MAGIC))
    if (count, alg, size) != (1, tpm_attest.TPM_ALG_SHA256, 3):
        raise TpmError("sealed blob has an unsupported PCR selection")
    bitmap = blob[head - 3 : head]
    pcrs = tuple(8 * i + b for i, byte in enumerate(bitmap) for b in range(8) if byte >> b & 1)
    values_end = head + 32 * len(pcrs)
    if not pcrs or len(blob) < values_end + 12 + 16:
        raise TpmError("sealed blob is truncated")
    values = [blob[head + 32 * k : head + 32 * (k + 1)] for k in range(len(pcrs))]
    return pcrs, values, blob[values_end : values_end + 12], blob[values_end + 12 :]


def measure_boot(tpm: Tpm, image: EveImage) -> None:
    """Extend what a measured boot of ``image`` would: firmware (PCR 0-7), GRUB (8, 9).

    PCRs 0-7 depend only on the board; PCR 8 (GRUB commands) and 9 (kernel, initrd, grub.cfg)
    depend on the image, so a new EVE version changes them and locks a vault sealed before.
    """
    def digest(*parts: str) -> bytes:
        return hashlib.sha256("\0".join(("evesim-measure", *parts)).encode()).digest()

    tpm.extend(0, digest("firmware", tpm.firmware), "EV_EFI_PLATFORM_FIRMWARE_BLOB")
    tpm.extend(1, digest("platform-config", tpm.firmware), "EV_EFI_VARIABLE_BOOT")
    tpm.extend(7, digest("secure-boot", tpm.firmware), "EV_EFI_VARIABLE_DRIVER_CONFIG")
    for pcr in range(8):
        tpm.extend(pcr, _SEPARATOR, "EV_SEPARATOR")
    tpm.extend(4, digest("grub-stage1"), "EV_EFI_BOOT_SERVICES_APPLICATION")
    tpm.extend(8, digest("grub-commands", image.version), "EV_IPL grub commands")
    tpm.extend(9, digest("grub.cfg", image.version), "EV_IPL grub.cfg")
    tpm.extend(9, image.kernel_digest, "EV_IPL kernel+initrd")
