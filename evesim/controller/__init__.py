"""evesim's EVE controller: the service core, its stores, the FastAPI app and the ``evesim controller`` CLI.

``Controller.handle(method, path, body, headers)`` answers every v2 device endpoint; the
simulation calls it directly, the HTTP app calls it per request.
"""

from evesim.controller.core import Controller, UnknownDevice
from evesim.controller.devconfig import ConfigError
from evesim.controller.identity import ControllerIdentity
from evesim.controller.policy import Policy
from evesim.controller.reply import Reply

__all__ = ["ConfigError", "Controller", "ControllerIdentity", "Policy", "Reply", "UnknownDevice"]
