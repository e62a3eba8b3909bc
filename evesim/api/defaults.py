"""Defaults that the scenario language, the world and the controller's APIs share, defined once."""

from __future__ import annotations

APP_MEMORY_KB = 512 * 1024
"""Memory an app instance's domain gets unless told otherwise."""
APP_VCPUS = 1
"""Virtual CPUs an app instance's domain gets unless told otherwise."""
APP_IMAGE_BYTES = 200_000_000
"""Size of an app image whose size is not given."""
