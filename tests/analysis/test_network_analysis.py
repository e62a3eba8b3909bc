"""The network frames on a run of the library's bad network configuration: each device's DPC changes, and the
spans it spent without a working configuration (60 s each time it tried the bad one)."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import pytest

from evesim import analysis
from evesim.scenario import loader
from evesim.scenario.run import run

BAD_CONFIG = Path(__file__).resolve().parents[2] / "scenarios" / "bad-network-config.yaml"


@pytest.fixture(scope="module")
def bad_config_run(tmp_path_factory: pytest.TempPathFactory) -> analysis.Run:
    out = tmp_path_factory.mktemp("network")
    run(loader.load(BAD_CONFIG, {"fleet.0.count": 3})).write(out)
    return analysis.load_run(out)


def test_dpc_changes_follow_each_device_through_the_bad_configuration(bad_config_run: analysis.Run) -> None:
    changes = analysis.dpc_changes(bad_config_run)
    assert list(changes.columns) == ["time", "device", "state", "index", "key", "error"]
    one = changes[changes.device == "site-00000"]
    assert one.iloc[0].key == "lastresort" and one.iloc[-1].state == "SUCCESS" and one.iloc[-1]["index"] == 0
    tries = one[one.state == "INTF_WAIT"]
    assert (tries.error == "missing management interfaces: eth1").all() and len(tries) >= 10


def test_outages_last_the_interface_wait_and_end_with_the_good_configuration(bad_config_run: analysis.Run) -> None:
    outages = analysis.network_outages(bad_config_run)
    assert set(outages.device) == {"site-00000", "site-00001", "site-00002"}
    assert outages.seconds.round(1).eq(60.0).all(), "2 x timer.port.testduration each"
    assert (outages.start >= 3600).all() and (outages.end <= 3 * 3600 + 120).all()
    matplotlib.use("Agg")
    assert analysis.plot_network_outages(bad_config_run).axes[0].get_title() == \
        "Without a working port configuration"


def test_port_traffic_moves_to_lte_while_ethernet_is_down(tmp_path_factory: pytest.TempPathFactory) -> None:
    out = tmp_path_factory.mktemp("lte")
    run(loader.load(BAD_CONFIG.with_name("failover-to-lte.yaml"), {"fleet.0.count": 4})).write(out)
    lte = analysis.load_run(out)
    traffic = analysis.port_traffic(lte)
    assert list(traffic.columns) == ["eth0", "wwan0"]
    down = traffic.loc[(traffic.index > 3700) & (traffic.index < 6000)]
    assert (down["eth0"] == 0).all() and (down["wwan0"] > 0).all(), "only LTE carries traffic while eth0 is down"
    before = traffic.loc[traffic.index < 3600]
    assert before["wwan0"].sum() == 0, "LTE costs more: unused while Ethernet works"
    assert traffic["eth0"].max() > 1.0, "the 300 MB update came over Ethernet once it was back"
    matplotlib.use("Agg")
    assert analysis.plot_port_traffic(lte).axes[0].get_ylabel() == "Mbit/s"
