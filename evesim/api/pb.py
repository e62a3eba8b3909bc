"""One import for every wire message, grouped by EVE's proto package.

``from evesim.api import pb`` then ``pb.config.EdgeDevConfig``, ``pb.info.ZInfoMsg``, ...
"""

from __future__ import annotations

from evesim.api import pb_config as config
from evesim.api.eve.attest import attest_pb2 as attest
from evesim.api.eve.auth import auth_pb2 as auth
from evesim.api.eve.certs import certs_pb2 as certs
from evesim.api.eve.common import evecommon_pb2 as common
from evesim.api.eve.eveuuid import eveuuid_pb2 as uuid
from evesim.api.eve.flowlog import flowlog_pb2 as flowlog
from evesim.api.eve.hardwarehealth import hardwarehealth_pb2 as hardwarehealth
from evesim.api.eve.info import info_pb2 as info
from evesim.api.eve.logs import log_pb2 as logs
from evesim.api.eve.metrics import metrics_pb2 as metrics
from evesim.api.eve.register import register_pb2 as register

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
