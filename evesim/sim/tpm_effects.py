"""The device's keys as effects: its identity, TPM quotes and sealing, signing, the vault."""

from __future__ import annotations

import functools
from collections.abc import Generator
from typing import Any

import simpy

from evesim.agent import effects as fx
from evesim.agent import paths
from evesim.api import certs, pb
from evesim.hw import tpm
from evesim.sim import rng
from evesim.sim.ports import Board


@functools.lru_cache(maxsize=4096)
def _parse_key(pem: bytes) -> Any:
    """A soft device key, parsed once per PEM (FULL crypto signs every request with it)."""
    return certs.load_key(pem)


def _breaks_vault(dev: Board) -> bool:
    image = dev.boot.running_image
    return image is not None and "breaks_vault" in image.defects


def create_identity(dev: Board, eff: fx.CreateDeviceIdentity) -> Generator[simpy.Event, Any, bytes]:
    """Device key in the TPM (or a soft key in /config) and a self-signed certificate."""
    cn = dev.serial
    seed = rng.seed_bytes(dev.world.seed, dev.name, "device-key")
    chip = dev.hw.tpm
    if chip is not None:
        yield dev.env.timeout(dev.hw.profile.tpm_op_s)
        if not chip.device_key_exists():
            chip.create_device_key()
        pem = chip.device_cert_pem(cn)
    else:
        issued = certs.issue(cn, certs.Usage.DEVICE, seed=seed)
        dev.write_durable(paths.DEVICE_KEY, issued.key_pem)
        pem = issued.cert_pem
    dev.write_durable(paths.DEVICE_CERT, pem)
    return pem


def quote(dev: Board, eff: fx.Quote) -> Generator[simpy.Event, Any, fx.QuoteResult | None]:
    """A TPM quote over the nonce (None without a TPM)."""
    chip = dev.hw.tpm
    if chip is None:
        return None
    yield dev.env.timeout(dev.hw.profile.tpm_op_s)
    result = chip.quote(eff.nonce)
    return fx.QuoteResult(result.attest, result.signature, result.pcr_values)


def sanity(dev: Board, eff: fx.TpmSanity) -> Generator[simpy.Event, Any, fx.TpmCheck | None]:
    """An ECDH encrypt and decrypt with the TPM (None without a TPM)."""
    chip = dev.hw.tpm
    if chip is None:
        return None
    yield dev.env.timeout(2 * dev.hw.profile.tpm_op_s)
    return "encryption" if chip.ecdh_fails else "ok"


def seal(dev: Board, eff: fx.SealKey) -> Generator[simpy.Event, Any, bytes | None]:
    """Seal a secret to the current PCRs (None without a TPM)."""
    chip = dev.hw.tpm
    if chip is None:
        return None
    yield dev.env.timeout(dev.hw.profile.tpm_op_s)
    return chip.seal(eff.secret)


def unseal(dev: Board, eff: fx.UnsealKey) -> Generator[simpy.Event, Any, bytes | None]:
    """Unseal a blob; None without a TPM, if the PCR policy fails or the image breaks the vault."""
    chip = dev.hw.tpm
    if chip is None:
        return None
    yield dev.env.timeout(dev.hw.profile.tpm_op_s)
    if _breaks_vault(dev):
        return None
    try:
        return chip.unseal(eff.blob)
    except tpm.TpmError:
        return None


def unlock_vault(dev: Board, eff: fx.UnlockVault) -> bool:
    """Mount the vault: the right key (the first one ever used) and an image that can."""
    if _breaks_vault(dev):
        return False
    storage = dev.storage
    if storage.vault_key is None:
        storage.vault_key = eff.key
    return eff.key == storage.vault_key


def sign(dev: Board, eff: fx.Sign) -> bytes | None:
    """With the onboarding key, the TPM's device key, or the soft key in /config (None if missing or unusable)."""
    if eff.key == "onboard":
        return certs.sign_raw(dev.world.bootstrap.onboard_key, eff.data)
    if dev.hw.tpm is not None:
        return dev.hw.tpm.sign(eff.data)
    pem = dev.hw.fs.read(paths.DEVICE_KEY)
    try:
        return certs.sign_raw(_parse_key(pem), eff.data) if pem else None
    except certs.CertError:
        return None


def device_certs(dev: Board, eff: fx.DeviceCerts) -> tuple[tuple[int, bytes], ...]:
    """The TPM's attestation and endorsement certs (none without a TPM)."""
    chip = dev.hw.tpm
    if chip is None:
        return ()
    return ((pb.certs.CERT_TYPE_DEVICE_RESTRICTED_SIGNING, chip.ak_cert_pem),
            (pb.certs.CERT_TYPE_DEVICE_ENDORSEMENT_RSA, chip.ek_cert_pem))
