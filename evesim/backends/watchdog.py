"""``/dev/watchdog`` as EVE's watchdog daemon drives it: opened once, written every second, closed with the magic ``V``.

EVE: pkg/watchdog (``interval = 1`` in watchdog.conf.seed). The writes come from the agents' event loop, so a loop
that stops turning (an agent stuck in a blocking call) stops them and the board's watchdog resets it; a clean stop
writes ``V`` first so the watchdog disarms. Simplification: the daemon's touch-file and pid checks are not made.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

KICK_S = 1.0
"""How often the watchdog is written to."""
MAGIC_CLOSE = b"V"


class DeviceWatchdog:
    """The watchdog device at ``path`` while this process holds it open."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def open(self) -> None:
        """Open (and so arm) the watchdog; OSError if it cannot be."""
        self._fd = os.open(self.path, os.O_WRONLY)

    def kick(self) -> None:
        """Tell the watchdog the device is alive."""
        if self._fd is not None:
            os.write(self._fd, b"\0")

    def close(self, disarm: bool = True) -> None:
        """Let go of the device, disarming it first with the magic close unless ``disarm`` is False (a crash)."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            if disarm:
                os.write(fd, MAGIC_CLOSE)
        finally:
            os.close(fd)

    async def keep_alive(self, interval_s: float = KICK_S) -> None:
        """Kick every ``interval_s`` until cancelled."""
        while True:
            self.kick()
            await asyncio.sleep(interval_s)
