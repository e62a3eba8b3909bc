"""A device's ``EdgeDevConfig``: the default one, its hash, and typed edits (base OS, config items, apps, ops).

Edits work in place on a message; the controller stamps id, version and timestamp when it commits.
IDs derived from content (datastores, content trees, volumes) are name-based UUIDs, so they replay.
"""

from __future__ import annotations

import hashlib
import re
import uuid as uuidlib
from collections.abc import Mapping
from typing import Literal, get_args
from urllib.parse import SplitResult, urlsplit

from evesim.api import pb
from evesim.api.uuids import go_uuid
from evesim.controller import netconfig

_SHA256 = re.compile(r"[0-9a-f]{64}")
_DATASTORE_TYPES = {
    "http": pb.config.DsHttp,
    "https": pb.config.DsHttps,
    "docker": pb.config.DsContainerRegistry,
    "oci": pb.config.DsContainerRegistry,
}
_REGISTRY = pb.config.DsContainerRegistry
DEFAULT_APP_IMAGE = "docker://docker.io/library/nginx:latest"
UINT32_MAX = 2**32 - 1
UINT64_MAX = 2**64 - 1
AppCommand = Literal["restart", "purge"]
"""What the controller can ask of a deployed app (each bumps the app's counter of that name)."""
APP_COMMANDS: tuple[AppCommand, ...] = get_args(AppCommand)


class ConfigError(ValueError):
    """An edit that cannot be applied to the config (bad argument or unknown object)."""


def default_config(device_uuid: str, items: Mapping[str, str], name: str = "") -> pb.config.EdgeDevConfig:
    """A new device's first config: one DHCP management port ``eth0`` and the given config items."""
    config = pb.config.EdgeDevConfig(device_name=name or device_uuid)
    netconfig.set_ports(config, device_uuid, [netconfig.NetPort("eth0")])
    set_config_items(config, dict(items))
    return config


def config_hash(data: bytes) -> str:
    """The ``configHash`` of a serialized config: hex SHA-256 over all of it."""
    return hashlib.sha256(data).hexdigest()


def stamp(config: pb.config.EdgeDevConfig, device_uuid: str, version: int, at_ns: int, cert_hash: str) -> bytes:
    """Set id, version, timestamp and controller cert hash; return the deterministic serialization."""
    config.id.uuid = device_uuid
    config.id.version = str(version)
    config.config_timestamp.seconds, config.config_timestamp.nanos = divmod(at_ns, 1_000_000_000)
    config.controllercert_confighash = cert_hash
    return config.SerializeToString(deterministic=True)


def set_config_items(config: pb.config.EdgeDevConfig, items: Mapping[str, str | None]) -> None:
    """Set or (value None) remove config items; keys stay sorted so the hash is stable."""
    merged = {item.key: item.value for item in config.configItems}
    for key, value in items.items():
        if not isinstance(key, str) or not key:
            raise ConfigError("config item keys must be non-empty strings")
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, str):
            merged[key] = value
        else:
            raise ConfigError(f"config item {key!r} must be a string or None")
    del config.configItems[:]
    for key in sorted(merged):
        config.configItems.add(key=key, value=merged[key])


def bump(command: pb.config.DeviceOpsCmd) -> None:
    """Ask for the operation once more (EVE acts when the counter changes)."""
    command.counter = next_counter(command.counter)
    command.desiredState = True


def next_counter(counter: int) -> int:
    """A uint32 command counter's next value; after its maximum it starts again at 1 (a change all the same)."""
    return counter + 1 if counter < UINT32_MAX else 1


def set_base_os(
    config: pb.config.EdgeDevConfig, version: str, *, url: str, sha256: str, size_bytes: int, activate: bool
) -> None:
    """Point ``baseos`` at a content tree for image ``url``; the retry counter is kept."""
    if not version:
        raise ConfigError("base OS version must not be empty")
    check_image(url, sha256, size_bytes)
    old_tree = config.baseos.content_tree_uuid
    tree = _content_tree(config, url, sha256, size_bytes, f"eve-{version}", pb.config.RAW)
    config.baseos.content_tree_uuid = tree
    config.baseos.base_os_version = version
    config.baseos.activate = activate
    _drop_unused_tree(config, old_tree)


def check_image(url: str, sha256: str, size_bytes: int) -> None:
    """Refuse a base OS image a device could not fetch or verify, with a ``ConfigError`` naming what is wrong."""
    _image_url(url)
    _check_sha(sha256, allow_empty=False)
    _check_size(size_bytes)


def retry_update(config: pb.config.EdgeDevConfig, counter: int | None = None) -> None:
    """Bump ``baseos.retry_update.counter`` so EVE retries a failed update, or set it to ``counter``."""
    if not config.baseos.content_tree_uuid:
        raise ConfigError("device has no base OS configured")
    current = config.baseos.retry_update.counter
    config.baseos.retry_update.counter = next_counter(current) if counter is None else counter


def find_app(config: pb.config.EdgeDevConfig, app: str) -> pb.config.AppInstanceConfig | None:
    """The app whose UUID (in any spelling), or else display name, is ``app``."""
    return _by_uuid(config, app) or next((a for a in config.apps if a.displayname == app), None)


def _by_uuid(config: pb.config.EdgeDevConfig, app_uuid: str) -> pb.config.AppInstanceConfig | None:
    """The app with this UUID, however either side spells it."""
    index = _index(config, app_uuid)
    return None if index is None else config.apps[index]


def _index(config: pb.config.EdgeDevConfig, app_uuid: str) -> int | None:
    wanted = _normal_or_none(app_uuid)
    if wanted is None:
        return None
    return next((i for i, a in enumerate(config.apps) if _normal_or_none(a.uuidandversion.uuid) == wanted), None)


def _normal_or_none(value: str) -> str | None:
    try:
        return normal_uuid(value)
    except ConfigError:
        return None


def app_command(config: pb.config.EdgeDevConfig, app_uuid: str, command: str) -> None:
    """Bump the app's ``restart`` or ``purge`` counter (EVE restarts it, or rebuilds its volume first)."""
    if command not in APP_COMMANDS:
        raise ConfigError(f"unknown app command {command!r}: want restart or purge")
    app = _by_uuid(config, app_uuid)
    if app is None:
        raise ConfigError(f"device has no app {app_uuid}")
    counter = getattr(app, command)
    counter.counter = next_counter(counter.counter)


def set_app(
    config: pb.config.EdgeDevConfig,
    name: str,
    app_uuid: str,
    *,
    image_url: str,
    sha256: str,
    activate: bool,
    memory_kb: int,
    vcpus: int,
    size_bytes: int = 0,
) -> None:
    """Add or update an app with one root volume downloaded from ``image_url`` (``size_bytes``: 0 if unknown)."""
    if not name:
        raise ConfigError("app name must not be empty")
    app_uuid = normal_uuid(app_uuid)
    _check_sha(sha256, allow_empty=True)
    if not (0 < memory_kb <= UINT32_MAX and 0 < vcpus <= UINT32_MAX):
        raise ConfigError(f"memory_kb and vcpus must be between 1 and {UINT32_MAX}")
    ds_type, _ = _image_url(image_url)
    fmt = pb.config.CONTAINER if ds_type == _REGISTRY else pb.config.QCOW2
    _check_size(size_bytes)
    tree = _content_tree(config, image_url, sha256, size_bytes, name, fmt)
    volume = _root_volume(config, app_uuid, name, tree)
    app = _by_uuid(config, app_uuid) or config.apps.add()
    old = app.uuidandversion.version
    version = int(old) + 1 if old.isdecimal() and int(old) < UINT64_MAX else 1
    app.uuidandversion.uuid, app.uuidandversion.version = app_uuid, str(version)
    app.displayname, app.activate = name, activate
    mode = pb.config.NOHYPER if fmt == pb.config.CONTAINER else pb.config.HVM
    app.fixedresources.CopyFrom(
        pb.config.VmConfig(memory=memory_kb, maxmem=memory_kb, vcpus=vcpus, virtualizationMode=mode)
    )
    del app.volumeRefList[:]
    app.volumeRefList.add(uuid=volume.uuid, generationCount=volume.generationCount)


def remove_app(config: pb.config.EdgeDevConfig, app_uuid: str) -> None:
    """Remove an app, its root volume and any content tree nothing else uses."""
    index = _index(config, app_uuid)
    if index is None:
        raise ConfigError(f"device has no app {app_uuid}")
    volume_ids = {ref.uuid for ref in config.apps[index].volumeRefList}
    del config.apps[index]
    still_used = {ref.uuid for app in config.apps for ref in app.volumeRefList}
    for volume_id in sorted(volume_ids - still_used):
        position = next((i for i, v in enumerate(config.volumes) if v.uuid == volume_id), None)
        if position is None:  # a reference to no volume (a config put whole may have one)
            continue
        tree = config.volumes[position].origin.downloadContentTreeID
        del config.volumes[position]
        _drop_unused_tree(config, tree)


def _root_volume(config: pb.config.EdgeDevConfig, app_uuid: str, name: str, tree: str) -> pb.config.Volume:
    volume_id = str(uuidlib.uuid5(uuidlib.UUID(app_uuid), "volume/root"))
    volume = next((v for v in config.volumes if v.uuid == volume_id), None)
    if volume is None:
        volume = config.volumes.add(uuid=volume_id, displayName=f"{name}-root")
        volume.origin.type = pb.config.VCOT_DOWNLOAD
    old_tree = volume.origin.downloadContentTreeID
    if old_tree != tree:
        volume.origin.downloadContentTreeID = tree
        volume.generationCount += 1
        _drop_unused_tree(config, old_tree)
    return volume


def _content_tree(config: pb.config.EdgeDevConfig, url: str, sha256: str, size_bytes: int, name: str, fmt: int) -> str:
    datastore, relative = _datastore(config, url)
    tree_id = str(uuidlib.uuid5(uuidlib.NAMESPACE_URL, f"{url}#{sha256}"))
    tree = next((t for t in config.contentInfo if t.uuid == tree_id), None)
    if tree is not None:
        _declare_size(tree, size_bytes)
    else:
        config.contentInfo.add(
            uuid=tree_id,
            dsId=datastore,
            ds_ids_list=[datastore],
            URL=relative,
            iformat=fmt,
            sha256=sha256,
            maxSizeBytes=size_bytes,
            displayName=name,
        )
    return tree_id


def _declare_size(tree: pb.config.ContentTree, size_bytes: int) -> None:
    """An image (URL and sha256) has one size, the last one given (0: unknown, keeps the one it has)."""
    if size_bytes:
        tree.maxSizeBytes = size_bytes


def _datastore(config: pb.config.EdgeDevConfig, url: str) -> tuple[str, str]:
    """The datastore (added if missing) serving ``url``, and the path relative to it."""
    ds_type, parts = _image_url(url)
    fqdn = f"{parts.scheme}://{parts.netloc}"
    datastore = str(uuidlib.uuid5(uuidlib.NAMESPACE_URL, fqdn))
    if not any(ds.id == datastore for ds in config.datastores):
        config.datastores.add(id=datastore, dType=ds_type, fqdn=fqdn)
    relative = parts.path.lstrip("/") + (f"?{parts.query}" if parts.query else "")
    return datastore, relative


def _image_url(url: str) -> tuple[int, SplitResult]:
    """The datastore type serving ``url`` and its parts; ``ConfigError`` for a URL no datastore serves."""
    if not url.isprintable() or " " in url:
        raise ConfigError(f"malformed image URL {url!r}: it has spaces or control characters")
    try:
        parts = urlsplit(url)
        if parts.scheme in ("http", "https") and parts.port == 0:
            raise ValueError("port 0")
    except ValueError as exc:  # urlsplit, and reading the port, raise for a malformed one
        raise ConfigError(f"malformed image URL {url!r}: {exc}") from exc
    ds_type = _DATASTORE_TYPES.get(parts.scheme)
    if ds_type is None or not parts.hostname:
        raise ConfigError(f"unsupported image URL {url!r}: want http(s)://, docker:// or oci://host/path")
    return ds_type, parts


def _drop_unused_tree(config: pb.config.EdgeDevConfig, tree: str) -> None:
    if not tree or tree == config.baseos.content_tree_uuid:
        return
    if any(v.origin.downloadContentTreeID == tree for v in config.volumes):
        return
    index = next((i for i, t in enumerate(config.contentInfo) if t.uuid == tree), None)
    if index is not None:
        del config.contentInfo[index]


def _check_sha(sha256: str, *, allow_empty: bool) -> None:
    if not (allow_empty and sha256 == "") and not _SHA256.fullmatch(sha256):
        raise ConfigError("sha256 must be 64 lowercase hex digits")


def _check_size(size_bytes: int) -> None:
    if not 0 <= size_bytes <= UINT64_MAX:
        raise ConfigError(f"size_bytes must be between 0 and {UINT64_MAX}")


def check_ids(config: pb.config.EdgeDevConfig) -> None:
    """Refuse a config whose apps, volumes or content trees are named by something other than a UUID EVE reads (a
    device makes paths of them, and reads another spelling as the nil UUID); ``ConfigError`` names the first."""
    named = [("app", a.uuidandversion.uuid) for a in config.apps]
    named += [("volume reference", ref.uuid) for a in config.apps for ref in a.volumeRefList]
    named += [("volume", v.uuid) for v in config.volumes] + [("content tree", t.uuid) for t in config.contentInfo]
    for what, value in named:
        if go_uuid(value) is None:
            raise ConfigError(f"{what} UUID {value[:80]!r} is not a UUID")


def normal_uuid(value: str) -> str:
    """``value`` as a UUID in its standard lowercase form (EVE reads every spelling as the same UUID)."""
    try:
        return str(uuidlib.UUID(value))
    except (ValueError, TypeError, AttributeError) as exc:
        raise ConfigError(f"not a UUID: {value!r}") from exc
