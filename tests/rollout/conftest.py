"""The controller test fixtures (a seeded controller with a settable clock, scripted devices), reused."""

from tests.controller.conftest import clock, ctl, identity, make_controller, onboard  # noqa: F401
