"""tpmmgr's boot-time sanity check: can the TPM still encrypt and decrypt (ECDH)?

As EVE's ``tpmSanityCheck`` (``pkg/pillar/cmd/tpmmgr/tpmmgr.go``), run once when tpmmgr starts; a failure is
published as TpmSanityStatus and nodeagent enters maintenance mode (``TPM_ENCRYPTION_FAILURE``) until a boot
finds the TPM working again. Without a TPM nothing is checked or published.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from evesim.agent import effects as fx
from evesim.agent import topics

AGENT = "tpmmgr"


def run() -> Generator[Any, Any, None]:
    """Check the TPM once and publish what was found."""
    check = yield fx.TpmSanity()
    if check is None:
        return
    if check != "ok":
        yield fx.Log(AGENT, "tpm_sanity_failed", {"check": check}, "error")
    yield fx.Publish(topics.TPM_STATUS, check)
