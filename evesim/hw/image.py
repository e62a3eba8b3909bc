"""Simulated EVE and app images: name or version, size, published sha256 and optional defects.

Simplification: an image carries no bytes; its digests are derived from what it is.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

DEFECTS: frozenset[str] = frozenset({"crash_at_boot", "no_controller", "breaks_vault", "corrupt_download"})
"""``crash_at_boot``: the kernel or an agent dies during boot (watchdog); ``no_controller``: never
reaches the controller (fallback); ``breaks_vault``: cannot unlock the vault (fallback);
``corrupt_download``: the downloaded bytes do not match the published sha256."""


@dataclass(frozen=True, slots=True)
class EveImage:
    """One EVE base OS image as the controller publishes it."""

    version: str
    size_bytes: int
    sha256: str
    defects: frozenset[str]

    @classmethod
    def make(cls, version: str, size_bytes: int, defects: frozenset[str] = frozenset()) -> EveImage:
        """Build an image; the sha256 depends on version, size and defects except ``corrupt_download``."""
        if not version:
            raise ValueError("image version must not be empty")
        if size_bytes <= 0:
            raise ValueError(f"image size must be positive, got {size_bytes}")
        unknown = set(defects) - DEFECTS
        if unknown:
            raise ValueError(f"unknown image defects {sorted(unknown)}; known: {sorted(DEFECTS)}")
        built = sorted(set(defects) - {"corrupt_download"})
        return cls(version, size_bytes, _digest("image", version, str(size_bytes), *built), frozenset(defects))

    @property
    def content_sha256(self) -> str:
        """sha256 of the bytes a download delivers: the published one unless ``corrupt_download``."""
        return _delivered(self.sha256, self.defects)

    @property
    def kernel_digest(self) -> bytes:
        """Digest of the kernel and initrd GRUB loads from this image (for measured boot)."""
        return hashlib.sha256(b"evesim-kernel\0" + self.sha256.encode()).digest()


APP_DEFECTS: frozenset[str] = frozenset({"crashes", "corrupt_download"})
"""``crashes``: the guest crashes soon after it starts, every time; ``corrupt_download``: as for EVE images."""


@dataclass(frozen=True, slots=True)
class AppImage:
    """One app (VM or container) image as a datastore serves it."""

    name: str
    size_bytes: int
    sha256: str
    defects: frozenset[str]

    @classmethod
    def make(cls, name: str, size_bytes: int, defects: frozenset[str] = frozenset()) -> AppImage:
        """Build an app image; the sha256 depends on name, size and defects except ``corrupt_download``."""
        if not name:
            raise ValueError("app image name must not be empty")
        if size_bytes <= 0:
            raise ValueError(f"app image size must be positive, got {size_bytes}")
        unknown = set(defects) - APP_DEFECTS
        if unknown:
            raise ValueError(f"unknown app image defects {sorted(unknown)}; known: {sorted(APP_DEFECTS)}")
        built = sorted(set(defects) - {"corrupt_download"})
        return cls(name, size_bytes, _digest("app", name, str(size_bytes), *built), frozenset(defects))

    @property
    def content_sha256(self) -> str:
        """sha256 of the bytes a download delivers: the published one unless ``corrupt_download``."""
        return _delivered(self.sha256, self.defects)


def _delivered(sha256: str, defects: frozenset[str]) -> str:
    return _digest("corrupt", sha256) if "corrupt_download" in defects else sha256


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(("evesim", *parts)).encode()).hexdigest()
