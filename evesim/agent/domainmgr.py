"""domainmgr: app instances from config to running domains (EVE's zedmanager, volumemgr and domainmgr).

Each app instance gets its own process, ``domainmgr.<uuid>``: it downloads the app's image once
(in a process of its own, ``domainmgr.<uuid>.download``, so a running domain is still checked and
halted meanwhile) into a volume (in the vault, so not before the vault is unlocked), boots a
domain when the app is activated (maintenance mode does not stop it: EVE's zedmanager and domainmgr do not
look at it), checks the domain
every 9-30 s, and halts it when the app is deactivated or removed or nodeagent asks (reboot,
shutdown). A restart or purge shows as HALTING, HALTED (or INSTALLED), BOOTING, RUNNING (EVE
never reports RESTARTING or PURGING); a new image or a purge is prepared while the old domain
runs, which is halted only once the new volume is ready (until then a restart boots the old
volume again). ``timer.gc.vdisk`` after start, once this boot's app config is known, volumes of
apps no longer configured are removed. EVE: ``pkg/pillar/cmd/zedmanager``, ``volumemgr`` and ``domainmgr``.

An app with interfaces waits in AWAITNETWORKINSTANCE until zedrouter has set them up (``AppNetworkStatus``).

Simplifications: one root volume per app, made as soon as the image is verified (no copy time);
no start delay or cloud-init; a new image for an app is handled like a
purge; removing an app does not cancel its download. Memory is checked against the host's RAM
less EVE's own share, as zedmanager does.
"""

from __future__ import annotations

import json
from collections.abc import Generator
from dataclasses import dataclass, field, replace
from typing import Any

from evesim.agent import diskspace, topics
from evesim.agent import effects as fx
from evesim.agent.topics import App, AppStatus
from evesim.api import pb
from evesim.api.vocab import DomainStatus

AGENT = "domainmgr"
INFO = pb.info
VERIFY_S = 30.0
"""domainmgr's per-domain ticker: a range timer firing every 9-30 s (``runHandler``, which calls ``verifyStatus``)."""
CREATE_TRIES = 3
CREATE_RETRY_S = 5.0
"""``doActivate`` tries a domain create three times, five seconds apart."""
GRACEFUL_S = 60.0
"""How long a guest may take to shut down before it is forced off (``doInactivate``'s ``firstDelay``, HVM)."""
GONE_POLL_MAX_S = 60.0
"""``waitForDomainGone`` polls after 1 s, doubling up to a minute."""
EVE_MEMORY_MB = 650
"""Memory EVE keeps for itself; apps share the rest."""
# EVE: pkg/pillar/cmd/zedmanager/memorysizemgmt.go getRemainingMemory reserves the eve cgroup's limit, which
# pkg/dom0-ztools/rootfs/etc/init.d/010-eve-cgroup sets from GRUB's eve_mem=520M,max:650M (pkg/grub/rootfs.cfg
# set_generic)
VOLUMES = diskspace.VOLUMES
BROKEN = "one of the application's tasks has crashed - please restart application instance"
"""EVE's error text for a crashed domain (``verifyStatus``)."""
RESTING: tuple[DomainStatus, ...] = ("absent", "halted", "crashed")
"""Hypervisor states in which a domain is gone or will not run again by itself."""
REPORTED = ("INITIAL", "DOWNLOAD_STARTED", "INSTALLED", "AWAITNETWORKINSTANCE", "BOOTING", "RUNNING", "HALTING",
            "HALTED")
"""The ``ZSwState`` names domainmgr reports for an app."""
DOWNLOADS = "AppImageDownload/"
"""Prefix of the per-app topic on which an app's download process publishes its ``Fetched``."""


def domain_name(name: str, uuid: str) -> str:
    """The domain an app instance runs as."""
    return f"{name or 'app'}.{uuid[:8]}"


@dataclass
class Apps:
    """What the app processes share: their statuses (published together) and memory held."""

    total_kb: int
    statuses: dict[str, AppStatus] = field(default_factory=dict)
    held_kb: dict[str, int] = field(default_factory=dict)
    tickets: int = 0
    """Downloads started on this boot (a ``Fetched`` names its download by this number)."""

    def ticket(self) -> int:
        """A number for a new download, unique on this boot (even across instances of one app)."""
        self.tickets += 1
        return self.tickets

    def free_kb(self, uuid: str) -> int:
        """Memory for app ``uuid``: the host's share for apps less what the others hold."""
        return self.total_kb - sum(kb for other, kb in self.held_kb.items() if other != uuid)

    def publish(self) -> fx.Publish:
        """The statuses as one ``AppInstanceStatus`` value."""
        return fx.Publish(topics.APP_STATUS, tuple(self.statuses.values()))


@dataclass
class Volume:
    """The app's root volume as kept in the vault: from which image, at which purge count."""

    blob: str = ""
    sha256: str = ""
    purge: int = 0

    @classmethod
    def parse(cls, data: bytes | None) -> Volume | None:
        """A volume record, or None if missing, unreadable or of the wrong shape."""
        try:
            raw = json.loads(data or b"")
        except (ValueError, RecursionError):
            return None
        if not isinstance(raw, dict):
            return None
        blob, sha256, purge = raw.get("blob"), raw.get("sha256"), raw.get("purge")
        if isinstance(blob, str) and isinstance(sha256, str) and type(purge) is int:
            return cls(blob, sha256, purge)
        return None

    def dump(self) -> bytes:
        return json.dumps({"blob": self.blob, "sha256": self.sha256, "purge": self.purge}, sort_keys=True).encode()


@dataclass(frozen=True)
class Fetched:
    """A finished download of an app image (published on ``DOWNLOADS + uuid``)."""

    ticket: int
    sha256: str
    blob: str | None
    error: str | None


class Instance:
    """One app instance's lifecycle on this boot."""

    def __init__(self, apps: Apps, app: App) -> None:
        self.apps = apps
        self.uuid = app.uuid
        self.app = app
        self.status = AppStatus(app.uuid, app.name, app.version, INFO.INITIAL)
        self.domain = domain_name(app.name, app.uuid)
        self.volume: Volume | None = None
        self.restarts = app.restart_counter
        self.purges = app.purge_counter
        self.broken = False
        self.download_retry_at = 0.0
        self.boot_retry_at = 0.0
        self.verify_at = 0.0
        self.again = False
        self.wanted = (app.image_url, app.image_sha256)
        self.fetching: int | None = None

    # ------------------------------------------------------------------ the loop

    def run(self) -> Generator[Any, Any, None]:
        """Follow this app's config until it is removed."""
        self.volume = Volume.parse((yield fx.ReadFile(VOLUMES + self.uuid)))
        seen = 0
        while True:
            app = yield from self._config()
            if app is None:
                yield from self._remove()
                if (yield from self._config()) is None:
                    return
                continue
            self.app = app
            watch = yield from self._step(app)
            yield from self._set()
            now = yield fx.Now()
            seen = yield fx.Wait(watch, seen, self._due(now))

    def _config(self) -> Generator[Any, Any, App | None]:
        configs = (yield fx.Read(topics.APP_CONFIG)) or ()
        return next((a for a in configs if a.uuid == self.uuid), None)

    def _due(self, now: float) -> float | None:
        if self.again:
            self.again = False
            return 0.0
        verify = self.verify_at if self.has_domain else 0.0
        times = [t for t in (self.download_retry_at, self.boot_retry_at, verify) if t > now]
        return min(times) - now if times else None

    @property
    def has_domain(self) -> bool:
        return self.status.domid is not None

    def _step(self, app: App) -> Generator[Any, Any, tuple[str, ...]]:
        """Move one step towards what the config asks; the topics that could change the answer.

        A step that halted a domain ends there (``again``): config and halt requests are read afresh.
        """
        watch: tuple[str, ...] = (topics.APP_CONFIG, topics.HALT_APPS, topics.GLOBAL_CONFIG)
        halt = (yield fx.Read(topics.HALT_APPS)) is not None
        vault = yield fx.Read(topics.VAULT)
        if vault is None or not vault.unlocked:
            return (*watch, topics.VAULT)
        self._counters(app)
        now = yield fx.Now()
        if self.has_domain and (halt or not app.activate or app.restart_counter != self.restarts):
            self.restarts = app.restart_counter
            yield from self._halt()
            self.again = True
            return watch
        self.restarts = app.restart_counter
        if self._stale_volume(app):
            ready = yield from self._prepare(app, now)
            if ready and self.again:
                return watch
            if not ready:
                watch = (*watch, DOWNLOADS + self.uuid)
                if self.volume is None:
                    return watch
        if self.has_domain:
            if now >= self.verify_at and not self.broken:
                yield from self._verify()
            return watch
        if not app.activate or halt:
            self._state(INFO.HALTED)
            return watch
        if not (yield from self._network(app)):
            return (*watch, topics.APP_NETWORK)
        if now >= self.boot_retry_at and not self.broken:
            yield from self._boot(app)
        return (*watch, topics.APP_STATUS, topics.APP_NETWORK)

    def _network(self, app: App) -> Generator[Any, Any, bool]:
        """Whether the app's interfaces are ready (EVE's zedmanager waits for zedrouter's ``AppNetworkStatus``):
        an app whose adapters could not be read, or whose instance is in error, reports the error; one whose
        instance is missing or not activated waits in AWAITNETWORKINSTANCE."""
        if app.net_error:
            self._state(INFO.INSTALLED, app.net_error)
            return False
        if not app.adapters:
            return True
        networks = (yield fx.Read(topics.APP_NETWORK)) or ()
        network = next((n for n in networks if n.uuid == app.uuid), None)
        if network is None or network.waiting or network.error:
            state = INFO.AWAITNETWORKINSTANCE if network is None or network.waiting else INFO.INSTALLED
            self._state(state, network.error if network is not None else "")
            return False
        self.status = replace(self.status, vifs=network.vifs)
        return True

    def _counters(self, app: App) -> None:
        """Bumped restart or purge counters and a changed image clear what held the app back."""
        if app.restart_counter != self.restarts:
            self.broken, self.boot_retry_at = False, 0.0
        if app.purge_counter != self.purges:
            self.purges = app.purge_counter
            self.broken, self.download_retry_at, self.boot_retry_at = False, 0.0, 0.0
        if (app.image_url, app.image_sha256) != self.wanted:
            self.wanted = (app.image_url, app.image_sha256)
            self.download_retry_at = 0.0

    # ------------------------------------------------------------------ volume

    def _stale_volume(self, app: App) -> bool:
        volume = self.volume
        return volume is None or volume.sha256 != app.image_sha256 or volume.purge < app.purge_counter

    def _prepare(self, app: App, now: float) -> Generator[Any, Any, bool]:
        """Make the volume the config asks for (an old domain is halted only once it is ready); True when made."""
        if not app.image_url:
            self._state(INFO.INITIAL, "the app has no image")
            return False
        blob = self.volume.blob if self.volume is not None and self.volume.sha256 == app.image_sha256 else None
        if blob is None:
            blob = yield from self._fetched(app, now)
            if blob is None:
                return False
        if self.has_domain:
            yield from self._halt()
            self.again = True
        self.volume = Volume(blob, app.image_sha256, app.purge_counter)
        yield fx.WriteFile(VOLUMES + self.uuid, self.volume.dump())
        self.broken, self.boot_retry_at = False, 0.0
        self._state(INFO.INSTALLED)
        yield fx.Log(AGENT, "app_volume_ready", {"app": app.name, "purge": app.purge_counter})
        return True

    def _fetched(self, app: App, now: float) -> Generator[Any, Any, str | None]:
        """The downloaded image once its download is done; starts one (in its own process) if none runs.

        A download of another image (the config changed meanwhile) is ignored, and the wanted one started.
        """
        if self.fetching is not None:
            result = yield fx.Read(DOWNLOADS + self.uuid)
            if result is None or result.ticket != self.fetching:
                return None
            self.fetching = None
            if result.sha256 == app.image_sha256:
                if result.blob is not None:
                    return result.blob
                config = yield from topics.global_config()
                self.download_retry_at = now + config.int("timer.download.retry")
                self._state(self.status.state, f"download of {app.image_url} failed: {result.error}")
                return None
        if now < self.download_retry_at:
            return None
        self.fetching = self.apps.ticket()
        self._state(self.status.state if self.has_domain else INFO.DOWNLOAD_STARTED)
        yield fx.Spawn(f"{AGENT}.{self.uuid}.download", _download(self.uuid, self.fetching, app))
        return None

    # ------------------------------------------------------------------ domain

    def _boot(self, app: App) -> Generator[Any, Any, None]:
        """Check memory, create the domain (three tries), start it."""
        free = self.apps.free_kb(self.uuid)
        # EVE: pkg/pillar/cmd/zedmanager/updatestatus.go doActivate keeps an app that does not fit from booting
        if app.memory_kb > free:
            need = app.memory_kb * 1024
            self._state(INFO.INSTALLED, f"Remaining memory bytes {free * 1024} app instance needs {need}")
            return
        self.apps.held_kb[self.uuid] = app.memory_kb
        self._state(INFO.BOOTING)
        yield from self._set()
        created = yield from self._create(app)
        if created.error is None:
            started = yield fx.Domain("start", self.domain)
            if started.error is None:
                wall = yield fx.WallClock()
                # EVE: pkg/pillar/cmd/domainmgr/domainmgr.go doActivate keeps the id DomainCreate returned; starting
                # the domain does not look it up again
                self.status = replace(self.status, domid=created.domid, boot_time=wall)
                self._state(INFO.RUNNING)
                self.verify_at = (yield fx.Now()) + VERIFY_S * (0.3 + 0.7 * (yield fx.Random("domain-verify")))
                return
            yield fx.Domain("destroy", self.domain)
            created = started
        yield from self._boot_failed(created.error or "", INFO.HALTED)

    def _create(self, app: App) -> Generator[Any, Any, fx.DomainState]:
        # EVE: pkg/pillar/cmd/domainmgr/domainmgr.go doActivate retries DomainCreate, not the whole boot
        for attempt in range(CREATE_TRIES):
            if attempt:
                yield fx.Sleep(CREATE_RETRY_S)
            blob = self.volume.blob if self.volume else ""
            created = yield fx.Domain("create", self.domain, app.memory_kb, app.vcpus, blob)
            if created.error is None:
                return created
        return created

    def _boot_failed(self, why: str, state: pb.info.ZSwState) -> Generator[Any, Any, None]:
        """Boot failed: free the memory, retry after ``timer.boot.retry``."""
        config = yield from topics.global_config()
        wait = config.int("timer.boot.retry")
        self.apps.held_kb.pop(self.uuid, None)
        self.status = replace(self.status, domid=None, boot_time=0.0)
        self.boot_retry_at = (yield fx.Now()) + wait
        self._state(state, f"{why}; will retry in {wait} s")

    def _verify(self) -> Generator[Any, Any, None]:
        """``verifyStatus``: a crashed guest is broken (no retry); a halted one is retried later."""
        info = yield fx.Domain("info", self.domain)
        self.verify_at = (yield fx.Now()) + VERIFY_S * (0.3 + 0.7 * (yield fx.Random("domain-verify")))
        # EVE: pkg/pillar/cmd/domainmgr/domainmgr.go verifyStatus: a BROKEN task waits for a restart (no boot retry),
        # a HALTED one is booted again after timer.boot.retry
        if info.state == "crashed":
            self.broken = True
            self._state(INFO.HALTING, BROKEN)
            yield fx.Log(AGENT, "app_broken", {"app": self.app.name}, "error")
        elif info.state in ("halted", "absent"):
            if info.state == "halted":
                yield fx.Domain("destroy", self.domain)
            yield from self._boot_failed("unexpected state HALTED", INFO.HALTED)

    def _halt(self) -> Generator[Any, Any, None]:
        """HALTING: graceful shutdown for up to 60 s, then force; then destroy the domain (HALTED)."""
        self._state(INFO.HALTING, self.status.error if self.broken else "")
        yield from self._set()
        # EVE: pkg/pillar/cmd/domainmgr/domainmgr.go doInactivate: a shutdown, up to firstDelay, then a forced one
        state = yield fx.Domain("stop", self.domain)
        waited, delay = 0.0, 1.0
        while state.state not in RESTING and waited < GRACEFUL_S:
            yield fx.Sleep(delay)
            waited, delay = waited + delay, min(delay * 2, GONE_POLL_MAX_S)
            state = yield fx.Domain("info", self.domain)
        if state.state not in RESTING:
            yield fx.Domain("stop", self.domain, force=True)
        yield fx.Domain("destroy", self.domain)
        self.apps.held_kb.pop(self.uuid, None)
        self.status = replace(self.status, domid=None, boot_time=0.0)
        self._state(INFO.HALTED, self.status.error if self.broken else "")

    def _remove(self) -> Generator[Any, Any, None]:
        """The app left the config: halt, forget the volume, drop the status."""
        if self.has_domain:
            yield from self._halt()
        yield fx.RemoveFile(VOLUMES + self.uuid)
        self.volume = None
        self.apps.statuses.pop(self.uuid, None)
        yield self.apps.publish()
        yield fx.Log(AGENT, "app_removed", {"app": self.app.name})

    # ------------------------------------------------------------------ status

    def _state(self, state: pb.info.ZSwState, error: str = "") -> None:
        app = self.app
        self.status = replace(self.status, name=app.name, version=app.version, state=state, error=error)

    def _set(self) -> Generator[Any, Any, None]:
        """Publish this app's status if it changed, and log the change."""
        if self.apps.statuses.get(self.uuid) == self.status:
            return
        before = self.apps.statuses.get(self.uuid)
        self.apps.statuses[self.uuid] = self.status
        yield self.apps.publish()
        if before is None or before.state != self.status.state or before.error != self.status.error:
            fields = {"app": self.status.name, "state": INFO.ZSwState.Name(self.status.state)}
            if self.status.error:
                fields["error"] = self.status.error
            yield fx.Log(AGENT, "app_state", fields, "warning" if self.status.error else "info")


def _download(uuid: str, ticket: int, app: App) -> Generator[Any, Any, None]:
    """Fetch and verify an app image, then publish the outcome for the app's process."""
    max_cost = (yield from topics.global_config()).int("network.download.max.cost")
    result = yield fx.Download(app.image_url, app.image_sha256, app.image_size, max_cost)
    yield fx.Publish(DOWNLOADS + uuid, Fetched(ticket, app.image_sha256, result.blob, result.error))


def _gc(configs: tuple[App, ...], managed: set[str]) -> Generator[Any, Any, None]:
    """EVE's ``timer.gc.vdisk`` sweep: remove the volumes of apps no longer in the config (a removal cut short)."""
    keep = {a.uuid for a in configs} | managed
    for name in (yield fx.ListFiles(VOLUMES)):
        if name not in keep:
            yield fx.RemoveFile(VOLUMES + name)
            yield fx.Log(AGENT, "app_volume_gc", {"uuid": name})


def run() -> Generator[Any, Any, None]:
    """Start one process per app instance in the config (each ends when its app is removed); sweep
    unused volumes once, ``timer.gc.vdisk`` after start and not before this boot's app config is known."""
    hardware = yield fx.HardwareInfo()
    yield fx.Spawn(f"{AGENT}.diskmetrics", diskspace.run())
    apps = Apps(total_kb=max(hardware.memory_mb - EVE_MEMORY_MB, 0) * 1024)
    managed: set[str] = set()
    seen = 0
    start = yield fx.Now()
    swept = False
    while True:
        configs = yield fx.Read(topics.APP_CONFIG)
        for app in configs or ():
            if app.uuid not in managed:
                managed.add(app.uuid)
                yield fx.Spawn(f"{AGENT}.{app.uuid}", _instance(apps, app, managed))
        now = yield fx.Now()
        gc_at = start + (yield from topics.global_config()).int("timer.gc.vdisk")
        if not swept and now >= gc_at and configs is not None:
            yield from _gc(configs, managed)
            swept = True
        wait = None if swept or now >= gc_at else gc_at - now
        seen = yield fx.Wait((topics.APP_CONFIG, topics.GLOBAL_CONFIG), seen, wait)


def _instance(apps: Apps, app: App, managed: set[str]) -> Generator[Any, Any, None]:
    yield from Instance(apps, app).run()
    managed.discard(app.uuid)
