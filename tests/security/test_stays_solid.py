"""What the probe found solid, kept so: devices registering at the same moment over HTTP each get one device (a
repeated registration makes no second one, no 5xx), and the admin token is compared in constant time."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from evesim.controller import Controller
from tests.controller.conftest import Device

from .test_log_bombs import Http

DEVICES = 48
REPEATS = 4


def test_simultaneous_registrations_make_one_device_each(ctl: Controller, onboard, served: str) -> None:
    http = Http(ctl, served)
    devices = [Device(ctl, onboard, f"rush-{n}") for n in range(DEVICES)]
    for device in devices:
        device.ctl = http
    attempts = [d for d in devices for _ in range(REPEATS)]
    with ThreadPoolExecutor(max_workers=32) as pool:
        statuses = Counter(reply.status for reply in pool.map(lambda d: d.register(), attempts))
    assert max(statuses) < 500, statuses
    assert statuses[201] >= DEVICES, statuses
    with ThreadPoolExecutor(max_workers=32) as pool:
        uuid_statuses = list(pool.map(lambda d: d.fetch_uuid().status, devices))
    assert uuid_statuses == [200] * DEVICES
    uuids = [d.uuid for d in devices]
    assert len(set(uuids)) == DEVICES
    assert sorted(ctl.device_uuids()) == sorted(uuids), "one device per certificate, none twice"


def test_the_admin_token_is_compared_in_constant_time(monkeypatch) -> None:
    """What stays solid: the bearer token goes through ``hmac.compare_digest``, never ``==``."""
    import hmac

    from evesim.controller import adminauth

    seen: list[tuple[bytes, bytes]] = []
    compare = hmac.compare_digest

    def spy(given: bytes, token: bytes) -> bool:
        seen.append((given, token))
        return compare(given, token)

    monkeypatch.setattr(adminauth.hmac, "compare_digest", spy)
    assert adminauth.token_matches("Bearer secret", "secret") and not adminauth.token_matches("Bearer guess", "secret")
    assert seen == [(b"secret", b"secret"), (b"guess", b"secret")]
