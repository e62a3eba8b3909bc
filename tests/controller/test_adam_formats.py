"""Adam's formats and rules inside the controller: friendly CNs, Accept, request records, PCR templates, options."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from evesim.api import pb
from evesim.controller import Controller
from evesim.controller.adam import (
    GlobalOptionsIn,
    friendly_cn,
    go_time,
    nonce_bytes,
    request_record,
    wants_proto,
)
from evesim.controller.adminauth import AdminGate
from evesim.controller.app import create_app
from evesim.controller.attestation import PcrTemplate, PcrTemplates, template_result
from evesim.controller.policy import ADAM
from evesim.controller.stores import Attestation, Item, SqliteStore

A = pb.attest


@pytest.mark.parametrize(("cn", "friendly"), [
    ("evesim-test-fleet-onboarding", "evesim-test-fleet-onboarding"),
    ("Adam fleet #1", "Adam_fleet__1"),
    ("a.b-c\\d/e", "a.b-c\\d_e"),
    ("ünï", "_n_"),
])
def test_friendly_cn(cn: str, friendly: str) -> None:
    assert friendly_cn(cn) == friendly


@pytest.mark.parametrize(("accept", "proto"), [
    ("application/x-proto-binary", True),
    ("application/x-proto-binary;q=0.9", True),
    ("application/json, application/x-proto-binary", False),
    ("*/*", False),
    ("", False),
    ("application/*", False),
    ("text/plain", False),
])
def test_accept(accept: str, proto: bool) -> None:
    assert wants_proto(accept) is proto


def test_go_time() -> None:
    assert go_time(0) == "1970-01-01T00:00:00Z"
    assert go_time(1_767_225_600.25) == "2026-01-01T00:00:00.25Z"


def test_request_record_with_and_without_client() -> None:
    record = json.loads(request_record(Item(1.5, "/api/v2/edgedevice/id/u/info", b"POST 201 10.0.0.2:4000"), "u"))
    assert record == {"timestamp": "1970-01-01T00:00:01.5Z", "uuid": "u", "client-ip": "10.0.0.2:4000",
                      "method": "POST", "url": "/api/v2/edgedevice/id/u/info", "status": 201}
    assert json.loads(request_record(Item(0, "/x", b"POST 304"), "u"))["client-ip"] == ""


def test_nonce_text() -> None:
    assert nonce_bytes("00ff") == b"\x00\xff"
    assert nonce_bytes("not hex") == b"not hex"


def _quote(version: str = "14.5.0", firmware: str = "", pcrs: dict[int, bytes] | None = None) -> A.ZAttestQuote:
    quote = A.ZAttestQuote()
    for index, value in (pcrs if pcrs is not None else {0: b"\xaa" * 32, 7: b"\x07" * 32}).items():
        quote.pcr_values.add(index=index, value=value)
    if version:
        quote.versions.add(version_type=A.ATTEST_VERSION_TYPE_EVE, version=version)
    if firmware:
        quote.versions.add(version_type=A.ATTEST_VERSION_TYPE_FIRMWARE, version=firmware)
    return quote


TEMPLATES = PcrTemplates(True, (
    PcrTemplate("14.5.0", "bios-1", ((0, "aa" * 32), (7, "*"))),
    PcrTemplate("14.5.0", "bios-2", ((0, "bb" * 32),)),
))


@pytest.mark.parametrize(("quote", "code"), [
    (_quote(firmware="bios-1"), A.Z_ATTEST_RESPONSE_CODE_SUCCESS),
    (_quote(firmware="bios-2"), A.Z_ATTEST_RESPONSE_CODE_QUOTE_FAILED),
    (_quote(firmware="bios-9"), A.Z_ATTEST_RESPONSE_CODE_QUOTE_FAILED),  # no firmware match: the last template
    (_quote(version=""), A.Z_ATTEST_RESPONSE_CODE_INVALID),
    (_quote(version="15.0.0"), A.Z_ATTEST_RESPONSE_CODE_INVALID),
    (_quote(firmware="bios-1", pcrs={7: b"\x07" * 32}), A.Z_ATTEST_RESPONSE_CODE_QUOTE_FAILED),
])
def test_template_result(quote: A.ZAttestQuote, code: int) -> None:
    assert template_result(quote, TEMPLATES) == code
    assert template_result(quote, PcrTemplates(False, TEMPLATES.templates)) == A.Z_ATTEST_RESPONSE_CODE_SUCCESS


@given(st.binary(min_size=32, max_size=32), st.sampled_from(["", "*"]))
def test_wildcards_match_any_value(value: bytes, wildcard: str) -> None:
    templates = PcrTemplates(True, (PcrTemplate("1", "", ((0, wildcard),)),))
    assert template_result(_quote("1", pcrs={0: value}), templates) == A.Z_ATTEST_RESPONSE_CODE_SUCCESS


def test_global_options_parse_as_go_would() -> None:
    raw = {"enforceTemplateAttestation": True, "unknown": 1,
           "PCRTemplates": [{"eveVersion": "1", "PCRValues": [{"index": 3, "value": "ab"}]}]}
    assert GlobalOptionsIn.model_validate_json(json.dumps(raw)).templates() == PcrTemplates(
        True, (PcrTemplate("1", "", ((3, "ab"),)),))
    for bad in ({"enforceTemplateAttestation": "true"}, {"PCRTemplates": [{"PCRValues": [{"index": -1}]}]}):
        with pytest.raises(ValueError):
            GlobalOptionsIn.model_validate_json(json.dumps(bad))


def test_global_options_survive_a_restart(tmp_path: Path, identity) -> None:
    raw = b'{"enforceTemplateAttestation":true,"PCRTemplates":[{"eveVersion":"1","PCRValues":[]}]}'
    Controller(store=SqliteStore(tmp_path / "c.sqlite"), identity=identity).set_global_options(raw)
    again = Controller(store=SqliteStore(tmp_path / "c.sqlite"), identity=identity)
    assert again.global_options() == raw and again._templates.enforce


def test_an_older_store_gains_the_quote_column(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE attestation (uuid TEXT PRIMARY KEY, nonce BLOB NOT NULL, token BLOB NOT NULL, "
               "certs BLOB NOT NULL, keys BLOB NOT NULL)")
    db.execute("INSERT INTO attestation VALUES ('u', x'01', x'02', x'', x'')")
    db.commit()
    db.close()
    store = SqliteStore(path)
    assert store.get_attestation("u") == Attestation(nonce=b"\x01", token=b"\x02")
    store.put_attestation("u", Attestation(quote=b"q"))
    assert store.get_attestation("u").quote == b"q"


def test_config_is_404_until_set_under_adams_policy(make_controller, onboard) -> None:
    from evesim.api.certs import Usage, issue

    ctl = make_controller(policy=ADAM)
    client = TestClient(create_app(ctl, AdminGate("none")))
    uuid = ctl.device_add(issue("d", Usage.DEVICE).cert_pem)
    assert client.get(f"/admin/device/{uuid}/config").status_code == 404
    assert client.put(f"/admin/device/{uuid}/config", content=b"{}").status_code == 200
    assert client.get(f"/admin/device/{uuid}/config").json()["id"]["uuid"] == uuid
