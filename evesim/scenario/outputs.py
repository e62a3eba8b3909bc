"""Writing a run's or a sweep's output files through a scratch folder, ``summary.json`` last."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

Writer = Callable[[Path], object]
"""Writes one output file at the path it is given (what it returns is ignored)."""


class OutputError(OSError):
    """An output directory that cannot be used or written."""


def check_dir(out: Path) -> None:
    """Check, before any work is done, that ``out`` is or can be made a writable directory (it is made only
    when the outputs are written, so a run that stops early leaves no empty folder)."""
    if out.exists() and not out.is_dir():
        raise OutputError(f"--out {out} is a file, not a directory")
    existing = next(folder for folder in (out.absolute(), *out.absolute().parents) if folder.exists())
    if not existing.is_dir():
        raise OutputError(f"--out {out} cannot be made: {existing} is a file, not a directory")
    if not os.access(existing, os.W_OK | os.X_OK):
        which = "" if existing == out.absolute() else f" ({existing} is not writable)"
        raise OutputError(f"--out {out} is not writable{which}")


def make_dir(out: Path) -> None:
    """Make ``out`` and its parents if needed."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"--out {out} cannot be made: {exc.strerror or exc}") from None


def write_all(out: Path, files: Mapping[str, Writer], marker: str = "summary.json") -> None:
    """Write each file into a scratch folder in ``out``, then move them into place with ``marker`` last.

    The old ``marker`` goes before anything moves, so a ``marker`` in ``out`` always sits beside the
    outputs of its own run; a failure leaves none (and a clear ``OutputError``).
    """
    check_dir(out)
    make_dir(out)
    scratch = Path(tempfile.mkdtemp(prefix=".writing-", dir=out))
    try:
        for name, write in files.items():
            write(scratch / name)
        (out / marker).unlink(missing_ok=True)
        for name in sorted(files, key=lambda name: name == marker):
            os.replace(scratch / name, out / name)
    except OSError as exc:
        raise OutputError(f"cannot write the outputs to {out}: {exc}") from None
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
