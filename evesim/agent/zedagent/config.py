"""zedagent's config task: poll ``/config``, apply what changed, checkpoint it.

As EVE's ``pkg/pillar/cmd/zedagent/handleconfig.go``. Simplification: the checkpoint holds the
``ConfigResponse`` payload rather than the whole signed envelope.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any, Literal

from google.protobuf.message import DecodeError

from evesim.agent import certfetch, paths, topics, zedclient
from evesim.agent import effects as fx
from evesim.agent.bootreason import BootReason
from evesim.agent.configitems import parse_items
from evesim.agent.controllerconn import ENVELOPE_FAILURES, Reply, Sender, url
from evesim.agent.dpc import Dpc, Results
from evesim.agent.netinst import NetInstance
from evesim.agent.topics import BaseOs, ConfigGet, ConfigStatus, GlobalConfigStatus, Led, OpsCommands
from evesim.agent.zedagent import maintenance
from evesim.agent.zedagent.parse import App, Parsed, parse
from evesim.agent.zedagent.state import Zedagent
from evesim.api import pb
from evesim.api.uuids import go_uuid

AGENT = "zedagent"
Received = Literal["applied", "unchanged", "obsolete", "skipped", "invalid"]
"""What became of a config the controller sent."""
UUID_RETRY_S = 600.0
"""``potentialUUIDUpdate`` asks for the UUID at most every 10 minutes."""
STILL_RUNNING_S = 25.0
"""The stillRunning ticker that also wakes the config task."""
# EVE: pkg/pillar/cmd/zedagent/handleconfig.go requestConfigByURL: while an update is tested these count as
# ConfigGetTemporaryFail (the controller is there), which keeps nodeagent from falling back; a 403 only once a
# quote was sent this boot
TEMPORARY = frozenset({Sender.UPGRADE, Sender.REFUSED, Sender.NOT_FOUND, Sender.CERT_INVALID})
ALMOST_CONNECTED = TEMPORARY
"""Failed requests that still show the controller answering (LED 3 rather than 2): the same senders."""


class ConfigTask:
    """One boot's config state: what was applied and checkpointed."""

    def __init__(self, z: Zedagent) -> None:
        self.z = z
        self.parsed: Parsed | None = None
        self.processed: Parsed | None = None
        """The last config parsed past the maintenance-mode check (EVE's ``lastProcessedConfig``)."""
        self.payload: bytes = b""
        self.last_change: float | None = None
        """EVE's ``lastConfigChange``: when a config was last applied from the controller or read saved."""
        self.last_backup: float | None = None
        """EVE's ``lastConfigBackup`` (zero time until the first backup of this boot)."""
        self.published: ConfigStatus | None = None
        self.token_used = b""
        self.ops: OpsCommands | None = None
        self.published_apps: tuple[App, ...] | None = None
        self.published_nis: tuple[NetInstance, ...] = ()
        self.baseos_prev: BaseOs | None = None
        """EVE's ``baseOSPrevConfigHash``: the base OS element last parsed (in memory, empty at each boot)."""
        self.skipping = False
        """EVE's ``configProcessingRV == skipConfigUpdate``: the last fetch dropped the app part of its config."""
        self.received = False
        """EVE's ``configReceived``: a config was accepted (or found unchanged) this boot."""
        self.read_saved = False
        self.led: Led | None = None
        """The LED zedagent last set (EVE's ``ledBlinkCount``)."""
        self.trigger_seen = 0
        """Bus version at which the config trigger was last looked at."""
        self.trigger: float | None = None
        """The config trigger's value when last looked at."""

    def poll(self) -> Generator[Any, Any, None]:
        """One fetch of ``/config`` and everything that follows from its answer."""
        yield from self._forget_hash_after_maintenance()
        attest = yield fx.Read(topics.ATTEST)
        self.token_used = attest.token if attest else b""
        request = pb.config.ConfigRequest(configHash=self.z.config_hash, integrity_token=self.token_used)
        reply = yield from self.z.conn.post(url("config", self.z.uuid), request.SerializeToString(), reuse=True)
        wall = yield fx.WallClock()
        now = yield fx.Now()
        self.z.counters.count(reply, wall)
        if reply.ok:
            yield from self._success(reply, now, wall)
        else:
            yield from self._failure(reply, now)
        yield from self.backup(now)

    # -------------------------------------------------------------- success

    def _success(self, reply: Reply, now: float, wall: float) -> Generator[Any, Any, None]:
        self.z.config_received_at = wall
        outcome: Received = "applied"
        if reply.status != 304 and reply.payload:
            outcome = yield from self._receive(reply.payload, now, wall)
        if outcome == "invalid":
            yield from self._invalid(Led.CONNECTED)
            return
        if outcome != "applied":
            # EVE: pkg/pillar/cmd/zedagent/handleconfig.go requestConfigByURL: a skipped, obsolete or unchanged config
            # (a 200 whose hash is the one applied) leaves the ConfigGetFail set at the start of the request, which
            # configTimerTask publishes (nodeagent sees a failed fetch), and no LED; only the unchanged one counts as
            # configReceived
            self.skipping = outcome == "skipped"
            self.received = self.received or outcome == "unchanged"
            yield from self._publish(ConfigGet.FAIL)
            return
        # EVE: pkg/pillar/cmd/zedagent/handleconfig.go configTimerTask: any result but skipConfigUpdate lifts the
        # hold, without re-parsing the held apps
        self.skipping = False
        self.received = True
        if "release-app-hold" in self.z.fixes:
            yield from self._held_apps()
        yield from self._publish(ConfigGet.SUCCESS)
        yield from self._set_led(Led.ONBOARDED)

    def _receive(self, payload: bytes, now: float, wall: float) -> Generator[Any, Any, Received]:
        """Apply a received config: "applied", "unchanged" (its hash is the one applied), "obsolete" (older than it),
        "skipped" (its app part dropped for a base OS activation) or "invalid" (it does not parse)."""
        try:
            response = pb.config.ConfigResponse.FromString(payload)
        except DecodeError:
            yield fx.Log(AGENT, "config_unparseable", {}, "error")
            return "invalid"
        # EVE: pkg/pillar/cmd/zedagent/handleconfig.go readConfigResponseProtoMessage: an unchanged hash is not applied
        if response.configHash == self.z.config_hash:
            return "unchanged"
        parsed = parse(response.config)
        # EVE applies a config whatever device its id names (pkg/pillar/cmd/zedagent/parseconfig.go)
        if "config-device-check" in self.z.fixes and response.config.id.uuid and \
                go_uuid(response.config.id.uuid) != self.z.uuid:
            yield fx.Log(AGENT, "config_for_another_device", {"uuid": response.config.id.uuid[:64]}, "error")
            return "invalid"
        # EVE: pkg/pillar/cmd/zedagent/parseconfig.go parseConfig skips a config older than the one applied this
        # boot; its lastConfigTimestamp is in memory only, so after a reboot any older config is applied
        floor = self.parsed.timestamp if self.parsed is not None else (yield from self._checkpoint_timestamp())
        if floor is not None and parsed.timestamp < floor:
            yield fx.Log(AGENT, "config_obsolete", {"timestamp": parsed.timestamp}, "warning")
            return "obsolete"
        skipped = yield from self.apply(parsed, response.configHash, payload, saved=False)
        if skipped:
            # EVE: pkg/pillar/cmd/zedagent/handleconfig.go requestConfigByURL: the skipped config is still saved to
            # lastconfig (2a0e01a6f), but lastConfigChange and lastProcessedConfig are not updated
            yield from self._save(payload)
            return "skipped"
        if not self.z.maintenance.mode:
            self.z.config_processed_at = wall
        self.last_change = now
        yield from self._save(payload)
        return "applied"

    def _checkpoint_timestamp(self) -> Generator[Any, Any, float | None]:
        """With the ``config-timestamp-floor`` fix, the timestamp of the checkpointed config (None without it)."""
        if "config-timestamp-floor" not in self.z.fixes:
            return None
        saved = yield fx.ReadFile(paths.LASTCONFIG)
        try:
            return parse(pb.config.ConfigResponse.FromString(saved).config).timestamp if saved else None
        except DecodeError:
            return None

    def _save(self, payload: bytes) -> Generator[Any, Any, None]:
        """``saveReceivedProtoMessage``: write ``lastconfig``, and ``.bak`` as a copy of it when there is none."""
        yield fx.WriteFile(paths.LASTCONFIG, payload)
        # EVE: pkg/pillar/cmd/zedagent/handleconfig.go saveReceivedProtoMessage clones lastconfig to a missing .bak
        if not (yield fx.ReadFile(paths.LASTCONFIG_BAK)):
            yield fx.WriteFile(paths.LASTCONFIG_BAK, payload)

    def apply(self, parsed: Parsed, config_hash: str, payload: bytes, saved: bool) -> Generator[Any, Any, bool]:
        """Publish what changed between the applied config and ``parsed``; True if the app part was skipped."""
        old = self.parsed
        self.parsed, self.payload = parsed, payload
        self.z.config_hash = config_hash
        yield fx.Log(AGENT, "config_applied", {"hash": config_hash[:12], "saved": saved})
        if old is None or old.items != parsed.items:
            config, items, unknown = parse_items(parsed.items, self.z.config)
            self.z.config = config
            yield fx.Publish(topics.GLOBAL_CONFIG, GlobalConfigStatus(config, items, unknown))
        ops = OpsCommands(reboot=parsed.reboot, shutdown=parsed.shutdown, saved=saved)
        if ops != self.ops:
            self.ops = ops
            yield fx.Publish(topics.DEVICE_OPS, ops)
        if old is not None and old.controller_epoch != parsed.controller_epoch:
            yield fx.Publish(topics.INFO_TRIGGER, ("epoch", parsed.controller_epoch))
        self.z.maintenance_api = parsed.maintenance_mode
        yield from maintenance.remerge(self.z)
        if self.z.maintenance.mode:
            # EVE: pkg/pillar/cmd/zedagent/parseconfig.go parseConfig: in maintenance mode only config items, the
            # maintenance flag, force-fallback and reboot/shutdown are processed; the rest is dropped, though the
            # hash is kept, so the controller answers "not modified" to it afterwards
            yield fx.Log(AGENT, "config_maintenance_skipped", {"hash": config_hash[:12], "saved": saved})
            return False
        processed, self.processed = self.processed, parsed
        if processed is None or (processed.ports, processed.port_errors) != (parsed.ports, parsed.port_errors):
            yield from self._publish_ports(parsed)
        if processed is None or processed.baseos != parsed.baseos:
            yield fx.Publish(topics.BASEOS_CONFIG, parsed.baseos)
        activate_new = yield from self._parse_baseos(parsed)
        if processed is not None and processed.controllercert_confighash != parsed.controllercert_confighash:
            yield fx.Publish(topics.CERT_REFETCH, parsed.controllercert_confighash)
        if "release-app-hold" in self.z.fixes:
            if not (yield from self._new_baseos_to_activate(parsed)):
                yield from self._publish_apps(parsed)
            return False
        # EVE: pkg/pillar/cmd/zedagent/parseconfig.go parseConfig: the app part is dropped when a controller config
        # changes the base OS to activate another version, or while the previous fetch was already skipped
        if (not saved and activate_new) or self.skipping:
            yield fx.Log(AGENT, "config_apps_skipped", {"hash": config_hash[:12], "saved": saved})
            return True
        yield from self._publish_apps(parsed)
        return False

    def _publish_ports(self, parsed: Parsed) -> Generator[Any, Any, None]:
        """``parseSystemAdapterConfig``: the controller's DPC for nim, its TimePriority the config's timestamp; a DPC
        without a valid management port is still published (nim lists it but never tests it)."""
        wall = yield fx.WallClock()
        mgmt = [p for p in parsed.ports if p.mgmt]
        errors = list(parsed.port_errors)
        if not any(not p.invalid for p in mgmt):
            errors.append("No management interfaces" if not mgmt else "All management ports failed to parse: " +
                          "; ".join(p.invalid for p in mgmt))
        error = "; ".join(errors)
        results = Results(last_failed=wall, last_error=error) if error else Results()
        yield fx.Publish(topics.DPC_CONFIG, Dpc("zedagent", parsed.timestamp or wall, parsed.ports, results,
                                                error=error))

    def sleep(self, seconds: float) -> Generator[Any, Any, bool]:
        """Sleep; True if woken early by a config trigger (only with ``maintenance-reread``)."""
        if not self.z.reread:
            yield fx.Sleep(seconds)
            return False
        self.trigger_seen = yield fx.Wait((topics.CONFIG_TRIGGER,), self.trigger_seen, seconds)
        trigger = yield fx.Read(topics.CONFIG_TRIGGER)
        kicked, self.trigger = trigger != self.trigger, trigger
        return kicked

    def _forget_hash_after_maintenance(self) -> Generator[Any, Any, None]:
        """Fix ``maintenance-reread``: a fetch after leaving maintenance mode asks for the whole config."""
        # EVE: pkg/pillar/cmd/zedagent/handleconfig.go getLatestConfig forgetConfigHashOnLeavingMaintenanceMode
        # (commit df6bdd01f, EVE 17.3.0) samples the mode at each fetch
        was, self.z.maintenance_at_last_fetch = self.z.maintenance_at_last_fetch, self.z.maintenance.mode
        if self.z.reread and was and not self.z.maintenance.mode:
            self.z.config_hash = ""
            yield fx.Log(AGENT, "config_reread_after_maintenance", {})

    def _parse_baseos(self, parsed: Parsed) -> Generator[Any, Any, bool]:
        """EVE's ``parseBaseOS`` result: the base OS element changed, says activate, and names another version
        than the current partition's."""
        if parsed.baseos is None:
            self.baseos_prev = None
            return False
        if parsed.baseos == self.baseos_prev:
            return False
        self.baseos_prev = parsed.baseos
        if not parsed.baseos.activate:
            return False
        view = yield fx.Partitions()
        return bool(view.versions.get(view.current) != parsed.baseos.version)

    def _publish_apps(self, parsed: Parsed) -> Generator[Any, Any, None]:
        # EVE: parseConfig parses network instances with the apps (parseNetworkInstanceConfig before
        # parseAppInstanceConfig), so they are held back or dropped with them
        if parsed.network_instances != self.published_nis:
            self.published_nis = parsed.network_instances
            yield fx.Publish(topics.NI_CONFIG, parsed.network_instances)
        if parsed.apps != self.published_apps:
            self.published_apps = parsed.apps
            yield fx.Publish(topics.APP_CONFIG, parsed.apps)

    def _held_apps(self) -> Generator[Any, Any, None]:
        """Fix ``release-app-hold``: publish app changes held back for a base OS activation that has since failed
        (not those of a config dropped in maintenance mode)."""
        held = self.processed
        if held is not None and (held.apps, held.network_instances) != (self.published_apps, self.published_nis):
            if not (yield from self._new_baseos_to_activate(held)):
                yield from self._publish_apps(held)

    def _new_baseos_to_activate(self, parsed: Parsed) -> Generator[Any, Any, bool]:
        """Fix ``release-app-hold``: hold app changes while the config activates a version that is not running,
        until baseosmgr reports an error for that version; then app changes apply again."""
        if parsed.baseos is None or not parsed.baseos.activate:
            return False
        view = yield fx.Partitions()
        if view.versions.get(view.current) == parsed.baseos.version:
            return False
        status = yield fx.Read(topics.BASEOS_STATUS)
        return not any(sw.version == parsed.baseos.version and sw.error for sw in (status.sw if status else ()))

    def backup(self, now: float) -> Generator[Any, Any, None]:
        """``backupSavedConfig``: copy ``lastconfig`` to ``.bak`` once the last config change is more than
        ``timer.test.baseimage.update`` after the last backup (so the first change of a boot at once)."""
        # EVE: pkg/pillar/cmd/zedagent/handleconfig.go configTimerTask runs this after every wake-up (at least every
        # 25 s); the gap is between the last change and the last backup, not the config's age
        if self.last_change is None or (self.last_backup is not None and self.last_change <= self.last_backup):
            return
        window = self.z.config.int("timer.test.baseimage.update")
        if self.last_backup is not None and int(self.last_change - self.last_backup) <= window:
            return
        saved = yield fx.ReadFile(paths.LASTCONFIG)
        if saved:
            yield fx.WriteFile(paths.LASTCONFIG_BAK, saved)
        self.last_backup = now

    # -------------------------------------------------------------- failure

    def _invalid(self, led: Led) -> Generator[Any, Any, None]:
        """An answer that is not a usable config: EVE's ``invalidConfig``."""
        # EVE: pkg/pillar/cmd/zedagent/handleconfig.go requestConfigByURL: an answer failing its envelope check, of
        # the wrong content type or that does not parse sets the LED and returns invalidConfig; the ConfigGetFail set
        # at the start stands and no checkpoint is read (that only follows a failed request)
        yield from self._set_led(led)
        self.skipping = False
        yield from self._publish(ConfigGet.FAIL)

    def _failure(self, reply: Reply, now: float) -> Generator[Any, Any, None]:
        yield fx.Log(AGENT, "config_failed", {"status": reply.status, "sender": reply.sender.value,
                                              "error": reply.error}, "warning")
        if reply.sender in ENVELOPE_FAILURES or reply.sender is Sender.BAD_CONTENT_TYPE:
            if reply.sender is Sender.CERT_MISS:
                yield from certfetch.refresh(self.z.conn, AGENT)
            yield from self._invalid(Led.CONNECTED if reply.sender is Sender.BAD_CONTENT_TYPE
                                     else Led.INVALID_AUTH_CONTAINER)
            return
        yield from self._failure_led(reply)
        node = yield fx.Read(topics.NODE)
        updating = node is not None and node.update_in_progress
        status = ConfigGet.FAIL
        attested = reply.sender is Sender.FORBIDDEN and self.z.attestation_tries > 0
        if updating and (reply.sender in TEMPORARY or attested):
            status = ConfigGet.TEMPORARY_FAIL
        if reply.sender is Sender.NOT_FOUND:
            yield from self._retry_uuid(now)
        elif attested:
            # EVE: pkg/pillar/cmd/zedagent/handleconfig.go requestConfigByURL: 403 (stale integrity token): attest
            # again, only if a quote was sent this boot (attestationTryCount > 0)
            yield fx.Publish(topics.ATTEST_RESTART, now)
        elif reply.sender is Sender.CERT_INVALID:
            # EVE: pkg/pillar/cmd/zedagent/handleconfig.go requestConfigByURL triggerControllerCertEvent: refetch certs
            yield from certfetch.refresh(self.z.conn, AGENT)
        # EVE: pkg/pillar/cmd/zedagent/handleconfig.go requestConfigByURL reads lastconfig only while no config was
        # received this boot (a skipped one does not count); the hold of a skipped fetch still applies to it
        skipped = False
        if not self.received and not self.read_saved:
            loaded = yield from self.load_checkpoint(node)
            if loaded == "applied":
                status = ConfigGet.READ_SAVED
            skipped = loaded == "skipped"
        self.skipping = skipped
        yield from self._publish(status)

    def _publish(self, status: ConfigGet) -> Generator[Any, Any, None]:
        current = ConfigStatus(status)
        if current != self.published:
            self.published = current
            yield fx.Publish(topics.CONFIG_STATUS, current)

    def _failure_led(self, reply: Reply) -> Generator[Any, Any, None]:
        """LED on a failed request: 3 when the controller answered, else 2; only if zedagent last showed 4."""
        # EVE: pkg/pillar/cmd/zedagent/handleconfig.go requestConfigByURL changes the LED on a failed request only
        # while its own ledBlinkCount is LedBlinkOnboarded, so the first failure after a success shows and later
        # ones (or failures before any success) leave the LED as it is
        if self.led is Led.ONBOARDED:
            yield from self._set_led(Led.CONNECTED if reply.sender in ALMOST_CONNECTED else Led.CONNECTING)

    def _set_led(self, led: Led) -> Generator[Any, Any, None]:
        """``UpdateLedManagerConfig``, remembered as zedagent's ``ledBlinkCount``."""
        self.led = led
        if (yield fx.Read(topics.LED)) != led:
            yield fx.Publish(topics.LED, led)

    def _retry_uuid(self, now: float) -> Generator[Any, Any, None]:
        """404/400 means the controller forgot us: ask ``/uuid`` again, at most every 10 min (none in the first 10)."""
        # EVE: pkg/pillar/cmd/zedagent/handleconfig.go potentialUUIDUpdate: the 10 min count from zedagent's start
        if now - self.z.last_uuid_retry < UUID_RETRY_S:
            return
        self.z.last_uuid_retry = now
        result = yield from zedclient.get_uuid(self.z.conn)
        if isinstance(result, topics.Onboarding) and result.uuid != self.z.uuid:
            yield fx.Log(AGENT, "uuid_changed", {"old": self.z.uuid, "new": result.uuid})
            self.z.uuid = result.uuid
            self.z.config_hash = ""
            yield fx.Publish(topics.ONBOARDING, result)

    def load_checkpoint(self, node: topics.NodeStatus | None) -> Generator[Any, Any, str | None]:
        """Apply the saved config this boot's reason calls for (``lastconfig`` or ``.bak``): "applied", "skipped"
        (its app part dropped because the previous fetch was skipped; it is read again at the next failure) or None.

        An unreadable ``lastconfig`` is healed from ``.bak`` (EVE's ``isSavedConfigDecodable`` check).
        """
        # EVE: pkg/pillar/cmd/zedagent/handleconfig.go requestConfigByURL: after a crash (StartWithSavedConfig false)
        # read only lastconfig.bak (a corrupt one is an invalid config, with no fall back to lastconfig)
        use_bak = node is None or BootReason(node.boot_reason).uses_bak_config
        order = (paths.LASTCONFIG_BAK,) if use_bak else (paths.LASTCONFIG, paths.LASTCONFIG_BAK)
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
            skipped = yield from self.apply(parse(response.config), response.configHash, payload, saved=True)
            yield fx.Log(AGENT, "config_read_saved", {"file": path})
            if skipped:
                return "skipped"
            self.read_saved = True
            self.last_change = yield fx.Now()
            return "applied"
        return None


def run(z: Zedagent) -> Generator[Any, Any, None]:
    """Poll forever; each tick is uniformly random in [0.3, 1.0] × ``timer.config.interval``."""
    task = ConfigTask(z)
    # EVE: pkg/pillar/cmd/zedagent/handleconfig.go configTimerTask: the 25 s stillRunning ticker also wakes it
    still_running = (yield fx.Now()) + STILL_RUNNING_S
    while True:
        yield from task.poll()
        # EVE: pkg/pillar/cmd/zedagent/handleconfig.go configTimerTask: a range ticker of [0.3, 1.0] × the interval
        draw = yield fx.Random("config")
        delay = z.config.int("timer.config.interval") * (0.3 + 0.7 * draw)
        now = yield fx.Now()
        # EVE: nothing fetches the config early once attestation gives a new token after a 403
        wake = now + delay
        while still_running < wake:
            if (yield from task.sleep(still_running - now)):
                break
            now = still_running
            still_running += STILL_RUNNING_S
            yield from task.backup(now)
        else:
            yield from task.sleep(wake - now)
