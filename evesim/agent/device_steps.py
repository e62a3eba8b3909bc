"""device-steps: what runs after the kernel — device identity, bootstrap files, the agents.

``boot(settings)`` is the one process a backend starts at power-on; it spawns the rest.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

from evesim.agent import (
    baseosmgr,
    domainmgr,
    loguploader,
    nim,
    nodeagent,
    paths,
    tpmmgr,
    vaultmgr,
    zedagent,
    zedclient,
    zedrouter,
)
from evesim.agent import effects as fx
from evesim.agent.controllerconn import Conn
from evesim.agent.fixes import Fix
from evesim.api.certs import CertError, der_hash, load_cert
from evesim.api.envelope import CryptoMode

AGENT = "device-steps"
CERT_SYNC_S = 10.0
BOOTSTRAP_POLL_S = 10.0


@dataclass(frozen=True, kw_only=True)
class Settings:
    """What a backend tells the agents that is not in the device's files."""

    crypto: CryptoMode = CryptoMode.FULL
    fixes: frozenset[Fix] = frozenset()
    """Named improvements on EVE's behaviour that this run switches on (``evesim.agent.fixes``)."""


def _device_cert() -> Generator[Any, Any, bytes]:
    """The device cert, created on first boot (EVE's ``pkg/pillar/scripts/device-steps.sh``: sync, 10 s, sync)."""
    pem = yield fx.ReadFile(paths.DEVICE_CERT)
    if pem:
        try:
            load_cert(pem)
            return pem
        except CertError:
            yield fx.Log(AGENT, "device_cert_unreadable", {}, "error")
    pem = yield fx.CreateDeviceIdentity()
    yield fx.Log(AGENT, "device_cert_created", {})
    yield fx.Sleep(CERT_SYNC_S)
    return pem


def _wait_bootstrap() -> Generator[Any, Any, None]:
    """Block until ``/config/server`` and ``/config/root-certificate.pem`` exist."""
    logged = False
    while not ((yield fx.ReadFile(paths.SERVER)) and (yield fx.ReadFile(paths.ROOT_CERT))):
        if not logged:
            yield fx.Log(AGENT, "waiting_for_bootstrap", {"files": [paths.SERVER, paths.ROOT_CERT]}, "warning")
            logged = True
        yield fx.Sleep(BOOTSTRAP_POLL_S)


def boot(settings: Settings) -> Generator[Any, Any, None]:
    """Power-on sequence of EVE's userspace."""
    pem = yield from _device_cert()
    yield from _wait_bootstrap()
    cert_hash = der_hash(load_cert(pem))
    hardware = yield fx.HardwareInfo()
    yield fx.Spawn("nodeagent", nodeagent.run())
    yield fx.Spawn("vaultmgr", vaultmgr.run())
    yield fx.Spawn("baseosmgr", baseosmgr.run(settings.fixes))
    yield fx.Spawn("domainmgr", domainmgr.run())
    yield fx.Spawn("zedrouter", zedrouter.run())
    yield fx.Spawn("nim", nim.run())
    yield fx.Spawn("zedclient", zedclient.run(Conn(settings.crypto, cert_hash), pem, hardware.serial))
    yield fx.Spawn("zedagent", zedagent.run(Conn(settings.crypto, cert_hash), settings.fixes))
    yield fx.Spawn("loguploader", loguploader.run(Conn(settings.crypto, cert_hash)))
    yield fx.Spawn("tpmmgr", tpmmgr.run())
