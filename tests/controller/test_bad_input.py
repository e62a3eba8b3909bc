"""Bad input at every endpoint: the 4xx the spec names, never a 5xx or an exception, and nothing stored changes."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evesim.api import certs, envelope, pb
from evesim.api.certs import Usage
from evesim.api.envelope import CryptoMode
from evesim.controller import Controller

from .conftest import API, Device, snapshot

ACTIONS = ["config", "attest", "info", "metrics", "logs", "newlogs", "flowlog", "hardwarehealth"]
PROTO = {"content-type": "application/x-proto-binary"}


def _paths(uuid: str) -> list[str]:
    return [
        f"{API}/certs",
        f"{API}/ping",
        f"{API}/register",
        f"{API}/uuid",
        *(f"{API}/id/{uuid}/{action}" for action in ACTIONS),
        f"{API}/id/{uuid}/apps/instanceid/app-1/newlogs",
        f"{API}/apps/instanceid/app-1/newlogs",
        f"{API}/apps/instanceid/app-1/logs",
    ]


def _valid_payload(path: str, device: Device) -> bytes:
    if path.endswith("/config"):
        return pb.config.ConfigRequest(integrity_token=device.token).SerializeToString()
    if path.endswith("/attest"):
        return pb.attest.ZAttestReq(reqType=pb.attest.ATTEST_REQ_NONCE).SerializeToString()
    if path.endswith("/info"):
        return pb.info.ZInfoMsg(ztype=pb.info.ZiDevice, devId=device.uuid).SerializeToString()
    return pb.metrics.ZMetricMsg(devID=device.uuid).SerializeToString()


def _assert_refused_cleanly(ctl: Controller, method: str, path: str, body: bytes, headers=PROTO) -> int:
    before = snapshot(ctl)
    reply = ctl.handle(method, path, body, headers)
    assert 200 <= reply.status < 500, reply
    if reply.status >= 400:
        assert snapshot(ctl) == before, (path, reply)
    return reply.status


@pytest.mark.parametrize("crypto", [CryptoMode.FULL, CryptoMode.TRUSTED])
@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(data=st.data())
def test_random_and_mutated_envelopes_never_crash(make_controller, onboard, crypto: CryptoMode, data) -> None:
    ctl = make_controller(crypto)
    dev = Device(ctl, onboard, "fuzz")
    dev.onboard_device()
    dev.attest_tpmless()
    path = data.draw(st.sampled_from(_paths(dev.uuid)))
    valid = dev.seal(_valid_payload(path, dev))
    body = data.draw(
        st.one_of(
            st.binary(max_size=300),
            _mutations(valid),
            _random_envelopes(dev.cert_hash),
        )
    )
    _assert_refused_cleanly(ctl, "POST", path, body)


def _mutations(valid: bytes) -> st.SearchStrategy[bytes]:
    flip = st.tuples(st.integers(0, len(valid) - 1), st.integers(1, 255)).map(
        lambda p: valid[: p[0]] + bytes([valid[p[0]] ^ p[1]]) + valid[p[0] + 1 :]
    )
    cut = st.integers(0, len(valid) - 1).map(lambda n: valid[:n])
    insert = st.tuples(st.integers(0, len(valid)), st.binary(min_size=1, max_size=8)).map(
        lambda p: valid[: p[0]] + p[1] + valid[p[0] :]
    )
    return st.one_of(flip, cut, insert)


def _random_envelopes(device_hash: bytes) -> st.SearchStrategy[bytes]:
    return st.builds(
        lambda payload, cert_hash, signature, algo: envelope.seal(payload, signature, cert_hash, algo=algo),
        st.binary(max_size=200),
        st.sampled_from([device_hash, device_hash[:16], b"\0" * 32, b"x" * 7]),
        st.one_of(st.just(envelope.ZERO_SIGNATURE), st.binary(max_size=80)),
        st.sampled_from([envelope.SHA256_32, envelope.SHA256_16, 0, 7]),
    )


@pytest.fixture
def victim(ctl: Controller, onboard) -> Device:
    dev = Device(ctl, onboard, "victim")
    dev.onboard_device()
    dev.attest_tpmless()
    return dev


def test_status_table(ctl: Controller, victim: Device, onboard) -> None:
    uuid = victim.uuid
    config_path = f"{API}/id/{uuid}/config"
    request = pb.config.ConfigRequest(configHash="h" * 64, integrity_token=victim.token).SerializeToString()
    stranger = certs.issue("stranger", Usage.DEVICE, seed=b"s")
    other = Device(ctl, onboard, "other")
    other.onboard_device()
    cases = {
        "garbage": ("POST", config_path, b"\xff\xfe garbage", PROTO, 400),
        "truncated inner protobuf": ("POST", config_path, victim.seal(request[:20]), PROTO, 400),
        "truncated envelope": ("POST", config_path, victim.seal(request)[:-10], PROTO, 400),
        "oversized": ("POST", config_path, victim.seal(b"\0" * (ctl.max_body + 1)), PROTO, 413),
        "wrong content type": ("POST", config_path, victim.seal(request), {"Content-Type": "application/json"}, 415),
        "missing content type": ("POST", config_path, victim.seal(request), {}, 415),
        "unsigned": (
            "POST",
            config_path,
            envelope.seal(request, envelope.ZERO_SIGNATURE, victim.cert_hash),
            PROTO,
            401,
        ),
        "forged": ("POST", config_path, victim.seal(request, key=stranger), PROTO, 401),
        "unknown sender": (
            "POST",
            config_path,
            envelope.seal(request, certs.sign_raw(stranger.key, request), certs.der_hash(stranger.cert)),
            PROTO,
            400,
        ),
        "other device's path": ("POST", f"{API}/id/{other.uuid}/config", victim.seal(request), PROTO, 403),
        "unknown device in path": (
            "POST",
            f"{API}/id/00000000-0000-4000-8000-000000000000/info",
            victim.seal(b""),
            PROTO,
            403,
        ),
        "unknown path": ("POST", f"{API}/id/{uuid}/nothing", victim.seal(request), PROTO, 404),
        "outside the API": ("GET", "/api/v1/edgedevice/ping", b"", None, 404),
        "GET config": ("GET", config_path, b"", None, 405),
        "POST ping": ("POST", f"{API}/ping", b"", PROTO, 405),
        "PUT register": ("PUT", f"{API}/register", b"", PROTO, 405),
    }
    for name, (method, path, body, headers, status) in cases.items():
        assert _assert_refused_cleanly(ctl, method, path, body, headers) == status, name


def test_info_with_other_devices_path_is_403(ctl: Controller, victim: Device, onboard) -> None:
    other = Device(ctl, onboard, "other")
    other.onboard_device()
    reply = victim.post("info", pb.info.ZInfoMsg(ztype=pb.info.ZiDevice), uuid=other.uuid)
    assert reply.status == 403
    assert ctl.store.latest_info(other.uuid) == [] and ctl.store.latest_info(victim.uuid) == []


def test_16_byte_sender_hash_is_accepted(victim: Device) -> None:
    payload = pb.metrics.ZMetricMsg(devID=victim.uuid).SerializeToString()
    body = envelope.seal(
        payload, certs.sign_raw(victim.identity.key, payload), victim.cert_hash, algo=envelope.SHA256_16
    )
    assert victim.ctl.handle("POST", f"{API}/id/{victim.uuid}/metrics", body, PROTO).status == 201


def test_headers_none_skips_content_type_check(victim: Device) -> None:
    body = victim.seal(pb.metrics.ZMetricMsg().SerializeToString())
    assert victim.ctl.handle("POST", f"{API}/id/{victim.uuid}/metrics", body).status == 201
