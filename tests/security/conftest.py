"""The controller fixtures of tests/controller, for attack tests, and the controller served in a thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn

from evesim.controller import Controller
from evesim.controller.adminauth import AdminGate
from evesim.controller.app import create_app
from tests.controller.conftest import clock, ctl, device, identity, make_controller, onboard  # noqa: F401
from tests.controller.test_stream import live  # noqa: F401


@pytest.fixture
def served(ctl: Controller) -> Iterator[str]:  # noqa: F811
    """``ctl`` served by uvicorn over plain HTTP on a free loopback port, in a thread (admin API open): its URL."""
    server = uvicorn.Server(uvicorn.Config(create_app(ctl, AdminGate("none")), host="127.0.0.1", port=0,
                                           log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    server.should_exit = True
    thread.join(10)
