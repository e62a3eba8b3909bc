"""IPv4 addresses and subnets as configs and scenarios give them: checked once, with one message."""

from __future__ import annotations

import ipaddress


def check_address(text: str, what: str) -> str:
    """``text`` if it is an IPv4 address; ValueError naming ``what`` otherwise."""
    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        raise ValueError(f"{what} {text!r} is not an IPv4 address") from None
    return text


def check_subnet(text: str, what: str = "subnet") -> str:
    """``text`` if it is an IPv4 subnet (host bits allowed, as ``10.1.0.1/24``); ValueError naming ``what``."""
    try:
        ipaddress.IPv4Network(text, strict=False)
    except ValueError as exc:
        raise ValueError(f"{what} {text!r} is not an IPv4 subnet: {exc}") from None
    return text
