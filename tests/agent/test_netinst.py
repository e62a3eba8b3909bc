"""EVE's rules for network instances and firewall rules, as plain functions: IP plans with their defaults and
errors, rules parsed and matched (default drop), MACs, port labels."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evesim.agent import netinst
from evesim.agent.netinst import Ace
from evesim.api import pb


def _ipspec(subnet: str, gateway: str = "", start: str = "", end: str = "") -> pb.common.ipspec:
    spec = pb.common.ipspec(subnet=subnet, gateway=gateway)
    spec.dhcpRange.start, spec.dhcpRange.end = start, end
    return spec


@pytest.mark.parametrize(("subnet", "plan"), [
    ("10.1.0.0/24", ("10.1.0.0/24", "10.1.0.1", "10.1.0.128", "10.1.0.254")),
    ("10.2.0.0/28", ("10.2.0.0/28", "10.2.0.1", "10.2.0.8", "10.2.0.14")),
    ("10.3.0.0/29", ("10.3.0.0/29", "10.3.0.1", "10.3.0.2", "10.3.0.6")),
    ("10.4.0.0/30", ("10.4.0.0/30", "10.4.0.1", "10.4.0.2", "10.4.0.2")),
    ("10.5.0.0/16", ("10.5.0.0/16", "10.5.0.1", "10.5.128.0", "10.5.128.255")),
])
def test_eve_plans_a_dhcp_range_in_the_upper_half_at_most_256_addresses(subnet: str, plan: tuple[str, ...]) -> None:
    assert netinst.parse_ipspec(_ipspec(subnet)) == plan


@pytest.mark.parametrize(("spec", "error"), [
    (_ipspec(""), "missing network instance subnet"),
    (_ipspec("10.1.0.0/33"), "invalid subnet (10.1.0.0/33)"),
    (_ipspec("10.1.0.0/31"), "subnet is too small (only 2 available IP addresses, need 4)"),
    (_ipspec("10.1.0.0/24", gateway="nope"), "invalid gateway IP (nope)"),
    (_ipspec("10.1.0.0/24", gateway="fd00::1"), "IP version mismatch between subnet (10.1.0.0/24) and gateway"),
    (_ipspec("10.1.0.0/24", start="10.9.0.5"), "DHCP range start IP (10.9.0.5) is not within the subnet"),
    (_ipspec("10.1.0.0/24", start="10.1.0.90", end="10.1.0.80"), "is greater than end IP"),
    (_ipspec("10.1.0.0/24", gateway="10.1.0.200"), "gateway(10.1.0.200) inside Dhcp Range"),
])
def test_a_bad_ip_plan_gets_eves_message(spec: pb.common.ipspec, error: str) -> None:
    with pytest.raises(ValueError, match=error.replace("(", r"\(").replace(")", r"\)")):
        netinst.parse_ipspec(spec)


def test_an_instance_keeps_its_parse_error_and_a_switch_one_gets_no_plan() -> None:
    local = pb.config.NetworkInstanceConfig(displayname="lan", instType=pb.config.ZnetInstLocal, activate=True,
                                            ipType=pb.config.IPV4)
    local.uuidandversion.uuid, local.uuidandversion.version = "u-1", "1"
    local.port.name = "uplink"
    ni = netinst.from_config(local)
    assert ni is not None and ni.error == "Invalid IP configuration: missing network instance subnet"
    switch = pb.config.NetworkInstanceConfig(displayname="lan", instType=pb.config.ZnetInstSwitch,
                                             ipType=pb.config.IPV4, disable_flowlog=True)
    switch.uuidandversion.uuid = "u-2"
    switch.ip.subnet = "10.1.0.0/24"
    ni = netinst.from_config(switch)
    assert ni is not None and (ni.kind, ni.subnet, ni.error, ni.flowlog) == ("switch", "", "", False)
    assert netinst.from_config(pb.config.NetworkInstanceConfig(displayname="no uuid")) is None


def _rule(*matches: tuple[str, str], drop: bool = False, portmap: int = 0, ace_id: int = 1) -> pb.config.ACE:
    rule = pb.config.ACE(id=ace_id, name=f"r{ace_id}")
    for kind, value in matches:
        rule.matches.add(type=kind, value=value)
    if drop:
        rule.actions.add(drop=True)
    if portmap:
        rule.actions.add(portmap=True, appPort=portmap)
    return rule


def test_rules_eve_cannot_use_carry_their_error() -> None:
    assert netinst.ace(_rule(("ip", "10.0.0.0/8"))).error == ""
    assert "unsupported match type: colour" in netinst.ace(_rule(("colour", "red"))).error
    assert "fport 80 and no protocol match" in netinst.ace(_rule(("fport", "80"))).error
    assert "invalid IP/subnet (10.0.0.300)" in netinst.ace(_rule(("ip", "10.0.0.300"))).error
    assert "without lport" in netinst.ace(_rule(("protocol", "tcp"), portmap=80)).error
    both = _rule(("ip", "0.0.0.0/0"))
    both.actions.add(drop=True)
    both.actions.add(drop=True)
    assert "multiple actions is not supported" in netinst.ace(both).error
    assert "not supported on switch" in netinst.on_switch(netinst.ace(_rule(("host", "collector")))).error


def test_the_first_matching_rule_decides_and_nothing_matching_drops() -> None:
    rules = (netinst.ace(_rule(("ip", "10.1.0.0/16"), ("protocol", "tcp"), ("fport", "8080"), ace_id=5)),
             netinst.ace(_rule(("ip", "10.1.9.0/24"), drop=True, ace_id=6)),
             netinst.ace(_rule(("host", "collector"), ace_id=7)))
    assert netinst.verdict(rules, "10.1.9.4", "x", "tcp", 8080, 40000) == ("accept", 5)
    assert netinst.verdict(rules, "10.1.9.4", "x", "tcp", 8081, 40000) == ("drop", 6)
    assert netinst.verdict(rules, "192.0.2.1", "site.collector", "udp", 53, 40000) == ("accept", 7)
    assert netinst.verdict(rules, "192.0.2.1", "other", "tcp", 8080, 40000) == ("drop", 0)
    assert netinst.verdict((), "10.1.9.4", "x", "tcp", 8080, 40000) == ("drop", 0), "no rules: EVE drops all"
    skipped = (Ace((("colour", "red"),), error="unsupported"),)
    assert netinst.verdict(skipped, "10.1.9.4", "x", "tcp", 1, 2) == ("drop", 0), "a bad rule is skipped"


@given(st.uuids(), st.uuids(), st.integers(1, 8), st.integers(1, 255))
def test_app_macs_are_unicast_and_eves_switch_prefix(app: object, ni: object, adapter: int, number: int) -> None:
    local = netinst.app_mac(str(app), str(ni), adapter, number, switch=False)
    switch = netinst.app_mac(str(app), str(ni), adapter, number, switch=True)
    first = int(local[:2], 16)
    assert first & 1 == 0 and first & 2 == 2, "unicast, locally administered"
    assert switch.startswith("02:16:3e:") and len(switch) == len(local) == 17
    assert netinst.app_mac(str(app), str(ni), adapter, number, switch=False) == local


def test_port_labels() -> None:
    ports = (("eth0", True, 0), ("eth1", False, 0), ("wwan0", True, 10))
    assert netinst.ports_for("uplink", ports) == ("eth0", "wwan0")
    assert netinst.ports_for("freeuplink", ports) == ("eth0",)
    assert netinst.ports_for("all", ports) == ("eth0", "eth1", "wwan0")
    assert netinst.ports_for("eth1", ports) == ("eth1",) and netinst.ports_for("eth9", ports) == ()
