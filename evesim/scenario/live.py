"""``evesim run --live``: the live fleet view of a running simulation, served on this machine only.

uvicorn serves the page and its stream from a thread while the simulation runs in the main one;
``--pace`` slows the simulation to a multiple of real time so that people can watch it.
"""

from __future__ import annotations

import threading
import time

import uvicorn
from fastapi import APIRouter, FastAPI

from evesim.controller.fleetpage import add_data_routes, page_router
from evesim.controller.fleetview import FleetSource

HOST = "127.0.0.1"
START_TIMEOUT_S = 20.0


class LiveServer:
    """The fleet view of ``source`` on ``http://127.0.0.1:PORT/fleet`` (``port`` 0: any free port)."""

    def __init__(self, source: FleetSource, port: int) -> None:
        app = FastAPI(title="evesim live fleet view", docs_url=None, redoc_url=None, openapi_url=None)
        app.include_router(page_router())
        data = APIRouter(prefix="/admin")
        add_data_routes(data, source, threaded=True)
        app.include_router(data)
        config = uvicorn.Config(app, host=HOST, port=port, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="evesim-live", daemon=True)

    def start(self) -> str:
        """Start serving; the page's URL. RuntimeError if the port cannot be had."""
        self.thread.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the live view could not start (is the port in use?)")
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://{HOST}:{port}/fleet"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)
