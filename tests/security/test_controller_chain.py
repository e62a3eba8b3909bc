"""The controller's certificate chain, checked as EVE's Go code checks it (finding 3: the agent accepted an
intermediate that is not a CA, so the holder of the TLS server key could sign configs)."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from evesim.agent.topics import Led
from evesim.api import certs, controller_certs, envelope
from evesim.api.certs import CertError, Issued, Usage
from evesim.controller import ControllerIdentity
from evesim.controller.reply import PROTO, Reply
from evesim.sim.world import Group, World, WorldSpec

IDENTITY = ControllerIdentity.generate(seed=b"chain-tests")
ROOT = IDENTITY.root


def _answer(signing: Issued, intermediates: list[Issued]) -> bytes:
    return controller_certs.build(signing.cert_pem, [IDENTITY.ecdh.cert_pem], [i.cert_pem for i in intermediates])


def test_the_controllers_own_chain_and_a_ca_intermediate_pass() -> None:
    controller_certs.verify(IDENTITY.certs_message(), [ROOT.cert])
    intermediate = certs.issue("evesim-intermediate", Usage.CA, issuer=ROOT, seed=b"i")
    signing = certs.issue("signing-2", Usage.SIGNING, issuer=intermediate, seed=b"s")
    assert controller_certs.verify(_answer(signing, [intermediate]), [ROOT.cert]).signing == signing.cert


@pytest.mark.parametrize(("issuer", "usage", "error"), [
    ("tls-server", Usage.SIGNING, "is not a CA"),           # the TLS server key signs a signing cert
    ("device-like", Usage.SIGNING, "is not a CA"),          # any leaf of the root as an intermediate
    ("root", Usage.ADMIN_CLIENT, "server authentication"),  # a leaf limited to client authentication
])
def test_forged_chains_are_refused(issuer: str, usage: Usage, error: str) -> None:
    parents = {"tls-server": IDENTITY.server, "device-like": certs.issue("leaf", Usage.DEVICE, issuer=ROOT),
               "root": ROOT}
    parent = parents[issuer]
    forged = certs.issue("forged-signing", usage, issuer=parent)
    intermediates = [] if parent is ROOT else [parent]
    with pytest.raises(CertError, match=error):
        controller_certs.verify(_answer(forged, intermediates), [ROOT.cert])


def test_a_path_length_is_enforced() -> None:
    limited = certs.issue("limited-ca", Usage.CA, issuer=ROOT, seed=b"l")
    sub = certs.issue("sub-ca", Usage.CA, issuer=limited, seed=b"m")
    signing = certs.issue("deep-signing", Usage.SIGNING, issuer=sub, seed=b"n")
    controller_certs.verify(_answer(signing, [limited, sub]), [ROOT.cert])
    builder = (x509.CertificateBuilder().subject_name(limited.cert.subject).issuer_name(ROOT.cert.subject)
               .public_key(limited.key.public_key()).serial_number(7)
               .not_valid_before(limited.cert.not_valid_before_utc).not_valid_after(limited.cert.not_valid_after_utc)
               .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True))
    zero = Issued(limited.key, builder.sign(ROOT.key, hashes.SHA256()))
    with pytest.raises(CertError, match="allows 0 intermediates"):
        controller_certs.verify(_answer(signing, [zero, sub]), [ROOT.cert])


def test_an_expired_root_and_an_unknown_critical_extension_are_refused() -> None:
    import datetime as dt

    signing = certs.issue("signing-3", Usage.SIGNING, issuer=ROOT, seed=b"r")
    later = ROOT.cert.not_valid_after_utc + dt.timedelta(days=1)
    with pytest.raises(CertError, match="not valid at"):
        controller_certs.verify(_answer(signing, []), [ROOT.cert], at=later)
    odd = (x509.CertificateBuilder().subject_name(signing.cert.subject).issuer_name(ROOT.cert.subject)
           .public_key(signing.key.public_key()).serial_number(9)
           .not_valid_before(signing.cert.not_valid_before_utc).not_valid_after(signing.cert.not_valid_after_utc)
           .add_extension(x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.99999.1"), b"\x05\x00"),
                          critical=True)
           .sign(ROOT.key, hashes.SHA256()))
    with pytest.raises(CertError, match="critical extension"):
        controller_certs.verify(_answer(Issued(signing.key, odd), []), [ROOT.cert])


def test_a_device_shown_a_forged_chain_does_not_onboard() -> None:
    world = World(WorldSpec(seed=5, groups=(Group("fleet", 1),)))
    server = world.core.identity.server
    forged = certs.issue("forged-signing", Usage.SIGNING, issuer=server)
    payload = controller_certs.build(forged.cert_pem, [world.core.identity.ecdh_pem], [server.cert_pem])
    body = envelope.seal(payload, certs.sign_raw(forged.key, payload), certs.pem_hash(forged.cert_pem))
    real = world.core.handle

    def handle(method: str, path: str, request: bytes, headers: object = None) -> Reply:
        return Reply(200, body, PROTO) if path.endswith("/certs") else real(method, path, request, headers)

    world.core.handle = handle
    world.start()
    world.run(15 * 60.0)
    (device,) = world.devices
    assert device.uuid == "" and device.led == Led.INVALID_CONTROLLER_CERT


def test_key_usage_bits_are_ignored_as_go_ignores_them() -> None:
    """EVE verifies the chain with Go's ``x509.Verify`` (pkg/pillar/controllerconn/authen.go
    ``verifySignatureWithRootPEM``), which never reads key usage: an intermediate CA whose key usage omits
    keyCertSign still passes, as on EVE."""
    ca = certs.issue("ku-ca", Usage.CA, issuer=ROOT, seed=b"ku")
    narrow = (x509.CertificateBuilder().subject_name(ca.cert.subject).issuer_name(ROOT.cert.subject)
              .public_key(ca.key.public_key()).serial_number(11)
              .not_valid_before(ca.cert.not_valid_before_utc).not_valid_after(ca.cert.not_valid_after_utc)
              .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
              .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                           data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                           crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
              .sign(ROOT.key, hashes.SHA256()))
    intermediate = Issued(ca.key, narrow)
    signing = certs.issue("ku-signing", Usage.SIGNING, issuer=intermediate, seed=b"kus")
    assert controller_certs.verify(_answer(signing, [intermediate]), [ROOT.cert]).signing == signing.cert
