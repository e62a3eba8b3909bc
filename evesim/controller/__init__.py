"""evesim's EVE controller: the service core, its stores, the FastAPI app and the ``evesim controller`` CLI.

``Controller.handle(method, path, body, headers)`` answers every v2 device endpoint; the
simulation calls it directly, the HTTP app calls it per request. The names below load on first use, so that
importing a light submodule (the CLI, a vocabulary) does not load the service core.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from evesim.controller.core import Controller, UnknownDevice
    from evesim.controller.devconfig import ConfigError
    from evesim.controller.identity import ControllerIdentity
    from evesim.controller.policy import Policy
    from evesim.controller.reply import Reply

_HOMES = {"Controller": "core", "UnknownDevice": "core", "ConfigError": "devconfig",
          "ControllerIdentity": "identity", "Policy": "policy", "Reply": "reply"}
__all__ = ["ConfigError", "Controller", "ControllerIdentity", "Policy", "Reply", "UnknownDevice"]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'evesim.controller' has no attribute {name!r}")
    return getattr(importlib.import_module(f"evesim.controller.{home}"), name)
