"""Knobs that decide how strict the controller is and what a new device's config holds."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, kw_only=True)
class Policy:
    """Controller behaviour that differs between deployments."""

    require_integrity_token: bool = True
    """Answer config polls 403 unless they carry the token from a successful attestation (as Adam does).
    On a 403, EVE's ``getLatestConfig`` (lf-edge/eve pkg/pillar/cmd/zedagent/handleconfig.go) attests again."""
    accept_tpmless_quote: bool = True
    """Accept an empty quote (a device without a TPM); False answers it QUOTE_FAILED."""
    default_config_items: Mapping[str, str] = field(default_factory=dict)
    """Config items put into every newly registered device's first config."""
    manufacturer: str = ""
    """Reported in ``/uuid`` answers unless the device's config names one."""
    product_name: str = ""
    """Reported in ``/uuid`` answers unless the device's config names one."""
