"""Config polls (200, 304, 403), the default config, and typed config editing."""

from __future__ import annotations

import hashlib
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evesim.api import pb
from evesim.api.envelope import CryptoMode
from evesim.controller import ConfigError, Controller, Policy, UnknownDevice, devconfig

from .conftest import API, Device

SHA = hashlib.sha256(b"image").hexdigest()


def test_default_config_is_version_1_with_management_port(make_controller, onboard) -> None:
    ctl = make_controller(policy=Policy(default_config_items={"timer.config.interval": "60"}))
    dev = Device(ctl, onboard, "a")
    dev.onboard_device()
    dev.attest_tpmless()
    answer = dev.config()
    config = answer.config
    assert (config.id.uuid, config.id.version) == (dev.uuid, "1")
    assert config.device_name == dev.uuid
    assert [(i.key, i.value) for i in config.configItems] == [("timer.config.interval", "60")]
    (port,) = config.deviceIoList
    assert (port.phylabel, port.ptype, dict(port.phyaddrs)) == ("eth0", pb.common.PhyIoNetEth, {"ifname": "eth0"})
    (adapter,) = config.systemAdapterList
    (network,) = config.networks
    assert adapter.uplink and adapter.networkUUID == network.id
    assert network.ip.dhcp == pb.common.Client
    assert config.controllercert_confighash == ctl.identity.cert_config_hash()
    assert answer.configHash == hashlib.sha256(config.SerializeToString(deterministic=True)).hexdigest()


def test_poll_200_then_304(device: Device) -> None:
    answer = device.config()
    assert device.poll(answer.configHash).status == 304
    assert device.poll("stale").status == 200


def test_token_required(device: Device) -> None:
    assert device.poll(token=b"").status == 403
    assert device.poll(token=b"wrong").status == 403
    assert device.poll().status == 200


def test_token_not_required_by_policy(make_controller, onboard) -> None:
    ctl = make_controller(policy=Policy(require_integrity_token=False))
    dev = Device(ctl, onboard, "a")
    dev.onboard_device()
    assert dev.poll(token=b"").status == 200


def test_config_answer_is_signed_in_full_mode(device: Device) -> None:
    reply = device.poll()
    env_payload = device.open(reply)
    assert pb.config.ConfigResponse.FromString(env_payload).config.id.uuid == device.uuid


def test_trusted_mode_answers_with_zero_signature(make_controller, onboard) -> None:
    ctl = make_controller(CryptoMode.TRUSTED)
    dev = Device(ctl, onboard, "a")
    dev.onboard_device()
    dev.attest_tpmless()
    container = pb.auth.AuthContainer.FromString(dev.poll().body)
    assert container.signatureHash == bytes(64)


def test_each_edit_bumps_version_hash_and_timestamp(device: Device, clock) -> None:
    ctl = device.ctl
    before = device.config()
    assert ctl.set_config_items(device.uuid, {"timer.metric.interval": "30"}) == 2
    after = device.config()
    assert after.config.id.version == "2" and after.configHash != before.configHash
    assert device.poll(before.configHash).status == 200
    assert device.poll(after.configHash).status == 304
    # the clock did not move: the timestamp still increases
    assert _ns(after.config) > _ns(before.config)
    clock.now += 10
    ctl.reboot(device.uuid)
    assert _ns(device.config().config) == int(clock.now * 1e9)


def test_config_items_set_and_remove(device: Device) -> None:
    ctl = device.ctl
    ctl.set_config_items(device.uuid, {"b": "2", "a": "1"})
    ctl.set_config_items(device.uuid, {"b": None, "c": "3"})
    assert [(i.key, i.value) for i in ctl.config(device.uuid).configItems] == [("a", "1"), ("c", "3")]
    with pytest.raises(ConfigError):
        ctl.set_config_items(device.uuid, {"": "x"})


def test_base_os_and_retry(device: Device) -> None:
    ctl = device.ctl
    with pytest.raises(ConfigError):
        ctl.retry_update(device.uuid)
    ctl.set_base_os(device.uuid, "14.5.1", url="https://images.example/eve/14.5.1.img", sha256=SHA, size_bytes=300)
    ctl.retry_update(device.uuid)
    config = ctl.config(device.uuid)
    assert config.baseos.base_os_version == "14.5.1" and config.baseos.activate
    assert config.baseos.retry_update.counter == 1
    (tree,) = config.contentInfo
    (store,) = config.datastores
    assert tree.uuid == config.baseos.content_tree_uuid and tree.sha256 == SHA and tree.maxSizeBytes == 300
    assert (store.fqdn, store.dType, tree.URL, tree.dsId) == (
        "https://images.example",
        pb.config.DsHttps,
        "eve/14.5.1.img",
        store.id,
    )
    other = hashlib.sha256(b"other").hexdigest()
    ctl.set_base_os(
        device.uuid, "14.5.2", url="https://images.example/eve/14.5.2.img", sha256=other, size_bytes=1, activate=False
    )
    config = ctl.config(device.uuid)
    assert [t.sha256 for t in config.contentInfo] == [other]
    assert config.baseos.retry_update.counter == 1 and not config.baseos.activate
    ctl.retry_update(device.uuid, counter=0)  # an operator putting back an older config
    assert ctl.config(device.uuid).baseos.retry_update.counter == 0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"url": "ftp://x/y", "sha256": SHA, "size_bytes": 1},
        {"url": "https://x/y", "sha256": "nothex", "size_bytes": 1},
        {"url": "https://x/y", "sha256": SHA, "size_bytes": -1},
    ],
)
def test_base_os_bad_arguments(device: Device, kwargs: dict) -> None:
    version = device.ctl.config_version(device.uuid)
    with pytest.raises(ConfigError):
        device.ctl.set_base_os(device.uuid, "1.0", **kwargs)
    assert device.ctl.config_version(device.uuid) == version


@pytest.mark.parametrize(
    ("url", "sha256", "size_bytes", "message"),
    [
        ("ftp://x/y", SHA, 1, "unsupported image URL 'ftp://x/y'"),
        ("https:///y", SHA, 1, "unsupported image URL"),
        ("", SHA, 1, "unsupported image URL"),
        ("http://[::1/y", SHA, 1, "malformed image URL"),
        ("https://x/y", SHA.upper(), 1, "sha256 must be 64 lowercase hex digits"),
        ("https://x/y", "", 1, "sha256 must be 64 lowercase hex digits"),
        ("https://x/y", SHA, -1, "size_bytes must be between 0 and"),
        ("https://x/y", SHA, 2**64, "size_bytes must be between 0 and"),
        ("https://x:99999/y", SHA, 1, "malformed image URL"),
        ("https://x:0/y", SHA, 1, "malformed image URL"),
        ("https://x/a b", SHA, 1, "spaces or control characters"),
        ("https://:80/y", SHA, 1, "unsupported image URL"),
    ],
)
def test_check_image_names_what_is_wrong(url: str, sha256: str, size_bytes: int, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        devconfig.check_image(url, sha256, size_bytes)


@pytest.mark.parametrize("url", ["https://x/y", "http://x:8080/a?b=c", "docker://docker.io/lfedge/eve:14", "oci://r/e"])
def test_check_image_accepts_what_a_datastore_serves(url: str) -> None:
    devconfig.check_image(url, SHA, 0)


@given(url=st.tuples(st.sampled_from(["", "http://", "https://[", "oci://"]), st.text(max_size=30)).map("".join))
def test_check_image_refuses_any_text_with_a_config_error_only(url: str) -> None:
    try:
        devconfig.check_image(url, SHA, 0)
    except ConfigError:
        pass


def test_an_app_image_url_that_does_not_parse_is_a_config_error(device: Device) -> None:
    with pytest.raises(ConfigError, match="malformed image URL"):
        device.ctl.set_app(device.uuid, "web", image_url="http://[::1/y")


def test_apps_add_update_remove(device: Device) -> None:
    ctl = device.ctl
    ctl.set_app(device.uuid, "web", image_url="docker://docker.io/library/nginx:1.27", memory_kb=1024, vcpus=2)
    config = ctl.config(device.uuid)
    (app,) = config.apps
    (volume,) = config.volumes
    (tree,) = config.contentInfo
    assert app.displayname == "web" and app.activate and app.uuidandversion.version == "1"
    assert (app.fixedresources.memory, app.fixedresources.vcpus) == (1024, 2)
    assert app.volumeRefList[0].uuid == volume.uuid
    assert volume.origin.downloadContentTreeID == tree.uuid and tree.iformat == pb.config.CONTAINER
    app_uuid = app.uuidandversion.uuid
    ctl.set_app(device.uuid, "web", image_url="docker://docker.io/library/nginx:1.28", activate=False)
    config = ctl.config(device.uuid)
    (app,) = config.apps
    assert app.uuidandversion.uuid == app_uuid and app.uuidandversion.version == "2" and not app.activate
    assert [t.URL for t in config.contentInfo] == ["library/nginx:1.28"]
    assert config.volumes[0].generationCount == 2
    ctl.remove_app(device.uuid, app_uuid)
    config = ctl.config(device.uuid)
    assert not config.apps and not config.volumes and not config.contentInfo
    with pytest.raises(ConfigError):
        ctl.remove_app(device.uuid, app_uuid)


def test_app_commands_bump_their_counters(device: Device) -> None:
    ctl = device.ctl
    ctl.set_app(device.uuid, "web", image_url="https://ds.example/web.qcow2", size_bytes=5000)
    (app,) = ctl.config(device.uuid).apps
    assert ctl.config(device.uuid).contentInfo[0].maxSizeBytes == 5000
    ctl.app_command(device.uuid, app.uuidandversion.uuid, "restart")
    ctl.app_command(device.uuid, app.uuidandversion.uuid, "restart")
    ctl.app_command(device.uuid, app.uuidandversion.uuid, "purge")
    (app,) = ctl.config(device.uuid).apps
    assert (app.restart.counter, app.purge.counter) == (2, 1)
    with pytest.raises(ConfigError, match="unknown app command"):
        ctl.app_command(device.uuid, app.uuidandversion.uuid, "reset")
    with pytest.raises(ConfigError, match="has no app"):
        ctl.app_command(device.uuid, "nope", "restart")
    with pytest.raises(ConfigError, match="size_bytes"):
        ctl.set_app(device.uuid, "web", size_bytes=-1)


def test_ops_counters(device: Device) -> None:
    ctl = device.ctl
    ctl.reboot(device.uuid)
    ctl.reboot(device.uuid)
    ctl.shutdown(device.uuid)
    config = ctl.config(device.uuid)
    assert config.reboot.counter == 2 and config.shutdown.counter == 1


def test_set_config_replaces_and_keeps_id(device: Device) -> None:
    ctl = device.ctl
    ctl.set_config(device.uuid, pb.config.EdgeDevConfig(device_name="renamed"))
    config = ctl.config(device.uuid)
    assert config.device_name == "renamed" and config.id.uuid == device.uuid and config.id.version == "2"
    with pytest.raises(ConfigError):
        ctl.set_config(device.uuid, pb.config.EdgeDevConfig(id=pb.config.UUIDandVersion(uuid="other")))


def test_unknown_device_edits_raise(ctl: Controller) -> None:
    with pytest.raises(UnknownDevice):
        ctl.reboot("00000000-0000-4000-8000-000000000000")


_EDITS = st.one_of(
    st.tuples(
        st.just("items"), st.dictionaries(st.sampled_from(["a", "b", "c"]), st.one_of(st.none(), st.text(max_size=3)))
    ),
    st.tuples(st.just("reboot"), st.none()),
    st.tuples(st.just("shutdown"), st.none()),
    st.tuples(st.just("baseos"), st.sampled_from(["1.0", "2.0"])),
    st.tuples(st.just("app"), st.sampled_from(["x", "y"])),
)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(edits=st.lists(_EDITS, min_size=1, max_size=6))
def test_property_every_edit_bumps_version_and_hash(device: Device, edits: list) -> None:
    ctl = device.ctl
    for kind, arg in edits:
        before_version = ctl.config_version(device.uuid)
        before_hash = device.config().configHash
        if kind == "items":
            version = ctl.set_config_items(device.uuid, arg)
        elif kind == "baseos":
            version = ctl.set_base_os(device.uuid, arg, url=f"https://h/{arg}", sha256=SHA, size_bytes=1)
        elif kind == "app":
            version = ctl.set_app(device.uuid, arg)
        else:
            version = getattr(ctl, kind)(device.uuid)
        answer = device.config()
        assert version == before_version + 1 == int(answer.config.id.version)
        assert answer.configHash != before_hash
        assert device.poll(answer.configHash).status == 304


def _ns(config: pb.config.EdgeDevConfig) -> int:
    return config.config_timestamp.seconds * 1_000_000_000 + config.config_timestamp.nanos


def test_a_repeated_poll_is_accepted_and_its_forged_copy_refused(device: Device) -> None:
    proto = {"Content-Type": "application/x-proto-binary"}
    request = pb.config.ConfigRequest(configHash=device.config().configHash, integrity_token=device.token)
    path = f"{API}/id/{device.uuid}/config"
    body = device.seal(request.SerializeToString())
    assert [device.ctl.handle("POST", path, body, proto).status for _ in range(3)] == [304, 304, 304]
    container = pb.auth.AuthContainer.FromString(body)
    container.signatureHash = bytes(64)  # the same poll, its signature forged
    assert device.ctl.handle("POST", path, container.SerializeToString(), proto).status == 401
    assert device.ctl.handle("POST", path, body, proto).status == 304
