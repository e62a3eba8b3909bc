"""nim as EVE's DPC manager: test the DPCs with ``/ping``, apply the first that works, fall back, retest; and the
LED as ledmanager derives it (1 while there is no address, then at least 2)."""

from __future__ import annotations

import pytest

from evesim.agent import effects as fx
from evesim.agent import nim, paths, topics
from evesim.agent.dpc import Dpc, PortConfig, Results
from evesim.agent.topics import DpcState, Led

from .harness import Script

UP = fx.Link("eth0", True, "10.0.0.2")
NO_ADDRESS = fx.Link("eth0", True, None)
LTE = fx.Link("wwan0", True, "10.64.0.2")


def _zedagent(*ports: PortConfig, at: float = 1000.0, error: str = "") -> Dpc:
    return Dpc("zedagent", at, ports, Results(last_failed=1.0, last_error=error) if error else Results(), error=error)


def _network(script: Script) -> topics.NetworkStatus:
    return script.bus.get(topics.NETWORK)


def _dpc_events(script: Script) -> list[tuple[float, str, int, str]]:
    return [(s.time, s.effect.fields["state"], s.effect.fields["index"], s.effect.fields["key"])
            for s in script.steps(fx.Log) if s.effect.kind == "dpc"]


@pytest.mark.parametrize(("response", "ok", "temporary"), [
    (fx.Response(200), True, False), (fx.Response(204), True, False), (fx.Response(304), True, False),
    (fx.Response(503), False, True), (fx.Response(500), False, True),
    (fx.Response(None, error="refused"), False, True), (fx.Response(None, error="cert_invalid"), False, True),
    (fx.Response(None, error="timeout"), False, False), (fx.Response(404), False, False),
])
def test_a_ping_answer(response: fx.Response, ok: bool, temporary: bool) -> None:
    outcome = nim.ping_outcome(response)
    assert (outcome.ok, outcome.remote_temporary) == (ok, temporary)


def test_at_first_it_tests_the_last_resort_dpc_and_shows_led_2() -> None:
    script = Script(responses={"ping": fx.Response(200)})
    script.run(nim.run(), until=lambda s: s.bus.get(topics.LED) == Led.CONNECTING)
    status = _network(script)
    assert (status.state, status.has_address, status.index, status.key) == (DpcState.SUCCESS, True, 0, "lastresort")
    assert script.requests()[0] == fx.Request("GET", "/api/v2/edgedevice/ping", None, 15.0, via="eth0")
    assert script.published(topics.LED) == [Led.WAITING_FOR_IP, Led.CONNECTING]
    assert script.effects(fx.ApplyPorts)[0] == fx.ApplyPorts((fx.Route("eth0"),))


def test_without_an_address_it_waits_five_test_durations_then_fails() -> None:
    script = Script(links=(NO_ADDRESS,))
    script.run(nim.run(), max_time=400.0)
    assert script.requests() == []
    assert script.bus.get(topics.LED) == Led.WAITING_FOR_IP
    # EVE: pkg/pillar/dpcmanager/verify.go verifyDPC: IPDNSWait while under 5 x timer.port.testduration
    assert [(t, state) for t, state, _, _ in _dpc_events(script)] == [(0.0, "IPDNS_WAIT"), (150.0, "FAIL")]


def test_a_controller_dpc_goes_first_and_the_last_resort_one_is_dropped_once_it_works() -> None:
    script = Script(responses={"ping": fx.Response(200)})
    script.publish_at(100.0, topics.DPC_CONFIG, _zedagent(PortConfig("eth0")))
    script.run(nim.run(), max_time=200.0)
    assert _network(script).key == "zedagent" and _network(script).index == 0
    current, entries = script.bus.get(topics.DPC_LIST)
    assert current == 0 and [e.key for e in entries] == ["zedagent"]
    assert [s.time for s in script.steps(fx.Request)] == [0.0, 100.0]


def test_a_dpc_naming_a_missing_port_falls_back_and_is_retried_by_the_better_timer() -> None:
    script = Script(responses={"ping": fx.Response(200)})
    script.publish_at(100.0, topics.DPC_CONFIG, _zedagent(PortConfig("eth0"), at=1000.0))
    script.publish_at(200.0, topics.DPC_CONFIG, _zedagent(PortConfig("eth1"), at=2000.0))
    script.run(nim.run(), max_time=1500.0)
    events = _dpc_events(script)
    # the bad DPC waits 2 x testduration for its interface, fails, and the previous one is applied again
    assert (200.0, "INTF_WAIT", 0, "zedagent") in events and (260.0, "SUCCESS", 1, "zedagent") in events
    current, entries = script.bus.get(topics.DPC_LIST)
    assert current == 1 and entries[0].ports == (PortConfig("eth1"),)
    assert "missing management interfaces: eth1" in entries[0].results.last_error
    # timer.port.testbetterinterval (600 s) retries it; it fails again after another 60 s
    assert (860.0, "INTF_WAIT", 0, "zedagent") in events and (920.0, "SUCCESS", 1, "zedagent") in events


def test_a_dpc_without_a_management_port_is_listed_but_never_tested() -> None:
    script = Script(responses={"ping": fx.Response(200)})
    script.publish_at(100.0, topics.DPC_CONFIG, _zedagent(PortConfig("eth0", mgmt=False), error="No management "
                                                                                                  "interfaces"))
    script.run(nim.run(), max_time=400.0)
    current, entries = script.bus.get(topics.DPC_LIST)
    assert [e.key for e in entries] == ["zedagent", "lastresort"] and current == 1
    assert entries[0].state is DpcState.NONE and not entries[0].results.last_succeeded
    # the new DPC restarts verification, which skips it and tests the last-resort one; then the periodic test
    assert [s.time for s in script.steps(fx.Request)] == [0.0, 100.0, 400.0]


def test_two_failed_periodic_tests_start_a_new_verification() -> None:
    answers = [fx.Response(200), fx.Response(None, error="timeout"), fx.Response(None, error="timeout")]
    script = Script(responses={"ping": [*answers, fx.Response(200)]})
    script.run(nim.run(), max_time=700.0)
    # EVE: timer.port.testinterval (300 s); the first failure only marks the port, the second restarts verification
    assert [s.time for s in script.steps(fx.Request)] == [0.0, 300.0, 600.0, 600.0]
    assert _network(script).state is DpcState.SUCCESS


def test_a_remote_temporary_failure_is_remote_wait_and_no_fallback() -> None:
    script = Script(responses={"ping": fx.Response(503)})
    script.publish_at(100.0, topics.DPC_CONFIG, _zedagent(PortConfig("eth0")))
    script.run(nim.run(), max_time=200.0)
    assert (_network(script).state, _network(script).index) == (DpcState.REMOTE_WAIT, 0)
    assert _network(script).usable


def test_a_costlier_port_is_tested_when_the_cheap_one_has_no_address() -> None:
    script = Script(responses={"ping": fx.Response(200)}, links=(NO_ADDRESS, LTE))
    script.publish_at(10.0, topics.DPC_CONFIG, _zedagent(PortConfig("eth0"), PortConfig("wwan0", cost=10)))
    script.run(nim.run(), max_time=100.0)
    assert [r.via for r in script.requests()] == ["wwan0"]
    assert _network(script).state is DpcState.SUCCESS
    assert script.effects(fx.ApplyPorts)[-1] == fx.ApplyPorts((fx.Route("eth0", 0, True), fx.Route("wwan0", 10)))


def test_the_list_is_checkpointed_and_read_back_without_an_applied_entry() -> None:
    script = Script(responses={"ping": fx.Response(200)})
    script.publish_at(100.0, topics.DPC_CONFIG, _zedagent(PortConfig("eth0")))
    script.run(nim.run(), max_time=200.0)
    saved = nim.load(script.files[paths.DPC_LIST])
    assert saved.current == -1 and [e.key for e in saved.entries] == ["zedagent"] and saved.entries[0].working
    assert nim.load(b"{not json").entries == []


def _lose_address_at(script: Script, time: float) -> None:
    def lose() -> None:
        script.links = (NO_ADDRESS,)
        script.bus.publish(topics.LINK, script.links)
    script.at(time, lose)


def _regain_address_at(script: Script, time: float) -> None:
    def regain() -> None:
        script.links = (UP,)
        script.bus.publish(topics.LINK, script.links)
    script.at(time, regain)


def test_losing_the_address_shows_led_1_at_once_and_the_stored_value_comes_back() -> None:
    # EVE: pkg/pillar/types/ledmanagertypes.go DeriveLedCounter: no usable address shows 1 over zedagent's 4
    script = Script(responses={"ping": fx.Response(200)})
    script.publish_at(10.0, topics.LED, Led.ONBOARDED)
    _lose_address_at(script, 100.0)
    _regain_address_at(script, 200.0)
    script.run(nim.run(), max_time=250.0)
    shown = [(s.time, s.effect.value) for s in script.steps(fx.Publish) if s.effect.topic == topics.LED]
    assert shown == [(0.0, Led.WAITING_FOR_IP), (0.0, Led.CONNECTING), (100.0, Led.WAITING_FOR_IP),
                     (200.0, Led.ONBOARDED)]


def test_a_value_set_while_there_is_no_address_is_kept_and_shown_when_it_returns() -> None:
    script = Script(responses={"ping": fx.Response(200)})
    _lose_address_at(script, 100.0)
    script.publish_at(120.0, topics.LED, Led.CONNECTED)
    _regain_address_at(script, 200.0)
    agent = script.drive(nim.run())
    agent.run(max_time=150.0)
    assert script.bus.get(topics.LED) == Led.WAITING_FOR_IP
    agent.run(max_time=250.0)
    assert script.bus.get(topics.LED) == Led.CONNECTED


def test_the_address_arriving_during_the_wait_resumes_the_test_and_shows_2() -> None:
    script = Script(responses={"ping": fx.Response(200)}, links=(NO_ADDRESS,))
    _regain_address_at(script, 50.0)
    agent = script.drive(nim.run())
    agent.run(max_time=40.0)
    assert script.bus.get(topics.LED) == Led.WAITING_FOR_IP
    agent.run(max_time=100.0)
    assert script.bus.get(topics.LED) == Led.CONNECTING
    assert [s.time for s in script.steps(fx.Request)] == [50.0]


def test_a_shipped_override_with_a_proxy_is_applied_and_checkpointed_with_it() -> None:
    script = Script(responses={"ping": fx.Response(200)})
    script.files[paths.OVERRIDE_DPC] = (b'{"Version": 1, "Key": "override", "Ports": [{"IfName": "eth0", "IsMgmt": '
                                        b'true, "Dhcp": 4, "Proxies": [{"type": 1, "server": "proxy-0", "port": 3128}]'
                                        b', "Exceptions": "local.test"}]}')
    script.run(nim.run(), max_time=10.0)
    assert (_network(script).key, _network(script).state) == ("override", DpcState.SUCCESS)
    assert script.effects(fx.ApplyPorts)[-1] == fx.ApplyPorts((fx.Route("eth0", 0, False, "proxy-0:3128",
                                                                        "local.test"),))
    (saved,) = nim.load(script.files[paths.DPC_LIST]).entries
    assert saved.ports[0].proxy == "proxy-0:3128" and saved.ports[0].exceptions == "local.test"


def test_an_unreadable_override_is_ignored() -> None:
    script = Script(responses={"ping": fx.Response(200)})
    script.files[paths.OVERRIDE_DPC] = b'{"Ports": 7}'
    script.run(nim.run(), max_time=10.0)
    assert _network(script).key == "lastresort"


def test_a_periodic_success_brings_a_parked_dpc_back_to_success() -> None:
    script = Script(responses={"ping": [fx.Response(None, error="timeout"), fx.Response(200)]})
    script.run(nim.run(), max_time=400.0)
    # the only DPC failed and was parked at once; the periodic test 300 s later works and says so
    assert [(t, state) for t, state, _, _ in _dpc_events(script)] == [(0.0, "FAIL_WITH_IP_AND_DNS"),
                                                                       (300.0, "SUCCESS")]


def test_wpad_finds_the_pac_file_up_the_domain_and_a_failed_fetch_fails_the_whole_test() -> None:
    import base64

    pac_js = 'function FindProxyForURL(u, h) { return "PROXY p:3128"; }'
    fetched = base64.b64encode(pac_js.encode()).decode()
    domain = fx.Link("eth0", True, "10.0.0.2", "office.example.com")
    script = Script(links=(domain,), responses={"ping": fx.Response(200)},
                    pacs={"http://wpad.example.com/wpad.dat": fx.PacFetched(fetched)})
    script.files[paths.OVERRIDE_DPC] = b'{"Ports": [{"IfName": "eth0", "IsMgmt": true, "Dhcp": 4, ' \
                                       b'"NetworkProxyEnable": true}]}'
    script.run(nim.run(), max_time=60.0)
    urls = [e.url for e in script.effects(fx.FetchPac)]
    assert urls[:2] == ["http://wpad.office.example.com/wpad.dat", "http://wpad.example.com/wpad.dat"]
    assert script.effects(fx.ApplyPorts)[-1].ports[0].pac == fetched, "requests follow the PAC WPAD found"
    assert _dpc_events(script)[0][1:] == ("SUCCESS", 0, "override")
    failing = Script(links=(domain,), responses={"ping": fx.Response(200)})
    failing.files[paths.OVERRIDE_DPC] = script.files[paths.OVERRIDE_DPC]
    failing.run(nim.run(), max_time=60.0)
    assert not failing.requests("ping"), "EVE's TestConnectivity returns before any ping"
    (_, state, _, _), *_ = _dpc_events(failing)
    assert state == "FAIL_WITH_IP_AND_DNS"
    error = failing.bus.get(topics.NETWORK).last_error
    assert error == ("eth0: failed to get network proxy for interface eth0: Failed to fetch "
                     "http://wpad.example.com/wpad.dat for eth0: no such host"), error
