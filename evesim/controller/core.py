"""The controller's service core: request bytes + path + headers in, ``Reply`` out, for every v2 device endpoint.

The same object is called by the simulation (after the network delivered a request) and by the
HTTP app. Per device it caches the parsed certificate key, the config hash, the signed config
answer (signed once per version) and the parsed latest device info, so a 304 poll costs one
envelope parse and a dict lookup.
Not thread-safe: call it from one thread.
"""

from __future__ import annotations

import random
import time
import unicodedata
import uuid as uuidlib
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from types import TracebackType
from typing import Any

from cryptography import x509

from evesim.api import defaults, pb
from evesim.api.certs import CertError, cert_pem, der_hash, load_cert, pem_from_text, sign_raw, verify_signature
from evesim.api.envelope import ZERO_SIGNATURE, CryptoMode, Envelope, EnvelopeError, open_envelope, seal, truncate
from evesim.controller import appnet, attestation, devconfig, netconfig, telemetry
from evesim.controller.adam import GlobalOptionsIn
from evesim.controller.attestation import NO_TEMPLATES
from evesim.controller.devconfig import DEFAULT_APP_IMAGE, ConfigError
from evesim.controller.identity import ControllerIdentity
from evesim.controller.policy import Policy
from evesim.controller.reply import CREATED, NOT_MODIFIED, OK, PROTO, Refusal, Reply, is_proto
from evesim.controller.rollout import Rollouts
from evesim.controller.stores import Attestation, ConfigVersion, DeviceRecord, Item, MemoryStore, OnboardEntry, Store
from evesim.controller.stores.base import SeriesKind, check_kind

PREFIX = "/api/v2/edgedevice/"
DecodedLogs = tuple[bytes, "list[bytes] | Refusal"]
"""A ``newlogs`` payload and its serialized ``LogEntry`` items, or the refusal the upload earns."""
Listener = Callable[[Item], None]
"""Called with each item a live feed delivers."""
MAX_BODY = 4 << 20
"""Largest request body accepted (413 above)."""
GLOBAL_OPTIONS = "adam/global-options"
"""The store setting that keeps Adam's global options."""
_NOT_FOUND = Reply(404, b"unknown device API path", "text/plain")
_NOT_ALLOWED = Reply(405, b"method not allowed", "text/plain")
_NO_CONFIG = Reply(404, b"no config set for this device", "text/plain")
"""``/config`` of a device without a config (``Policy.initial_config`` False): Adam's ``config`` handler
answers 404 when ``GetConfig`` finds no config (lf-edge/adam pkg/server/apiHandlerv2.go)."""
_SHA256_16 = pb.common.HASH_ALGORITHM_SHA256_16BYTES


UNKNOWN_DEVICE = 400
"""A well-formed envelope from a device cert the controller does not know: ``Unknown Device: 400`` in
lf-edge/eve-api ``APIv2.md``. EVE's pkg/pillar/controllerconn/send.go ``SendOnAllIntf`` maps 400 to
``SenderStatusNotFound``, on which zedagent's ``getLatestConfig`` calls ``potentialUUIDUpdate``."""
UNPROCESSABLE_REGISTER = 422
"""A well-formed, signed register envelope whose ``ZRegisterMsg`` (or its ``pemCert``) is malformed: lf-edge/eve-api
``APIv2.md`` lists 422 for register; a malformed envelope itself stays 400, as on every endpoint."""


class UnknownDevice(LookupError):
    """No device with this UUID is registered."""


class _Device:
    """What the hot path needs about one device, cached in memory."""

    __slots__ = ("uuid", "public_key", "token", "config_hash", "config_reply", "version", "info")

    def __init__(self, uuid: str, public_key: Any, token: bytes) -> None:
        self.uuid = uuid
        self.public_key = public_key
        self.token = token
        self.config_hash = ""
        self.config_reply: Reply | None = None
        self.version = 0
        self.info: tuple[Item, pb.info.ZInfoDevice] | None = None


class Controller:
    """An EVE controller: onboarding allow-list, devices, configs, attestation and telemetry over a store."""

    def __init__(
        self,
        store: Store | None = None,
        identity: ControllerIdentity | None = None,
        crypto: CryptoMode = CryptoMode.FULL,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        policy: Policy | None = None,
        keyed: Callable[[str], bytes] | None = None,
        max_body: int = MAX_BODY,
    ) -> None:
        self.store: Store = store if store is not None else MemoryStore()
        self.identity = identity or ControllerIdentity.generate()
        self.crypto = CryptoMode(crypto)
        self.policy = policy or Policy()
        self.max_body = max_body
        self._clock = clock
        self._rng = rng or random.SystemRandom()
        self._keyed = keyed
        self._drawn: dict[str, int] = {}
        self._full = self.crypto is CryptoMode.FULL
        self._signing_key = self.identity.signing.key
        self._signing_hash = self.identity.signing_hash
        self._cert_config_hash = self.identity.cert_config_hash()
        certs = self.identity.certs_message()
        self._certs_reply = Reply(200, seal(certs, sign_raw(self._signing_key, certs), self._signing_hash), PROTO)
        self._by_hash: dict[bytes, _Device] = {}
        self._by_uuid: dict[str, _Device] = {}
        self._by_serial: dict[tuple[str, str], str] = {}
        self._onboard: dict[bytes, OnboardEntry] = {}
        self._request_tags: dict[tuple[str, int], bytes] = {}
        self._client = ""
        """The sender address of the request being answered (``handle``'s ``client``)."""
        self._decoded: DecodedLogs | None = None
        """What ``decode_logs`` made of the request being answered."""
        self._listeners: dict[tuple[SeriesKind, str], list[Listener]] = {}
        self._pending: list[tuple[SeriesKind, str, Item]] = []
        self._transaction = Transaction(self.store)
        """Every write: a store transaction whose in-memory side effects wait for its commit."""
        self._static = {"certs": self._certs, "ping": self._ping, "register": self._register, "uuid": self._uuid}
        self._routes = {
            "config": self._config,
            "attest": self._attest,
            "info": self._info,
            "metrics": self._metrics,
            "logs": self._logs,
            "newlogs": self._newlogs,
            "flowlog": self._flowlog,
            "hardwarehealth": self._hardwarehealth,
        }
        self._load()
        self.rollouts = Rollouts(self, clock)
        """Rollout campaigns over this controller's devices (in memory)."""

    # ----------------------------------------------------------------- device API

    def handle(self, method: str, path: str, body: bytes, headers: Mapping[str, str] | None = None,
               client: str = "", decoded: DecodedLogs | None = None) -> Reply:
        """Answer one device API request; ``path`` is the full URL path, ``client`` the sender's ``host:port`` when
        known (kept with the request record), ``decoded`` what ``decode_logs`` made of its body. Never raises for
        bad input."""
        if not path.startswith(PREFIX):
            return _NOT_FOUND
        self._client, self._decoded = client, decoded
        try:
            reply = self._handle(method, path, body, headers)
        except Refusal as refusal:
            self._pending.clear()
            return refusal.reply
        except BaseException:
            self._pending.clear()
            raise
        finally:
            self._decoded = None
        if self._pending:
            self._deliver()
        return reply

    def _handle(self, method: str, path: str, body: bytes, headers: Mapping[str, str] | None) -> Reply:
        rest = path[len(PREFIX) :]
        static = self._static.get(rest)
        if static is not None:
            return static(method, body, headers)
        route = self._route(rest)
        if route is None:
            return _NOT_FOUND
        if method != "POST":
            return _NOT_ALLOWED
        self._check_post(body, headers)
        handler, path_uuid, app = route
        device, envelope = self._authenticate(body, path_uuid)  # before the store is touched: a refusal costs nothing
        with self._transaction:
            reply = handler(device, envelope.payload, app)
            self._log_request(device.uuid, method, path, reply.status)
        return reply

    def authentic_upload(self, method: str, path: str, body: bytes) -> bool:
        """True if ``body`` is a ``newlogs`` upload a known device signed: worth ``decode_logs`` on another thread.
        Anything else ``handle`` answers (and refuses) as usual, before any decompression."""
        if method != "POST" or not path.endswith("/newlogs") or not path.startswith(PREFIX):
            return False
        route = self._route(path[len(PREFIX):])
        try:
            self._authenticate(body, route[1] if route else None)
        except Refusal:
            return False
        return True

    @staticmethod
    def decode_logs(body: bytes) -> DecodedLogs:
        """A ``newlogs`` upload's payload and its log entries, or the refusal they earn: the costly part of answering
        it, made without the controller's state, so that a server can run it on another thread."""
        payload = open_envelope(body).payload
        try:
            return payload, telemetry.newlog_entries(payload)
        except Refusal as refusal:
            return payload, refusal

    # ----------------------------------------------------------------- live feeds (Adam's X-Stream)

    def listen(self, kind: SeriesKind, uuid: str, listener: Listener) -> Callable[[], None]:
        """Call ``listener(item)`` for each ``kind`` item stored for device ``uuid`` from now on, once its
        request has committed; returns the function that stops it. Kinds: those of ``Store.series``."""
        check_kind(kind)
        self._listeners.setdefault((kind, uuid), []).append(listener)
        return lambda: self._drop(kind, uuid, listener)

    def _drop(self, kind: SeriesKind, uuid: str, listener: Listener) -> None:
        listeners = self._listeners.get((kind, uuid), [])
        if listener in listeners:
            listeners.remove(listener)
        if not listeners:
            self._listeners.pop((kind, uuid), None)

    def _stored(self, kind: SeriesKind, uuid: str, item: Item) -> None:
        if (kind, uuid) in self._listeners:
            self._pending.append((kind, uuid, item))

    def _deliver(self) -> None:
        """Hand committed items to their listeners; a listener that raises is dropped (a reader's
        failure never fails a device's request)."""
        pending, self._pending = self._pending, []
        for kind, uuid, item in pending:
            for listener in list(self._listeners.get((kind, uuid), ())):
                try:
                    listener(item)
                except Exception:
                    self._drop(kind, uuid, listener)

    def _route(self, rest: str) -> tuple[Callable[..., Reply], str | None, str] | None:
        parts = rest.split("/")
        if parts[0] == "id" and len(parts) >= 3:
            path_uuid, action = parts[1], parts[2:]
        elif parts[0] == "apps":
            path_uuid, action = None, parts
        else:
            return None
        if len(action) == 1 and path_uuid is not None:
            handler = self._routes.get(action[0])
            return (handler, path_uuid, "") if handler else None
        if len(action) == 4 and action[:2] == ["apps", "instanceid"] and action[2]:
            if action[3] == "newlogs":
                return self._app_newlogs, path_uuid, action[2]
            if action[3] == "logs":
                return self._app_logs, path_uuid, action[2]
        return None

    def _check_post(self, body: bytes, headers: Mapping[str, str] | None) -> None:
        if len(body) > self.max_body:
            raise Refusal(413, f"request body exceeds {self.max_body} bytes")
        if headers is None:
            return
        if not is_proto(_header(headers, "content-type")):
            raise Refusal(415, f"POST bodies must be {PROTO}")

    def _authenticate(self, body: bytes, path_uuid: str | None) -> tuple[_Device, Envelope]:
        envelope = _open(body)
        device = self._by_hash.get(envelope.sender_cert_hash)
        if device is None:
            raise Refusal(self.policy.unknown_device_status, "unknown sender certificate")
        if self._full and not verify_signature(device.public_key, envelope.payload, envelope.signature):
            raise Refusal(401, "envelope signature does not verify")
        if path_uuid is not None and path_uuid != device.uuid:
            raise Refusal(403, "the UUID in the path is not the sender's")
        return device, envelope

    def _signed(self, status: int, payload: bytes) -> Reply:
        signature = sign_raw(self._signing_key, payload) if self._full else ZERO_SIGNATURE
        return Reply(status, seal(payload, signature, self._signing_hash), PROTO)

    def _log_request(self, uuid: str, method: str, path: str, status: int) -> None:
        """Keep the request record: "METHOD STATUS", then " CLIENT" when the request's sender address is known."""
        tag = self._request_tags.get((method, status))
        if tag is None:
            tag = self._request_tags[(method, status)] = f"{method} {status}".encode()
        item = Item(self._clock(), path, tag + f" {self._client}".encode() if self._client else tag)
        self.store.append("requests", uuid, item)
        if self._listeners:
            self._stored("requests", uuid, item)

    def _certs(self, method: str, body: bytes, headers: Mapping[str, str] | None) -> Reply:
        return self._certs_reply if method in ("GET", "POST") else _NOT_ALLOWED

    def _ping(self, method: str, body: bytes, headers: Mapping[str, str] | None) -> Reply:
        return OK if method == "GET" else _NOT_ALLOWED

    def _register(self, method: str, body: bytes, headers: Mapping[str, str] | None) -> Reply:
        if method != "POST":
            return _NOT_ALLOWED
        self._check_post(body, headers)
        envelope = _open(body)
        onboard_cert = _sender_cert(envelope)
        if self._full and not verify_signature(onboard_cert.public_key(), envelope.payload, envelope.signature):
            raise Refusal(401, "register envelope signature does not verify with senderCert")
        msg = telemetry.parse(pb.register.ZRegisterMsg, envelope.payload, UNPROCESSABLE_REGISTER)
        entry = self._onboard.get(der_hash(onboard_cert))
        if entry is None:
            raise Refusal(403, "onboarding certificate is not on the allow-list")
        serial = _allowed_serial(entry, msg)
        if serial is None:
            raise Refusal(403, "serial is not allowed for this onboarding certificate")
        device_cert = _device_cert(msg.pemCert)
        cert_hash = der_hash(device_cert)
        known = self._by_hash.get(cert_hash)
        # an empty serial (a "*" entry lets a device send none) names no device, unless the policy says (Adam)
        identity = serial or self.policy.empty_serial_is_identity
        used = self._by_serial.get((entry.cn, serial)) if identity else None
        if used is not None and (known is None or not self.policy.repeat_register_ok):
            raise Refusal(409, "this onboarding certificate and serial are already registered")
        if known is not None:
            status = 200 if known.uuid == used else self.policy.known_cert_register_status
            if status >= 400:
                raise _failure(status, "device certificate already registered")
            return OK if status == 200 else Reply(status)
        with self._transaction:
            uuid = self._new_device(device_cert, cert_hash, entry.cn, serial)
            self._log_request(uuid, method, PREFIX + "register", 201)
        return CREATED

    def _uuid(self, method: str, body: bytes, headers: Mapping[str, str] | None) -> Reply:
        if method != "POST":
            return _NOT_ALLOWED
        self._check_post(body, headers)
        device, envelope = self._authenticate(body, None)
        telemetry.parse(pb.uuid.UuidRequest, envelope.payload)
        config = self.config(device.uuid)
        answer = pb.uuid.UuidResponse(
            uuid=device.uuid,
            manufacturer=config.manufacturer or self.policy.manufacturer,
            product_name=config.productName or self.policy.product_name,
        )
        with self.store.transaction():
            self._log_request(device.uuid, method, PREFIX + "uuid", 200)
        return self._signed(200, answer.SerializeToString())

    def _config(self, device: _Device, payload: bytes, app: str) -> Reply:
        request = telemetry.parse(pb.config.ConfigRequest, payload)
        if not device.version:
            return _NO_CONFIG
        if self.policy.require_integrity_token and (not device.token or request.integrity_token != device.token):
            raise Refusal(403, "integrity token mismatch: attest first")
        if request.configHash == device.config_hash:
            return NOT_MODIFIED
        if device.config_reply is None:
            current = self.store.current_config(device.uuid)
            assert current is not None, "a device with a config version has a config"
            answer = pb.config.ConfigResponse(configHash=device.config_hash)
            answer.config.ParseFromString(current.data)
            device.config_reply = self._signed(200, answer.SerializeToString(deterministic=True))
        return device.config_reply

    def _attest(self, device: _Device, payload: bytes, app: str) -> Reply:
        request = telemetry.parse(pb.attest.ZAttestReq, payload)
        state = self.store.get_attestation(device.uuid)
        answer, new_state = attestation.step(request, state, self.policy,
                                              lambda size: self._draw(device.uuid, size), self._templates)
        if new_state != state:
            self.store.put_attestation(device.uuid, new_state)
            self._transaction.then(lambda: setattr(device, "token", new_state.token))
        return self._signed(201, answer.SerializeToString())

    def _info(self, device: _Device, payload: bytes, app: str) -> Reply:
        item = telemetry.info_item(payload, device.uuid, self._clock())
        self.store.put_info(device.uuid, item)
        if self._listeners:
            self._stored("info", device.uuid, item)
        return CREATED

    def _metrics(self, device: _Device, payload: bytes, app: str) -> Reply:
        return self._append("metrics", device, [telemetry.raw_item(pb.metrics.ZMetricMsg, payload, self._clock())])

    def _logs(self, device: _Device, payload: bytes, app: str) -> Reply:
        return self._append("logs", device, telemetry.bundle_items(payload, self._clock()))

    def _newlogs(self, device: _Device, payload: bytes, app: str) -> Reply:
        return self._append("logs", device, self._log_items(payload, ""))

    def _app_logs(self, device: _Device, payload: bytes, app: str) -> Reply:
        return self._append("applogs", device, telemetry.bundle_items(payload, self._clock(), app, app=True))

    def _app_newlogs(self, device: _Device, payload: bytes, app: str) -> Reply:
        return self._append("applogs", device, self._log_items(payload, app))

    def _log_items(self, payload: bytes, key: str) -> list[Item]:
        """A ``newlogs`` upload's items, from what ``decode_logs`` made in advance when it is this payload's."""
        decoded = self._decoded
        entries = decoded[1] if decoded is not None and decoded[0] == payload else telemetry.newlog_entries(payload)
        if isinstance(entries, Refusal):
            raise entries
        at = self._clock()
        return [Item(at, key, entry) for entry in entries]

    def _flowlog(self, device: _Device, payload: bytes, app: str) -> Reply:
        return self._append("flowlog", device, [telemetry.raw_item(pb.flowlog.FlowMessage, payload, self._clock())])

    def _hardwarehealth(self, device: _Device, payload: bytes, app: str) -> Reply:
        item = telemetry.raw_item(pb.hardwarehealth.ZHardwareHealth, payload, self._clock())
        return self._append("hardwarehealth", device, [item])

    def _append(self, kind: SeriesKind, device: _Device, items: list[Item]) -> Reply:
        for item in items:
            self.store.append(kind, device.uuid, item)
            if self._listeners:
                self._stored(kind, device.uuid, item)
        return CREATED

    def _draw(self, key: str, size: int) -> bytes:
        """``size`` random bytes for ``key`` (a device): from the keyed source when there is one, so that what one
        device draws never depends on what others drew before it; else from the controller's stream."""
        if self._keyed is None:
            return self._rng.getrandbits(8 * size).to_bytes(size, "big")
        count = self._drawn[key] = self._drawn.get(key, 0) + 1
        data = self._keyed(f"{key}#{count}")
        if len(data) < size:
            raise ValueError(f"the keyed source gives {len(data)} bytes, {size} asked")
        return data[:size]

    def _new_uuid(self, key: str) -> str:
        return str(uuidlib.UUID(bytes=self._draw(key, 16), version=4))

    # ----------------------------------------------------------------- onboarding and devices

    def onboard_add(self, cert_pem: bytes, serials: list[str] | tuple[str, ...] = ("*",)) -> OnboardEntry:
        """Put an onboarding cert on the allow-list (keyed by its CN) for ``serials`` (``*`` = any)."""
        cert = _given_cert(cert_pem)
        _check_serials(serials)
        entry = OnboardEntry(cn=_common_name(cert), cert_pem=bytes(cert_pem), serials=tuple(serials))
        with self._transaction:
            self._put_onboard(entry, cert)
        return entry

    def onboard_list(self) -> list[OnboardEntry]:
        """The allow-list, in the order entries were first added."""
        return self.store.list_onboard()

    def onboard_get(self, cn: str) -> OnboardEntry | None:
        """The allow-list entry with this CN."""
        return self.store.get_onboard(cn)

    def onboard_remove(self, cn: str) -> bool:
        """Take an onboarding cert off the allow-list; registered devices stay."""
        entry = self.store.get_onboard(cn)
        if entry is None:
            return False
        with self.store.transaction():
            self.store.remove_onboard(cn)
        self._onboard.pop(der_hash(load_cert(entry.cert_pem)), None)
        return True

    def device_add(self, cert_pem: bytes, *, onboard_pem: bytes = b"", serial: str = "") -> str:
        """Register a device directly by its device cert (pre-provisioning); returns its new UUID.

        With ``onboard_pem`` that onboarding cert is also allowed for ``serial`` (``*`` if empty): added if
        its CN is new, else the serial joins the entry's serials. Nothing changes when any part is refused.
        """
        cert = _given_cert(cert_pem)
        cert_hash = der_hash(cert)
        if cert_hash in self._by_hash:
            raise ConfigError(f"device certificate already registered as {self._by_hash[cert_hash].uuid}")
        if not onboard_pem:
            with self._transaction:
                return self._new_device(cert, cert_hash, "", serial)
        onboard_cert = _given_cert(onboard_pem)
        entry = self._allowing(onboard_cert, bytes(onboard_pem), serial or "*")
        with self._transaction:
            self._put_onboard(entry, onboard_cert)
            return self._new_device(cert, cert_hash, entry.cn, serial)

    def _allowing(self, cert: x509.Certificate, cert_pem: bytes, serial: str) -> OnboardEntry:
        """The allow-list entry for ``cert`` once ``serial`` is allowed too (a ``*`` entry stays as it is)."""
        _check_serials([serial])
        cn = _common_name(cert)
        old = self.store.get_onboard(cn)
        if old is None:
            return OnboardEntry(cn=cn, cert_pem=cert_pem, serials=(serial,))
        if der_hash(load_cert(old.cert_pem)) != der_hash(cert):
            raise ConfigError(f"another onboarding certificate with CN {cn} is on the allow-list")
        if "*" in old.serials or serial in old.serials:
            return old
        return OnboardEntry(cn=cn, cert_pem=old.cert_pem, serials=(*old.serials, serial))

    def _put_onboard(self, entry: OnboardEntry, cert: x509.Certificate) -> None:
        old = self.store.get_onboard(entry.cn)
        self.store.put_onboard(entry)
        self._transaction.then(lambda: self._allow(old, entry, cert))

    def _allow(self, old: OnboardEntry | None, entry: OnboardEntry, cert: x509.Certificate) -> None:
        if old is not None:
            self._onboard.pop(der_hash(load_cert(old.cert_pem)), None)
        self._onboard[der_hash(cert)] = entry

    def device_uuids(self) -> list[str]:
        """Every registered device's UUID, in registration order."""
        return [record.uuid for record in self.store.list_devices()]

    def device(self, dev_uuid: str) -> DeviceRecord:
        """A registered device; raises ``UnknownDevice``."""
        record = self.store.get_device(dev_uuid)
        if record is None:
            raise UnknownDevice(dev_uuid)
        return record

    def remove_device(self, dev_uuid: str) -> bool:
        """Forget a device and everything stored about it."""
        record = self.store.get_device(dev_uuid)
        if record is None:
            return False
        with self.store.transaction():
            self.store.remove_device(dev_uuid)
        self._by_uuid.pop(dev_uuid, None)
        self._by_serial.pop((record.onboard_cn, record.serial), None)
        for digest in (record.cert_hash, truncate(record.cert_hash, _SHA256_16)):
            self._by_hash.pop(digest, None)
        return True

    def attestation(self, dev_uuid: str) -> Attestation:
        """A device's attestation state (nonce, integrity token, certs, escrowed keys)."""
        self._cached(dev_uuid)
        return self.store.get_attestation(dev_uuid)

    def set_attestation_secrets(self, dev_uuid: str, nonce: bytes, token: bytes) -> None:
        """Replace a device's attestation nonce and integrity token (Adam's device options PUT); an empty token
        makes the device attest again at its next config request."""
        device = self._cached(dev_uuid)
        state = replace(self.store.get_attestation(dev_uuid), nonce=nonce, token=token)
        with self.store.transaction():
            self.store.put_attestation(dev_uuid, state)
        device.token = token

    def global_options(self) -> bytes | None:
        """Adam's global options (JSON) as last set, None if never set."""
        return self.store.get_setting(GLOBAL_OPTIONS)

    def set_global_options(self, raw: bytes) -> None:
        """Set Adam's global options (JSON of ``GlobalOptionsIn``): PCR templates quotes must match, if enforced.

        Raises pydantic's ``ValidationError`` for a body that is not such JSON; nothing changes then.
        """
        templates = GlobalOptionsIn.model_validate_json(raw).templates()
        with self.store.transaction():
            self.store.put_setting(GLOBAL_OPTIONS, raw)
        self._templates = templates

    def latest_device_info(self, dev_uuid: str) -> pb.info.ZInfoDevice | None:
        """The device's last reported ``ZInfoDevice``, if any.

        Parsed once per stored report and shared between calls until the next one: read it, do not change it.
        """
        device = self._cached(dev_uuid)
        item = self.store.latest_info_item(dev_uuid, f"ZiDevice/{dev_uuid}")
        if item is None:
            return None
        if device.info is None or device.info[0] != item:
            device.info = (item, pb.info.ZInfoMsg.FromString(item.data).dinfo)
        return device.info[1]

    def _new_device(self, cert: x509.Certificate, cert_hash: bytes, onboard_cn: str, serial: str) -> str:
        uuid = self._new_uuid(cert_hash.hex())
        record = DeviceRecord(uuid, cert_pem(cert), cert_hash, onboard_cn, serial)
        self.store.add_device(record)
        device = self._remember(record, b"")
        if self.policy.initial_config:
            self._commit(device, devconfig.default_config(uuid, self.policy.default_config_items), 1, 0)
        return uuid

    def _remember(self, record: DeviceRecord, token: bytes) -> _Device:
        """The device's in-memory record, indexed once the store has committed it."""
        device = _Device(record.uuid, load_cert(record.cert_pem).public_key(), token)
        self._transaction.then(lambda: self._index(record, device))
        return device

    def _index(self, record: DeviceRecord, device: _Device) -> None:
        self._by_uuid[record.uuid] = device
        self._by_hash[record.cert_hash] = device
        self._by_hash[truncate(record.cert_hash, _SHA256_16)] = device
        if record.serial or (record.onboard_cn and self.policy.empty_serial_is_identity):
            self._by_serial[(record.onboard_cn, record.serial)] = record.uuid

    def _load(self) -> None:
        options = self.store.get_setting(GLOBAL_OPTIONS)
        self._templates = GlobalOptionsIn.model_validate_json(options).templates() if options else NO_TEMPLATES
        for entry in self.store.list_onboard():
            self._onboard[der_hash(load_cert(entry.cert_pem))] = entry
        for record in self.store.list_devices():
            device = self._remember(record, self.store.get_attestation(record.uuid).token)
            current = self.store.current_config(record.uuid)
            if current is not None:
                device.config_hash, device.version = devconfig.config_hash(current.data), current.version

    # ----------------------------------------------------------------- config editing

    def config(self, dev_uuid: str) -> pb.config.EdgeDevConfig:
        """A copy of the device's current config."""
        self._cached(dev_uuid)
        current = self.store.current_config(dev_uuid)
        return pb.config.EdgeDevConfig.FromString(current.data) if current else pb.config.EdgeDevConfig()

    def config_version(self, dev_uuid: str) -> int:
        """The device's current config version."""
        return self._cached(dev_uuid).version

    def set_config(self, dev_uuid: str, config: pb.config.EdgeDevConfig) -> int:
        """Replace the whole config (Adam's ``PUT .../config``); id and version are set by the controller."""
        if config.id.uuid and config.id.uuid != dev_uuid:
            raise ConfigError(f"config is for device {config.id.uuid}, not {dev_uuid}")
        devconfig.check_ids(config)
        replacement = pb.config.EdgeDevConfig()
        replacement.CopyFrom(config)
        return self._edit(dev_uuid, lambda current: current.CopyFrom(replacement))

    def set_base_os(
        self, dev_uuid: str, version: str, *, url: str, sha256: str, size_bytes: int, activate: bool = True
    ) -> int:
        """Point the device at base OS ``version`` (image at ``url``); returns the new config version."""
        return self._edit(
            dev_uuid,
            lambda c: devconfig.set_base_os(
                c, version, url=url, sha256=sha256, size_bytes=size_bytes, activate=activate
            ),
        )

    def retry_update(self, dev_uuid: str, counter: int | None = None) -> int:
        """Bump ``baseos.retry_update.counter`` so the device retries a failed update (or set it to ``counter``)."""
        return self._edit(dev_uuid, lambda c: devconfig.retry_update(c, counter))

    def set_config_items(self, dev_uuid: str, items: Mapping[str, str | None]) -> int:
        """Set config items; a None value removes the key."""
        return self._edit(dev_uuid, lambda c: devconfig.set_config_items(c, items))

    def set_ports(self, dev_uuid: str, ports: Sequence[netconfig.NetPort]) -> int:
        """Replace the device's network ports (its ``systemAdapterList`` and what it names)."""

        def edit(config: pb.config.EdgeDevConfig) -> None:
            try:
                netconfig.set_ports(config, dev_uuid, ports)
            except ValueError as exc:
                raise ConfigError(str(exc)) from None

        return self._edit(dev_uuid, edit)

    def reboot(self, dev_uuid: str) -> int:
        """Ask the device to reboot (bumps the reboot command counter)."""
        return self._edit(dev_uuid, lambda c: devconfig.bump(c.reboot))

    def shutdown(self, dev_uuid: str) -> int:
        """Ask the device to shut down its apps (bumps the shutdown command counter)."""
        return self._edit(dev_uuid, lambda c: devconfig.bump(c.shutdown))

    def set_app(
        self,
        dev_uuid: str,
        name: str,
        *,
        app_uuid: str | None = None,
        image_url: str = DEFAULT_APP_IMAGE,
        sha256: str = "",
        activate: bool = True,
        memory_kb: int = defaults.APP_MEMORY_KB,
        vcpus: int = defaults.APP_VCPUS,
        size_bytes: int = 0,
        interfaces: Sequence[appnet.Interface] = (),
    ) -> int:
        """Add or update app ``name`` (found by ``app_uuid`` or name; a new one gets a fresh UUID), with its
        interfaces on the config's network instances."""
        config = self.config(dev_uuid)
        if app_uuid is not None:
            app_uuid = devconfig.normal_uuid(app_uuid)
        existing = devconfig.find_app(config, app_uuid or name)
        if app_uuid is None:
            app_uuid = (
                existing.uuidandversion.uuid
                if existing
                else self._new_uuid(f"{dev_uuid}/app/{name}")
            )
        def edit(c: pb.config.EdgeDevConfig) -> None:
            devconfig.set_app(c, name, app_uuid, image_url=image_url, sha256=sha256, activate=activate,
                              memory_kb=memory_kb, vcpus=vcpus, size_bytes=size_bytes)
            app = devconfig.find_app(c, app_uuid)
            if app is not None and (interfaces or app.interfaces):
                appnet.set_interfaces(c, app, interfaces)

        return self._edit(dev_uuid, edit)

    def set_network_instance(self, dev_uuid: str, ni: appnet.NetworkInstance) -> int:
        """Add or update network instance ``ni`` (by name; a new one gets a fresh UUID)."""
        config = self.config(dev_uuid)
        ni_uuid = appnet.instance_uuid(config, ni.name) or self._new_uuid(f"{dev_uuid}/ni/{ni.name}")
        return self._edit(dev_uuid, lambda c: appnet.set_network_instance(c, ni, ni_uuid))

    def app_command(self, dev_uuid: str, app_uuid: str, command: str) -> int:
        """``restart`` or ``purge`` an app (bumps its command counter)."""
        return self._edit(dev_uuid, lambda c: devconfig.app_command(c, app_uuid, command))

    def remove_app(self, dev_uuid: str, app_uuid: str) -> int:
        """Remove an app with its root volume."""
        return self._edit(dev_uuid, lambda c: devconfig.remove_app(c, app_uuid))

    def _cached(self, dev_uuid: str) -> _Device:
        device = self._by_uuid.get(dev_uuid)
        if device is None:
            raise UnknownDevice(dev_uuid)
        return device

    def _edit(self, dev_uuid: str, change: Callable[[pb.config.EdgeDevConfig], None]) -> int:
        device = self._cached(dev_uuid)
        config = self.config(dev_uuid)
        previous_ns = config.config_timestamp.seconds * 1_000_000_000 + config.config_timestamp.nanos
        change(config)
        with self._transaction:
            self._commit(device, config, device.version + 1, previous_ns)
        return device.version

    def _commit(self, device: _Device, config: pb.config.EdgeDevConfig, version: int, previous_ns: int) -> None:
        at_ns = max(int(self._clock() * 1_000_000_000), previous_ns + 1)
        data = devconfig.stamp(config, device.uuid, version, at_ns, self._cert_config_hash)
        self.store.put_config(device.uuid, ConfigVersion(version, at_ns / 1e9, data))
        self._transaction.then(lambda: _set_config(device, devconfig.config_hash(data), version))


class Transaction:
    """A store transaction (reentrant) that applies the in-memory changes queued with ``then`` only once the
    outermost block has committed, so that a failed commit leaves memory as the store is."""

    __slots__ = ("_store", "_open", "_changes")

    def __init__(self, store: Store) -> None:
        self._store = store
        self._open: list[AbstractContextManager[None]] = []
        self._changes: list[Callable[[], None]] = []

    def then(self, change: Callable[[], None]) -> None:
        """Apply ``change`` when the transaction commits (at once outside a transaction)."""
        if self._open:
            self._changes.append(change)
        else:
            change()

    def __enter__(self) -> None:
        tx = self._store.transaction()
        tx.__enter__()
        self._open.append(tx)

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        tx = self._open.pop()
        try:
            tx.__exit__(kind, exc, tb)
        except BaseException:
            self._changes.clear()
            raise
        if kind is not None and not self._open:
            self._changes.clear()
        elif not self._open and self._changes:
            changes, self._changes = self._changes, []
            for change in changes:
                change()


def _set_config(device: _Device, config_hash: str, version: int) -> None:
    device.config_hash, device.config_reply, device.version = config_hash, None, version


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        value = next((v for k, v in headers.items() if k.lower() == name), None)
    return value


def _failure(status: int, message: str) -> Refusal:
    """A refusal with any status (``Refusal`` is for 4xx; the ``adam`` policy also answers 500)."""
    refusal = Refusal(400, message)
    refusal.status = status
    refusal.reply = Reply(status, message.encode(), "text/plain")
    return refusal


def _open(body: bytes) -> Envelope:
    try:
        return open_envelope(body)
    except EnvelopeError as exc:
        raise Refusal(400, f"malformed AuthContainer: {exc}") from exc


def _sender_cert(envelope: Envelope) -> x509.Certificate:
    if not envelope.sender_cert:
        raise Refusal(400, "register envelope carries no senderCert")
    try:
        return load_cert(envelope.sender_cert_pem())
    except (EnvelopeError, CertError) as exc:
        raise Refusal(400, f"senderCert is not a base64 PEM certificate: {exc}") from exc


def _device_cert(pem_cert: bytes) -> x509.Certificate:
    """The device cert from ``ZRegisterMsg.pemCert``: base64 of PEM as EVE sends it, or raw PEM."""
    try:
        return load_cert(pem_from_text(pem_cert))
    except CertError as exc:
        raise Refusal(UNPROCESSABLE_REGISTER, "pemCert is not a (base64) PEM certificate") from exc


def _given_cert(cert_pem: bytes) -> x509.Certificate:
    """A certificate handed to an admin call; ``ConfigError`` if it is not one."""
    try:
        return load_cert(cert_pem)
    except CertError as exc:
        raise ConfigError(str(exc)) from exc


def _check_serials(serials: list[str] | tuple[str, ...]) -> None:
    """A list of single-line serials; ``[""]`` is Adam's entry for no serial, which no device matches."""
    if not serials or not all(isinstance(s, str) and "\n" not in s for s in serials):
        raise ConfigError("serials must be a non-empty list of single-line strings")
    if "" in serials and len(serials) > 1:
        raise ConfigError("an empty serial only stands alone (Adam's entry for no serial)")


def _allowed_serial(entry: OnboardEntry, msg: pb.register.ZRegisterMsg) -> str | None:
    """The first of ``serial`` and ``softSerial`` the entry allows (``*`` allows any)."""
    for serial in (msg.serial, msg.softSerial):
        if "*" in entry.serials or (serial and serial in entry.serials):
            return serial
    return None


def _common_name(cert: x509.Certificate) -> str:
    """An onboarding cert's key on the allow-list: its CN (its hash if it has none); one printable line."""
    names = cert.subject.get_attributes_for_oid(x509.oid.NameOID.COMMON_NAME)
    cn = str(names[0].value) if names else der_hash(cert).hex()
    if any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in cn):
        raise ConfigError(f"onboarding certificate CN {cn!r} has control characters or line breaks: "
                          "it could not be listed")
    return cn
