"""A fresh software TPM (swtpm, TPM 2.0) on free local ports, for the tests that use a real TPM."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

MISSING = "swtpm is not installed (make tpm installs swtpm, swtpm-tools, libtss2-dev and the tpm extra)"


def require() -> None:
    """Skip the calling test module when swtpm or tpm2-pytss is missing (``make tpm``, run by ``make test``,
    installs both)."""
    if shutil.which("swtpm") is None:
        pytest.skip(MISSING, allow_module_level=True)
    pytest.importorskip("tpm2_pytss", reason="tpm2-pytss is not installed (pip install -e '.[tpm]')")


def _free_port_pair() -> int:
    """A free local port P with P + 1 free too (the swtpm TCTI expects its control port there)."""
    for _ in range(100):
        with socket.socket() as first, socket.socket() as second:
            first.bind(("127.0.0.1", 0))
            port = first.getsockname()[1]
            try:
                second.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
            return port
    raise RuntimeError("no free pair of local ports")


@contextmanager
def running(state: Path) -> Iterator[str]:
    """swtpm keeping its state in ``state``, started and cleared; yields its TCTI string."""
    state.mkdir(parents=True, exist_ok=True)
    process, port = _start(state)
    try:
        yield f"swtpm:host=127.0.0.1,port={port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def _start(state: Path) -> tuple[subprocess.Popen[bytes], int]:
    """Start swtpm, picking new ports if another process grabbed the chosen ones first."""
    errors = []
    for _ in range(5):
        port = _free_port_pair()
        process = subprocess.Popen(
            ["swtpm", "socket", "--tpm2", "--tpmstate", f"dir={state}",
             "--server", f"type=tcp,port={port},bindaddr=127.0.0.1",
             "--ctrl", f"type=tcp,port={port + 1},bindaddr=127.0.0.1",
             "--flags", "not-need-init,startup-clear"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        for _ in range(200):
            if process.poll() is not None:
                errors.append(process.stderr.read().decode() if process.stderr else "")
                break
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                return process, port
            except OSError:
                time.sleep(0.025)
        else:
            process.terminate()
            process.wait(timeout=10)
            errors.append("did not start listening")
    raise RuntimeError(f"swtpm failed to start: {errors}")
