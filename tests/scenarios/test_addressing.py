"""Addresses as EVE gets them: a static port from the controller's config (its address at once, no DHCP; without
a gateway or DNS servers it cannot reach the controller and the device falls back), and DHCP leases that run out
while the site's DHCP server does not answer."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from evesim.cli import app

HEAD = """\
name: addressing
seed: 3
duration: 3h
power_on_spread: 1m
config_items: {timer.config.interval: "60"}
network: {dhcp_lease: 1h}
fleet:
  - {name: site, count: 3}
"""
STATIC = ("{name: eth0, addressing: static, address: 192.168.7.20, subnet: 192.168.7.0/24, gateway: 192.168.7.1, "
          "dns: [192.168.7.1]}")


def _run(tmp_path: Path, tail: str) -> tuple[dict, pd.DataFrame]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    file = tmp_path / "s.yaml"
    file.write_text(HEAD + tail)
    result = CliRunner().invoke(app, ["run", str(file), "--out", str(tmp_path / "out"), "-q"])
    assert result.exit_code in (0, 1), result.output
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    return summary, pd.read_parquet(tmp_path / "out" / "events.parquet")


def _fields(events: pd.DataFrame, kind: str) -> list[dict]:
    return [json.loads(f) for f in events[events.kind == kind].fields]


def test_a_static_port_has_its_address_at_once_and_keeps_it_while_dhcp_is_down(tmp_path: Path) -> None:
    summary, events = _run(tmp_path, f"""\
timeline:
  - {{at: 10m, action: network_config, ports: [{STATIC}]}}
  - {{at: 30m, action: network_fault, fault: dhcp_down, duration: 2h}}
expectations:
  - name: every device applies the static configuration
    eventually: {{metric: info, path: "systemAdapter.status[0].ports[0].IPAddrs[0]", value: 192.168.7.20,
                 min_fraction: 1.0}}
    by: 20m
  - name: no device loses the controller
    always: {{metric: events, value: dpc, fields: {{state: FAIL}}, max: 0}}
""")
    assert summary["passed"], summary["expectations"]
    assert not _fields(events, "lease_expired"), "a static port has no lease to lose"


def test_a_static_port_without_a_gateway_or_dns_fails_its_test_and_the_device_falls_back(tmp_path: Path) -> None:
    no_gateway = STATIC.replace(", gateway: 192.168.7.1", "")
    _, events = _run(tmp_path / "gw", f"timeline:\n  - {{at: 10m, action: network_config, ports: [{no_gateway}]}}\n")
    later = events[(events.time > 600.0) & (events.device == "site-00000")]
    dpcs = _fields(later, "dpc")
    # no default route: its /ping fails at once, so the device falls back to the DPC that worked, and the
    # better-DPC timer tries the static one again every 10 minutes
    assert {(d["index"], d["state"]) for d in dpcs} == {(1, "IPDNS_WAIT"), (1, "SUCCESS")}
    assert sum(d["state"] == "SUCCESS" for d in dpcs) >= 15, "tried again every 10 minutes"
    no_dns = STATIC.replace(", dns: [192.168.7.1]", "")
    _, events = _run(tmp_path / "dns", f"timeline:\n  - {{at: 10m, action: network_config, ports: [{no_dns}]}}\n")
    changes = events[(events.kind == "dpc") & (events.time > 600.0) & (events.device == "site-00000")]
    waits = [(t, json.loads(f)) for t, f in zip(changes.time, changes.fields, strict=True)]
    (start, first), (fallback, then) = waits[0], waits[1]
    assert (first["index"], first["state"], first["error"]) == (0, "IPDNS_WAIT",
                                                                "interface eth0: no DNS server available")
    assert then["index"] == 1 and fallback - start == 150.0, "EVE waits 5 x timer.port.testduration, then falls back"
    assert waits[-1][1]["state"] == "SUCCESS" and waits[-1][1]["index"] == 1


def test_a_static_port_without_an_address_is_invalid_as_in_eve(tmp_path: Path) -> None:
    no_address = STATIC.replace("address: 192.168.7.20, ", "")
    _, events = _run(tmp_path, f"timeline:\n  - {{at: 10m, action: network_config, ports: [{no_address}]}}\n")
    added = [d for d in _fields(events, "dpc_added") if d["key"] == "zedagent"]
    assert added and added[-1]["error"] == ("All management ports failed to parse: Port eth0 configured with static "
                                            "IP config but IP address is not defined")


def test_leases_run_out_while_the_dhcp_server_is_down_and_come_back_after(tmp_path: Path) -> None:
    summary, events = _run(tmp_path, """\
timeline:
  - {at: 30m, action: network_fault, fault: dhcp_down, duration: 80m}
""")
    expired = events[events.kind == "lease_expired"]
    assert sorted(expired.device) == ["site-00000", "site-00001", "site-00002"]
    # a 1h lease renewed every 30 min: it has 30 to 60 min left when the server stops at 30m
    assert all(3600.0 <= t <= 5400.0 for t in expired.time), list(expired.time)
    for device, mine in events[events.kind == "dpc"].groupby("device"):
        lost = float(expired[expired.device == device].time.iloc[0])
        after = [(t, json.loads(f)) for t, f in zip(mine.time, mine.fields, strict=True) if t >= lost]
        assert after[0][1]["error"] == "no address", "the address went with the lease"
        back = [t for t, d in after if d["state"] == "SUCCESS" and not d["error"]]
        # a new lease 2 s after the server answers again (110m); the DPC that failed for want of an address is
        # tested again once EVE's 5-minute failure cooldown (IsDPCTestable) has passed
        assert back and 6600.0 < back[0] <= 6600.0 + 2 + 300 + 120, back
