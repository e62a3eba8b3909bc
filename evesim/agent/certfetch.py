"""Fetching, checking and checkpointing the controller's certificates (``/certs``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Generator
from typing import Any

from cryptography import x509

from evesim.agent import effects as fx
from evesim.agent import paths, topics
from evesim.agent.controllerconn import Conn, url
from evesim.api import controller_certs
from evesim.api.certs import CertError, load_certs
from evesim.api.controller_certs import ControllerCerts
from evesim.api.envelope import EnvelopeError, open_envelope


def load_roots() -> Generator[Any, Any, list[x509.Certificate]]:
    """The trusted roots from ``/config/root-certificate.pem`` (empty if missing or unreadable)."""
    pem = yield fx.ReadFile(paths.ROOT_CERT)
    if not pem:
        return []
    try:
        return load_certs(pem)
    except CertError:
        return []


def _check(data: bytes, roots: list[x509.Certificate], wall: float) -> ControllerCerts:
    at = dt.datetime.fromtimestamp(wall, dt.UTC)
    return controller_certs.verify(data, roots, at=at)


def load_checkpoint(roots: list[x509.Certificate]) -> Generator[Any, Any, ControllerCerts | None]:
    """The saved certs, healing the primary copy from ``.bak`` when it is unusable."""
    # EVE: pkg/pillar/cmd/zedagent/handlecertconfig.go maybeHealControllerCertsFromBackup heals only a primary that
    # does not decode; here a failed chain check counts too
    wall = yield fx.WallClock()
    primary_ok = True
    for path in (paths.CONTROLLER_CERTS, paths.CONTROLLER_CERTS + ".bak"):
        data = yield fx.ReadFile(path)
        if data:
            try:
                certs = _check(data, roots, wall)
            except CertError as exc:
                yield fx.Log("certfetch", "checkpoint_unusable", {"file": path, "error": str(exc)}, "warning")
                primary_ok = False
                continue
            if not primary_ok:
                yield fx.WriteFile(paths.CONTROLLER_CERTS, data)
            return certs
        primary_ok = False
    return None


def fetch(conn: Conn, roots: list[x509.Certificate]) -> Generator[Any, Any, ControllerCerts | str]:
    """GET ``/certs``, check the chain, checkpoint it; returns the certs or an error string.

    The envelope around ``/certs`` is not signature-checked (EVE does not), only the chain.
    """
    # EVE: pkg/pillar/cmd/client/client.go fetchCertChain skips the envelope check (skipVerify) and the LED
    response = yield from conn.get(url("certs"))
    if response.status != 200 or not response.body:
        return f"certs: {response.status or response.error}"
    try:
        payload = open_envelope(response.body).payload
        wall = yield fx.WallClock()
        certs = _check(payload, roots, wall)
    except (EnvelopeError, CertError) as exc:
        return f"certs: {exc}"
    saved = yield fx.ReadFile(paths.CONTROLLER_CERTS)
    if saved != payload:
        yield fx.WriteFile(paths.CONTROLLER_CERTS, payload, keep_bak=True)
    return certs


def refresh(conn: Conn, agent: str) -> Generator[Any, Any, ControllerCerts | None]:
    """Fetch ``/certs`` against today's roots; adopt and publish them if they changed.

    Returns the certs, or None (logged as ``certs_failed``) when the fetch or the check fails.
    """
    roots = yield from load_roots()
    certs = yield from fetch(conn, roots)
    if isinstance(certs, str):
        yield fx.Log(agent, "certs_failed", {"error": certs}, "warning")
        return None
    if certs != conn.controller:
        known = conn.controller is not None
        conn.controller = certs
        yield fx.Publish(topics.CONTROLLER_CERTS, certs)
        if known:
            yield fx.Log(agent, "certs_updated", {})
    return certs
