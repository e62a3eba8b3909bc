"""A served controller's defaults: its port, its request deadline and connection cap, what it keeps per device.

A module of its own, light to import, so that ``evesim controller --help`` shows them without loading the server.
"""

DEFAULT_PORT = 8443
SERIES_BYTES = 100 << 20
"""Bytes a served controller keeps per device and series by default: Adam's file driver's 100 MB."""
INFO_OBJECTS = 4096
"""Distinct info objects a served controller keeps the latest info of per device, by default."""
REQUEST_TIMEOUT_S = 120.0
"""Default deadline for a whole request: EVE's own send timeout (``timer.send.timeout``, 120 s in
lf-edge/eve pkg/pillar/types/global.go), so a device on a slow link is never cut before it gives up itself."""
MAX_CONNECTIONS = 32768
"""Default cap on connections and requests in progress. Devices keep their connection open between polls
(keep-alive), so it must exceed the fleet's size."""
MAX_CONNECTIONS_PER_CLIENT = 4096
"""Default cap on one client address's open connections: an eighth of ``MAX_CONNECTIONS``, so one host cannot take
them all, while a site of devices behind one NAT address still fits."""
