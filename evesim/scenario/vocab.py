"""The closed sets of names the scenario language uses, as ``Literal`` types (a tuple of each beside it).

Sets the simulation also knows (device states, outcomes, LEDs, app states) are spelled here for
the type checker; a test keeps them equal to the simulation's own.
"""

from __future__ import annotations

from typing import Literal, get_args

from evesim.controller.rollout import CampaignState

ActionName = Literal[
    "set_config_items", "power_cut", "power_on", "brownout", "link_down", "network_config", "network_fault",
    "partition", "controller_down", "controller_fault", "fill_persist", "hang_agent", "clock_jump", "update",
    "retry_update", "reboot", "rollout", "deploy_app", "remove_app", "restart_app", "purge_app", "tpm_fault",
]
"""What a timeline entry does (its ``action`` key)."""
ACTION_NAMES: tuple[ActionName, ...] = get_args(ActionName)

AppCommandName = Literal["remove_app", "restart_app", "purge_app"]
"""The actions that change an app already deployed."""

Metric = Literal["onboarded", "bricked", "version", "outcome", "reboots", "state", "led", "events", "rollout",
                 "info", "app"]
"""What a check counts (its ``metric`` key)."""
METRICS: tuple[Metric, ...] = get_args(Metric)

ExpectationKind = Literal["always", "eventually", "at_end"]
"""When an expectation's check must hold."""
EXPECTATION_KINDS: tuple[ExpectationKind, ...] = get_args(ExpectationKind)

DeviceState = Literal["off", "booting", "running", "bricked"]
"""A simulated device's state (``evesim.sim.device.STATES``)."""
DEVICE_STATES: tuple[DeviceState, ...] = get_args(DeviceState)

Outcome = Literal["updated", "rolled_back", "failed", "bricked", "pending", "unchanged"]
"""A device's update outcome (``evesim.sim.outcome.OUTCOMES``)."""
OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)

LedName = Literal[
    "UNDEFINED", "WAITING_FOR_IP", "CONNECTING", "CONNECTED", "ONBOARDED", "RADIO_SILENCE", "ONBOARDING_FAILURE",
    "RESP_WITHOUT_TLS", "RESP_WITHOUT_OSCP", "INVALID_CONTROLLER_CERT", "INVALID_AUTH_CONTAINER",
    "INVALID_BOOTSTRAP_CONFIG", "ONBOARDING_CONFLICT", "ONBOARDING_NOT_FOUND",
]
"""A device LED blink pattern by name (``evesim.agent.topics.Led``)."""
LED_NAMES: tuple[LedName, ...] = get_args(LedName)

AppState = Literal["INITIAL", "DOWNLOAD_STARTED", "INSTALLED", "AWAITNETWORKINSTANCE", "BOOTING", "RUNNING", "HALTING",
                   "HALTED"]
"""The ``ZSwState`` names an app instance reports (``evesim.agent.domainmgr.REPORTED``)."""
APP_STATES: tuple[AppState, ...] = get_args(AppState)

CAMPAIGN_STATES: tuple[CampaignState, ...] = get_args(CampaignState)
"""A rollout campaign's states (``evesim.controller.rollout.CampaignState``)."""

Agent = Literal["zedagent", "nodeagent", "nim", "zedclient", "baseosmgr", "domainmgr", "vaultmgr", "loguploader",
                "watchdog", "kernel"]
"""The agents a ``hang_agent`` action can hang."""

Topology = Literal["star", "tree", "mesh"]
"""The shape of the network between devices and the controller."""

Crypto = Literal["full", "trusted"]
"""Whether envelope signatures are made and checked (``evesim.api.envelope.CryptoMode``)."""

FaultAction = Literal["status", "close", "delay"]
"""What a controller fault rule does to a request it matches."""

FaultMethod = Literal["", "GET", "POST"]
"""The HTTP method a controller fault rule matches (empty: any)."""

ExecutorKind = Literal["local", "dask"]
"""Where sweep replicas run."""
EXECUTORS: tuple[ExecutorKind, ...] = get_args(ExecutorKind)
