"""Files only the controller's user may read: created with their final mode, never widened first."""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


def private_dir(path: Path) -> None:
    """Create ``path`` (and its parents) if missing; ``path`` itself ends up mode 0700."""
    path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    path.chmod(PRIVATE_DIR)


def write_private(path: Path, content: bytes) -> None:
    """Write ``content`` to ``path``, mode 0600 from the moment the file exists (an older file is narrowed first)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    try:
        os.fchmod(fd, PRIVATE_FILE)
        view = memoryview(content)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def create_private(path: Path) -> None:
    """Make sure ``path`` exists with mode 0600 before another library opens it (SQLite creates files 0644)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE)
    try:
        os.fchmod(fd, PRIVATE_FILE)
    finally:
        os.close(fd)


def narrow(paths: list[Path]) -> None:
    """Make existing files mode 0600 (a data directory written by an older evesim)."""
    for path in paths:
        path.chmod(PRIVATE_FILE)
