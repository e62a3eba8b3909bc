"""The controller's side of scripted exchanges: its PKI, signed answers, a device's bootstrap files."""

from __future__ import annotations

import datetime as dt

from evesim.agent import effects as fx
from evesim.agent import paths
from evesim.agent.controllerconn import PROTO, Conn
from evesim.api import certs, controller_certs, envelope
from evesim.api.certs import Usage
from evesim.api.envelope import CryptoMode
from evesim.controller import ControllerIdentity

from .harness import EPOCH

CONTROLLER = ControllerIdentity.generate(seed=b"agent-tests-controller")
OTHER_CONTROLLER = ControllerIdentity.generate(seed=b"agent-tests-impostor")
ONBOARD = certs.issue("agent-tests-onboard", Usage.ONBOARDING, seed=b"agent-tests-onboard")
DEVICE = certs.issue("SN-TEST-1", Usage.DEVICE, seed=b"agent-tests-device")
DEVICE_HASH = certs.der_hash(DEVICE.cert)
UUID = "6ba7b810-9dad-41d1-80b4-00c04fd430c8"
ROTATED = ControllerIdentity(
    root=CONTROLLER.root,
    signing=certs.issue("evesim-controller-signing-2", Usage.SIGNING, issuer=CONTROLLER.root, seed=b"rotated"),
    ecdh=CONTROLLER.ecdh,
    server=CONTROLLER.server,
)
"""The same controller after rotating its signing cert (same root)."""


def verified_certs(identity: ControllerIdentity = CONTROLLER) -> controller_certs.ControllerCerts:
    """What a device keeps after checking ``identity``'s ``/certs`` against its own root."""
    at = dt.datetime.fromtimestamp(EPOCH, dt.UTC)
    return controller_certs.verify(identity.certs_message(), [identity.root.cert], at=at)


def conn(mode: CryptoMode = CryptoMode.FULL, with_certs: bool = True) -> Conn:
    """A device connection that already trusts ``CONTROLLER``'s signing cert (or knows no certs)."""
    return Conn(mode, DEVICE_HASH, verified_certs() if with_certs else None)


def signed(payload: bytes, status: int = 200, identity: ControllerIdentity = CONTROLLER,
           key: ControllerIdentity | None = None, content_type: str = PROTO) -> fx.Response:
    """A controller answer: ``payload`` sealed with ``identity``'s signing-cert hash, signed by ``key``'s key."""
    signer = (key or identity).signing.key
    body = envelope.seal(payload, certs.sign_raw(signer, payload), identity.signing_hash)
    return fx.Response(status, body, content_type)


def certs_answer(identity: ControllerIdentity = CONTROLLER) -> fx.Response:
    """``GET /certs`` as the controller serves it."""
    return signed(identity.certs_message(), identity=identity)


def bootstrap_files(onboard: bool = True) -> dict[str, bytes]:
    """The CONFIG partition of a factory-fresh device (device cert made on first boot)."""
    files = {paths.SERVER: b"controller.test:443", paths.ROOT_CERT: CONTROLLER.root_pem,
             paths.SOFT_SERIAL: b"soft-1\n", paths.DEVICE_CERT: DEVICE.cert_pem}
    if onboard:
        files[paths.ONBOARD_CERT] = ONBOARD.cert_pem
        files[paths.ONBOARD_KEY] = ONBOARD.key_pem
    return files
