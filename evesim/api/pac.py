"""Proxy auto-configuration (PAC) files as EVE reads them: ``FindProxyForURL`` run in a JavaScript interpreter,
and its answer turned into one proxy or none.

EVE: ``pkg/pillar/controllerconn/proxy.go`` ``LookupProxy`` (the PAC is base64 in the config; an answer starting
with ``DIRECT`` goes direct, otherwise only the first entry counts, its second word taken as ``host:port`` whatever
its keyword) and ``pkg/pillar/zedpac`` (gopac on otto). Here the interpreter is pypac's (dukpy). A simulated device
passes its own name lookups and address, so that a run stays deterministic.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
from collections.abc import Callable
from functools import lru_cache
from typing import Any

MIME = "application/x-ns-proxy-autoconfig"
"""The only media type EVE accepts for a PAC file fetched by WPAD (``getPacFile``)."""
Resolve = Callable[[str], str | None]


class PacError(ValueError):
    """The PAC file could not be decoded, run, or gave no usable answer (EVE's ``LookupProxy`` errors)."""


def decode(pacfile: str) -> str:
    """The JavaScript of a base64 ``pacfile``; ``PacError`` as EVE's ``Decoding proxy file failed``."""
    try:
        return base64.b64decode(pacfile, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise PacError(f"LookupProxy: Decoding proxy file failed: {exc}") from None


def proxy_for(pac_js: str, url: str, host: str, resolve: Resolve | None = None, my_ip: str = "") -> str:
    """The proxy (``host:port``) the PAC gives for ``url`` on ``host``, "" for DIRECT; ``PacError`` if it fails.

    With ``resolve`` (name to address, or None) and ``my_ip``, the PAC's name lookups and ``myIpAddress`` use them,
    and its time checks (``weekdayRange``, ``dateRange``, ``timeRange``) are false, instead of asking this machine.
    """
    answer = _find(pac_js, url, host, resolve, my_ip)
    if answer.startswith("DIRECT"):
        return ""
    first = answer.split(";")[0].split(" ")
    if len(first) < 2 or not first[1]:
        raise PacError(f"LookupProxy: PAC file returned invalid proxy {answer!r}")
    return first[1]


def _find(pac_js: str, url: str, host: str, resolve: Resolve | None, my_ip: str) -> str:
    from pypac.parser import MalformedPacError

    try:
        pac = _compiled(pac_js, resolve, my_ip)
        return str(pac.find_proxy_for_url(url, host))
    except MalformedPacError as exc:
        raise PacError(f"LookupProxy: PAC file could not find proxy for {url}: invalid proxy auto-configuration "
                       f"file: {exc}") from None
    except Exception as exc:  # dukpy raises its JSRuntimeError for a PAC that fails while it runs
        if type(exc).__name__ != "JSRuntimeError":
            raise
        raise PacError(f"LookupProxy: PAC file could not find proxy for {url}: {exc}") from None


def _in_net(resolve: Resolve, name: str, pattern: str, mask: str) -> bool:
    """PAC's ``isInNet`` over the device's own lookups."""
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        found = resolve(name)
        if found is None:
            return False
        address = ipaddress.ip_address(found)
    try:
        return address in ipaddress.ip_network(f"{pattern}/{mask}", strict=False)
    except ValueError:
        return False


@lru_cache(maxsize=64)
def _compiled(pac_js: str, resolve: Resolve | None, my_ip: str) -> Any:
    """A loaded PAC file (with the device's own lookups when given)."""
    from pypac.parser import PACFile, _inject_function_into_js

    pac = PACFile(pac_js)
    if resolve is not None:
        lookups: dict[str, Callable[..., object]] = {
            "dnsResolve": lambda name: resolve(name) or "",
            "isResolvable": lambda name: resolve(name) is not None,
            "isInNet": lambda name, pattern, mask: _in_net(resolve, name, pattern, mask),
            "myIpAddress": lambda: my_ip,
            "weekdayRange": lambda *_: False, "dateRange": lambda *_: False, "timeRange": lambda *_: False,
        }
        for name, function in lookups.items():
            _inject_function_into_js(pac._context, name, function)  # pypac has no public way to replace them
    return pac
