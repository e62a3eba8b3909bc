"""vaultmgr: the encrypted ``/persist/vault`` — its key sealed to the TPM's PCRs, escrowed at the controller.

After an update the PCRs differ, the sealed key cannot be unsealed, and the vault stays locked
until attestation returns the escrowed key (then the key is resealed to the new PCRs).
Simplification: the escrow is the key itself (EVE encrypts it for the controller).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from evesim.agent import effects as fx
from evesim.agent import paths, topics
from evesim.agent.topics import Vault

AGENT = "vaultmgr"
KEY_BYTES = 32


def _unlocked(key: bytes) -> Generator[Any, Any, None]:
    yield fx.Publish(topics.VAULT, Vault(True, key))
    yield fx.Log(AGENT, "vault_unlocked", {})


def _create() -> Generator[Any, Any, None]:
    """First boot: make a key, seal it, unlock the new vault."""
    key = yield fx.RandomBytes(KEY_BYTES)
    blob = yield fx.SealKey(key)
    yield fx.WriteFile(paths.VAULT_KEY, blob, keep_bak=True)
    if (yield fx.UnlockVault(key)):
        yield from _unlocked(key)


def _wait_for_escrow() -> Generator[Any, Any, None]:
    """Locked: wait for the controller's escrowed key, unlock with it and reseal to today's PCRs."""
    yield fx.Publish(topics.VAULT, Vault(False, error="sealed key does not match the PCRs"))
    yield fx.Log(AGENT, "vault_locked", {}, "warning")
    seen = 0
    while True:
        seen = yield fx.Wait((topics.ESCROWED_KEY,), seen)
        key = yield fx.Read(topics.ESCROWED_KEY)
        if key and (yield fx.UnlockVault(key)):
            blob = yield fx.SealKey(key)
            yield fx.WriteFile(paths.VAULT_KEY, blob, keep_bak=True)
            yield from _unlocked(key)
            return
        yield fx.Log(AGENT, "vault_escrow_rejected", {}, "error")


def run() -> Generator[Any, Any, None]:
    """Unlock the vault at boot, one way or another."""
    hardware = yield fx.HardwareInfo()
    if not hardware.has_tpm:
        yield fx.Publish(topics.VAULT, Vault(True))
        return
    blob = yield fx.ReadFile(paths.VAULT_KEY)
    if not blob:
        yield from _create()
        return
    key = yield fx.UnsealKey(blob)
    if key is not None and (yield fx.UnlockVault(key)):
        yield from _unlocked(key)
        return
    yield from _wait_for_escrow()
