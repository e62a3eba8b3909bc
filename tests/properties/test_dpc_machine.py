"""A hypothesis state machine of network changes on a simulated device with two Ethernet ports: the controller
pushes port configurations (good, naming a missing port, or without a management port), ports lose and regain
carrier, time passes. EVE's invariant: a device with a working port in any configuration it keeps (its first one
always works) regains the controller, once its links are back, within nim's bound (a verification's waits, two
periodic tests and a better-DPC interval), whatever the controller sent last."""

from __future__ import annotations

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule

from evesim.agent import topics
from evesim.agent.topics import DpcState
from evesim.controller.netconfig import NetPort
from evesim.sim import faults
from evesim.sim.world import Group, PortSpec, World, WorldSpec

TEST_DURATION, TEST_INTERVAL, BETTER_INTERVAL = 30.0, 300.0, 600.0
BOUND = 5 * TEST_DURATION + 2 * TEST_INTERVAL + BETTER_INTERVAL
"""Longest a device with a working configuration may stay without the controller once its links are back."""

PORTS = st.lists(st.builds(NetPort, st.sampled_from(["eth0", "eth1", "eth7"]), st.booleans(),
                           st.integers(0, 20)), min_size=1, max_size=3, unique_by=lambda p: p.name)


class NetworkChanges(RuleBasedStateMachine):
    """One device, ports eth0 and eth1; rules change its configuration and its links."""

    @initialize()
    def onboard(self) -> None:
        spec = WorldSpec(seed=4, groups=(Group("dev", 1, ports=(PortSpec("eth1"),)),), power_on_spread_s=0.0)
        self.world = World(spec)
        self.world.start()
        self.world.run(600.0)
        self.device = self.world.devices[0]
        assert self.device.uuid, "onboarded"

    @rule(ports=PORTS)
    def push_configuration(self, ports: list[NetPort]) -> None:
        self.world.core.set_ports(self.device.uuid, ports)

    @rule(port=st.sampled_from(["eth0", "eth1"]), seconds=st.floats(1.0, 900.0))
    def cut_a_port(self, port: str, seconds: float) -> None:
        faults.link_down(self.world, self.device, seconds, port)

    @rule(seconds=st.floats(1.0, 1200.0))
    def wait(self, seconds: float) -> None:
        self.world.run(self.world.env.now + seconds)

    @rule()
    def heal_and_check(self) -> None:
        """Every link up again: the device is back within the bound."""
        world = self.world
        for node in self.device.nics.nodes.values():
            for router in list(world.net.graph.neighbors(node)):
                world.set_link(node, router, True)
        healed = world.env.now
        while not self._connected() and world.env.now < healed + BOUND:
            world.run(world.env.now + 5.0)
        assert self._connected(), self.device.bus.get(topics.NETWORK)
        served = world.controller.served
        world.run(world.env.now + 60.0)
        assert world.controller.served > served, "the device talks to the controller again"

    def _connected(self) -> bool:
        status = self.device.bus.get(topics.NETWORK)
        return status is not None and status.state in (DpcState.SUCCESS, DpcState.REMOTE_WAIT)

    def teardown(self) -> None:
        if hasattr(self, "world"):
            self.heal_and_check()


NetworkChanges.TestCase.settings = settings(max_examples=25, stateful_step_count=6, deadline=None)
test_network_changes = NetworkChanges.TestCase
