"""baseosmgr: the A/B base-OS update — download, write the other partition, mark it, commit.

As EVE's ``pkg/pillar/cmd/baseosmgr``: refuses a version whose earlier attempt failed (other
partition ``inprogress`` with that version) until ``retry_update`` changes, defers while a test is
running (TooEarly), honours ``activate=false``, ``force.fallback.counter`` and a deleted base-OS
config (which also frees a failed partition, ``doBaseOsUninstall``, so the same version can be
tried again). The named fixes ``retry-on-increase``, ``failed-version-memory`` and
``unused-before-write`` (``evesim.agent.fixes``) switch on evesim's improvements on EVE.
Simplification: a config change is noticed between steps, not in the middle of a download.
"""

from __future__ import annotations

import json
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any, Literal

from evesim.agent import effects as fx
from evesim.agent import paths, topics
from evesim.agent.fixes import Fix
from evesim.agent.topics import BaseOs, BaseOsReport, DevSw
from evesim.api import pb
from evesim.api.vocab import PartitionLabel, PartitionState

AGENT = "baseosmgr"
WATCH = (topics.BASEOS_CONFIG, topics.ZBOOT_CONFIG, topics.GLOBAL_CONFIG, topics.NODE)
INFO = pb.info
Phase = Literal["downloading", "verified", "delivered", "deferred", "writing", "updating", "error"]
"""Where the install of one version stands."""
IN_FLIGHT: tuple[Phase, ...] = ("downloading", "writing")
WRITABLE: tuple[PartitionState, ...] = ("unused", "inprogress", "updating")
"""Other-partition states an image may be written over (EVE's ``doBaseOsActivate``)."""


def other(label: str) -> PartitionLabel:
    """The partition that is not ``label``."""
    return "IMGB" if label == "IMGA" else "IMGA"


@dataclass
class Saved:
    """What baseosmgr keeps across reboots."""

    retry_counter: int | None = None
    force_fallback: int | None = None
    update_counter: int = 0
    failed: set[str] = field(default_factory=set)

    @classmethod
    def parse(cls, raw: bytes | None) -> Saved:
        try:
            data = json.loads(raw or b"{}")
            return cls(data.get("retry_counter"), data.get("force_fallback"), int(data.get("update_counter", 0)),
                       {str(v) for v in data.get("failed", [])})
        except (ValueError, TypeError, AttributeError):
            return cls()

    def dump(self) -> bytes:
        return json.dumps({"retry_counter": self.retry_counter, "force_fallback": self.force_fallback,
                           "update_counter": self.update_counter, "failed": sorted(self.failed)},
                          sort_keys=True).encode()


@dataclass
class Install:
    """Progress of installing one version."""

    version: str
    retry: int = 0
    phase: Phase = "downloading"
    progress: int = 0
    error: str = ""
    error_time: float = 0.0
    blob: str | None = None
    attempts: int = 0


@dataclass
class BaseOsMgr:
    """baseosmgr's state for one boot."""

    saved: Saved = field(default_factory=Saved)
    install: Install | None = None
    published: BaseOsReport | None = None
    configured: bool = False
    fixes: frozenset[Fix] = frozenset()
    seen: BaseOs | None = None
    """The base-OS config last handled this boot (EVE acts on the retry counter on create/modify only)."""

    # -------------------------------------------------------------- inputs

    def _inputs(self) -> Generator[Any, Any, tuple[fx.PartitionView, BaseOs | None]]:
        view = yield fx.Partitions()
        cfg = yield fx.Read(topics.BASEOS_CONFIG)
        return view, cfg

    def _save(self) -> fx.WriteFile:
        return fx.WriteFile(paths.BASEOS_STATUS, self.saved.dump())

    # -------------------------------------------------------------- one reconciliation

    def reconcile(self) -> Generator[Any, Any, float | None]:
        """Act on the current inputs; returns seconds until it should look again (None: on change)."""
        yield from self._commit()
        if (yield from self._force_fallback()):
            return None
        view, cfg = yield from self._inputs()
        cur, oth = view.current, other(view.current)
        if cfg is None:
            yield from self._deleted(view)
            return None
        self.configured = True
        if "failed-version-memory" in self.fixes:
            yield from self._remember_failure(view)
        if cfg != self.seen:
            self.seen = cfg
            if (yield from self._retry(cfg, view)):
                return None
        # EVE: pkg/pillar/cmd/baseosmgr/handlebaseos.go doBaseOsStatusUpdate does nothing for the running version
        if cfg.version == view.versions[cur] or (view.states[oth] == "updating" and view.versions[oth] == cfg.version):
            return None
        if self._failed(cfg, view):
            return None
        if self.install is None or self.install.phase == "updating" or \
                (self.install.version, self.install.retry) != (cfg.version, cfg.retry_counter):
            self.install = Install(cfg.version, cfg.retry_counter)
        if self.install.phase == "error":
            return None
        return (yield from self._advance(self.install, cfg, view))

    def _deleted(self, view: fx.PartitionView) -> Generator[Any, Any, None]:
        """The base-OS config was deleted this boot: cancel, and free a failed partition (``doBaseOsUninstall``).

        A config that never had one this boot (e.g. an older checkpoint) is not a deletion.
        """
        self.install = None
        cur, oth = view.current, other(view.current)
        version = self.seen.version if self.seen is not None else None
        # EVE: pkg/pillar/cmd/baseosmgr/handlebaseos.go doBaseOsUninstall frees the other partition if it is
        # ``updating`` or holds the deleted version, and only while the running one is ``active``
        ours = view.states[oth] == "updating" or (view.states[oth] == "inprogress" and (
            view.versions[oth] == version or "failed-version-memory" in self.fixes))
        if self.configured and ours:
            if view.states[cur] == "active":
                yield fx.SetPartitionState(oth, "unused")
                yield fx.Log(AGENT, "update_cancelled", {"partition": oth, "was": view.states[oth]})
            else:
                yield fx.Log(AGENT, "refused", {"what": "uninstall", "partition": oth, "current": view.states[cur]},
                             "warning")
        if self.configured and self.saved.failed:
            self.saved.failed.clear()
            yield self._save()
        self.configured = False
        self.seen = None

    def _commit(self) -> Generator[Any, Any, None]:
        """Test complete: current ``inprogress`` → ``active``, other ``active``/``inprogress`` → ``unused``."""
        zboot = yield fx.Read(topics.ZBOOT_CONFIG)
        view = yield fx.Partitions()
        cur, oth = view.current, other(view.current)
        if zboot is None or not zboot.test_complete or view.states[cur] != "inprogress":
            return
        yield fx.SetPartitionState(cur, "active")
        # EVE: pkg/pillar/zboot/zboot.go MarkCurrentPartitionStateActive marks the other unused only from these
        if view.states[oth] in ("active", "inprogress"):
            yield fx.SetPartitionState(oth, "unused")
        cfg = yield fx.Read(topics.BASEOS_CONFIG)
        if "retry-on-increase" in self.fixes:
            if cfg is not None and cfg.version == view.versions[cur]:
                self.saved.update_counter = cfg.retry_counter
                yield self._save()
        elif self.saved.update_counter != (self.saved.retry_counter or 0):
            # EVE: pkg/pillar/cmd/baseosmgr/handlebaseos.go handleZbootTestComplete syncs from the stored counter
            self.saved.update_counter = self.saved.retry_counter or 0
            yield self._save()
        yield fx.Log(AGENT, "update_committed", {"partition": cur, "version": view.versions[cur] or ""})

    def _force_fallback(self) -> Generator[Any, Any, bool]:
        """A changed ``force.fallback.counter`` boots the previous image (EVE's ``handleForceFallback``)."""
        counter = (yield from topics.global_config()).int("force.fallback.counter")
        if self.saved.force_fallback == counter:
            return False
        if self.saved.force_fallback is None:
            # EVE: pkg/pillar/cmd/baseosmgr/forcefallback.go handleForceFallback only records the first value it sees
            self.saved.force_fallback = counter
            yield self._save()
            return False
        view = yield fx.Partitions()
        oth = other(view.current)
        # EVE: pkg/pillar/cmd/baseosmgr/forcefallback.go handleForceFallback: any change (a lower value too) acts,
        # and is saved only once it has, so a change that came while the partitions did not allow it acts later
        if view.states[view.current] != "active" or view.states[oth] != "unused" or not view.versions[oth]:
            return False
        yield fx.SetPartitionState(oth, "updating")
        self.saved.force_fallback = counter
        yield self._save()
        yield fx.Log(AGENT, "force_fallback", {"partition": oth, "version": view.versions[oth]})
        return True

    def _remember_failure(self, view: fx.PartitionView) -> Generator[Any, Any, None]:
        """Running the old image with the new one ``inprogress`` beside it: that version failed."""
        oth = other(view.current)
        version = view.versions[oth]
        if view.states[view.current] == "active" and view.states[oth] == "inprogress" and version \
                and version not in self.saved.failed:
            self.saved.failed.add(version)
            yield self._save()

    def _failed(self, cfg: BaseOs, view: fx.PartitionView) -> bool:
        """The configured version failed: no download (EVE's ``validatePartition``).

        EVE knows a failure only as the other partition ``inprogress`` with that version; fix
        ``failed-version-memory`` also remembers it by version (``Saved.failed``).
        """
        oth = other(view.current)
        if view.states[oth] == "inprogress" and view.versions[oth] == cfg.version:
            return True
        return "failed-version-memory" in self.fixes and cfg.version in self.saved.failed

    def _retry(self, cfg: BaseOs, view: fx.PartitionView) -> Generator[Any, Any, bool]:
        """A changed ``retry_update`` (EVE's ``handleUpdateRetryCounter``); True if it marked a retry.

        EVE: any change of the counter retries a failed image (other partition ``inprogress`` with
        the configured version) by marking it ``updating``, without a new download; with nothing
        failed the change is only saved; while the running image is not ``active`` it is ignored
        and not saved. Fix ``retry-on-increase``: only an increase counts (``lastconfig.bak`` may
        carry a lower counter and start a retry loop, found by the property tests). Fix
        ``failed-version-memory``: a failure remembered by version is retried by a fresh install.
        """
        cur, oth = view.current, other(view.current)
        if "retry-on-increase" in self.fixes:
            changed = self.saved.retry_counter is not None and cfg.retry_counter > self.saved.retry_counter
        else:
            # EVE: pkg/pillar/cmd/baseosmgr/handlebaseos.go handleUpdateRetryCounter acts on any change, not an increase
            changed = cfg.retry_counter != (self.saved.retry_counter or 0)
        if not changed:
            return False
        if view.states[cur] != "active":
            # EVE: same function; a change while the running image is under test is dropped, not saved
            yield fx.Log(AGENT, "refused", {"what": "retry_update", "counter": cfg.retry_counter,
                                            "current": view.states[cur]})
            return False
        on_partition = view.states[oth] == "inprogress" and view.versions[oth] == cfg.version and cfg.activate
        remembered = "failed-version-memory" in self.fixes and cfg.version in self.saved.failed
        self.saved.retry_counter = cfg.retry_counter
        if not (on_partition or remembered):
            self.saved.update_counter = cfg.retry_counter
            yield self._save()
            return False
        if "failed-version-memory" in self.fixes:
            self.saved.failed.discard(cfg.version)
            self.saved.update_counter = cfg.retry_counter
        yield self._save()
        yield fx.Log(AGENT, "retry_update", {"version": cfg.version, "counter": cfg.retry_counter})
        if on_partition:
            # EVE: same function; the failed image is booted again as it is, not downloaded afresh
            yield fx.SetPartitionState(oth, "updating")
            return True
        return False

    # -------------------------------------------------------------- the install pipeline

    def _advance(self, install: Install, cfg: BaseOs, view: fx.PartitionView) -> Generator[Any, Any, float | None]:
        if install.blob is None:
            retry = yield from self._download(install, cfg)
            if retry is not None or install.blob is None:
                return retry
        if not cfg.activate:
            install.phase = "delivered"
            return None
        cur, oth = view.current, other(view.current)
        if view.states[cur] == "inprogress" or view.states[oth] == "active":
            # EVE: pkg/pillar/cmd/baseosmgr/handlebaseos.go validateAndAssignPartition defers (TooEarly) while testing
            install.phase = "deferred"
            return None
        if view.states[oth] not in WRITABLE:
            yield from self._fail(install, f"Wrong partition state {view.states[oth]} for {oth}")
            return None
        size = view.sizes[oth] if view.sizes else None
        if size is not None and size < cfg.size_bytes:
            # EVE: pkg/pillar/cmd/baseosmgr/handlebaseos.go doBaseOsActivate errors out, partition state unchanged
            yield from self._fail(install, f"doBaseOsActivate: Image size {cfg.size_bytes} bytes greater than "
                                           f"partition size {size} bytes")
            return None
        return (yield from self._write(install, install.blob, cfg, oth))

    def _download(self, install: Install, cfg: BaseOs) -> Generator[Any, Any, float | None]:
        config = yield from topics.global_config()
        max_retries = config.int("blob.download.max.retries")
        install.phase, install.progress = "downloading", 0
        yield from self.publish()
        yield fx.Log(AGENT, "download_started", {"version": cfg.version, "url": cfg.url})
        max_cost = (yield from topics.global_config()).int("network.download.max.cost")
        result = yield fx.Download(cfg.url, cfg.sha256, cfg.size_bytes, max_cost)
        if result.blob is not None:
            install.blob, install.phase, install.progress = result.blob, "verified", 100
            yield fx.Log(AGENT, "download_done", {"version": cfg.version})
            return None
        install.attempts += 1
        yield fx.Log(AGENT, "download_failed", {"version": cfg.version, "error": result.error,
                                                "attempt": install.attempts}, "warning")
        # EVE: pkg/pillar/cmd/volumemgr/updatestatus.go doUpdateContentTree retries only verify errors, up to the limit
        if result.verify_failed and install.attempts >= max_retries:
            yield from self._fail(install, f"download of {cfg.version} failed verification "
                                           f"{install.attempts} times: {result.error}")
            return None
        return float(config.int("timer.download.retry"))

    def _write(self, install: Install, blob: str, cfg: BaseOs,
               oth: PartitionLabel) -> Generator[Any, Any, float | None]:
        """Write the image into the other partition, read its version back, mark it ``updating``.

        EVE writes over an ``unused``, ``inprogress`` or ``updating`` partition in place, so a reboot
        during the write over ``updating`` makes GRUB try a half-written image once (found by the
        property tests). Fix ``unused-before-write`` first marks it ``unused``: GRUB never sees one.
        """
        install.phase = "writing"
        view = yield fx.Partitions()
        if "unused-before-write" in self.fixes and view.states[oth] == "updating":
            yield fx.SetPartitionState(oth, "unused")
        yield from self.publish()
        yield fx.Log(AGENT, "partition_write_started", {"partition": oth, "version": cfg.version})
        error = yield fx.WritePartition(oth, blob, cfg.version)
        view = yield fx.Partitions()
        if error is None and view.versions[oth] != cfg.version:
            # EVE: pkg/pillar/cmd/baseosmgr/handlebaseos.go checkInstalledVersion reads the version back after the write
            error = f"version check failed: partition {oth} holds {view.versions[oth]!r}, want {cfg.version!r}"
        if error is not None:
            yield fx.SetPartitionState(oth, "unused")
            yield from self._fail(install, error)
            return None
        if "retry-on-increase" in self.fixes:
            self.saved.retry_counter = max(cfg.retry_counter, self.saved.retry_counter or 0)
            self.saved.update_counter = cfg.retry_counter
            yield self._save()
        yield fx.SetPartitionState(oth, "updating")
        install.phase = "updating"
        yield fx.Log(AGENT, "update_ready", {"partition": oth, "version": cfg.version})
        return None

    @staticmethod
    def _fail(install: Install, error: str) -> Generator[Any, Any, None]:
        install.phase, install.error = "error", error
        install.error_time = yield fx.WallClock()

    # -------------------------------------------------------------- reporting

    def publish(self) -> Generator[Any, Any, None]:
        """Publish BaseOsStatus (swList entries) if it changed."""
        view, cfg = yield from self._inputs()
        node = yield fx.Read(topics.NODE)
        report = build_report(view, cfg, self.install, self.saved.update_counter,
                              node.last_reboot_reason if node else "", frozenset(self.saved.failed),
                              node.boot_time if node else 0.0)
        if report != self.published:
            self.published = report
            yield fx.Publish(topics.BASEOS_STATUS, report)


def _current_entry(label: PartitionLabel, state: PartitionState, version: str, cfg: BaseOs | None) -> DevSw:
    configured = cfg is None or (cfg.activate and cfg.version == version)
    if state == "inprogress":
        return DevSw(label, state, version, INFO.INSTALLED, INFO.UPDATING, INFO.UPDATE_TESTING, "testing the new image",
                     activated=True)
    if configured:
        return DevSw(label, state, version, INFO.INSTALLED, INFO.UPDATED, activated=True)
    return DevSw(label, state, version, INFO.INSTALLED, INFO.FALLBACK, activated=False)


_PHASES: dict[Phase, tuple[pb.info.ZSwState, pb.info.BaseOsStatus, pb.info.BaseOsSubStatus, str]] = {
    "downloading": (INFO.DOWNLOAD_STARTED, INFO.DOWNLOADING, INFO.DOWNLOAD_INPROGRESS, "downloading"),
    "verified": (INFO.DELIVERED, INFO.DOWNLOAD_DONE, INFO.NONE_SUBSTATUS, ""),
    "delivered": (INFO.DELIVERED, INFO.DOWNLOAD_DONE, INFO.NONE_SUBSTATUS, ""),
    "deferred": (INFO.DELIVERED, INFO.UPDATING, INFO.UPDATE_DEFERRED, "waiting for the running update test to finish"),
    "writing": (INFO.DELIVERED, INFO.UPDATING, INFO.UPDATE_INITIALIZING, "writing the image"),
}


def _other_entry(label: PartitionLabel, state: PartitionState, version: str, cfg: BaseOs | None,
                 install: Install | None, last_reboot: str, failed: frozenset[str], booted: float) -> DevSw:
    """The other partition's entry; a failure found at boot is dated by that boot."""
    wanted = cfg.version if cfg is not None else None
    if state == "updating":
        return DevSw(label, state, version, INFO.INSTALLED, INFO.UPDATING, INFO.UPDATE_REBOOTING, "About to reboot",
                     activated=True)
    if state == "inprogress" and version and version == wanted:
        return DevSw(label, state, version, INFO.INSTALLED, INFO.FAILED, error_time=booted,
                     error=f"update to {version} failed, fell back: {last_reboot or 'unknown reason'}")
    if wanted in failed:
        return DevSw(label, state, wanted, INFO.INSTALLED, INFO.FAILED, error_time=booted,
                     error=f"update to {wanted} failed before; bump retry_update to try it again")
    if install is not None and install.version == wanted and install.phase == "error":
        return DevSw(label, state, wanted, INFO.ERROR, INFO.FAILED, error=install.error, error_time=install.error_time)
    if install is not None and install.version == wanted and install.phase in _PHASES:
        status, user, sub, text = _PHASES[install.phase]
        return DevSw(label, state, wanted, status, user, sub, text, install.progress, install.progress,
                     activated=bool(cfg and cfg.activate))
    return DevSw(label, state, version, INFO.INSTALLED if version else INFO.INITIAL, INFO.NONE)


UNLABELLED: tuple[Phase, ...] = ("downloading", "verified", "delivered", "deferred")
"""Phases before baseosmgr assigns the other partition to the install (EVE's ``validateAndAssignPartition``)."""


def _zboot_entry(label: PartitionLabel, state: PartitionState, version: str, current: bool) -> DevSw:
    """A partition no BaseOsStatus names, reported from zboot (EVE's ``getSwInfo`` and ``addUserSwInfo``)."""
    if not version:
        return DevSw(label, state, version, INFO.INITIAL, INFO.NONE, activated=current)
    if state == "active":
        return DevSw(label, state, version, INFO.INSTALLED, INFO.UPDATED if current else INFO.FALLBACK,
                     download_progress=100, activated=current)
    if state == "updating":
        return DevSw(label, state, version, INFO.INSTALLED, INFO.UPDATING, INFO.UPDATE_REBOOTING, "About to reboot",
                     download_progress=100, activated=current)
    if state == "inprogress" and current:
        return DevSw(label, state, version, INFO.INSTALLED, INFO.UPDATING, INFO.UPDATE_TESTING,
                     "testing the new image", download_progress=100, activated=True)
    if state == "inprogress":
        return DevSw(label, state, version, INFO.INSTALLED, INFO.FAILED, download_progress=100)
    return DevSw(label, state, version, INFO.INSTALLED, INFO.NONE, download_progress=100, activated=current)


def build_report(view: fx.PartitionView, cfg: BaseOs | None, install: Install | None, update_counter: int,
                 last_reboot: str, failed: frozenset[str] = frozenset(), booted: float = 0.0) -> BaseOsReport:
    """BaseOsStatus as ``swList`` entries: one for the running partition, one for the other.

    While a download has no partition yet, both partitions are reported as zboot sees them and the
    download is a third entry without a partition label.
    """
    cur, oth = view.current, other(view.current)
    if cfg is not None and install is not None and install.version == cfg.version and install.phase in UNLABELLED:
        # EVE: pkg/pillar/cmd/zedagent/reportinfo.go PublishDeviceInfoToZedCloud (getSwInfo) adds an unlabelled
        # BaseOsStatus as an extra entry; the running partition stays UPDATED and activated
        status, user, sub, text = _PHASES[install.phase]
        download = DevSw("", "", cfg.version, status, user, sub, text, install.progress, install.progress,
                         activated=cfg.activate)
        entries = (_zboot_entry(cur, view.states[cur], view.versions[cur] or "", True),
                   _zboot_entry(oth, view.states[oth], view.versions[oth] or "", False), download)
        in_flight = install.phase in IN_FLIGHT + ("deferred",)
        updating = in_flight or view.states[cur] == "inprogress" or view.states[oth] == "updating"
        return BaseOsReport(entries, update_counter, updating, reboot=view.states[oth] == "updating")
    current = _current_entry(cur, view.states[cur], view.versions[cur] or "", cfg)
    second = _other_entry(oth, view.states[oth], view.versions[oth] or "", cfg, install, last_reboot, failed, booted)
    in_flight = install is not None and install.phase in IN_FLIGHT + ("deferred",)
    updating = in_flight or view.states[cur] == "inprogress" or view.states[oth] == "updating"
    return BaseOsReport((current, second), update_counter, updating, reboot=view.states[oth] == "updating")


def run(fixes: frozenset[Fix] = frozenset()) -> Generator[Any, Any, None]:
    """The baseosmgr process; it acts only once zedagent has applied a config (fetched or saved)."""
    mgr = BaseOsMgr(Saved.parse((yield fx.ReadFile(paths.BASEOS_STATUS))), fixes=fixes)
    yield from mgr.publish()
    yield from topics.wait_for(topics.GLOBAL_CONFIG)
    seen = 0
    while True:
        retry = yield from mgr.reconcile()
        yield from mgr.publish()
        seen = yield fx.Wait(WATCH, seen, retry)
