"""One import for every wire message, grouped by EVE's proto package.

``from evesim.api import pb`` then ``pb.config.EdgeDevConfig``, ``pb.info.ZInfoMsg``, ...
"""

from __future__ import annotations

import types

from evesim.api.eve.attest import attest_pb2 as attest
from evesim.api.eve.auth import auth_pb2 as auth
from evesim.api.eve.certs import certs_pb2 as certs
from evesim.api.eve.common import evecommon_pb2 as common
from evesim.api.eve.config import (
    appconfig_pb2,
    baseosconfig_pb2,
    devcommon_pb2,
    devconfig_pb2,
    network_pb2,
    storage_pb2,
    vm_pb2,
)
from evesim.api.eve.eveuuid import eveuuid_pb2 as uuid
from evesim.api.eve.flowlog import flowlog_pb2 as flowlog
from evesim.api.eve.hardwarehealth import hardwarehealth_pb2 as hardwarehealth
from evesim.api.eve.info import info_pb2 as info
from evesim.api.eve.logs import log_pb2 as logs
from evesim.api.eve.metrics import metrics_pb2 as metrics
from evesim.api.eve.register import register_pb2 as register


def _package(name: str, *modules: types.ModuleType) -> types.ModuleType:
    """Merge the public names of several generated modules of one proto package."""
    merged = types.ModuleType(name)
    for module in modules:
        for key in dir(module):
            if not key.startswith("_") and key != "DESCRIPTOR":
                setattr(merged, key, getattr(module, key))
    return merged


config = _package(
    "org.lfedge.eve.config",
    devcommon_pb2,
    storage_pb2,
    baseosconfig_pb2,
    vm_pb2,
    network_pb2,
    appconfig_pb2,
    devconfig_pb2,
)

__all__ = [
    "attest",
    "auth",
    "certs",
    "common",
    "config",
    "flowlog",
    "hardwarehealth",
    "info",
    "logs",
    "metrics",
    "register",
    "uuid",
]
