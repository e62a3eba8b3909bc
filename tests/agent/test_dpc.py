"""The DPC list's rules (EVE's ``insertDPC``, ``IsDPCTestable``, ``compressDPCL``) and the controller's DPC as
zedagent parses it from ``systemAdapterList`` (``parseSystemAdapterConfig``)."""

from __future__ import annotations

from evesim.agent.dpc import Dpc, DpcKey, DpcList, PortConfig, Results
from evesim.agent.zedagent.parse import parse
from evesim.api import pb
from evesim.controller import netconfig

ETH0 = (PortConfig("eth0"),)
UUID = "6ba7b810-9dad-11d1-80b4-00c04fd430c8"


def _dpc(key: DpcKey, at: float, ports: tuple[PortConfig, ...] = ETH0, results: Results = Results()) -> Dpc:
    return Dpc(key, at, ports, results)


def test_a_controller_dpc_goes_above_other_sources_and_newer_goes_first() -> None:
    dpcl = DpcList()
    dpcl.add(_dpc("lastresort", 0.0))
    dpcl.add(_dpc("override", 500.0, (PortConfig("eth1"),)))
    dpcl.add(_dpc("zedagent", 100.0, (PortConfig("eth2"),)))
    dpcl.add(_dpc("zedagent", 200.0, (PortConfig("eth3"),)))
    assert [(e.key, e.time_priority) for e in dpcl.entries] == [
        ("zedagent", 200.0), ("zedagent", 100.0), ("override", 500.0), ("lastresort", 0.0)]


def test_the_same_ports_with_a_new_priority_move_and_keep_their_results() -> None:
    dpcl = DpcList()
    worked = Results(last_succeeded=50.0)
    dpcl.add(_dpc("zedagent", 100.0, results=worked))
    dpcl.add(_dpc("zedagent", 200.0, (PortConfig("eth1"),)))
    dpcl.current = 1
    assert dpcl.add(_dpc("zedagent", 300.0))
    assert [e.time_priority for e in dpcl.entries] == [300.0, 200.0] and dpcl.entries[0].results == worked


def test_an_unchanged_applied_first_dpc_is_no_change() -> None:
    dpcl = DpcList()
    dpcl.add(_dpc("zedagent", 100.0))
    dpcl.current = 0
    assert not dpcl.add(_dpc("zedagent", 100.0))


def test_a_failed_dpc_waits_five_minutes_unless_it_worked_since() -> None:
    failed = _dpc("zedagent", 1.0, results=Results(last_failed=1000.0, last_error="x"))
    assert not failed.testable(1299.0) and failed.testable(1300.0)
    assert _dpc("zedagent", 1.0, results=Results(last_failed=1000.0, last_succeeded=1000.0)).testable(1001.0)
    assert not Dpc("zedagent", 1.0, (PortConfig("eth0", mgmt=False),)).testable(0.0), "no management port"


def test_the_next_testable_dpc_wraps_around_and_skips_failed_ones() -> None:
    dpcl = DpcList([_dpc("zedagent", 3.0, results=Results(last_failed=900.0)), _dpc("zedagent", 2.0),
                    _dpc("lastresort", 0.0)])
    assert dpcl.next_testable(0, 1000.0) == 1 and dpcl.next_testable(2, 1000.0) == 2
    assert dpcl.next_testable(0, 1300.0) == 0


def test_compress_keeps_the_first_the_applied_and_the_first_working() -> None:
    bad = Results(last_failed=10.0)
    dpcl = DpcList([_dpc("zedagent", 4.0, results=bad), _dpc("zedagent", 3.0, results=bad),
                    _dpc("zedagent", 2.0, results=Results(last_succeeded=5.0)), _dpc("lastresort", 0.0)], current=2)
    dpcl.compress()
    assert [e.time_priority for e in dpcl.entries] == [4.0, 2.0] and dpcl.current == 1
    kept = DpcList([_dpc("zedagent", 4.0, results=bad), _dpc("lastresort", 0.0)], current=1)
    kept.compress()
    assert [e.key for e in kept.entries] == ["zedagent", "lastresort"], "no controller DPC ever worked"


def _config(*ports: netconfig.NetPort) -> pb.config.EdgeDevConfig:
    config = pb.config.EdgeDevConfig()
    netconfig.set_ports(config, UUID, ports)
    return config


def test_zedagent_reads_ports_costs_and_addressing() -> None:
    parsed = parse(_config(netconfig.NetPort("eth0"), netconfig.NetPort("wwan0", cost=300 % 256),
                           netconfig.NetPort("eth1", mgmt=False, addressing="none")))
    assert parsed.ports == (PortConfig("eth0"), PortConfig("wwan0", cost=44), PortConfig("eth1", False, 0, "none"))
    assert parsed.port_errors == ()
    assert netconfig.ports_of(_config(netconfig.NetPort("wwan0", cost=10))) == [netconfig.NetPort("wwan0", cost=10)]


def test_an_adapter_without_its_lower_layer_is_left_out_with_an_error() -> None:
    parsed = parse(_config(netconfig.NetPort("eth0"), netconfig.NetPort("eth1", adapter=False)))
    assert [p.name for p in parsed.ports] == ["eth0"] and parsed.port_errors == ("missing lower-layer adapter eth1",)


def test_an_unknown_network_makes_the_port_invalid() -> None:
    config = _config(netconfig.NetPort("eth0"))
    config.systemAdapterList[0].networkUUID = "0b6b2b6e-0f6e-4a39-9d7e-5c3c9f7e2a11"
    (port,) = parse(config).ports
    assert port.invalid.startswith("Port eth0 configured with unknown Network UUID") and port.dhcp == "none"


def test_an_override_file_may_give_a_proxy_ca_as_go_writes_bytes() -> None:
    import base64
    import json

    from evesim.agent.dpc import fingerprint, from_eve_json

    pem = b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    port = {"IfName": "eth0", "IsMgmt": True, "Dhcp": 4, "ProxyCertPEM": [base64.b64encode(pem).decode()]}
    dpc = from_eve_json(json.dumps({"Ports": [port]}).encode(), "override")
    assert dpc is not None and dpc.ports[0].proxy_certs == (fingerprint(pem),)
    bad = {**port, "ProxyCertPEM": ["not base64!"]}
    assert from_eve_json(json.dumps({"Ports": [bad]}).encode(), "override") is None
