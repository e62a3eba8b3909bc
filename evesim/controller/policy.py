"""Knobs that decide how strict the controller is and what a new device's config holds."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

UNKNOWN_DEVICE_STATUSES = (400, 401)
"""What lf-edge/eve-api ``APIv2.md`` allows for a missing or invalid client certificate: "400 or 401"."""


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
    unknown_device_status: int = 400
    """The answer to a device API request whose sender certificate the controller does not know (``/uuid``,
    ``/config``, info, metrics, logs ...): 400 ("Unknown Device" in ``APIv2.md``; EVE's ``SendOnAllIntf``
    maps it to ``SenderStatusNotFound``: zedagent asks ``/uuid`` again) or 401 (Adam's answer; EVE
    treats it as a plain failure and keeps polling). See docs/controller.md, "How EVE reacts"."""
    repeat_register_ok: bool = True
    """A ``/register`` from an onboarding cert + serial that already registered the *same* device cert
    answers 200 (``APIv2.md``); False answers 409 as Adam does (``OnboardCheck`` refuses any used serial)."""
    known_cert_register_status: int = 200
    """The answer to a ``/register`` whose device cert is already registered another way (by the admin
    API, or under another onboarding cert or serial). Adam answers 500 (``DeviceRegister``: "device
    already registered")."""
    empty_serial_is_identity: bool = False
    """A device registering without a serial (a ``*`` entry allows it) takes the empty serial as Adam does, so a
    second one is 409; False lets any number register (the empty serial names no device)."""
    initial_config: bool = True
    """Give a newly registered device a first config (version 1); False leaves it without one, so
    ``/config`` answers 404 until the admin API sets one, as Adam does."""

    def __post_init__(self) -> None:
        if self.unknown_device_status not in UNKNOWN_DEVICE_STATUSES:
            raise ValueError(f"unknown_device_status must be one of {UNKNOWN_DEVICE_STATUSES}")


ADAM = Policy(unknown_device_status=401, repeat_register_ok=False, known_cert_register_status=500,
              initial_config=False, empty_serial_is_identity=True)
"""Adam's answers (lf-edge/adam pkg/server/apiHandlerv2.go, commonHandler.go, pkg/driver/file)."""

PROFILES: dict[str, Policy] = {"evesim": Policy(), "adam": ADAM}
"""Named policies, for ``evesim controller serve --policy`` and scenarios' ``controller: {policy: ...}``."""


def profile(name: str, **changes: object) -> Policy:
    """The named policy with ``changes``; ``ValueError`` naming the known profiles for an unknown name."""
    base = PROFILES.get(name)
    if base is None:
        raise ValueError(f"unknown controller policy {name!r}; known: {', '.join(PROFILES)}")
    return replace(base, **changes)  # type: ignore[arg-type]
