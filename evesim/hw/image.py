"""Simulated EVE and app images: name or version, size, published sha256 and optional defects.

Simplification: an image carries no bytes; its digests are derived from what it is.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TypeVar

from evesim.api.vocab import APP_DEFECTS, IMAGE_DEFECTS, AppDefect, ImageDefect

_D = TypeVar("_D", bound=str)

DEFECTS: frozenset[ImageDefect] = IMAGE_DEFECTS
"""``crash_at_boot``: the kernel or an agent dies during boot (watchdog); ``no_controller``: never
reaches the controller (fallback); ``breaks_vault``: cannot unlock the vault (fallback);
``corrupt_download``: the downloaded bytes do not match the published sha256."""


@dataclass(frozen=True, slots=True)
class EveImage:
    """One EVE base OS image as the controller publishes it."""

    version: str
    size_bytes: int
    sha256: str
    defects: frozenset[ImageDefect]

    @classmethod
    def make(cls, version: str, size_bytes: int, defects: frozenset[str] = frozenset()) -> EveImage:
        """Build an image; the sha256 depends on version, size and defects except ``corrupt_download``."""
        if not version:
            raise ValueError("image version must not be empty")
        if size_bytes <= 0:
            raise ValueError(f"image size must be positive, got {size_bytes}")
        known = _known(defects, DEFECTS, "image defects")
        built = sorted(known - {"corrupt_download"})
        return cls(version, size_bytes, _digest("image", version, str(size_bytes), *built), known)

    @property
    def content_sha256(self) -> str:
        """sha256 of the bytes a download delivers: the published one unless ``corrupt_download``."""
        return _delivered(self.sha256, self.defects)

    @property
    def kernel_digest(self) -> bytes:
        """Digest of the kernel and initrd GRUB loads from this image (for measured boot)."""
        return hashlib.sha256(b"evesim-kernel\0" + self.sha256.encode()).digest()


@dataclass(frozen=True, slots=True)
class AppImage:
    """One app (VM or container) image as a datastore serves it.

    Defects (``APP_DEFECTS``): ``crashes``, the guest crashes soon after it starts, every time; ``corrupt_download``.
    """

    name: str
    size_bytes: int
    sha256: str
    defects: frozenset[AppDefect]

    @classmethod
    def make(cls, name: str, size_bytes: int, defects: frozenset[str] = frozenset()) -> AppImage:
        """Build an app image; the sha256 depends on name, size and defects except ``corrupt_download``."""
        if not name:
            raise ValueError("app image name must not be empty")
        if size_bytes <= 0:
            raise ValueError(f"app image size must be positive, got {size_bytes}")
        known = _known(defects, APP_DEFECTS, "app image defects")
        built = sorted(known - {"corrupt_download"})
        return cls(name, size_bytes, _digest("app", name, str(size_bytes), *built), known)

    @property
    def content_sha256(self) -> str:
        """sha256 of the bytes a download delivers: the published one unless ``corrupt_download``."""
        return _delivered(self.sha256, self.defects)


def _known(defects: frozenset[str], vocabulary: frozenset[_D], what: str) -> frozenset[_D]:
    """``defects`` as members of ``vocabulary``; ``ValueError`` names any that are not."""
    unknown = set(defects) - vocabulary
    if unknown:
        raise ValueError(f"unknown {what} {sorted(unknown)}; known: {sorted(vocabulary)}")
    return frozenset(d for d in vocabulary if d in defects)


def _delivered(sha256: str, defects: frozenset[str]) -> str:
    return _digest("corrupt", sha256) if "corrupt_download" in defects else sha256


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(("evesim", *parts)).encode()).hexdigest()
