"""tpmmgr's TPM sanity check: can the TPM still encrypt and decrypt (ECDH)?

As EVE's ``periodicTpmSanityCheck`` (``pkg/pillar/cmd/tpmmgr/tpmmgr.go``): every hour from tpmmgr's start (not at
start), each result published as TpmSanityStatus; nodeagent is in maintenance mode (``TPM_ENCRYPTION_FAILURE``) from a
failing check until a passing one. Without a TPM nothing is checked or published.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from evesim.agent import effects as fx
from evesim.agent import topics

AGENT = "tpmmgr"
CHECK_S = 3600.0
"""``tpmSanityCheckTicker``: one hour."""


def run() -> Generator[Any, Any, None]:
    """Check the TPM every hour and publish what was found."""
    while True:
        yield fx.Sleep(CHECK_S)
        check = yield fx.TpmSanity()
        if check is None:
            return
        if check != "ok":
            yield fx.Log(AGENT, "tpm_sanity_failed", {"check": check}, "error")
        yield fx.Publish(topics.TPM_STATUS, check)
