"""The backends' vocabulary, light to import (the ``evesim agent`` command's options need it before any backend)."""

from typing import Literal

Backend = Literal["host", "xen"]
"""Where effects are performed: this machine (``host``), or a Xen dom0 that runs app domains (``xen``)."""
