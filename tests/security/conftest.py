"""The controller fixtures of tests/controller, for attack tests."""

from tests.controller.conftest import clock, ctl, device, identity, make_controller, onboard  # noqa: F401
from tests.controller.test_stream import live  # noqa: F401
