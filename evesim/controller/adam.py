"""Adam's admin formats (lf-edge/adam pkg/server/adminHandler.go, pkg/driver/common/common.go): request records,
attestation certificates, device and global options, and the "friendly" CNs its CLI puts in URLs."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Annotated

from google.protobuf import json_format
from google.protobuf.message import Message
from pydantic import BaseModel, ConfigDict, Field

from evesim.api import pb
from evesim.controller.attestation import PcrTemplate, PcrTemplates
from evesim.controller.reply import PROTO
from evesim.controller.stores import Attestation, Item

_UNFRIENDLY = re.compile(r"[^a-zA-Z0-9\\.\-]")
Uint32 = Annotated[int, Field(ge=0, le=2**32 - 1)]


def friendly_cn(cn: str) -> str:
    """The CN as ``adam admin onboard get/remove --cn`` sends it: each character but ``[A-Za-z0-9.-\\]`` as ``_``
    (``getFriendlyCN`` in lf-edge/adam cmd/common.go)."""
    return _UNFRIENDLY.sub("_", cn)


def wants_proto(accept: str) -> bool:
    """True if an ``Accept`` header asks for protobuf and not JSON (Adam's ``acceptJSON``, negated)."""
    ranges = {part.split(";")[0].strip().lower() for part in accept.split(",")}

    def matches(mime: str) -> bool:
        return bool(ranges & {mime, mime.split("/")[0] + "/*", "*/*"})

    return matches(PROTO) and not matches("application/json")


def nonce_bytes(nonce: str) -> bytes:
    """A nonce given as text: the bytes it spells in hex (as ``device_options`` shows them), else its UTF-8."""
    try:
        return bytes.fromhex(nonce)
    except ValueError:
        return nonce.encode()


def request_record(item: Item, device_uuid: str) -> str:
    """One ``/requests`` line: Adam's ``ApiRequest`` (``timestamp``, ``uuid``, ``client-ip``, ``method``, ``url``)
    plus the answer's ``status``."""
    method, status, *client = item.data.decode().split(" ", 2)
    record = {"timestamp": go_time(item.at), "uuid": device_uuid, "client-ip": client[0] if client else "",
              "method": method, "url": item.key, "status": int(status)}
    return json.dumps(record, separators=(",", ":"))


def protojson(message: Message) -> str:
    """``message`` as Go's ``protojson.Marshal`` writes it, as Adam's config ``GET`` answers: compact, one line."""
    return json.dumps(json_format.MessageToDict(message), separators=(",", ":"), ensure_ascii=False)


def go_time(at: float) -> str:
    """``at`` (Unix seconds) as Go marshals a UTC ``time.Time``: RFC 3339 with trailing zero digits dropped."""
    moment = dt.datetime.fromtimestamp(at, dt.UTC)
    fraction = f"{moment.microsecond:06d}".rstrip("0")
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + (f".{fraction}" if fraction else "") + "Z"


def certs_json(certs: bytes) -> str:
    """The certificates of a device's ATTEST_REQ_CERT as Adam keeps them: Go's JSON of ``{"certs": [ZCert]}``
    (proto field names, enums as numbers, bytes as base64)."""
    request = pb.attest.ZAttestReq.FromString(certs)
    listed = [json_format.MessageToDict(c, preserving_proto_field_name=True, use_integers_for_enums=True)
              for c in request.certs]
    return json.dumps({"certs": listed}, separators=(",", ":"))


class _Go(BaseModel):
    """A JSON body Go's ``encoding/json`` would accept into Adam's struct: unknown keys ignored, types strict."""

    model_config = ConfigDict(strict=True, extra="ignore")


class PcrValueIn(_Go):
    """One PCR of a template: its index and value (lowercase hex; "" or "*" match anything)."""

    index: Uint32 = 0
    value: str = ""


class PcrTemplateIn(_Go):
    """Adam's ``PCRTemplate``."""

    eveVersion: str = ""
    firmwareVersion: str = ""
    PCRValues: list[PcrValueIn] | None = None


class GlobalOptionsIn(_Go):
    """Adam's ``GlobalOptions``: enforce PCR templates in attestation, and the templates."""

    enforceTemplateAttestation: bool = False
    PCRTemplates: list[PcrTemplateIn] | None = None

    def templates(self) -> PcrTemplates:
        """The options as the controller's attestation uses them."""
        return PcrTemplates(self.enforceTemplateAttestation, tuple(
            PcrTemplate(t.eveVersion, t.firmwareVersion, tuple((v.index, v.value) for v in t.PCRValues or ()))
            for t in self.PCRTemplates or ()
        ))


class DeviceOptionsIn(_Go):
    """Adam's ``DeviceOptions``; a PUT sets the nonce and integrity token, the rest is what the controller saw."""

    nonce: str = ""
    integrityToken: str = ""
    receivedPCRTemplate: PcrTemplateIn | None = None
    attested: bool = False
    eventLog: list[object] | None = None


def device_options(state: Attestation) -> dict[str, object]:
    """A device's ``DeviceOptions`` from its attestation state; ``receivedPCRTemplate`` is the last quote's."""
    return {
        "nonce": state.nonce.hex(),
        "integrityToken": state.token.decode(errors="replace"),
        "receivedPCRTemplate": _template(state.quote) if state.quote else None,
        "attested": bool(state.token) and not state.nonce,
    }


def _template(quote_bytes: bytes) -> dict[str, object]:
    quote = pb.attest.ZAttestQuote.FromString(quote_bytes)
    versions = {v.version_type: v.version for v in quote.versions}
    return {
        "eveVersion": versions.get(pb.attest.ATTEST_VERSION_TYPE_EVE, ""),
        "firmwareVersion": versions.get(pb.attest.ATTEST_VERSION_TYPE_FIRMWARE, ""),
        "PCRValues": [{"index": v.index, "value": v.value.hex()} for v in quote.pcr_values],
    }
