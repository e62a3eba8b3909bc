"""Hypothesis state machine: one device, its controller, and every fault we can throw at an update.

Rules order updates (good or defective images), cut and restore power at any moment, hang
agents, cut the controller off, bump retry_update and force.fallback.counter, and let time pass.

Two machines. ``UpdateMachine`` runs EVE's own behaviour (no fixes) and checks what EVE
guarantees: after every step some partition GRUB may boot holds a complete, verified image (never
bricked), and the partition GRUB would pick holds one too unless it is a first try that GRUB makes
once (tries <= 1, not successful): EVE writes a newer image over an ``updating`` partition in place
(``pkg/pillar/cmd/baseosmgr/handlebaseos.go doBaseOsActivate``). The device only ever runs
versions the controller asked for (or its original). At the end, with faults stopped, it is not
bricked and runs an image; it need not converge, since a counter from ``lastconfig.bak`` or a
forgotten failure can make EVE retry forever (``handleUpdateRetryCounter``, ``validatePartition``).

``FixedUpdateMachine`` switches on the fixes retry-on-increase, failed-version-memory and
unused-before-write and checks the stronger properties: the partition GRUB would pick always holds a
complete, verified image, and the device converges within a bound to the version asked for, or
reports it FAILED on the previous one.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from evesim.agent.fixes import Fix
from evesim.hw.disk import GptCorrupt
from evesim.sim import faults, outcome
from evesim.sim.world import Group, World, WorldSpec

ORIGINAL = "14.5.1"
DEFECTS = ("crash_at_boot", "no_controller", "breaks_vault", "corrupt_download")
AGENTS = ("zedagent", "nodeagent", "baseosmgr", "nim")
CONVERGENCE_S = 4 * 3600.0
TIMERS = {"timer.config.interval": "60", "timer.metric.interval": "300"}


def _bootable(world: World) -> list:
    """The image partitions GRUB may boot now (tries left or successful), best first; [] if the table is gone."""
    try:
        entries = world.devices[0].hw.disk.read_table()
    except GptCorrupt:
        return []
    bootable = [e for e in entries if e.name in ("IMGA", "IMGB") and (e.attr.tries > 0 or e.attr.successful)]
    return sorted(bootable, key=lambda e: -e.attr.priority)


def _complete(world: World, entry) -> bool:
    image = world.devices[0].hw.disk.image_in(entry.name)
    return image is not None and image.content_sha256 == image.sha256


def bootable_image(world: World) -> object | None:
    """What GRUB would boot now, without writing anything: the image in the winning partition."""
    bootable = _bootable(world)
    return world.devices[0].hw.disk.image_in(bootable[0].name) if bootable else None


class UpdateMachine(RuleBasedStateMachine):
    """One device through arbitrary update and fault sequences, as EVE (no fixes)."""

    FIXES: frozenset[Fix] = frozenset()
    STRICT = False
    """Check the stronger properties evesim's fixes give, not only EVE's guarantees."""

    def __init__(self) -> None:
        super().__init__()
        self.world: World | None = None
        self.asked = {ORIGINAL}
        self.versions = 0

    @initialize(seed=st.integers(0, 2**16), tpm=st.booleans())
    def boot_fleet(self, seed: int, tpm: bool) -> None:
        spec = WorldSpec(seed=seed, groups=(Group("dev", 1, "generic-x86" if tpm else "rpi4", ORIGINAL),),
                         config_items=TIMERS, power_on_spread_s=0.0, fixes=self.FIXES)
        self.world = World(spec)
        self.world.start()
        self.world.run(until=600.0)
        assert self.device.uuid, "the device onboards before the faults start"

    @property
    def device(self):
        return self.world.devices[0]

    def _advance(self, seconds: float) -> None:
        self.world.run(until=self.world.env.now + seconds)

    # ------------------------------------------------------------------ rules

    @rule(defect=st.sampled_from((None,) + DEFECTS), after=st.floats(0, 600))
    def order_update(self, defect: str | None, after: float) -> None:
        self._advance(after)
        self.versions += 1
        version = f"14.6.{self.versions}"
        image = self.world.publish_image(version, 200_000_000, frozenset({defect} if defect else ()))
        self.asked.add(version)
        self.world.core.set_base_os(self.device.uuid, version, url=self.world.image_url(version),
                                    sha256=image.sha256, size_bytes=image.size_bytes)

    @rule(after=st.floats(0, 900), off=st.floats(0, 600))
    def power_cut(self, after: float, off: float) -> None:
        self._advance(after)
        faults.power_cut(self.world, self.device, off)

    @rule(after=st.floats(0, 300))
    def power_cut_and_stay_off(self, after: float) -> None:
        self._advance(after)
        self.device.power_cut()

    @rule()
    def power_on(self) -> None:
        self.device.power_on()

    @rule(agent=st.sampled_from(AGENTS), after=st.floats(0, 600))
    def hang_agent(self, agent: str, after: float) -> None:
        self._advance(after)
        self.device.hang(agent)

    @rule(after=st.floats(0, 600), outage=st.floats(60, 1800))
    def controller_outage(self, after: float, outage: float) -> None:
        self._advance(after)
        faults.controller_down(self.world, outage)

    @precondition(lambda self: self.versions > 0)
    @rule(after=st.floats(0, 600))
    def retry_update(self, after: float) -> None:
        self._advance(after)
        self.world.core.retry_update(self.device.uuid)

    @rule(after=st.floats(0, 600))
    def force_fallback(self, after: float) -> None:
        self._advance(after)
        config = self.world.core.config(self.device.uuid)
        current = next((int(i.value) for i in config.configItems if i.key == "force.fallback.counter"), 0)
        self.world.core.set_config_items(self.device.uuid, {"force.fallback.counter": str(current + 1)})

    @rule(seconds=st.floats(1, 3600))
    def let_time_pass(self, seconds: float) -> None:
        self._advance(seconds)

    # ------------------------------------------------------------------ invariants

    @invariant()
    def something_bootable_and_verified(self) -> None:
        if self.world is None:
            return
        bootable = _bootable(self.world)
        assert any(_complete(self.world, e) for e in bootable), \
            "no partition GRUB may boot holds a complete, verified image: the device is bricked"
        assert self.device.state != "bricked"
        best = bootable[0]
        if self.STRICT:
            assert _complete(self.world, best), "the partition GRUB would boot holds an incomplete image"
        elif not _complete(self.world, best):
            # EVE: pkg/pillar/cmd/baseosmgr/handlebaseos.go doBaseOsActivate writes over updating in place
            assert not best.attr.successful and best.attr.tries <= 1, \
                "GRUB would boot an incomplete image more than once"

    @invariant()
    def runs_only_versions_asked_for(self) -> None:
        if self.world is None:
            return
        for version in self.device.booted_versions:
            assert version in self.asked, f"booted {version}, never asked for"

    def teardown(self) -> None:
        if self.world is None:
            return
        self.world.set_controller_up(True)
        self.device.power_on()
        self._advance(CONVERGENCE_S)
        result = outcome.classify(self.world, self.device)
        wanted = outcome.wanted_version(self.world, self.device)
        assert result != "bricked" and self.device.state != "bricked", "the device is bricked"
        if not self.STRICT:
            return
        assert result in ("updated", "rolled_back", "failed", "unchanged"), (
            f"after {CONVERGENCE_S:g}s without faults the device is {result} (wanted {wanted}, "
            f"running {self.device.running_image.version if self.device.running_image else None})")


DEEP = int(os.environ.get("EVESIM_DEEP_EXAMPLES", "0"))
"""Set EVESIM_DEEP_EXAMPLES=2000 to search much longer, with fresh randomness."""


class FixedUpdateMachine(UpdateMachine):
    """The same, with evesim's baseosmgr fixes on: the stronger properties hold."""

    FIXES = frozenset({"retry-on-increase", "failed-version-memory", "unused-before-write"})
    STRICT = True


for machine in (UpdateMachine, FixedUpdateMachine):
    machine.TestCase.settings = settings(
        max_examples=DEEP or 120, stateful_step_count=15, deadline=None, derandomize=not DEEP,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
TestUpdateRollback = UpdateMachine.TestCase
TestUpdateRollbackWithFixes = FixedUpdateMachine.TestCase
