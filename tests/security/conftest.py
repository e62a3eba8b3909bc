"""The controller fixtures of tests/controller, for attack tests, and the controller served in a thread."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from evesim.controller import Controller
from evesim.controller.adminauth import AdminGate
from evesim.controller.app import create_app
from tests.controller.conftest import clock, ctl, device, identity, make_controller, onboard  # noqa: F401
from tests.controller.served import in_thread
from tests.controller.test_stream import live  # noqa: F401


@pytest.fixture
def served(ctl: Controller) -> Iterator[str]:  # noqa: F811
    """``ctl`` served by uvicorn over plain HTTP in a thread, its admin API open: its URL."""
    with in_thread(create_app(ctl, AdminGate("none"))) as url:
        yield url
