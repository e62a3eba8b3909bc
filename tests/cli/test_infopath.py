"""Eden-lim-style matching on a device's latest info."""

from __future__ import annotations

import pytest

from evesim.api import pb
from evesim.scenario import infopath, loader


def _info() -> pb.info.ZInfoDevice:
    info = pb.info.ZInfoDevice(restartCounter=3, hardware_watchdog_present=True)
    info.swList.add(partitionLabel="IMGA", shortVersion="14.5.1", userStatus=pb.info.FALLBACK)
    info.swList.add(partitionLabel="IMGB", shortVersion="14.6.0", userStatus=pb.info.FAILED)
    return info


@pytest.mark.parametrize(
    ("path", "value", "pattern", "expected"),
    [
        ("swList[0].shortVersion", "14.5.1", None, True),
        ("swList[1].shortVersion", "14.5.1", None, False),
        ("swList[*].userStatus", "FAILED", None, True),
        ("swList[*].shortVersion", None, r"14\.6\..*", True),
        ("swList[5].shortVersion", "14.5.1", None, False),
        ("restartCounter", "3", None, True),
        ("hardwareWatchdogPresent", "true", None, True),
        ("missing.field", "x", None, False),
    ],
)
def test_matches(path: str, value: str | None, pattern: str | None, expected: bool) -> None:
    assert infopath.matches(_info(), path, value, pattern) is expected


def test_no_info_never_matches() -> None:
    assert not infopath.matches(None, "restartCounter", "0", None)


@pytest.mark.parametrize("path", ["swList[x].a", "a..b", "", "swList[-1]"])
def test_bad_paths_are_refused(path: str) -> None:
    with pytest.raises(infopath.PathError):
        infopath.parse(path)


def test_scenario_checks_info_paths_at_load_time() -> None:
    base = "name: x\nduration: 1h\nfleet: [{name: a, count: 1}]\nexpectations:\n  - at_end: {metric: info, "
    with pytest.raises(loader.ScenarioError, match="bad step"):
        loader.loads(base + "path: 'a[b]', value: x, min: 1}\n")
    with pytest.raises(loader.ScenarioError, match="exactly one of 'value' and 'match'"):
        loader.loads(base + "path: a, min: 1}\n")
    with pytest.raises(loader.ScenarioError, match="not a regular expression"):
        loader.loads(base + "path: a, match: '(', min: 1}\n")
    loaded = loader.loads(base + "path: 'swList[*].shortVersion', match: '14\\.5\\..*', min: 1}\n")
    assert loaded.scenario.expectations[0].at_end.path == "swList[*].shortVersion"


def test_groups_attach_where_the_scenario_says() -> None:
    from evesim.scenario import build

    text = ("name: x\nduration: 1h\nnetwork: {topology: tree, sites: 3}\n"
            "fleet: [{name: a, count: 3, attach: site-2}, {name: b, count: 4}]\n")
    world = build.world(loader.loads(text).scenario)
    graph = world.net.graph
    assert all(set(graph.neighbors(f"a-{i:05d}")) == {"site-2"} for i in range(3))
    assert {next(iter(graph.neighbors(f"b-{i:05d}"))) for i in range(4)} == {"site-0", "site-1", "site-2"}
    with pytest.raises(loader.ScenarioError, match="attaches to 'site-9'"):
        loader.loads(text.replace("site-2", "site-9"))
    with pytest.raises(loader.ScenarioError, match="routers: core"):
        loader.loads(text.replace("topology: tree, sites: 3", "topology: star"))
