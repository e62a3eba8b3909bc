"""zedclient: onboarding — ``/certs`` → ``/register`` → ``/uuid`` (EVE's ``pkg/pillar/cmd/client/client.go``).

Retries on an exponential backoff (1 s doubling to 10 min, no jitter). Tolerates Adam's
quirk of answering 500 to a device it just registered by trying ``/uuid`` anyway.
"""

from __future__ import annotations

import base64
import uuid as uuidlib
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

from google.protobuf.message import DecodeError

from evesim.agent import certfetch, paths, topics
from evesim.agent import effects as fx
from evesim.agent.controllerconn import ENVELOPE_FAILURES, PROTO, Backoff, Conn, Reply, Sender, url
from evesim.agent.topics import Led
from evesim.api import pb
from evesim.api.certs import CertError, der_hash, load_cert

AGENT = "zedclient"
FAST_PATH_S = 5.0
ACCEPT = (PROTO, "application/json", "text/plain")
"""Content types zedclient tolerates on an answer with a body (EVE's ``myPost``)."""
REGISTER_LED = {304: Led.ONBOARDING_CONFLICT, 403: Led.ONBOARDING_NOT_FOUND, 400: Led.CONNECTED,
                404: Led.CONNECTED}
"""The LED a /register answer leaves, as EVE's ``myPost`` and ``selfRegister`` (``pkg/pillar/cmd/client/client.go``)
set it. ``SendOnAllIntf`` (``pkg/pillar/controllerconn/send.go``) keeps the HTTP response only for 2xx, 304 and 403, so
``selfRegister``'s LEDs for 400, 409, 500 and 504 never show: 400 and 404 leave myPost's 3, the rest no change."""


@dataclass(slots=True)
class Onboard:
    """The factory onboarding identity, if ``/config`` has one."""

    cert_pem: bytes
    cert_hash: bytes


def read_onboard() -> Generator[Any, Any, Onboard | None]:
    """``/config/onboard.cert.pem`` (+ key present) as an ``Onboard``, else None."""
    cert = yield fx.ReadFile(paths.ONBOARD_CERT)
    key = yield fx.ReadFile(paths.ONBOARD_KEY)
    if not cert or not key:
        return None
    try:
        return Onboard(cert, der_hash(load_cert(cert)))
    except CertError:
        return None


def register(conn: Conn, onboard: Onboard, device_pem: bytes, serial: str,
             soft_serial: str) -> Generator[Any, Any, Reply]:
    """POST ``/register`` signed with the onboarding key."""
    msg = pb.register.ZRegisterMsg(pemCert=base64.b64encode(device_pem), serial=serial, softSerial=soft_serial)
    return (yield from conn.post(url("register"), msg.SerializeToString(), key="onboard",
                                 cert_hash=onboard.cert_hash, sender_cert_pem=onboard.cert_pem, accept=ACCEPT))


def get_uuid(conn: Conn) -> Generator[Any, Any, topics.Onboarding | Reply]:
    """POST ``/uuid``; an ``Onboarding`` on success (and persisted), else the failed ``Reply``."""
    reply = yield from conn.post(url("uuid"), pb.uuid.UuidRequest().SerializeToString(), accept=ACCEPT)
    # EVE: pkg/pillar/cmd/client/client.go myPost (also run by zedagent's potentialUUIDUpdate): 400/404 are
    # SenderStatusNotFound, LED 3; an envelope that fails verification 15; a 200 shows 4 (doGetUUID again after
    # parsing); other failures leave the LED alone
    if reply.status in (400, 404):
        yield _led(Led.CONNECTED)
    elif reply.sender in ENVELOPE_FAILURES:
        yield _led(Led.INVALID_AUTH_CONTAINER)
    elif reply.ok:
        yield _led(Led.ONBOARDED)
    if not reply.ok or reply.payload is None:
        return reply
    try:
        answer = pb.uuid.UuidResponse.FromString(reply.payload)
    except DecodeError:
        return Reply(reply.status, Sender.SIGN_VERIFY_FAIL, None, "unparseable UuidResponse")
    if not answer.uuid:
        return Reply(reply.status, Sender.HTTP_ERROR, None, "empty uuid")
    model = f"{answer.manufacturer}.{answer.product_name}" if answer.manufacturer else answer.product_name
    yield fx.WriteFile(paths.UUID, answer.uuid.encode())
    yield fx.WriteFile(paths.HARDWARE_MODEL, model.encode())
    return topics.Onboarding(answer.uuid, model)


def _saved_onboarding() -> Generator[Any, Any, topics.Onboarding | None]:
    """The UUID of a previous boot; a malformed file is ignored, as EVE ignores it."""
    raw = yield fx.ReadFile(paths.UUID)
    try:
        uuid = str(uuidlib.UUID(raw.decode().strip())) if raw else None
    except ValueError:
        uuid = None
    if uuid is None:
        if raw:
            yield fx.Log(AGENT, "uuid_file_malformed", {}, "warning")
        return None
    model = yield fx.ReadFile(paths.HARDWARE_MODEL)
    return topics.Onboarding(uuid, (model or b"").decode(errors="replace"))


def _led(value: Led) -> fx.Publish:
    return fx.Publish(topics.LED, value)


class Client:
    """State of one onboarding run."""

    def __init__(self, conn: Conn, device_pem: bytes, serial: str) -> None:
        self.conn = conn
        self.device_pem = device_pem
        self.serial = serial

    def attempt(self, onboard: Onboard | None, soft_serial: str) -> Generator[Any, Any, topics.Onboarding | None]:
        """One round: certs if missing (checked against the root file as it is now), register if possible, then uuid.

        EVE's ``selfRegister`` counts every HTTP answer, 201 included, as not done, so each round registers
        again; ``tryRegister`` then asks ``/uuid``, and once more in the same round if that failed.
        """
        if self.conn.controller is None and (yield from certfetch.refresh(self.conn, AGENT)) is None:
            yield _led(Led.INVALID_CONTROLLER_CERT)
            return None
        if onboard is not None:
            yield from self._register(onboard, soft_serial)
            result = yield from self._uuid()
            if result is not None:
                return result
        return (yield from self._uuid())

    def _uuid(self) -> Generator[Any, Any, topics.Onboarding | None]:
        """One ``/uuid`` exchange (``doGetUUID``); None if it failed."""
        result = yield from get_uuid(self.conn)
        if isinstance(result, Reply):
            # EVE: pkg/pillar/cmd/client/client.go doGetUUID: a cert miss schedules a refetch of /certs
            if result.sender is Sender.CERT_MISS:
                self.conn.controller = None
            error = result.error or result.sender.value
            yield fx.Log(AGENT, "uuid_failed", {"status": result.status, "error": error}, "warning")
            return None
        return result

    def _register(self, onboard: Onboard, soft_serial: str) -> Generator[Any, Any, None]:
        reply = yield from register(self.conn, onboard, self.device_pem, self.serial, soft_serial)
        yield fx.Log(AGENT, "register", {"status": reply.status, "error": reply.error})
        if reply.status in (200, 201):
            yield _led(Led.ONBOARDED)
        elif reply.status in REGISTER_LED:
            yield _led(REGISTER_LED[reply.status])
        elif reply.sender in ENVELOPE_FAILURES:
            yield _led(Led.INVALID_AUTH_CONTAINER)


def run(conn: Conn, device_pem: bytes, serial: str) -> Generator[Any, Any, None]:
    """The zedclient process: loops until the device has a UUID, then publishes OnboardingStatus."""
    start = yield fx.Now()
    roots = yield from certfetch.load_roots()
    onboard = yield from read_onboard()
    soft_serial = ((yield fx.ReadFile(paths.SOFT_SERIAL)) or b"").decode(errors="replace").strip()
    saved = yield from _saved_onboarding()
    saved_certs = yield from certfetch.load_checkpoint(roots)
    client = Client(conn, device_pem, serial)
    # EVE: pkg/pillar/cmd/client/client.go Run: flextimer.NewExpTicker(time.Second, maxDelay, 0), 10 min cap, no noise
    backoff = Backoff(1.0, 600.0)
    seen = 0
    while True:
        network = yield fx.Read(topics.NETWORK)
        now = yield fx.Now()
        # EVE: pkg/pillar/cmd/client/client.go Run (t1, 5 s): a saved UUID and cert checkpoint end onboarding
        # without the controller unless the network works
        if saved and saved_certs and now - start >= FAST_PATH_S and not _network_success(network):
            conn.controller = saved_certs
            yield fx.Publish(topics.CONTROLLER_CERTS, saved_certs)
            yield from _done(saved, fast=True)
            return
        attempted = network is not None and network.usable
        if attempted:
            result = yield from client.attempt(onboard, soft_serial)
            if result is not None:
                yield from _done(result, fast=False)
                return
        delay = backoff.next()
        if saved and saved_certs and now - start < FAST_PATH_S:
            delay = min(delay, FAST_PATH_S - (now - start))
        if attempted:
            yield fx.Sleep(delay)
        else:
            seen = yield fx.Wait((topics.NETWORK,), seen, delay)


def _network_success(network: topics.NetworkStatus | None) -> bool:
    return network is not None and network.state is topics.DpcState.SUCCESS


def _done(onboarding: topics.Onboarding, fast: bool) -> Generator[Any, Any, None]:
    yield fx.Publish(topics.ONBOARDING, onboarding)
    yield fx.Log(AGENT, "onboarded", {"uuid": onboarding.uuid, "fast_path": fast})
