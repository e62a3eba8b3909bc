"""Adam's admin CLI and Eden's Adam client, as independent clients, against ``evesim controller serve``.

Every verb of ``adam admin`` is checked for path, status and body format with ``--admin-auth none`` (as Adam) and
with ``--admin-auth token`` (the token added to each request); without the token every verb is refused.
"""

from __future__ import annotations

import base64
import gzip
import json
import uuid as uuidlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest
from cryptography import x509

from evesim.api import certs, pb
from evesim.api.certs import Usage

from .adam_client import AdamCli, Answer, EdenAdam, Http, Stream
from .eve_client import Https
from .served import Served
from .test_attestation import Tpm
from .test_serve_e2e import Eve

pytestmark = pytest.mark.e2e
API = "/api/v2/edgedevice"
ZERO = "00000000-0000-4000-8000-000000000000"


class Controller:
    """A served controller and what its operator holds."""

    def __init__(self, data: Path, mode: str, *args: str) -> None:
        self.mode = mode
        self.served = Served(data, "--admin-auth", mode, *args)
        self.data = data
        self.url = self.served.url()
        self.ca = data / "root-certificate.pem"
        token = (data / "admin-token").read_text().strip() if mode == "token" else None
        self.adam = AdamCli(Http(self.url, self.ca, token))
        self.eden = EdenAdam(Http(self.url, self.ca, token))
        self.stranger = AdamCli(Http(self.url, self.ca))

    def device(self, serial: str) -> Eve:
        host, _, port = self.url.removeprefix("https://").rpartition(":")
        eve = Eve(Https(host, int(port), self.ca.read_bytes()), serial)
        return eve


@contextmanager
def _serving(data: Path, mode: str, *args: str) -> Iterator[Controller]:
    """``serve --data data --admin-auth mode args`` until the block ends."""
    controller = Controller(data, mode, *args)
    try:
        yield controller
    finally:
        controller.served.stop()


@pytest.fixture(scope="module", params=["none", "token"])
def ctl(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Controller]:
    with _serving(tmp_path_factory.mktemp(f"adam-{request.param}"), request.param) as controller:
        yield controller


def _pem_file(directory: Path, name: str, pem: bytes) -> Path:
    path = directory / name
    path.write_bytes(pem)
    return path


def _onboard(eve: Eve, fleet: certs.Issued) -> str:
    """Register with the fleet cert, learn the UUID and attest (TPM-less); returns the UUID."""
    assert eve.register(fleet.key, fleet.cert) == 201
    status, body, _ = eve.post("uuid", b"")
    assert status == 200
    eve.uuid = pb.uuid.UuidResponse.FromString(pb.auth.AuthContainer.FromString(body).protectedPayload.payload).uuid
    _attest(eve)
    return eve.uuid


def _attest(eve: Eve, tpm: Tpm | None = None, version: str = "", pcr0: bytes = b"") -> pb.attest.ZAttestQuoteResp:
    """CERT (an ECDH cert, and with ``tpm`` its attestation key), NONCE, QUOTE: TPM-less, or signed by ``tpm`` over
    PCR 0 = ``pcr0`` and naming EVE ``version``."""
    ecdh = certs.issue(f"ecdh-{eve.serial}", Usage.ECDH)
    cert_req = tpm.cert_request() if tpm else pb.attest.ZAttestReq(reqType=pb.attest.ATTEST_REQ_CERT)
    cert_req.certs.add(type=pb.certs.CERT_TYPE_DEVICE_ECDH_EXCHANGE, cert=ecdh.cert_pem,
                       hashAlgo=pb.common.HASH_ALGORITHM_SHA256_32BYTES, certHash=certs.pem_hash(ecdh.cert_pem))
    assert eve.post(f"id/{eve.uuid}/attest", cert_req.SerializeToString())[0] == 201
    nonce = _answer(eve, pb.attest.ZAttestReq(reqType=pb.attest.ATTEST_REQ_NONCE)).nonce.nonce
    quote_req = pb.attest.ZAttestReq(reqType=pb.attest.ATTEST_REQ_QUOTE)
    if tpm is not None:
        quote_req = tpm.quote(nonce, {0: pcr0}, {0: pcr0})
        quote_req.quote.versions.add(version_type=pb.attest.ATTEST_VERSION_TYPE_EVE, version=version)
    answer = _answer(eve, quote_req)
    eve.token = answer.quoteResp.integrity_token
    return answer.quoteResp


def _answer(eve: Eve, request: pb.attest.ZAttestReq) -> pb.attest.ZAttestResponse:
    status, body, _ = eve.post(f"id/{eve.uuid}/attest", request.SerializeToString())
    assert status == 201
    return pb.attest.ZAttestResponse.FromString(pb.auth.AuthContainer.FromString(body).protectedPayload.payload)


def _post_info(eve: Eve, ncpu: int) -> None:
    info = pb.info.ZInfoMsg(ztype=pb.info.ZiDevice, devId=eve.uuid)
    info.dinfo.ncpu = ncpu
    assert eve.post(f"id/{eve.uuid}/info", info.SerializeToString())[0] == 201


def _post_metrics(eve: Eve, used_mem: int) -> None:
    metrics = pb.metrics.ZMetricMsg(devID=eve.uuid)
    metrics.dm.memory.usedMem = used_mem
    assert eve.post(f"id/{eve.uuid}/metrics", metrics.SerializeToString())[0] == 201


def _post_flowlog(eve: Eve, app: str) -> None:
    flows = pb.flowlog.FlowMessage(devId=eve.uuid, scope=pb.flowlog.ScopeInfo(uuid=app))
    assert eve.post(f"id/{eve.uuid}/flowlog", flows.SerializeToString())[0] == 201


def _post_logs(eve: Eve, content: str, app: str = "") -> None:
    """``newlogs`` as EVE sends it (an app's with ``app``): gzip of protojson ``LogEntry`` lines, the bundle's
    metadata in the gzip header comment."""
    entry = json.dumps({"severity": "info", "source": "zedagent", "content": content, "msgid": "7"})
    metadata = json.dumps({"devID": eve.uuid, "image": "IMGA", "eveVersion": "14.5.0"})
    member = bytearray(gzip.compress(entry.encode() + b"\n", mtime=0))
    member[3] |= 0x10  # FCOMMENT: a zero-terminated comment follows the 10-byte header
    body = bytes(member[:10]) + metadata.encode() + b"\0" + bytes(member[10:])
    path = f"id/{eve.uuid}/apps/instanceid/{app}/newlogs" if app else f"id/{eve.uuid}/newlogs"
    assert eve.post(path, body)[0] == 201


def _lines(answer: Answer) -> list[dict]:
    assert answer.status == 200, answer.body
    return [json.loads(line) for line in answer.text.split("\n") if line.strip()]


def test_every_adam_cli_verb(ctl: Controller, tmp_path: Path) -> None:
    adam = ctl.adam
    assert adam.onboard_list().text.split("\n")[0] == "evesim-test-fleet-onboarding"

    # onboard add / get (by the friendly CN Adam's CLI sends) / add again replaces the serials
    fleet = certs.issue("Adam fleet #1", Usage.ONBOARDING)
    fleet_pem = _pem_file(tmp_path, "fleet.pem", fleet.cert_pem)
    assert adam.onboard_add(fleet_pem, "ADAM-9").status == 201
    assert adam.onboard_add(fleet_pem, "ADAM-1,ADAM-2").status == 201
    got = adam.onboard_get("Adam fleet #1")
    assert got.status == 200 and got.json() == {"Cert": base64.b64encode(fleet.cert_pem).decode(),
                                                "Serial": "ADAM-1,ADAM-2"}
    assert "Adam fleet #1" in adam.onboard_list().text.split("\n")
    assert adam.onboard_get("nobody").status == 404
    lone = certs.issue("no serials", Usage.ONBOARDING)
    assert adam.onboard_add(_pem_file(tmp_path, "lone.pem", lone.cert_pem)).status == 201  # no --serial
    assert adam.onboard_get("no serials").json()["Serial"] == ""
    assert ctl.device("ANY-1").register(lone.key, lone.cert) == 403, "Adam's empty serial matches no device"

    # a device onboards with that cert; device list / get
    eve = ctl.device("ADAM-1")
    uuid = _onboard(eve, fleet)
    assert uuid in adam.device_list().text.split()
    record = adam.device_get(uuid)
    assert record.status == 200 and record.json() == {
        "Cert": base64.b64encode(certs.cert_pem(eve.cert)).decode(),
        "Onboard": base64.b64encode(fleet.cert_pem).decode(), "Serial": "ADAM-1"}
    assert ctl.device("ADAM-7").register(fleet.key, fleet.cert) == 403

    # device info / logs / requests, and --follow
    _post_info(eve, 4)
    _post_logs(eve, "hello from ADAM-1")
    assert [line["dinfo"]["ncpu"] for line in _lines(adam.device_series(uuid, "info"))] == [4]
    assert [line["content"] for line in _lines(adam.device_series(uuid, "logs"))] == ["hello from ADAM-1"]
    requests = _lines(adam.device_series(uuid, "requests"))
    assert {"timestamp", "uuid", "client-ip", "method", "url"} <= requests[-1].keys()
    assert requests[-1]["uuid"] == uuid and requests[-1]["method"] == "POST"
    assert requests[-1]["url"].endswith("/newlogs") and requests[-1]["client-ip"].startswith("127.0.0.1:")
    assert _follow(adam.device_follow(uuid, "info"), lambda: _post_info(eve, 8))["dinfo"]["ncpu"] == 8
    live = _follow(adam.device_follow(uuid, "logs"), lambda: _post_logs(eve, "live from ADAM-1"))
    assert live["content"] == "live from ADAM-1"
    live = _follow(adam.device_follow(uuid, "requests"), lambda: _post_info(eve, 9))
    assert (live["url"], live["method"], live["uuid"], live["status"]) == (f"{API}/id/{uuid}/info", "POST", uuid, 201)

    # device config get / set (JSON, no Content-Type, as Adam's CLI sends it); compact protojson, as Adam's
    config = adam.device_config_get(uuid)
    assert config.status == 200 and config.json()["id"]["uuid"] == uuid
    assert config.body == json.dumps(config.json(), separators=(",", ":"), ensure_ascii=False).encode()
    edited = {**config.json(), "configItems": [{"key": "timer.config.interval", "value": "5"}]}
    assert adam.device_config_set(uuid, json.dumps(edited).encode()).status == 200
    assert adam.device_config_get(uuid).json()["configItems"] == edited["configItems"]
    other = {"id": {"uuid": ZERO}}
    assert adam.device_config_set(uuid, json.dumps(other).encode()).status == 400

    # device add (pre-registration, Onboard null) / get / remove; a malformed UUID is 400
    device_cert = certs.issue("pre-registered", Usage.DEVICE)
    assert adam.device_add(_pem_file(tmp_path, "dev.pem", device_cert.cert_pem)).status == 201
    added = next(u for u in adam.device_list().text.split() if u != uuid)
    assert adam.device_get(added).json() == {"Cert": base64.b64encode(device_cert.cert_pem).decode(),
                                             "Onboard": None, "Serial": ""}
    assert adam.device_remove(added).status == 200
    assert adam.device_get(added).status == 404 and adam.device_remove(added).status == 404
    assert adam.device_get("not-a-uuid").status == 400

    # onboard remove by CN and by cert file; onboard clear; device clear
    assert adam.onboard_remove(cn="Adam fleet #1").status == 200
    assert adam.onboard_get("Adam fleet #1").status == 404
    assert adam.onboard_add(fleet_pem, "*").status == 201
    assert adam.onboard_remove(path=fleet_pem).status == 200
    assert adam.onboard_clear().status == 200 and adam.onboard_list().text == ""
    assert adam.device_clear().status == 200 and adam.device_list().text == ""
    assert adam.device_series(uuid, "info").status == 404


def _follow(follow: AbstractContextManager[Stream], post: Callable[[], None]) -> dict:
    """Open a stream (``--follow``), make one device post once it answered 200, and return the line that arrives
    (as JSON); the stream is closed on return."""
    with follow as stream:
        assert stream.status == 200
        post()
        return json.loads(stream.line())


@pytest.mark.parametrize(("policy", "status"), [("adam", 404), ("evesim", 200)])
def test_config_before_one_is_set(tmp_path: Path, policy: str, status: int) -> None:
    """``device config get`` for a device added with ``device add`` or just onboarded: 404 under ``--policy adam``,
    as Adam answers; the default policy gives each new device config version 1."""
    with _serving(tmp_path / "data", "none", "--policy", policy) as ctl:
        adam = ctl.adam
        device_pem = _pem_file(tmp_path, "dev.pem", certs.issue("added", Usage.DEVICE).cert_pem)
        assert adam.device_add(device_pem).status == 201
        (added,) = adam.device_list().text.split()
        fleet = certs.issue("policy fleet", Usage.ONBOARDING)
        assert adam.onboard_add(_pem_file(tmp_path, "fleet.pem", fleet.cert_pem), "POLICY-1").status == 201
        onboarded = _onboard(ctl.device("POLICY-1"), fleet)
        assert [adam.device_config_get(uuid).status for uuid in (added, onboarded)] == [status, status]
        items = [{"key": "timer.config.interval", "value": "5"}]
        assert adam.device_config_set(added, json.dumps({"configItems": items}).encode()).status == 200
        assert adam.device_config_get(added).json()["configItems"] == items


def test_the_test_fleet_entry_stays_off_once_removed(tmp_path: Path) -> None:
    """The built-in entry (serial ``*``) is on the list from the first start, where Adam's list starts empty; once
    removed it is not put back at the next start."""
    with _serving(tmp_path, "none") as ctl:
        assert ctl.adam.onboard_list().text.split() == ["evesim-test-fleet-onboarding"]
        assert ctl.adam.onboard_get("evesim-test-fleet-onboarding").json()["Serial"] == "*"
        assert ctl.adam.onboard_remove(cn="evesim-test-fleet-onboarding").status == 200
    with _serving(tmp_path, "none") as ctl:
        assert ctl.adam.onboard_list().status == 200 and ctl.adam.onboard_list().text == ""


def test_a_client_without_credentials(ctl: Controller, tmp_path: Path) -> None:
    """Token mode refuses every verb to a client without the token; none mode (Adam's) serves it."""
    stranger = ctl.stranger
    pem = _pem_file(tmp_path, "c.pem", certs.issue("x", Usage.ONBOARDING).cert_pem)
    answers = [stranger.onboard_list(), stranger.onboard_add(pem), stranger.onboard_get("x"),
               stranger.onboard_remove(cn="x"), stranger.device_list(), stranger.device_get(ZERO),
               stranger.device_remove(ZERO), stranger.device_config_get(ZERO),
               stranger.device_config_set(ZERO, b"{}"),
               *(stranger.device_series(ZERO, s) for s in ("info", "logs", "requests"))]
    refused = [a.status == 401 for a in answers]
    assert refused == [ctl.mode == "token"] * len(answers)
    if ctl.mode == "token":
        assert stranger.onboard_clear().status == stranger.device_clear().status == 401
        assert stranger.device_add(pem).status == 401
    assert ctl.adam.onboard_list().status == 200


def test_edens_adam_client(ctl: Controller) -> None:
    eden = ctl.eden
    fleet = certs.issue("eden-fleet", Usage.ONBOARDING)
    eve = ctl.device("EDEN-1")
    # UploadDeviceCert posts JSON as text/plain; Adam refuses that (400), evesim reads it
    assert eden.upload_device_cert(certs.cert_pem(eve.cert), fleet.cert_pem, "EDEN-1").status == 201
    uuid = next(u for u in eden.device_list() if eden.device_get(u).json()["Serial"] == "EDEN-1")
    assert base64.b64decode(eden.device_get(uuid).json()["Onboard"]) == fleet.cert_pem

    # ConfigGet / ConfigSet in protobuf
    got = eden.config_get(uuid)
    assert got.status == 200 and got.headers["content-type"] == "application/x-proto-binary"
    config = pb.config.EdgeDevConfig.FromString(got.body)
    assert config.id.uuid == uuid
    config.configItems.add(key="debug.default.loglevel", value="debug")
    assert eden.config_set(uuid, config.SerializeToString()).status == 200
    stored = pb.config.EdgeDevConfig.FromString(eden.config_get(uuid).body)
    assert [(i.key, i.value) for i in stored.configItems] == [("debug.default.loglevel", "debug")]

    # the device (pre-registered with its onboarding cert and serial) asks its UUID and attests
    status, body, _ = eve.post("uuid", b"")
    assert status == 200
    eve.uuid = pb.uuid.UuidResponse.FromString(pb.auth.AuthContainer.FromString(body).protectedPayload.payload).uuid
    assert eve.uuid == uuid
    assert eden.certs(uuid).status == 404 and eden.device_options(uuid).status == 404
    _attest(eve)

    # GetECDHCert: Go's JSON, the type a number
    listed = eden.certs(uuid).json()
    ecdh = [c for c in listed["certs"] if c["type"] == pb.certs.CERT_TYPE_DEVICE_ECDH_EXCHANGE]
    assert len(ecdh) == 1 and x509.load_pem_x509_certificate(base64.b64decode(ecdh[0]["cert"]))

    # device options: attested with a token; clearing the token sends the device back to attestation
    options = eden.device_options(uuid).json()
    assert options["attested"] is True and options["integrityToken"] == eve.token.decode()
    assert eden.set_device_options(uuid, {**options, "integrityToken": ""}).status == 200
    request = pb.config.ConfigRequest(integrity_token=eve.token).SerializeToString()
    assert eve.post(f"id/{uuid}/config", request)[0] == 403
    _attest(eve)
    request = pb.config.ConfigRequest(integrity_token=eve.token).SerializeToString()
    assert eve.post(f"id/{uuid}/config", request)[0] == 200

    # global options: PCR templates, enforced as Adam's templateAttest does
    assert eden.global_options().status == 404
    template = {"eveVersion": "14.5.0", "firmwareVersion": "", "PCRValues": [{"index": 0, "value": "aa" * 32}]}
    options = {"enforceTemplateAttestation": True, "PCRTemplates": [template]}
    assert eden.set_global_options(options).status == 200
    assert eden.global_options().json() == options
    tpm = Tpm()
    assert _attest(eve, tpm, "14.5.0", b"\xaa" * 32).response == pb.attest.Z_ATTEST_RESPONSE_CODE_SUCCESS
    assert _attest(eve, tpm, "14.5.0", b"\xbb" * 32).response == pb.attest.Z_ATTEST_RESPONSE_CODE_QUOTE_FAILED
    assert _attest(eve, tpm, "9.9.9", b"\xaa" * 32).response == pb.attest.Z_ATTEST_RESPONSE_CODE_INVALID
    unsigned = pb.attest.ZAttestReq(reqType=pb.attest.ATTEST_REQ_QUOTE)
    unsigned.quote.pcr_values.add(index=0, value=b"\xaa" * 32)
    unsigned.quote.versions.add(version_type=pb.attest.ATTEST_VERSION_TYPE_EVE, version="14.5.0")
    _answer(eve, pb.attest.ZAttestReq(reqType=pb.attest.ATTEST_REQ_NONCE))
    assert _answer(eve, unsigned).quoteResp.response == pb.attest.Z_ATTEST_RESPONSE_CODE_QUOTE_FAILED, \
        "PCR values nobody signed do not pass a template"
    received = eden.device_options(uuid).json()["receivedPCRTemplate"]
    assert received == {"eveVersion": "14.5.0", "firmwareVersion": "", "PCRValues": [{"index": 0, "value": "aa" * 32}]}
    assert eden.set_global_options({"enforceTemplateAttestation": False}).status == 200
    assert eden.set_global_options({"enforceTemplateAttestation": "yes"}).status == 400  # type: ignore[dict-item]

    _eden_loads(eden, eve)

    # DeviceRemove / OnboardRemove answer 200
    assert eden.device_remove(uuid).status == 200
    assert ctl.adam.onboard_add(_pem_file(ctl.data, "eden.pem", fleet.cert_pem), "*").status == 201
    assert eden.onboard_remove("eden-fleet").status == 200


def _eden_loads(eden: EdenAdam, eve: Eve) -> None:
    """Each URL a ``RemoteLoader`` reads: what is kept (200 even when nothing is), then followed with ``X-Stream``:
    a device post arrives as a line, and is kept. Eden's Adam client gives the loader the first four URLs; Adam
    also serves the flow log and app log ones."""
    app = str(uuidlib.uuid4())
    reads: list[tuple[str, Callable[[], None], Callable[[dict], bool]]] = [
        ("requests", lambda: _post_metrics(eve, 1), lambda line: line["url"] == f"{API}/id/{eve.uuid}/metrics"),
        ("info", lambda: _post_info(eve, 16), lambda line: line["dinfo"]["ncpu"] == 16),
        ("logs", lambda: _post_logs(eve, "for Eden"), lambda line: line["content"] == "for Eden"),
        ("metrics", lambda: _post_metrics(eve, 512), lambda line: line["dm"]["memory"]["usedMem"] == 512),
        ("flowlogs", lambda: _post_flowlog(eve, app), lambda line: line["scope"]["uuid"] == app),
        (f"app/{app}/logs", lambda: _post_logs(eve, "app line", app), lambda line: line["content"] == "app line"),
    ]
    for path, post, arrived in reads:
        url = f"/admin/device/{eve.uuid}/{path}"
        assert not any(arrived(line) for line in _lines(eden.load(url))), path  # 200 (even with nothing kept)
        assert arrived(_follow(eden.load_stream(url), post)), path
        assert arrived(_lines(eden.load(url))[-1]), path


def test_uuid_spellings_reach_the_same_device(ctl: Controller) -> None:
    fleet = certs.issue("spelling-fleet", Usage.ONBOARDING)
    assert ctl.eden.upload_device_cert(certs.issue("spelled", Usage.DEVICE).cert_pem, fleet.cert_pem,
                                       "SPELL-1").status == 201
    uuid = next(u for u in ctl.eden.device_list() if ctl.eden.device_get(u).json()["Serial"] == "SPELL-1")
    for spelling in (uuid.upper(), uuid.replace("-", ""), f"urn:uuid:{uuid}"):
        assert ctl.adam.device_get(spelling).json()["Serial"] == "SPELL-1"
    assert str(uuidlib.UUID(uuid)) == uuid
    assert ctl.adam.device_remove(uuid).status == 200
