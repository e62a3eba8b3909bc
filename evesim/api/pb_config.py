"""EVE's ``org.lfedge.eve.config`` proto package as one module (protoc spreads it over seven files)."""

from evesim.api.eve.config.appconfig_pb2 import *  # noqa: F403
from evesim.api.eve.config.baseosconfig_pb2 import *  # noqa: F403
from evesim.api.eve.config.devcommon_pb2 import *  # noqa: F403
from evesim.api.eve.config.devconfig_pb2 import *  # noqa: F403
from evesim.api.eve.config.network_pb2 import *  # noqa: F403
from evesim.api.eve.config.storage_pb2 import *  # noqa: F403
from evesim.api.eve.config.vm_pb2 import *  # noqa: F403

del DESCRIPTOR  # noqa: F405, F821  (a file descriptor, not one of the package's messages)
