"""Where a served controller keeps its files (light to import: the admin client needs it, not the server)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class DataDir:
    """Where a served controller keeps its files."""

    path: Path

    @property
    def token_file(self) -> Path:
        return self.path / "admin-token"

    @property
    def server_file(self) -> Path:
        return self.path / "server"

    @property
    def root_cert(self) -> Path:
        return self.path / "root-certificate.pem"

    @property
    def onboard_cert(self) -> Path:
        return self.path / "onboard.cert.pem"

    @property
    def onboard_key(self) -> Path:
        return self.path / "onboard.key.pem"

    @property
    def store_file(self) -> Path:
        return self.path / "controller.sqlite"

    @property
    def admin_cert(self) -> Path:
        return self.path / "admin.cert.pem"

    @property
    def admin_key(self) -> Path:
        return self.path / "admin.key.pem"

    @property
    def admin_server_file(self) -> Path:
        return self.path / "admin-server"

    def private_files(self) -> list[Path]:
        """The keys, the admin token and the store files present: readable by the owner only."""
        names = ("*.key.pem", self.token_file.name, self.store_file.name + "*")
        return sorted({path for name in names for path in self.path.glob(name) if path.is_file()})

    def token(self) -> str:
        """The admin bearer token."""
        return self.token_file.read_text().strip()

    def server_url(self) -> str:
        """``https://host:port`` from the ``server`` file."""
        return _url(self.server_file.read_text())

    def admin_url(self) -> str:
        """Where the admin API is: the ``admin-server`` file's address (``mtls``), else the device one."""
        if self.admin_server_file.exists():
            return _url(self.admin_server_file.read_text())
        return self.server_url()


def _url(address: str) -> str:
    host, _, port = address.strip().rpartition(":")
    return f"https://[{host}]:{port}" if ":" in host else f"https://{host}:{port}"
