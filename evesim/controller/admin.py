"""Admin API under ``/admin``: Adam's paths and JSON shapes, the admin gate on every call, typed config edits.

Routes and the auth dependency are ``async`` so they run on the event loop, the one thread that
calls the controller. Lists (onboard CNs, device UUIDs) are text, one per line; info, metrics, logs and requests are
newline-separated JSON, as Adam serves them; with ``X-Stream: true`` the series routes stream new
items live, as Adam does.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import math
import uuid as uuidlib
import weakref
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Annotated, Any, Literal, TypeVar, cast

from fastapi import APIRouter, Depends, FastAPI, Header, HTTPException, Path, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import PlainTextResponse, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from google.protobuf import json_format
from google.protobuf.message import DecodeError, Message
from pydantic import AfterValidator, AliasChoices, BaseModel, ConfigDict, Field, ValidationError

from evesim.api import defaults, pb
from evesim.api.certs import CertError, pem_from_text
from evesim.controller import adam, appnet, netconfig
from evesim.controller.adminauth import AdminGate
from evesim.controller.core import Controller, UnknownDevice
from evesim.controller.devconfig import (
    DEFAULT_APP_IMAGE,
    UINT32_MAX,
    UINT64_MAX,
    AppCommand,
    ConfigError,
    config_hash,
    find_app,
)
from evesim.controller.fleetpage import add_data_routes
from evesim.controller.fleetview import ControllerSource
from evesim.controller.reply import PROTO, is_proto
from evesim.controller.rollout import Campaign, Plan, RolloutConflict, UnknownRollout, stages
from evesim.controller.stores import Item, Limits, OnboardEntry, SeriesKind, StoreError
from evesim.controller.stores.base import OBJECTS, UNBOUNDED

M = TypeVar("M", bound=BaseModel)
NDJSON = "application/x-ndjson"
STREAM_VALUE = "true"
STREAM_BACKLOG = 100
"""Items a live reader may fall behind by before it loses new ones (Adam's channel size)."""
StreamHeader = Annotated[str | None, Header(alias="X-Stream", description="true: stream new items live, as Adam")]
_bearer = HTTPBearer(auto_error=False, description="The admin token (DIR/admin-token when served with "
                     "--admin-auth token).")


def _unicode(value: str) -> str:
    """Refuse text JSON can carry but UTF-8 cannot (a lone surrogate such as ``"\\ud800"``)."""
    try:
        value.encode()
    except UnicodeEncodeError:
        raise ValueError("text must be valid Unicode (it has a lone surrogate)") from None
    return value


Text = Annotated[str, AfterValidator(_unicode)]
Size = Annotated[int, Field(ge=0, le=UINT64_MAX, description="bytes, 0 to 2^64-1")]
Count = Annotated[int, Field(ge=1, le=UINT32_MAX)]


class _In(BaseModel):
    """An admin request body: numbers are numbers and flags are booleans (no coercion between them)."""

    model_config = ConfigDict(strict=True)


class OnboardIn(_In):
    """Adam's onboard body: ``Cert`` is the PEM (base64 of its bytes, as Go encodes []byte, or plain); no ``Serial``
    is Adam's empty serial, which no device matches."""

    Cert: Text
    Serial: Text = ""


class DeviceIn(_In):
    """Adam's device body: device cert, optional onboarding cert (then also allowed for ``Serial``) and serial.

    ``Onboard`` may be null: Go marshals an unset []byte so (``adam admin device add`` sends it).
    """

    Cert: Text
    Onboard: Text | None = ""
    Serial: Text = ""


class BaseOsIn(_In):
    """Base OS image to run (the image is checked by ``devconfig.check_image``: 400 when refused)."""

    version: Text
    url: Text = Field(description="http(s)://, docker:// or oci://host/path")
    sha256: Text = Field(description="64 lowercase hex digits")
    size_bytes: Size
    activate: bool = True


class ConfigItemsIn(_In):
    """Config items to set; null removes a key."""

    items: dict[Text, Text | None]


class PortIn(_In):
    """One network port: its interface name, management use, cost (0 is free; EVE uses costlier ports only when the
    cheaper fail) and addressing; ``adapter`` false leaves its ``deviceIoList`` entry out."""

    name: Text
    mgmt: bool = True
    cost: int = Field(0, ge=0, le=255)
    addressing: Literal["dhcp", "static", "none"] = "dhcp"
    adapter: bool = True
    proxy: Text = Field("", description="An HTTPS proxy for the port, host:port")
    exceptions: Text = Field("", description="Hosts reached without the proxy, comma-separated")
    address: Text = Field("", description="A static port's IPv4 address")
    subnet: Text = Field("", description="A static port's subnet, e.g. 192.168.1.0/24")
    gateway: Text = Field("", description="A static port's gateway")
    dns: list[Text] = Field(default_factory=list, max_length=8, description="A static port's DNS servers")
    proxy_cert: str = Field("", max_length=65536,
                            description="PEM of the CA a TLS-inspecting proxy re-signs with (EVE's proxyCertPEM)")
    pac: str = Field("", max_length=65536, description="A proxy auto-configuration file (JavaScript)")
    wpad: bool = Field(False, description="Find the PAC file by WPAD (EVE's networkProxyEnable)")
    wpad_url: Text = Field("", description="Fetch the PAC file from this URL (EVE's networkProxyURL)")


class PortsIn(_In):
    """The device's network ports, replacing those of its config (EVE tests the new set and falls back if it
    cannot reach the controller over it)."""

    ports: list[PortIn] = Field(min_length=1, max_length=32)


class RuleIn(_In):
    """One firewall rule of an app interface (EVE's ACE): its matches all hold; it allows, drops, or maps ``lport``
    of the device's ports to the app's ``portmap`` port."""

    ip: Text | None = None
    host: Text | None = None
    protocol: Literal["tcp", "udp", "icmp", "all"] | None = None
    fport: int | None = Field(None, ge=1, le=65535)
    lport: int | None = Field(None, ge=1, le=65535)
    drop: bool = False
    portmap: int = Field(0, ge=0, le=65535)

    def rule(self) -> appnet.Rule:
        values = (("ip", self.ip), ("host", self.host), ("protocol", self.protocol), ("fport", self.fport),
                  ("lport", self.lport))
        return appnet.Rule(tuple((k, str(v)) for k, v in values if v is not None), self.drop, self.portmap)


class InterfaceIn(_In):
    """An app interface on a network instance of the device's config (by name), with its rules (none: EVE drops
    all its traffic)."""

    network: Text
    acl: list[RuleIn] = Field(default_factory=list, max_length=64)


class NetworkInstanceIn(_In):
    """A network instance: ``local`` (NAT, with an IPv4 ``subnet``) or ``switch`` (bridged onto ``port``)."""

    kind: Literal["local", "switch"] = "local"
    port: Text = Field("uplink", description="A port name, or EVE's label uplink, freeuplink or all")
    subnet: Text = ""
    flowlog: bool = True


class AppIn(_In):
    """An app with one root volume from ``image_url``, and its interfaces."""

    app_uuid: Text | None = None
    image_url: Text = DEFAULT_APP_IMAGE
    sha256: Text = ""
    activate: bool = True
    memory_kb: Count = defaults.APP_MEMORY_KB
    vcpus: Count = defaults.APP_VCPUS
    size_bytes: Size = 0
    interfaces: list[InterfaceIn] = Field(default_factory=list, max_length=8)


class RolloutIn(_In):
    """A rollout campaign: devices (UUIDs or "all"), the base OS, batching, waits, deadline, halting.

    The image is checked by the plan (``devconfig.check_image``): 400 when refused.
    """

    model_config = ConfigDict(extra="forbid")

    devices: list[Text] | Literal["all"]
    version: Text = Field(min_length=1)
    url: Text = Field(description="http(s)://, docker:// or oci://host/path")
    sha256: Text = Field(description="64 lowercase hex digits")
    size_bytes: Size = Field(validation_alias=AliasChoices("size_bytes", "size"))
    batch_size: Annotated[int, Field(ge=1)] | list[Annotated[int, Field(ge=1)]] | None = None
    batch_fraction: Annotated[float, Field(gt=0, le=1)] | list[Annotated[float, Field(gt=0, le=1)]] | None = None
    wait: float = Field(0.0, ge=0, allow_inf_nan=False, description="seconds between a batch settling and the next")
    deadline: float = Field(3600.0, gt=0, allow_inf_nan=False, description="seconds a batch may take")
    halt_failure_rate: float = Field(0.0, ge=0, le=1, description="halt when the failed fraction exceeds this")


def device_uuid(uuid: Annotated[str, Path(description="Device UUID")]) -> str:
    """The path's device UUID in canonical form; 400 if it is not a UUID, as Adam answers."""
    return _uuid(uuid)


def _uuid(value: str) -> str:
    try:
        return str(uuidlib.UUID(value))
    except ValueError:
        raise HTTPException(400, f"uuid: malformed UUID {value[:80]!r}") from None


DeviceId = Annotated[str, Depends(device_uuid)]


def _adam_body(model: type[M], body: bytes) -> M:
    """An Adam admin body: JSON whatever the Content-Type says (Eden posts devices as text/plain); 400 when it is
    not the expected JSON, as Adam answers."""
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        raise HTTPException(400, _finite(jsonable_encoder(exc.errors(include_url=False)))) from None


def _json_body(model: type[BaseModel]) -> dict[str, Any]:
    """OpenAPI for a route that reads ``model`` itself (nested models inlined: the document has no ``$defs``)."""
    schema = model.model_json_schema()
    schema = _inline(schema, schema.pop("$defs", {}))
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    """``node`` with each ``{"$ref": "#/$defs/X"}`` replaced by definition X."""
    if isinstance(node, dict):
        ref = node.get("$ref", "")
        if ref.startswith("#/$defs/"):
            return _inline(defs[ref.removeprefix("#/$defs/")], defs)
        return {key: _inline(value, defs) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline(value, defs) for value in node]
    return node


class VersionOut(BaseModel):
    """The config version an edit produced."""

    version: int


def admin_router(ctl: Controller, gate: AdminGate, streams: LiveStreams) -> APIRouter:
    """Every ``/admin`` route, guarded by ``gate``; ``streams`` holds the live responses."""

    async def authorize(request: Request,
                        credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> None:
        given = f"Bearer {credentials.credentials}" if credentials else None
        if not gate.admits(given, request.scope):
            raise HTTPException(401, gate.refusal, headers=gate.challenge)

    router = APIRouter(prefix="/admin", dependencies=[Depends(authorize)], tags=["admin"])
    _onboard_routes(router, ctl)
    _device_routes(router, ctl)
    _report_routes(router, ctl, streams)
    _options_routes(router, ctl)
    _edit_routes(router, ctl)
    _rollout_routes(router, ctl)
    add_data_routes(router, ControllerSource(ctl), threaded=False)
    return router


def install_error_handlers(app: FastAPI) -> None:
    """Map the controller's errors to 404 and 400 (bad edits, bad certificates) and a store that cannot write to 503;
    keep 422 answers valid JSON."""

    async def unknown(request: Request, exc: Exception) -> Response:
        return _error(404, f"unknown device {exc.args[0]}")

    async def invalid(request: Request, exc: Exception) -> Response:
        return _error(400, str(exc))

    async def unprocessable(request: Request, exc: Exception) -> Response:
        errors = exc.errors() if isinstance(exc, RequestValidationError) else []
        return _error(422, _finite(jsonable_encoder(errors)))

    async def unavailable(request: Request, exc: Exception) -> Response:
        return _error(503, f"{exc}; nothing was changed, try again")

    app.add_exception_handler(StoreError, unavailable)
    app.add_exception_handler(UnknownDevice, unknown)
    app.add_exception_handler(ConfigError, invalid)
    app.add_exception_handler(CertError, invalid)
    app.add_exception_handler(RequestValidationError, unprocessable)


def _error(status: int, detail: object) -> Response:
    """``{"detail": ...}`` as ASCII JSON, so that any text a request carried (even a lone surrogate) renders."""
    return Response(json.dumps({"detail": detail}, ensure_ascii=True), status_code=status,
                    media_type="application/json")


def _finite(value: object) -> object:
    """``value`` with every infinite or NaN float (JSON has none; Python's parser accepts them) as text."""
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, list):
        return [_finite(v) for v in value]
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    return value


def _onboard_routes(router: APIRouter, ctl: Controller) -> None:
    @router.get("/onboard", response_class=PlainTextResponse, summary="CNs on the onboarding allow-list")
    async def list_onboard() -> str:
        return _lines(entry.cn for entry in ctl.onboard_list())

    @router.post("/onboard", status_code=201, openapi_extra=_json_body(OnboardIn),
                 summary="Allow an onboarding cert for serials (comma-separated, * = any; replaces its serials)")
    async def add_onboard(request: Request) -> dict[str, str]:
        body = _adam_body(OnboardIn, await request.body())
        # Adam keeps "" when no serial is given (lf-edge/adam cmd/onboard.go sends Serial ""): a cert no serial matches
        serials = [s.strip() for s in body.Serial.split(",") if s.strip()] or [""]
        return {"cn": ctl.onboard_add(pem_from_text(body.Cert), serials).cn}

    @router.delete("/onboard", summary="Clear the onboarding allow-list")
    async def clear_onboard() -> dict[str, int]:
        return {"removed": sum(ctl.onboard_remove(entry.cn) for entry in ctl.onboard_list())}

    @router.get("/onboard/{cn:path}", summary="One onboarding cert and its serials (by CN or Adam's friendly CN)")
    async def get_onboard(cn: str) -> dict[str, str]:
        entry = _onboard_entry(ctl, cn)
        return {"Cert": base64.b64encode(entry.cert_pem).decode(), "Serial": ",".join(entry.serials)}

    @router.delete("/onboard/{cn:path}", summary="Remove an onboarding cert (by CN or Adam's friendly CN)")
    async def remove_onboard(cn: str) -> dict[str, str]:
        entry = _onboard_entry(ctl, cn)
        ctl.onboard_remove(entry.cn)
        return {"removed": entry.cn}


def _onboard_entry(ctl: Controller, cn: str) -> OnboardEntry:
    """The allow-list entry with this CN, or else the one whose friendly CN it is (what Adam's CLI sends); 404."""
    entry = ctl.onboard_get(cn) or next((e for e in ctl.onboard_list() if adam.friendly_cn(e.cn) == cn), None)
    if entry is None:
        raise HTTPException(404, f"no onboarding cert with CN {cn}")
    return entry


def _device_routes(router: APIRouter, ctl: Controller) -> None:
    @router.get("/device", response_class=PlainTextResponse, summary="UUIDs of registered devices")
    async def list_devices() -> str:
        return _lines(ctl.device_uuids())

    @router.post("/device", status_code=201, openapi_extra=_json_body(DeviceIn),
                 summary="Register a device directly by its device cert")
    async def add_device(request: Request) -> dict[str, str]:
        body = _adam_body(DeviceIn, await request.body())
        onboard = pem_from_text(body.Onboard) if body.Onboard else b""
        return {"uuid": ctl.device_add(pem_from_text(body.Cert), onboard_pem=onboard, serial=body.Serial)}

    @router.delete("/device", summary="Remove every device")
    async def clear_devices() -> dict[str, int]:
        return {"removed": sum(ctl.remove_device(uuid) for uuid in ctl.device_uuids())}

    @router.get("/device/{uuid}", summary="A device's cert, onboarding cert (null if none) and serial")
    async def get_device(uuid: DeviceId) -> dict[str, str | None]:
        record = ctl.device(uuid)
        entry = ctl.onboard_get(record.onboard_cn) if record.onboard_cn else None
        return {
            "Cert": base64.b64encode(record.cert_pem).decode(),
            "Onboard": base64.b64encode(entry.cert_pem).decode() if entry else None,
            "Serial": record.serial,
        }

    @router.delete("/device/{uuid}", summary="Forget a device and all it reported")
    async def remove_device(uuid: DeviceId) -> dict[str, str]:
        if not ctl.remove_device(uuid):
            raise UnknownDevice(uuid)
        return {"removed": uuid}

    @router.get("/device/{uuid}/config",
                summary="Current config as protojson on one line (as Adam), or protobuf when Accept asks for "
                "x-proto-binary only (404 if none is set yet)")
    async def get_config(uuid: DeviceId, accept: Annotated[str, Header()] = "") -> Response:
        config = ctl.config(uuid)
        if ctl.store.current_config(uuid) is None:
            raise HTTPException(404, f"no config set for device {uuid}")
        if adam.wants_proto(accept):
            return Response(config.SerializeToString(), media_type=PROTO)
        return Response(adam.protojson(config), media_type="application/json")

    @router.put("/device/{uuid}/config", summary="Replace the config (protojson, or protobuf with x-proto-binary)")
    async def put_config(uuid: DeviceId, request: Request) -> VersionOut:
        body = await request.body()
        config = _parse_config(body, request.headers.get("content-type", ""))
        return VersionOut(version=ctl.set_config(uuid, config))

    @router.get("/device/{uuid}/config/versions", summary="Kept config versions with their hashes")
    async def config_versions(uuid: DeviceId) -> list[dict[str, object]]:
        ctl.device(uuid)
        return [
            {"version": c.version, "at": c.at, "configHash": config_hash(c.data)}
            for c in ctl.store.config_history(uuid)
        ]


def _report_routes(router: APIRouter, ctl: Controller, streams: LiveStreams) -> None:
    def series(kind: SeriesKind, render: Callable[[Item], str], uuid: str, stream: str | None,
               key: str | None = None) -> Response:
        ctl.device(uuid)
        if stream == STREAM_VALUE:
            return _live(ctl, streams, kind, uuid, render, key)
        return Response(_lines(render(item) for item in ctl.store.series(kind, uuid, key)), media_type=NDJSON)

    @router.get("/device/{uuid}/info", summary="Kept info messages, oldest first (NDJSON; X-Stream: live)")
    async def info(uuid: DeviceId, stream: StreamHeader = None) -> Response:
        return series("info", _protojson(pb.info.ZInfoMsg), uuid, stream)

    @router.get("/device/{uuid}/info/latest", summary="The latest info message per object (NDJSON)")
    async def latest_info(uuid: DeviceId) -> Response:
        ctl.device(uuid)
        render = _protojson(pb.info.ZInfoMsg)
        return Response(_lines(render(item) for item in ctl.store.latest_info(uuid)), media_type=NDJSON)

    @router.get("/device/{uuid}/metrics", summary="Kept metrics, oldest first (NDJSON; X-Stream: live)")
    async def metrics(uuid: DeviceId, stream: StreamHeader = None) -> Response:
        return series("metrics", _protojson(pb.metrics.ZMetricMsg), uuid, stream)

    @router.get("/device/{uuid}/logs", summary="Kept device log entries (NDJSON; X-Stream: live)")
    async def logs(uuid: DeviceId, stream: StreamHeader = None) -> Response:
        return series("logs", _protojson(pb.logs.LogEntry), uuid, stream)

    @router.get("/device/{uuid}/app/{app}/logs", summary="Kept log entries of one app (NDJSON; X-Stream: live)")
    async def app_logs(uuid: DeviceId, app: str, stream: StreamHeader = None) -> Response:
        return series("applogs", _protojson(pb.logs.LogEntry), uuid, stream, _uuid(app))

    @router.get("/device/{uuid}/flowlogs", summary="Kept flow messages (NDJSON; X-Stream: live)")
    async def flowlogs(uuid: DeviceId, stream: StreamHeader = None) -> Response:
        return series("flowlog", _protojson(pb.flowlog.FlowMessage), uuid, stream)

    @router.get("/device/{uuid}/hardwarehealth", summary="Kept hardware health reports (NDJSON; X-Stream: live)")
    async def hardwarehealth(uuid: DeviceId, stream: StreamHeader = None) -> Response:
        return series("hardwarehealth", _protojson(pb.hardwarehealth.ZHardwareHealth), uuid, stream)

    @router.get("/device/{uuid}/requests",
                summary="Authenticated device requests as Adam's ApiRequest plus status (NDJSON; X-Stream: live)")
    async def requests(uuid: DeviceId, stream: StreamHeader = None) -> Response:
        return series("requests", lambda item: adam.request_record(item, uuid), uuid, stream)

    @router.get("/device/{uuid}/retention", summary="Per series (and info_objects, the latest-info table): items "
                "and bytes kept, dropped to stay within the limits, and the limits (null: none)")
    async def retention(uuid: DeviceId) -> dict[str, dict[str, int | None]]:
        ctl.device(uuid)
        limits = ctl.store.limits
        return {name: {"items": kept.items, "bytes": kept.bytes, "dropped_items": kept.dropped_items,
                       "dropped_bytes": kept.dropped_bytes, **_limits(limits, name)}
                for name, kept in ctl.store.retention(uuid).items()}

    @router.get("/device/{uuid}/certs", summary="The certificates of the device's last ATTEST_REQ_CERT, as Adam keeps "
                "them: {\"certs\": [ZCert]} in Go's JSON (404 until it sends them)")
    async def device_certs(uuid: DeviceId) -> Response:
        state = ctl.attestation(uuid)
        if not state.certs:
            raise HTTPException(404, f"device {uuid} has sent no attestation certificates yet")
        return Response(adam.certs_json(state.certs), media_type="application/json")


def _options_routes(router: APIRouter, ctl: Controller) -> None:
    @router.get("/device/{uuid}/options", summary="Adam's device options: nonce, integrity token, the last quote's "
                "PCR template, attested (404 until the device attests)")
    async def device_options(uuid: DeviceId) -> dict[str, object]:
        state = ctl.attestation(uuid)
        if not (state.nonce or state.token or state.quote):
            raise HTTPException(404, f"device {uuid} has not attested yet")
        return adam.device_options(state)

    @router.put("/device/{uuid}/options", openapi_extra=_json_body(adam.DeviceOptionsIn),
                summary="Set the device's nonce and integrity token (an empty token makes it attest again)")
    async def set_device_options(uuid: DeviceId, request: Request) -> Response:
        ctl.device(uuid)
        body = _adam_body(adam.DeviceOptionsIn, await request.body())
        ctl.set_attestation_secrets(uuid, adam.nonce_bytes(body.nonce), body.integrityToken.encode())
        return Response(status_code=200)

    @router.get("/options", summary="Adam's global options: enforce PCR templates in attestation, and the templates "
                "(404 until set)")
    async def global_options() -> Response:
        options = ctl.global_options()
        if options is None:
            raise HTTPException(404, "global options have not been set")
        return Response(options, media_type="application/json")

    @router.put("/options", openapi_extra=_json_body(adam.GlobalOptionsIn), summary="Set the global options")
    async def set_global_options(request: Request) -> Response:
        body = await request.body()
        _adam_body(adam.GlobalOptionsIn, body)
        ctl.set_global_options(body)
        return Response(status_code=200)


def _limits(limits: Limits, name: str) -> dict[str, int | None]:
    """A series' limits as the admin API shows them: a count that never binds is none."""
    if name == OBJECTS:
        return {"limit_items": limits.max_objects, "limit_bytes": None}
    kind = cast(SeriesKind, name)
    count = limits.of(kind)
    return {"limit_items": count if count < UNBOUNDED else None, "limit_bytes": limits.bytes_of(kind)}


class LiveStreams:
    """The open live (``X-Stream``) responses of an app, ended together when the server shuts down."""

    def __init__(self) -> None:
        self.ended = False
        self._queues: weakref.WeakSet[asyncio.Queue[Item | None]] = weakref.WeakSet()

    def add(self, queue: asyncio.Queue[Item | None]) -> None:
        """Follow ``queue``; ``None`` put in it ends its response."""
        self._queues.add(queue)
        if self.ended:
            queue.put_nowait(None)

    def end(self) -> None:
        """End every live response cleanly (their readers see a complete body), and any opened later."""
        self.ended = True
        for queue in list(self._queues):
            queue.put_nowait(None)


def _live(
    ctl: Controller, streams: LiveStreams, kind: SeriesKind, uuid: str, render: Callable[[Item], str],
    key: str | None
) -> StreamingResponse:
    """Adam's ``X-Stream: true``: items stored from now on, one JSON line each, until the reader leaves or the
    server shuts down.

    Like Adam, a reader more than ``STREAM_BACKLOG`` items behind loses the newest ones.
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[Item | None] = asyncio.Queue()  # unbounded so that the end always fits; offer bounds it
    alive = weakref.ref(queue)  # a response dropped before it streamed takes its queue, and so its feed, along

    def offer(item: Item) -> None:
        waiting = alive()
        if waiting is not None and (key is None or item.key == key) and waiting.qsize() < STREAM_BACKLOG:
            waiting.put_nowait(item)

    def listener(item: Item) -> None:
        if alive() is None or loop.is_closed():
            stop()
        else:
            loop.call_soon_threadsafe(offer, item)

    stop = ctl.listen(kind, uuid, listener)
    streams.add(queue)

    async def lines() -> AsyncIterator[str]:
        try:
            while (item := await queue.get()) is not None:
                yield render(item) + "\n"
        finally:
            stop()

    return StreamingResponse(lines(), media_type=NDJSON)


def _edit_routes(router: APIRouter, ctl: Controller) -> None:
    @router.put("/device/{uuid}/baseos", summary="Set the base OS image and version")
    async def set_base_os(uuid: DeviceId, body: BaseOsIn) -> VersionOut:
        version = ctl.set_base_os(
            uuid, body.version, url=body.url, sha256=body.sha256, size_bytes=body.size_bytes, activate=body.activate
        )
        return VersionOut(version=version)

    @router.post("/device/{uuid}/baseos/retry", summary="Retry a failed base OS update")
    async def retry_update(uuid: DeviceId) -> VersionOut:
        return VersionOut(version=ctl.retry_update(uuid))

    @router.put("/device/{uuid}/configitems", summary="Set config items (null removes)")
    async def set_config_items(uuid: DeviceId, body: ConfigItemsIn) -> VersionOut:
        return VersionOut(version=ctl.set_config_items(uuid, body.items))

    @router.get("/device/{uuid}/network", summary="The device's network ports")
    async def get_ports(uuid: DeviceId) -> PortsIn:
        ports = netconfig.ports_of(ctl.config(uuid))
        return PortsIn(ports=[PortIn(**{**dataclasses.asdict(p), "dns": list(p.dns)}) for p in ports])

    @router.put("/device/{uuid}/network", summary="Replace the device's network ports")
    async def set_ports(uuid: DeviceId, body: PortsIn) -> VersionOut:
        try:
            ports = [netconfig.NetPort(**{**p.model_dump(), "dns": tuple(p.dns)}) for p in body.ports]
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        return VersionOut(version=ctl.set_ports(uuid, ports))

    @router.post("/device/{uuid}/reboot", summary="Reboot the device")
    async def reboot(uuid: DeviceId) -> VersionOut:
        return VersionOut(version=ctl.reboot(uuid))

    @router.post("/device/{uuid}/shutdown", summary="Shut the device's apps down")
    async def shutdown(uuid: DeviceId) -> VersionOut:
        return VersionOut(version=ctl.shutdown(uuid))

    @router.get("/device/{uuid}/apps", summary="Configured apps")
    async def list_apps(uuid: DeviceId) -> list[dict[str, object]]:
        return [
            {
                "uuid": a.uuidandversion.uuid,
                "name": a.displayname,
                "version": a.uuidandversion.version,
                "activate": a.activate,
            }
            for a in ctl.config(uuid).apps
        ]

    @router.put("/device/{uuid}/apps/{name}", summary="Add or update the app with this name")
    async def set_app(uuid: DeviceId, name: str, body: AppIn) -> VersionOut:
        interfaces = [appnet.Interface(i.network, tuple(r.rule() for r in i.acl)) for i in body.interfaces]
        version = ctl.set_app(uuid, name, **body.model_dump(exclude={"interfaces"}), interfaces=interfaces)
        return VersionOut(version=version)

    @router.get("/device/{uuid}/networkinstances", summary="Configured network instances for apps")
    async def list_network_instances(uuid: DeviceId) -> list[dict[str, object]]:
        return [appnet.describe(c) for c in ctl.config(uuid).networkInstances]

    @router.put("/device/{uuid}/networkinstances/{name}", summary="Add or update the network instance with this name")
    async def set_network_instance(uuid: DeviceId, name: str, body: NetworkInstanceIn) -> VersionOut:
        ni = appnet.NetworkInstance(name, body.kind, body.port, body.subnet, body.flowlog)
        return VersionOut(version=ctl.set_network_instance(uuid, ni))

    @router.post("/device/{uuid}/apps/{app}/{command}", summary="Restart an app, or purge it (rebuild its volume)")
    async def app_command(uuid: DeviceId, app: str, command: AppCommand) -> VersionOut:
        found = find_app(ctl.config(uuid), app)
        if found is None:
            raise HTTPException(404, f"device {uuid} has no app {app}")
        return VersionOut(version=ctl.app_command(uuid, found.uuidandversion.uuid, command))

    @router.delete("/device/{uuid}/apps/{app}", summary="Remove an app (by UUID or name)")
    async def remove_app(uuid: DeviceId, app: str) -> VersionOut:
        found = find_app(ctl.config(uuid), app)
        if found is None:
            raise HTTPException(404, f"device {uuid} has no app {app}")
        return VersionOut(version=ctl.remove_app(uuid, found.uuidandversion.uuid))


def _rollout_routes(router: APIRouter, ctl: Controller) -> None:
    rollouts = ctl.rollouts

    def known(rollout_id: str) -> Campaign:
        try:
            return rollouts.get(rollout_id)
        except UnknownRollout:
            raise HTTPException(404, f"no rollout {rollout_id}") from None

    def transition(change: Callable[[str], Campaign], rollout_id: str) -> dict[str, object]:
        known(rollout_id)
        try:
            return change(rollout_id).summary()
        except RolloutConflict as exc:
            raise HTTPException(409, str(exc)) from None

    @router.post("/rollouts", status_code=201, summary="Start a rollout campaign (its first batch starts now)")
    async def create_rollout(body: RolloutIn) -> dict[str, object]:
        devices = ctl.device_uuids() if body.devices == "all" else body.devices
        plan = Plan(tuple(devices), body.version, body.url, body.sha256, body.size_bytes,
                    batch_size=stages(body.batch_size), batch_fraction=stages(body.batch_fraction), wait_s=body.wait,
                    deadline_s=body.deadline, halt_failure_rate=body.halt_failure_rate)
        try:
            return rollouts.create(plan).summary()
        except RolloutConflict as exc:
            raise HTTPException(409, str(exc)) from None

    @router.get("/rollouts", summary="Every rollout campaign's state and counts, oldest first")
    async def list_rollouts() -> list[dict[str, object]]:
        return [c.summary() for c in rollouts.list()]

    @router.get("/rollouts/{rollout_id}", summary="A campaign: state, counts, per-batch devices and results, events")
    async def get_rollout(rollout_id: str) -> dict[str, object]:
        return known(rollout_id).status()

    @router.post("/rollouts/{rollout_id}/halt", summary="Start no more batches (409 if halted or done)")
    async def halt_rollout(rollout_id: str) -> dict[str, object]:
        return transition(rollouts.halt, rollout_id)

    @router.post("/rollouts/{rollout_id}/resume", summary="Continue a halted campaign now (409 if not halted)")
    async def resume_rollout(rollout_id: str) -> dict[str, object]:
        return transition(rollouts.resume, rollout_id)


def _lines(values: Iterable[str]) -> str:
    return "".join(f"{value}\n" for value in values)


def _protojson(message: type[Message]) -> Callable[[Item], str]:
    """Render a stored protobuf item as one line of protojson."""
    return lambda item: json_format.MessageToJson(message.FromString(item.data), indent=None)


def _parse_config(body: bytes, content_type: str) -> pb.config.EdgeDevConfig:
    config = pb.config.EdgeDevConfig()
    try:
        if is_proto(content_type):
            config.ParseFromString(body)
        else:
            tree = json.loads(body.decode("utf-8"), object_pairs_hook=_no_duplicates)
            if not isinstance(tree, dict):
                raise ValueError(f"want a JSON object, got {type(tree).__name__}")
            json_format.ParseDict(tree, config)
    except (json_format.ParseError, DecodeError, ValueError, RecursionError) as exc:
        raise ConfigError(f"body is not an EdgeDevConfig: {exc}") from exc
    return config


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    """A JSON object's members; ValueError for a key given twice (protojson refuses them)."""
    keys = [key for key, _ in pairs]
    twice = sorted({key for key in keys if keys.count(key) > 1})
    if twice:
        raise ValueError(f"duplicate key {', '.join(twice)}")
    return dict(pairs)
