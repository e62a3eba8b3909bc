"""Starter scenarios for ``evesim new TEMPLATE``: small, commented, each valid as written (a test runs them)."""

from __future__ import annotations

TEMPLATES: dict[str, tuple[str, str]] = {
    "power-loss": ("power cuts during an EVE update's test window", """\
# Power fails while devices test a new EVE: do they fall back to the old one, and is any bricked?
# Run it:  evesim run {file}        Validate it:  evesim validate {file}
# Durations: 90s, 15m, 2h30m; sizes: 300MB; the whole language: evesim schema.
name: {name}
seed: 1                      # same seed, same event log, byte for byte
duration: 2h
power_on_spread: 2m          # devices power on at random within the first 2 minutes
fleet:                       # groups of devices; boards: evesim list boards
  - {{name: edge, count: 20, board: generic-x86, version: 14.5.1}}
images:                      # EVE images the controller can hand out; defects: evesim list defects
  - {{version: 14.6.0, size: 300MB}}
timeline:                    # what happens, and when; actions: evesim list actions
  - {{at: 10m, action: update, version: 14.6.0}}
  # half the devices lose power 1-5 minutes into their test boot, back a minute later
  - {{action: power_cut, when: {{event: boot, fields: {{testing: true}}, target: {{fraction: 0.5}}}},
     delay: 1m, jitter: 4m, restore_after: 1m}}
expectations:                # checked while it runs and at the end; exit code 1 if one fails
  - name: no device is ever bricked
    always: {{metric: bricked, max: 0}}
  - name: every device settles (updated or rolled back)
    at_end: {{metric: outcome, value: pending, max: 0}}
"""),
    "staged-rollout": ("a rollout campaign in batches that halts on failures", """\
# A campaign updates the fleet batch by batch and halts if too many devices fail.
# Run it:  evesim run {file} --live --pace 120    (watch it at http://127.0.0.1:8765/fleet)
name: {name}
seed: 1
duration: 3h
crypto: trusted              # skip real signatures: faster, same behaviour
power_on_spread: 5m
fleet:
  - {{name: edge, count: 100, version: 14.5.1}}
images:
  - {{version: 14.6.0, size: 300MB}}
network:                     # sites with their own access links to the controller
  topology: tree
  sites: 5
  access: {{latency: 15ms, jitter: 5ms, bandwidth: 50Mbps}}
timeline:
  # 1%, 10%, then the rest; 10 minutes between batches; a device has an hour to report the update
  - {{at: 20m, action: rollout, version: 14.6.0, batch_fraction: [0.01, 0.1, 1.0], wait: 10m, deadline: 1h,
     halt_failure_rate: 0.05}}
expectations:
  - name: the campaign never halts
    always: {{metric: rollout, value: halted, max: 0}}
  - name: the campaign is done
    at_end: {{metric: rollout, value: done, min: 1}}
  - name: at least 99% run 14.6.0
    at_end: {{metric: version, value: 14.6.0, min_fraction: 0.99}}
"""),
    "partition": ("a network partition cuts a site off during an update", """\
# A site loses its uplink while its devices test a new EVE: without the controller, EVE falls back.
# Run it:  evesim run {file} --out out/partition   then   evesim report out/partition
name: {name}
seed: 1
duration: 2h
power_on_spread: 2m
fleet:
  - {{name: edge, count: 12, version: 14.5.1}}
images:
  - {{version: 14.6.0, size: 200MB}}
network:                     # devices spread over 3 sites, each behind its own router (site-0, site-1, site-2)
  topology: tree
  sites: 3
  access: {{latency: 10ms, bandwidth: 100Mbps}}
timeline:
  - {{at: 5m, action: update, version: 14.6.0}}
  # cut site 0 (its router, node site-0) off for 20 minutes once the first device boots to test
  - {{action: partition, nodes: [site-0], duration: 20m, when: {{event: boot, fields: {{testing: true}}, limit: 1}}}}
expectations:
  - name: no device is ever bricked
    always: {{metric: bricked, max: 0}}
  - name: every device runs at the end
    at_end: {{metric: state, value: running, min_fraction: 1.0}}
"""),
    "bad-image": ("a defective image reaches a canary group first", """\
# An image that never reaches the controller after boot goes to canaries first: they must fall back,
# and the rest of the fleet must never take it.
name: {name}
seed: 1
duration: 2h
crypto: trusted
power_on_spread: 5m
fleet:
  - {{name: canary, count: 2, version: 14.5.1}}
  - {{name: fleet, count: 30, version: 14.5.1}}
images:
  - {{version: 14.6.0, size: 300MB, defects: [no_controller]}}   # evesim list defects
timeline:
  - {{at: 15m, action: rollout, version: 14.6.0, batch_size: [2, 10], wait: 10m, deadline: 45m,
     halt_failure_rate: 0.1}}
expectations:
  - name: the campaign halts
    at_end: {{metric: rollout, value: halted, min: 1}}
  - name: the canaries roll back
    at_end: {{metric: outcome, value: rolled_back, target: "group:canary", min_fraction: 1.0}}
  - name: the rest of the fleet never downloads the image
    always: {{metric: events, value: download_started, target: "group:fleet", max: 0}}
"""),
}
"""Template name → (what it rehearses, its text with ``{name}`` and ``{file}`` to fill in)."""


def render(template: str, name: str, file: str) -> str:
    """The text of ``template`` for a scenario called ``name`` written to ``file``."""
    return TEMPLATES[template][1].format(name=name, file=file)
