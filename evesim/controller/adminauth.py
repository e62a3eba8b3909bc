"""Who may call the admin API: holders of the bearer token, anyone (Adam's way), or holders of a client certificate.

``mtls`` needs a listener of its own: EVE presents its self-signed device certificate whenever a server
asks for one (lf-edge/eve pkg/pillar/controllerconn/tls.go, ``GetTLSConfig``), so the device port must not
ask; the admin port requires a certificate issued by the controller's root CA with the clientAuth usage.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

AdminAuth = Literal["token", "none", "mtls"]
ADMIN_AUTH_MODES: tuple[AdminAuth, ...] = get_args(AdminAuth)
NO_TOKEN = "missing or wrong admin bearer token"
NO_CERT = "the admin API needs a client certificate issued by this controller's CA (DIR/admin.cert.pem), " \
          "presented on the admin port"


@dataclass(frozen=True)
class AdminGate:
    """The admin API's door for one ``mode``; ``token`` is the bearer token in ``token`` mode."""

    mode: AdminAuth = "token"
    token: str = ""

    def __post_init__(self) -> None:
        if self.mode not in ADMIN_AUTH_MODES:
            raise ValueError(f"admin auth must be one of {', '.join(ADMIN_AUTH_MODES)}, not {self.mode!r}")
        if self.mode == "token" and not self.token:
            raise ValueError("the admin token must not be empty")

    def admits(self, authorization: str | None, scope: Mapping[str, Any]) -> bool:
        """True if a request with this ``Authorization`` header and ASGI ``scope`` may use the admin API."""
        if self.mode == "none":
            return True
        if self.mode == "token":
            return token_matches(authorization, self.token)
        return _admin_cert(scope) is not None

    @property
    def refusal(self) -> str:
        """What a refused caller is told."""
        return NO_CERT if self.mode == "mtls" else NO_TOKEN

    @property
    def challenge(self) -> dict[str, str]:
        """Headers of a 401 answer."""
        return {"WWW-Authenticate": "Bearer"} if self.mode == "token" else {}


def token_matches(authorization: str | None, token: str) -> bool:
    """True if an ``Authorization`` header value is ``Bearer <token>`` (compared in constant time)."""
    scheme, _, given = (authorization or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


def _admin_cert(scope: Mapping[str, Any]) -> x509.Certificate | None:
    """The client certificate of the request's TLS connection if it may be used for admin calls.

    The TLS layer of the admin listener has already verified it against the controller's root; here it must also
    carry the clientAuth usage, so the controller's own server and signing certificates do not qualify.
    """
    tls = (scope.get("extensions") or {}).get("tls") or {}
    chain = tls.get("client_cert_chain") or []
    if not chain:
        return None
    cert = x509.load_pem_x509_certificate(chain[0].encode())
    try:
        usages = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return None
    return cert if ExtendedKeyUsageOID.CLIENT_AUTH in usages else None


def exposure_problem(mode: str, host: str, none_anywhere: bool) -> str:
    """Why serving ``mode`` on ``host`` is refused ("" if it is not): no authentication beyond loopback."""
    if mode != "none" or none_anywhere or is_loopback(host):
        return ""
    return (f"--admin-auth none on {host or 'every address'} would let anyone who reaches it administer every "
            "device; listen on a loopback address (--host 127.0.0.1), or add --admin-auth-none-anywhere")


def is_loopback(host: str) -> bool:
    """True if ``host`` (an address or ``localhost``) only reaches this machine; a wildcard reaches every network."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
