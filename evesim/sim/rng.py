"""Seeded random streams: one per (seed, owner, purpose), independent of creation order."""

from __future__ import annotations

import hashlib
import random


def derive(seed: int, *names: str) -> int:
    """A 64-bit seed derived from the run seed and a path of names."""
    data = repr((seed, names)).encode()
    return int.from_bytes(hashlib.sha256(data).digest()[:8], "big")


def stream(seed: int, *names: str) -> random.Random:
    """A ``random.Random`` for ``names`` under ``seed``."""
    return random.Random(derive(seed, *names))


def seed_bytes(seed: int, *names: str) -> bytes:
    """Bytes to seed keys and certificates for ``names`` under ``seed``."""
    return hashlib.sha256(repr((seed, names)).encode()).digest()
