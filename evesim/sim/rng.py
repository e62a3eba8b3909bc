"""Seeded random streams: one per (seed, owner, purpose), independent of creation order."""

from __future__ import annotations

import hashlib
import random

_MASK = (1 << 64) - 1


def derive(seed: int, *names: str) -> int:
    """A 64-bit seed derived from the run seed and a path of names."""
    data = repr((seed, names)).encode()
    return int.from_bytes(hashlib.sha256(data).digest()[:8], "big")


def stream(seed: int, *names: str) -> random.Random:
    """A ``random.Random`` for ``names`` under ``seed`` (for sampling and shuffling)."""
    return random.Random(derive(seed, *names))


def seed_bytes(seed: int, *names: str) -> bytes:
    """Bytes to seed keys and certificates for ``names`` under ``seed``."""
    return hashlib.sha256(repr((seed, names)).encode()).digest()


class Stream:
    """A small splitmix64 generator: a few dozen bytes per stream instead of ``random.Random``'s 2.5 KB.

    Used for the per-device streams a fleet has thousands of.
    """

    __slots__ = ("_state",)

    def __init__(self, seed: int, *names: str) -> None:
        self._state = derive(seed, *names)

    def _next(self) -> int:
        self._state = z = (self._state + 0x9E3779B97F4A7C15) & _MASK
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
        return z ^ (z >> 31)

    def random(self) -> float:
        """A float in [0, 1)."""
        return (self._next() >> 11) * (1.0 / (1 << 53))

    def randbytes(self, n: int) -> bytes:
        """``n`` pseudo-random bytes."""
        words = (n + 7) // 8
        return b"".join(self._next().to_bytes(8, "big") for _ in range(words))[:n]
