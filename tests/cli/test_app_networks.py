"""App networks in the scenario language: instances, interfaces, rules and traffic become the world's specs, and
every misuse is named with its file, line and field."""

from __future__ import annotations

import pytest

from evesim.controller.appnet import Interface, NetworkInstance, Rule
from evesim.scenario import build, loader
from evesim.sim.appnet import Traffic

HEAD = """\
name: x
duration: 1h
fleet:
  - {name: edge, count: 2, apps: [sensor]}
network_instances:
  - {name: nat, kind: local}
  - {name: plant, kind: switch, port: eth1, flowlog: false}
apps:
  - name: sensor
    interfaces:
      - network: plant
        acl: [{ip: 10.0.0.0/8, protocol: tcp, fport: 8080}, {drop: true}]
      - {network: nat, acl: [{protocol: tcp, lport: 8443, portmap: 443}]}
    traffic: [{to: collector, port: 8080, every: 30s, bytes: 2KB}]
  - {name: collector}
"""


def problems(text: str) -> list[str]:
    with pytest.raises(loader.ScenarioError) as caught:
        loader.loads(text, "s.yaml")
    return [str(p) for p in caught.value.problems]


def test_instances_interfaces_and_traffic_become_the_worlds_specs() -> None:
    spec = build.world_spec(loader.loads(HEAD, "s.yaml").scenario)
    assert spec.network_instances == (NetworkInstance("nat", "local", "uplink", "10.1.0.0/24"),
                                      NetworkInstance("plant", "switch", "eth1", "", flowlog=False))
    sensor = spec.apps[0]
    assert sensor.interfaces == (
        Interface("plant", (Rule((("ip", "10.0.0.0/8"), ("protocol", "tcp"), ("fport", "8080"))), Rule((), True))),
        Interface("nat", (Rule((("protocol", "tcp"), ("lport", "8443")), portmap=443),)))
    assert sensor.traffic == (Traffic("sensor", "collector", 8080, "tcp", 30.0, 2000, 1024),)


@pytest.mark.parametrize(("old", "new", "problem"), [
    ("network: plant\n", "network: plnat\n",
     "s.yaml:11:18: apps[0].interfaces[0].network: no network instance 'plnat'; define it under 'network_instances' "
     "(instances: nat, plant)"),
    ("to: collector", "to: colector", "s.yaml:14:20: apps[0].traffic[0].to: no app 'colector' to connect to "
                                      "(apps: sensor, collector)"),
    ("{name: nat, kind: local}", "{name: nat, kind: local, subnet: 10.1.0.0/33}",
     "s.yaml:6:5: network_instances[0]: subnet '10.1.0.0/33' is not an IPv4 subnet"),
    ("port: eth1, flowlog: false}", "port: eth1, subnet: 10.2.0.0/24}",
     "s.yaml:7:5: network_instances[1]: a switch instance has no subnet"),
    ("{protocol: tcp, lport: 8443, portmap: 443}", "{protocol: tcp, portmap: 443}",
     "s.yaml:13:30: apps[0].interfaces[1].acl[0]: a port map needs the lport it listens on"),
    ("{ip: 10.0.0.0/8, protocol: tcp, fport: 8080}", "{ip: 10.0.0.0/8, fport: 8080}",
     "s.yaml:12:15: apps[0].interfaces[0].acl[0]: a rule with fport or lport needs a protocol"),
    ("{name: plant, kind: switch, port: eth1, flowlog: false}", "{name: nat, kind: switch}",
     "s.yaml:7:12: network_instances[1].name: network instance names must be unique: 'nat' is used twice"),
])
def test_a_misused_app_network_is_named_with_its_line(old: str, new: str, problem: str) -> None:
    found = problems(HEAD.replace(old, new))[0]
    assert found.startswith(problem), found
