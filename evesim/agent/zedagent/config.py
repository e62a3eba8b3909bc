"""zedagent's config task: poll ``/config``, apply what changed, checkpoint it.

As EVE's ``pkg/pillar/cmd/zedagent/handleconfig.go``. Simplification: the checkpoint holds the
``ConfigResponse`` payload rather than the whole signed envelope.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from google.protobuf.message import DecodeError

from evesim.agent import certfetch, paths, topics, zedclient
from evesim.agent import effects as fx
from evesim.agent.bootreason import BootReason
from evesim.agent.configitems import parse_items
from evesim.agent.controllerconn import ENVELOPE_FAILURES, Reply, Sender, url
from evesim.agent.topics import ConfigGet, ConfigStatus, GlobalConfigStatus, Led, OpsCommands
from evesim.agent.zedagent.parse import App, Parsed, parse
from evesim.agent.zedagent.state import Zedagent
from evesim.api import pb

AGENT = "zedagent"
UUID_RETRY_S = 600.0
"""``potentialUUIDUpdate`` asks for the UUID at most every 10 minutes."""
# EVE: pkg/pillar/cmd/zedagent/handleconfig.go requestConfigByURL: while an update is tested these count as
# ConfigGetTemporaryFail (the controller is there), which keeps nodeagent from falling back
TEMPORARY = frozenset({Sender.UPGRADE, Sender.REFUSED, Sender.NOT_FOUND, Sender.CERT_INVALID, Sender.FORBIDDEN})
CONNECTED_NOT_ONBOARDED = frozenset({Sender.UPGRADE, Sender.REFUSED, Sender.NOT_FOUND, Sender.CERT_INVALID,
                                     Sender.BAD_CONTENT_TYPE})


class ConfigTask:
    """One boot's config state: what was applied and checkpointed."""

    def __init__(self, z: Zedagent) -> None:
        self.z = z
        self.parsed: Parsed | None = None
        self.payload: bytes = b""
        self.hash_since = 0.0
        self.bak_hash = ""
        self.last_sender = Sender.NONE
        self.last_temporary_fail: float | None = None
        self.published: ConfigStatus | None = None
        self.token_used = b""
        self.ops: OpsCommands | None = None
        self.published_apps: tuple[App, ...] | None = None

    def poll(self) -> Generator[Any, Any, None]:
        """One fetch of ``/config`` and everything that follows from its answer."""
        attest = yield fx.Read(topics.ATTEST)
        self.token_used = attest.token if attest else b""
        request = pb.config.ConfigRequest(configHash=self.z.config_hash, integrity_token=self.token_used)
        reply = yield from self.z.conn.post(url("config", self.z.uuid), request.SerializeToString(), reuse=True)
        wall = yield fx.WallClock()
        now = yield fx.Now()
        self.z.counters.count(reply, wall)
        self.last_sender = reply.sender
        if reply.ok:
            yield from self._success(reply, now, wall)
        else:
            yield from self._failure(reply, now)

    # -------------------------------------------------------------- success

    def _success(self, reply: Reply, now: float, wall: float) -> Generator[Any, Any, None]:
        self.z.config_received_at = wall
        if reply.status != 304 and reply.payload:
            yield from self._receive(reply.payload, now, wall)
        yield from self._held_apps()
        yield from self._reachable(now)
        yield from self._publish(ConfigGet.SUCCESS)
        led = yield fx.Read(topics.LED)
        if led != Led.ONBOARDED:
            yield fx.Publish(topics.LED, Led.ONBOARDED)
        yield from self._refresh_bak(now)

    def _receive(self, payload: bytes, now: float, wall: float) -> Generator[Any, Any, None]:
        try:
            response = pb.config.ConfigResponse.FromString(payload)
        except DecodeError:
            yield fx.Log(AGENT, "config_unparseable", {}, "error")
            return
        # EVE: pkg/pillar/cmd/zedagent/handleconfig.go readConfigResponseProtoMessage: an unchanged hash is not applied
        if response.configHash == self.z.config_hash:
            return
        parsed = parse(response.config)
        # EVE: pkg/pillar/cmd/zedagent/parseconfig.go parseConfig skips a config older than the one applied
        if self.parsed is not None and parsed.timestamp < self.parsed.timestamp:
            yield fx.Log(AGENT, "config_obsolete", {"timestamp": parsed.timestamp}, "warning")
            return
        yield from self.apply(parsed, response.configHash, payload, saved=False)
        self.z.config_processed_at = wall
        self.hash_since = now
        yield fx.WriteFile(paths.LASTCONFIG, payload)

    def apply(self, parsed: Parsed, config_hash: str, payload: bytes, saved: bool) -> Generator[Any, Any, None]:
        """Publish what changed between the applied config and ``parsed``."""
        old = self.parsed
        self.parsed, self.payload = parsed, payload
        self.z.config_hash = config_hash
        yield fx.Log(AGENT, "config_applied", {"hash": config_hash[:12], "saved": saved})
        if old is None or old.items != parsed.items:
            config, items, unknown = parse_items(parsed.items, self.z.config)
            self.z.config = config
            yield fx.Publish(topics.GLOBAL_CONFIG, GlobalConfigStatus(config, items, unknown))
        ops = OpsCommands(reboot=parsed.reboot, shutdown=parsed.shutdown, maintenance=parsed.maintenance_mode,
                          saved=saved)
        if ops != self.ops:
            self.ops = ops
            yield fx.Publish(topics.DEVICE_OPS, ops)
        if old is None or old.baseos != parsed.baseos:
            yield fx.Publish(topics.BASEOS_CONFIG, parsed.baseos)
        if not (yield from self._new_baseos_to_activate(parsed)):
            yield from self._publish_apps(parsed)
        if old is not None and old.controllercert_confighash != parsed.controllercert_confighash:
            yield fx.Publish(topics.CERT_REFETCH, parsed.controllercert_confighash)
        if old is not None and old.controller_epoch != parsed.controller_epoch:
            yield fx.Publish(topics.INFO_TRIGGER, ("epoch", parsed.controller_epoch))

    def _publish_apps(self, parsed: Parsed) -> Generator[Any, Any, None]:
        if parsed.apps != self.published_apps:
            self.published_apps = parsed.apps
            yield fx.Publish(topics.APP_CONFIG, parsed.apps)

    def _held_apps(self) -> Generator[Any, Any, None]:
        """Publish app changes held back for a base OS activation that has since failed."""
        if self.parsed is not None and self.parsed.apps != self.published_apps:
            if not (yield from self._new_baseos_to_activate(self.parsed)):
                yield from self._publish_apps(self.parsed)

    def _new_baseos_to_activate(self, parsed: Parsed) -> Generator[Any, Any, bool]:
        """EVE's ``skipConfigUpdate`` (``parseConfig``): hold app changes while a new base OS is being activated.
        Once that update has failed (baseosmgr reports an error for its version) it is no longer being activated,
        and app changes apply again."""
        if parsed.baseos is None or not parsed.baseos.activate:
            return False
        view = yield fx.Partitions()
        if view.versions.get(view.current) == parsed.baseos.version:
            return False
        status = yield fx.Read(topics.BASEOS_STATUS)
        return not any(sw.version == parsed.baseos.version and sw.error for sw in (status.sw if status else ()))

    def _refresh_bak(self, now: float) -> Generator[Any, Any, None]:
        """``lastconfig.bak`` = the last config that stayed for ``timer.test.baseimage.update``."""
        # EVE: pkg/pillar/cmd/zedagent/handleconfig.go configTimerTask backs up (backupSavedConfig) once the last
        # config change is that long after the last backup
        if not self.payload or self.bak_hash == self.z.config_hash:
            return
        if now - self.hash_since >= self.z.config.int("timer.test.baseimage.update"):
            yield fx.WriteFile(paths.LASTCONFIG_BAK, self.payload)
            self.bak_hash = self.z.config_hash

    # -------------------------------------------------------------- failure

    def _failure(self, reply: Reply, now: float) -> Generator[Any, Any, None]:
        yield fx.Log(AGENT, "config_failed", {"status": reply.status, "sender": reply.sender.value,
                                              "error": reply.error}, "warning")
        yield from self._failure_led(reply)
        node = yield fx.Read(topics.NODE)
        updating = node is not None and node.update_in_progress
        status = ConfigGet.FAIL
        if updating and reply.sender in TEMPORARY:
            status = ConfigGet.TEMPORARY_FAIL
            self.last_temporary_fail = now
            yield from self._reachable(now)
        if reply.sender is Sender.NOT_FOUND:
            yield from self._retry_uuid(now)
        elif reply.sender is Sender.FORBIDDEN:
            # EVE: pkg/pillar/cmd/zedagent/handleconfig.go requestConfigByURL: 403 (stale integrity token): attest again
            attest = yield fx.Read(topics.ATTEST)
            if _complete(attest) and attest.token == self.token_used:
                yield fx.Publish(topics.ATTEST_RESTART, now)
        elif reply.sender in (Sender.CERT_MISS, Sender.CERT_INVALID):
            # EVE: pkg/pillar/cmd/zedagent/handleconfig.go requestConfigByURL triggerControllerCertEvent: refetch certs
            yield from certfetch.refresh(self.z.conn, AGENT)
        if self.parsed is None:
            loaded = yield from self.load_checkpoint(node)
            if loaded:
                status = ConfigGet.READ_SAVED
        yield from self._publish(status)

    def _reachable(self, now: float) -> Generator[Any, Any, None]:
        yield fx.Publish(topics.REACHABLE, now)

    def _publish(self, status: ConfigGet) -> Generator[Any, Any, None]:
        current = ConfigStatus(status, self.last_temporary_fail)
        if current != self.published:
            self.published = current
            yield fx.Publish(topics.CONFIG_STATUS, current)

    def _failure_led(self, reply: Reply) -> Generator[Any, Any, None]:
        """LED on a failed poll: 15 for an envelope failure, 3 when the controller answered, else 2 once onboarded."""
        led = yield fx.Read(topics.LED)
        if reply.sender in ENVELOPE_FAILURES:
            target = Led.INVALID_AUTH_CONTAINER
        elif reply.sender in CONNECTED_NOT_ONBOARDED:
            target = Led.CONNECTED
        elif led == Led.ONBOARDED:
            target = Led.CONNECTING
        else:
            return
        if led != target:
            yield fx.Publish(topics.LED, target)

    def _retry_uuid(self, now: float) -> Generator[Any, Any, None]:
        """404/400 means the controller forgot us: ask ``/uuid`` again, at most every 10 min."""
        if self.z.last_uuid_retry is not None and now - self.z.last_uuid_retry < UUID_RETRY_S:
            return
        self.z.last_uuid_retry = now
        result = yield from zedclient.get_uuid(self.z.conn)
        if isinstance(result, topics.Onboarding) and result.uuid != self.z.uuid:
            yield fx.Log(AGENT, "uuid_changed", {"old": self.z.uuid, "new": result.uuid})
            self.z.uuid = result.uuid
            self.z.config_hash = ""
            yield fx.Publish(topics.ONBOARDING, result)

    def load_checkpoint(self, node: topics.NodeStatus | None) -> Generator[Any, Any, bool]:
        """Apply the saved config this boot's reason calls for (``lastconfig`` or ``.bak``).

        An unreadable ``lastconfig`` is healed from ``.bak`` (EVE's ``isSavedConfigDecodable`` check).
        """
        # EVE: pkg/pillar/cmd/zedagent/handleconfig.go requestConfigByURL: after a crash (StartWithSavedConfig false)
        # start from lastconfig.bak, the config that last survived timer.test.baseimage.update
        use_bak = node is None or BootReason(node.boot_reason).uses_bak_config
        order = (paths.LASTCONFIG_BAK, paths.LASTCONFIG) if use_bak else (paths.LASTCONFIG, paths.LASTCONFIG_BAK)
        unreadable = False
        for path in order:
            payload = yield fx.ReadFile(path)
            if not payload:
                continue
            try:
                response = pb.config.ConfigResponse.FromString(payload)
            except DecodeError:
                yield fx.Log(AGENT, "config_checkpoint_unreadable", {"file": path}, "warning")
                unreadable = unreadable or path == paths.LASTCONFIG
                continue
            if unreadable:
                yield fx.WriteFile(paths.LASTCONFIG, payload)
            yield from self.apply(parse(response.config), response.configHash, payload, saved=True)
            yield fx.Log(AGENT, "config_read_saved", {"file": path})
            return True
        return False


def _complete(attest: topics.Attestation | None) -> bool:
    return attest is not None and attest.state == pb.info.ATTESTATION_STATE_COMPLETE


def _new_token(task: ConfigTask, deadline: float) -> Generator[Any, Any, None]:
    """After a 403, wait for attestation to finish with a new token (or until ``deadline``)."""
    seen = 0
    while True:
        attest = yield fx.Read(topics.ATTEST)
        now = yield fx.Now()
        if (_complete(attest) and attest.token != task.token_used) or now >= deadline:
            return
        seen = yield fx.Wait((topics.ATTEST,), seen, deadline - now)


def run(z: Zedagent) -> Generator[Any, Any, None]:
    """Poll forever; each tick is uniformly random in [0.3, 1.0] × ``timer.config.interval``."""
    task = ConfigTask(z)
    while True:
        yield from task.poll()
        # EVE: pkg/pillar/cmd/zedagent/handleconfig.go configTimerTask: a range ticker of [0.3, 1.0] × the interval
        draw = yield fx.Random("config")
        delay = z.config.int("timer.config.interval") * (0.3 + 0.7 * draw)
        if task.last_sender is Sender.FORBIDDEN:
            yield from _new_token(task, (yield fx.Now()) + delay)
        else:
            yield fx.Sleep(delay)
