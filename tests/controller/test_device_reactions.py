"""docs/controller.md "How EVE reacts to each answer": every row, run against evesim's agents.

Each test runs an evesim agent (through tests/agent/harness.py) against evesim's controller core,
which answers the row's status either by itself (its ``Policy`` and state) or through a fault rule
for that action. The asserted reaction is evesim's today; the docs table gives EVE's beside it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from evesim.agent.topics import ConfigGet, Led
from evesim.controller import Policy
from evesim.controller.policy import ADAM

from .reactions import (
    DEVICE,
    ONBOARD,
    SERIAL,
    Answering,
    controller,
    onboarding,
    polling,
    posting_info,
    posting_metrics,
    registered,
)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "controller.md"
NO_TOKEN = Policy(require_integrity_token=False)
QUIET_UUID = Policy(unknown_device_status=401)
"""/uuid answers 401 (no LED in EVE or evesim), so a round's LEDs are the /register answer's alone."""

# endpoint -> status -> evesim's LEDs after the answer (None: the row is checked by a dedicated test)
REGISTER = {201: [Led.ONBOARDED] * 2, 200: [Led.ONBOARDED] * 2, 304: [Led.ONBOARDING_CONFLICT], 400: [Led.CONNECTED],
            401: [], 403: [Led.ONBOARDING_NOT_FOUND], 404: [Led.CONNECTED], 409: [], 500: [], 503: []}
UUID = {200: [Led.ONBOARDED], 400: [Led.CONNECTED] * 4, 401: [], 403: [], 404: [Led.CONNECTED] * 4, 409: [], 500: [],
        503: []}
CONFIG = {200: None, 304: None, 400: Led.CONNECTED, 401: Led.CONNECTING, 403: Led.CONNECTING, 404: Led.CONNECTED,
          409: Led.CONNECTING, 500: Led.CONNECTING, 503: Led.CONNECTED}
CONFIG_TEMPORARY = {400, 404, 503}
"""Codes evesim counts as ConfigGetTemporaryFail while an update is tested (403 too once a quote was sent)."""
INFO_RETRIED = {401, 403, 500, 503}
INFO_DROPPED = {400, 404, 409}
INFO = sorted({201} | INFO_RETRIED | INFO_DROPPED)
METRICS = [201, 400, 401, 403, 404, 409, 500, 503]
TESTED = {"/register": set(REGISTER), "/uuid": set(UUID), "/config": set(CONFIG), "/info": set(INFO),
          "/metrics": set(METRICS)}


def test_every_row_of_the_docs_table_is_tested() -> None:
    section = DOCS.read_text().split("## How EVE reacts to each answer", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, set[int]] = {}
    for endpoint, codes in re.findall(r"^\| `(/\w+)` \| ([\d, ]+) \|", section, re.M):
        rows.setdefault(endpoint, set()).update(int(c) for c in codes.split(","))
    assert rows == TESTED


# -------------------------------------------------------------- /register (zedclient)


def _register_answering(status: int) -> Answering:
    if status == 201:
        return Answering(controller(QUIET_UUID))
    ctl = controller(QUIET_UUID)
    if status == 200:  # the same device cert again
        ctl.device_add(DEVICE.cert_pem, onboard_pem=ONBOARD.cert_pem, serial=SERIAL)
    elif status == 409:  # another device cert registered this onboarding cert + serial
        ctl.device_add(ONBOARD.cert_pem, onboard_pem=ONBOARD.cert_pem, serial=SERIAL)
    elif status == 403:  # the onboarding cert is not on the allow-list
        ctl.onboard_remove(ctl.onboard_list()[0].cn)
    else:
        return Answering(ctl, {"register": status})
    return Answering(ctl)


@pytest.mark.parametrize("status", sorted(REGISTER))
def test_register_answer(status: int) -> None:
    answering = _register_answering(status)
    first = onboarding(answering)
    assert first.leds == REGISTER[status]
    if status in (200, 201):
        assert first.onboarded and first.requests == ["certs", "register", "uuid"]
        return
    # every answer is "not done": /uuid is asked twice in the same round, and the round repeats (1 s, 2 s, 4 s ...)
    assert not first.onboarded and first.requests == ["certs", "register", "uuid", "uuid"]
    later = onboarding(_register_answering(status), max_time=8.0)
    assert later.requests.count("register") == 4 and later.leds == REGISTER[status] * 4


def test_register_adam_500_for_a_cert_known_another_way_still_onboards_through_uuid() -> None:
    ctl = controller(ADAM)
    ctl.device_add(DEVICE.cert_pem)
    first = onboarding(Answering(ctl))
    assert first.onboarded and first.requests == ["certs", "register", "uuid"] and first.leds == [Led.ONBOARDED]


# -------------------------------------------------------------- /uuid (zedclient, no onboarding cert)


@pytest.mark.parametrize("status", sorted(UUID))
def test_uuid_answer(status: int) -> None:
    if status == 200:
        ctl = controller()
        registered(ctl)
        answering = Answering(ctl)
    elif status in (400, 401):  # the controller does not know the device cert
        answering = Answering(controller(Policy(unknown_device_status=status)))
    else:
        answering = Answering(controller(), {"uuid": status})
    seen = onboarding(answering, onboard=False, max_time=8.0)
    assert seen.leds == UUID[status]
    if status == 200:
        assert seen.onboarded and seen.requests == ["certs", "uuid"]
    else:
        assert not seen.onboarded and seen.requests == ["certs"] + ["uuid"] * 4  # at 0, 1, 3 and 7 s


# -------------------------------------------------------------- /config (zedagent), after a first 200


def _config_answering(status: int) -> tuple[Answering, str, dict[str, int]]:
    """The controller, the device's UUID and the faults for the polls after the first."""
    if status in (400, 401):  # the device was deleted in the controller
        ctl = controller(Policy(require_integrity_token=False, unknown_device_status=status))
        return Answering(ctl), registered(ctl), {}
    ctl = controller(NO_TOKEN)
    return Answering(ctl), registered(ctl), {} if status in (200, 304) else {"config": status}


@pytest.mark.parametrize("updating", [False, True], ids=["idle", "updating"])
@pytest.mark.parametrize("status", sorted(CONFIG))
def test_config_answer(status: int, updating: bool) -> None:
    answering, uuid, faults = _config_answering(status)
    answering.faults = faults
    ctl = answering.ctl
    changes = {200: lambda: ctl.set_config_items(uuid, {"timer.config.interval": "90"}),
               400: lambda: ctl.remove_device(uuid), 401: lambda: ctl.remove_device(uuid)}
    seen = polling(answering, uuid, updating=updating, then=changes.get(status))
    assert seen.leds[0] is Led.ONBOARDED
    led = CONFIG[status]
    assert seen.extra["leds_after_first"] == ([] if led is None else [led])
    if led is None:
        assert seen.status is ConfigGet.SUCCESS
        return
    temporary = updating and status in CONFIG_TEMPORARY
    assert seen.status is (ConfigGet.TEMPORARY_FAIL if temporary else ConfigGet.FAIL)
    # the uuid re-check after 400/404 waits 10 min from zedagent's start, and a 403 restarts attestation only
    # once a quote was sent this boot: neither happens this early
    assert seen.requests == ["config"]
    assert seen.attest_restarts == 0


def test_config_404_before_any_config_leaves_the_led_alone() -> None:
    """Adam's 404 before a config is set: as EVE, the LED is left alone (zedagent never showed 4)."""
    ctl = controller(ADAM)
    uuid = registered(ctl)
    seen = polling(Answering(ctl), uuid, polls=0)
    assert seen.leds == [] and seen.status is ConfigGet.FAIL
    assert seen.extra["all_requests"] == ["config"]


# -------------------------------------------------------------- /info (zedagent's deferred queue)


@pytest.mark.parametrize("status", INFO)
def test_info_answer(status: int) -> None:
    ctl = controller(Policy(unknown_device_status=401) if status == 401 else None)
    if status in (400, 401):
        answering, uuid = Answering(ctl), "6ba7b810-9dad-41d1-80b4-00c04fd430c8"
    else:
        uuid = registered(ctl)
        answering = Answering(ctl, {} if status == 201 else {"info": status})
    seen = posting_info(answering, uuid)
    assert seen.leds == []
    times = seen.extra["times"]
    if status in INFO_RETRIED:
        # held back 1, 2, 4, 8 min, then sent at the queue's next tick (up to 15 min and 30 s later)
        gaps = [b - a for a, b in zip(times, times[1:], strict=False)][:4]
        assert seen.queued and len(gaps) == 4
        assert all(hold <= gap <= hold + 930 for gap, hold in zip(gaps, (60, 120, 240, 480), strict=True))
    else:
        assert not seen.queued and len(times) == 1
        assert seen.extra["dropped"] is (status in INFO_DROPPED)


# -------------------------------------------------------------- /metrics (zedagent's metrics task)


@pytest.mark.parametrize("status", METRICS)
def test_metrics_answer(status: int) -> None:
    ctl = controller(Policy(unknown_device_status=401) if status == 401 else None)
    if status in (400, 401):
        answering, uuid = Answering(ctl), "6ba7b810-9dad-41d1-80b4-00c04fd430c8"
    else:
        uuid = registered(ctl)
        answering = Answering(ctl, {} if status == 201 else {"metrics": status})
    seen = posting_metrics(answering, uuid)
    assert seen.leds == []
    # never retried: the next metrics go at the next tick, whatever the answer
    assert [round(t) for t in seen.extra["times"]] == [0, 39, 78]
    assert (len(ctl.store.series("metrics", uuid)) > 0) is (status == 201)
