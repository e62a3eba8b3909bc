"""Names in targets and partitions are checked when the scenario loads, with the line they are on."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from evesim.cli import app
from evesim.scenario import build, loader
from evesim.scenario.references import Names

HEAD = """\
name: x
duration: 1h
network: {topology: tree, sites: 3}
fleet:
  - {name: edge, count: 3}
  - {name: pi, count: 2, attach: site-2}
"""


def problems(tail: str, head: str = HEAD) -> list[str]:
    """The problems ``loads`` reports for the scenario ``head + tail`` (as file:line:column strings)."""
    with pytest.raises(loader.ScenarioError) as caught:
        loader.loads(head + tail, "s.yaml")
    return [str(p) for p in caught.value.problems]


def test_validate_refuses_an_unknown_group_with_its_line(tmp_path: Path) -> None:
    file = tmp_path / "s.yaml"
    file.write_text(HEAD + "timeline:\n  - {at: 1m, action: reboot, target: group:nope}\n")
    result = CliRunner().invoke(app, ["validate", str(file)])
    assert result.exit_code == 2, result.output
    assert f"{file}:8:38: timeline[0].target.group: no group 'nope' (groups: edge, pi)" in result.output


def test_timeline_and_when_targets_name_real_groups_and_devices() -> None:
    found = problems("timeline:\n"
                     "  - {at: 1m, action: power_cut, target: {devices: [edge-00002, edge-00003]}}\n"
                     "  - {action: reboot, when: {event: boot, target: {group: edge, devices: [pi-00000, edge-2]}}}\n")
    assert found == [
        "s.yaml:8:64: timeline[0].target.devices[1]: no device 'edge-00003' "
        "(devices are named <group>-00000, <group>-00001, ...)",
        "s.yaml:9:74: timeline[1].when.target.devices[0]: device 'pi-00000' is not in group 'edge'",
        "s.yaml:9:84: timeline[1].when.target.devices[1]: no device 'edge-2' "
        "(devices are named <group>-00000, <group>-00001, ...)",
    ]


def test_expectation_targets_are_checked() -> None:
    found = problems("expectations:\n"
                     "  - always: {metric: bricked, max: 0, target: group:egde}\n"
                     "  - eventually: {metric: onboarded, min: 1, target: device:pi-00002}\n"
                     "    by: 5m\n")
    assert found == [
        "s.yaml:8:47: expectations[0].always.target.group: no group 'egde' (groups: edge, pi)",
        "s.yaml:9:53: expectations[1].eventually.target.devices[0]: no device 'pi-00002' "
        "(devices are named <group>-00000, <group>-00001, ...)",
    ]


def test_partition_nodes_must_be_in_the_network() -> None:
    star = HEAD.replace("{topology: tree, sites: 3}", "{topology: star}").replace(", attach: site-2", "")
    found = problems("timeline:\n  - {at: 1m, action: partition, nodes: [core, pi-00001, site-3]}\n", star)
    assert found == ["s.yaml:8:57: timeline[0].nodes[2]: no node 'site-3' in this star network "
                     "(nodes: controller, datastore, core and the devices, e.g. edge-00000)"]


def test_partition_links_must_exist() -> None:
    found = problems("timeline:\n  - {at: 1m, action: partition, links: [[site-0, core], [edge-00001, site-1],\n"
                     "      [pi-00000, site-2], [controller, core], [edge-00000, site-1], [site-0, site-1]]}\n")
    assert found == [
        "s.yaml:9:47: timeline[0].links[4]: no link between 'edge-00000' and 'site-1' in this tree network",
        "s.yaml:9:69: timeline[0].links[5]: no link between 'site-0' and 'site-1' in this tree network",
    ]


def test_mesh_router_links_cannot_be_named() -> None:
    mesh = HEAD.replace("{topology: tree, sites: 3}", "{topology: mesh, routers: 4}").replace("site-2", "router-2")
    found = problems("timeline:\n  - {at: 1m, action: partition, links: [[router-1, core]]}\n", mesh)
    assert len(found) == 1 and "drawn from the seed" in found[0]
    assert found[0].startswith("s.yaml:8:41: timeline[0].links[0]:")
    tail = "timeline:\n  - {at: 1m, action: partition, nodes: [router-1], links: [[pi-00001, router-2]]}\n"
    partition = loader.loads(mesh + tail).scenario.timeline[0]
    assert partition.nodes == ["router-1"] and partition.links == [("pi-00001", "router-2")]


GROUP = st.fixed_dictionaries({"count": st.integers(1, 5), "attach": st.booleans()})


@settings(max_examples=60, deadline=None)
@given(topology=st.sampled_from(["star", "tree", "mesh"]), size=st.integers(2, 5), seed=st.integers(0, 2**16),
       groups=st.lists(GROUP, min_size=1, max_size=4), data=st.data())
def test_names_agree_with_the_world_the_scenario_builds(topology: str, size: int, seed: int, groups: list[dict],
                                                        data: st.DataObject) -> None:
    routers = {"star": ["core"], "tree": ["core", *[f"site-{k}" for k in range(size)]],
               "mesh": ["core", *[f"router-{k}" for k in range(1, size)]]}[topology]
    fleet = [f"  - {{name: g{i}, count: {group['count']}"
             + (f", attach: {data.draw(st.sampled_from(routers))}}}\n" if group["attach"] else "}\n")
             for i, group in enumerate(groups)]
    text = f"name: x\nseed: {seed}\nduration: 1h\nnetwork: {{topology: {topology}, sites: {size}, routers: {size}}}\n"
    scenario = loader.loads(text + "fleet:\n" + "".join(fleet)).scenario
    names = Names(scenario.network, scenario.fleet)
    graph = build.world(scenario).net.graph
    nodes = sorted(graph.nodes)
    assert all(names.is_node(n) for n in nodes)
    assert not any(names.is_node(n) for n in (f"site-{size}", f"router-{size}", "g0-00009", "g9-00000", "g0-0"))
    for a in nodes:
        for b in nodes:
            problem = names.link_problem(a, b)
            both_routers = graph.nodes[a]["kind"] == graph.nodes[b]["kind"] == "router" and a != b
            if topology == "mesh" and both_routers:
                assert problem is not None and "drawn from the seed" in problem
            else:
                assert (problem is None) == graph.has_edge(a, b), (a, b, problem)
