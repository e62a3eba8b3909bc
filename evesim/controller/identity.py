"""The controller's PKI: a root CA, the object-signing and ECDH certs it serves on ``/certs``, a TLS cert.

All keys are EC P-256. With a seed everything is deterministic, so a simulation replays byte for byte.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509

from evesim.api import controller_certs
from evesim.api.certs import Issued, Usage, cert_pem, issue, key_pem, load_cert, load_key, pem_hash
from evesim.controller.private_files import write_private

DEFAULT_HOSTS = ("localhost", "127.0.0.1")
_FILES = {
    "root": ("root-certificate.pem", "root.key.pem"),
    "signing": ("signing.cert.pem", "signing.key.pem"),
    "ecdh": ("ecdh.cert.pem", "ecdh.key.pem"),
    "server": ("server.cert.pem", "server.key.pem"),
}


@dataclass(frozen=True)
class ControllerIdentity:
    """Root CA plus the signing, ECDH and TLS server certificates it issued."""

    root: Issued
    signing: Issued
    ecdh: Issued
    server: Issued
    root_pem: bytes = field(init=False)
    signing_pem: bytes = field(init=False)
    ecdh_pem: bytes = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "root_pem", cert_pem(self.root.cert))
        object.__setattr__(self, "signing_pem", cert_pem(self.signing.cert))
        object.__setattr__(self, "ecdh_pem", cert_pem(self.ecdh.cert))

    @classmethod
    def generate(cls, seed: bytes | None = None, hosts: Sequence[str] = DEFAULT_HOSTS) -> ControllerIdentity:
        """A fresh identity; deterministic when ``seed`` is given. ``hosts`` become the TLS cert's SANs."""
        root = issue("evesim-controller-root", Usage.CA, seed=seed)
        return cls(
            root=root,
            signing=issue("evesim-controller-signing", Usage.SIGNING, issuer=root, seed=seed),
            ecdh=issue("evesim-controller-ecdh", Usage.ECDH, issuer=root, seed=seed),
            server=_server_cert(root, hosts, seed),
        )

    @property
    def signing_hash(self) -> bytes:
        """SHA-256 of the signing cert's PEM bytes: the ``senderCertHash`` of every response."""
        return pem_hash(self.signing_pem)

    @property
    def server_hosts(self) -> tuple[str, ...]:
        """The names and addresses the TLS server cert is valid for."""
        sans = self.server.cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        return tuple(str(name.value) for name in sans)

    def with_server_hosts(self, hosts: Sequence[str]) -> ControllerIdentity:
        """This identity, with a new TLS server cert if it does not cover every one of ``hosts``."""
        wanted = list(dict.fromkeys([*self.server_hosts, *hosts]))
        if len(wanted) == len(self.server_hosts):
            return self
        return ControllerIdentity(self.root, self.signing, self.ecdh, _server_cert(self.root, wanted, None))

    def certs_message(self) -> bytes:
        """Serialized ``ZControllerCert``: the signing cert and the ECDH cert, both issued by the root."""
        return controller_certs.build(self.signing_pem, [self.ecdh_pem])

    def cert_config_hash(self) -> str:
        """``EdgeDevConfig.controllercert_confighash``: changes whenever the served certs change."""
        digest = hashlib.sha256(self.signing_pem + self.ecdh_pem).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def save(self, directory: str | os.PathLike[str]) -> None:
        """Write every cert and key as PEM files into ``directory`` (keys readable by the owner only)."""
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        for name, (cert_file, key_file) in _FILES.items():
            issued: Issued = getattr(self, name)
            (path / cert_file).write_bytes(cert_pem(issued.cert))
            write_private(path / key_file, key_pem(issued.key))

    @classmethod
    def load(cls, directory: str | os.PathLike[str]) -> ControllerIdentity:
        """Read an identity written by ``save``; raises ``CertError`` or ``OSError`` when incomplete."""
        path = Path(directory)
        parts = {
            name: Issued(key=load_key((path / key_file).read_bytes()), cert=load_cert((path / cert_file).read_bytes()))
            for name, (cert_file, key_file) in _FILES.items()
        }
        return cls(**parts)

    @staticmethod
    def exists(directory: str | os.PathLike[str]) -> bool:
        """True if ``directory`` holds every file ``save`` writes."""
        path = Path(directory)
        return all((path / f).is_file() for pair in _FILES.values() for f in pair)


def _server_cert(root: Issued, hosts: Sequence[str], seed: bytes | None) -> Issued:
    return issue("evesim-controller", Usage.TLS_SERVER, issuer=root, seed=seed, sans=list(hosts))
