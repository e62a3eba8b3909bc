"""Fixtures for controller tests: a seeded identity, a controller factory and a scripted EVE device."""

from __future__ import annotations

import base64
import random
from collections.abc import Callable

import pytest

from evesim.api import certs, envelope, pb
from evesim.api.certs import Issued, Usage
from evesim.api.envelope import CryptoMode
from evesim.controller import Controller, ControllerIdentity, Policy, Reply
from evesim.controller.stores import KINDS, MemoryStore, SqliteStore

START = 1_767_225_600.0
API = "/api/v2/edgedevice"


class Clock:
    """A settable clock for the controller."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Device:
    """A scripted EVE device talking to a controller's service core."""

    def __init__(self, ctl: Controller, onboard: Issued, name: str, serial: str = "", soft_serial: str = "") -> None:
        self.ctl = ctl
        self.onboard = onboard
        self.identity = certs.issue(name, Usage.DEVICE, seed=b"device")
        self.cert_hash = certs.der_hash(self.identity.cert)
        self.serial = serial or f"serial-{name}"
        self.soft_serial = soft_serial
        self.uuid = ""
        self.token = b""

    def seal(self, payload: bytes, key: Issued | None = None) -> bytes:
        """An envelope signed by this device (or ``key``), named by this device's cert hash."""
        signer = key or self.identity
        return envelope.seal(payload, certs.sign_raw(signer.key, payload), self.cert_hash)

    def register(self, pem_cert: bytes | None = None, serial: str | None = None) -> Reply:
        msg = pb.register.ZRegisterMsg(
            pemCert=pem_cert if pem_cert is not None else base64.b64encode(self.identity.cert_pem),
            serial=self.serial if serial is None else serial,
            softSerial=self.soft_serial,
        )
        payload = msg.SerializeToString()
        body = envelope.seal(
            payload,
            certs.sign_raw(self.onboard.key, payload),
            certs.der_hash(self.onboard.cert),
            sender_cert_pem=self.onboard.cert_pem,
        )
        return self.ctl.handle("POST", f"{API}/register", body, _PROTO)

    def fetch_uuid(self) -> Reply:
        reply = self.ctl.handle("POST", f"{API}/uuid", self.seal(b""), _PROTO)
        if reply.status == 200:
            self.uuid = pb.uuid.UuidResponse.FromString(self.open(reply)).uuid
        return reply

    def onboard_device(self) -> str:
        assert self.register().status == 201
        assert self.fetch_uuid().status == 200
        return self.uuid

    def post(self, action: str, payload: bytes | object, *, uuid: str | None = None) -> Reply:
        data = payload if isinstance(payload, bytes) else payload.SerializeToString()
        path = f"{API}/id/{self.uuid if uuid is None else uuid}/{action}"
        return self.ctl.handle("POST", path, self.seal(data), _PROTO)

    def attest(self, request: pb.attest.ZAttestReq) -> pb.attest.ZAttestResponse:
        reply = self.post("attest", request)
        assert reply.status == 201, reply
        return pb.attest.ZAttestResponse.FromString(self.open(reply))

    def attest_tpmless(self) -> bytes:
        self.attest(pb.attest.ZAttestReq(reqType=pb.attest.ATTEST_REQ_NONCE))
        answer = self.attest(pb.attest.ZAttestReq(reqType=pb.attest.ATTEST_REQ_QUOTE))
        self.token = answer.quoteResp.integrity_token
        return self.token

    def poll(self, config_hash: str = "", token: bytes | None = None) -> Reply:
        request = pb.config.ConfigRequest(
            configHash=config_hash, integrity_token=self.token if token is None else token
        )
        return self.post("config", request)

    def config(self) -> pb.config.ConfigResponse:
        reply = self.poll()
        assert reply.status == 200, reply
        return pb.config.ConfigResponse.FromString(self.open(reply))

    def open(self, reply: Reply) -> bytes:
        """The payload of a controller answer, checked as EVE checks it."""
        assert reply.content_type == "application/x-proto-binary"
        env = envelope.open_envelope(reply.body)
        assert envelope.hash_matches(env, certs.pem_hash(self.ctl.identity.signing_pem))
        envelope.check_signature(env, self.ctl.identity.signing.cert.public_key(), self.ctl.crypto)
        return env.payload


_PROTO = {"Content-Type": "application/x-proto-binary"}


@pytest.fixture(scope="session")
def identity() -> ControllerIdentity:
    return ControllerIdentity.generate(seed=b"tests")


@pytest.fixture(scope="session")
def onboard() -> Issued:
    return certs.issue("fleet-onboard", Usage.ONBOARDING, seed=b"onboard")


@pytest.fixture(params=["memory", "sqlite"])
def store_factory(request: pytest.FixtureRequest, tmp_path) -> Callable[..., object]:
    """Builds the store kind under test (used by the shared contract suite)."""
    if request.param == "memory":
        return lambda **kw: MemoryStore(**kw)
    return lambda **kw: SqliteStore(tmp_path / "store.sqlite", **kw)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_controller(identity: ControllerIdentity, onboard: Issued, clock: Clock) -> Callable[..., Controller]:
    def make(crypto: CryptoMode = CryptoMode.FULL, policy: Policy | None = None, store=None, **kw) -> Controller:
        ctl = Controller(
            store=store or MemoryStore(),
            identity=identity,
            crypto=crypto,
            clock=clock,
            rng=random.Random(7),
            policy=policy,
            **kw,
        )
        ctl.onboard_add(onboard.cert_pem, ["*"])
        return ctl

    return make


@pytest.fixture
def ctl(make_controller: Callable[..., Controller]) -> Controller:
    return make_controller()


@pytest.fixture
def device(ctl: Controller, onboard: Issued) -> Device:
    dev = Device(ctl, onboard, "dev-1")
    dev.onboard_device()
    dev.attest_tpmless()
    return dev


def snapshot(ctl: Controller) -> dict:
    """Everything the controller's store holds, read through the public store interface."""
    store = ctl.store
    devices = store.list_devices()
    state: dict = {"onboard": store.list_onboard(), "devices": devices}
    for record in devices:
        uuid = record.uuid
        state[uuid] = {
            "configs": store.config_history(uuid),
            "attestation": store.get_attestation(uuid),
            "info": store.latest_info(uuid),
            **{kind: store.series(kind, uuid) for kind in KINDS},
        }
    return state
