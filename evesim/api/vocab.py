"""Vocabularies shared by agents, hardware models, the world and the controller, as ``Literal`` types.

Each ``Literal`` has a frozenset of its values beside it for checks at run time; a typo in a
literal is a type error, a typo in data is refused where it enters.
"""

from __future__ import annotations

from typing import Literal, get_args

PartitionLabel = Literal["IMGA", "IMGB"]
"""EVE's two image partitions."""
PARTITION_LABELS: tuple[PartitionLabel, ...] = get_args(PartitionLabel)

PartitionState = Literal["active", "updating", "inprogress", "unused", "unknown"]
"""``zboot partstate`` (``unknown``: attribute bits zboot reads as INVALID)."""
PARTITION_STATES: frozenset[PartitionState] = frozenset(get_args(PartitionState))

SettableState = Literal["active", "updating", "unused"]
"""States ``zboot set_partstate`` can write; ``inprogress`` only comes from the bootloader."""
SETTABLE_STATES: tuple[SettableState, ...] = get_args(SettableState)

TransportError = Literal["timeout", "unreachable", "refused", "reset", "cert_invalid", "cert_unknown_authority",
                         "proxy", "dns"]
"""Why a request got no HTTP status (``cert_invalid``: the server's certificate is not valid, expired say;
``cert_unknown_authority``: it is not signed by a trusted CA, as when a proxy inspects TLS with a CA the device lacks;
``proxy``: the proxy could not open a tunnel to the server; ``dns``: the server's name could not be resolved)."""
TRANSPORT_ERRORS: frozenset[TransportError] = frozenset(get_args(TransportError))

DomainOp = Literal["create", "start", "stop", "destroy", "info"]
"""Hypervisor operations on a domain."""
DOMAIN_OPS: frozenset[DomainOp] = frozenset(get_args(DomainOp))

DomainStatus = Literal["paused", "running", "shutdown", "halted", "crashed", "absent"]
"""A domain as the hypervisor reports it (``shutdown``: shutting down)."""
DOMAIN_STATUSES: frozenset[DomainStatus] = frozenset(get_args(DomainStatus))

Severity = Literal["info", "warning", "error"]
"""An event's severity."""
SEVERITIES: frozenset[Severity] = frozenset(get_args(Severity))

ImageDefect = Literal["crash_at_boot", "no_controller", "breaks_vault", "corrupt_download"]
"""Defects an EVE image can be built with (``evesim.hw.image``)."""
IMAGE_DEFECTS: frozenset[ImageDefect] = frozenset(get_args(ImageDefect))

AppDefect = Literal["crashes", "corrupt_download"]
"""Defects an app image can be built with."""
APP_DEFECTS: frozenset[AppDefect] = frozenset(get_args(AppDefect))

EventKind = Literal[
    "action", "agent_crashed", "agent_hung", "agent_not_running", "app_broken", "app_flow", "app_not_deployed",
    "app_removed",
    "app_state", "app_volume_gc", "app_volume_ready", "attest_certs_refused", "attested", "batch_settled",
    "batch_started", "boot", "boot_partition", "bricked", "certs_failed", "certs_updated", "checkpoint_unusable",
    "clock_jump", "config_applied", "config_apps_skipped", "config_checkpoint_unreadable", "config_failed",
    "config_for_another_device", "config_maintenance_skipped", "config_obsolete", "config_read_saved",
    "config_reread_after_maintenance",
    "config_unparseable", "controller_down", "controller_up", "created", "device_cert_created",
    "device_cert_unreadable", "domain_crashed", "domain_halted", "done", "download_done", "download_failed",
    "download_started", "dpc", "dpc_added", "fault_rule", "fixes", "flowlog_dropped", "flowlog_sent",
    "force_fallback", "gpt_write_torn", "halted",
    "hardware_watchdog_reset", "info_dropped", "lease_expired", "led", "link", "logs_dropped", "maintenance_mode",
    "network_fault",
    "network_instance", "no_such_port",
    "onboarded", "panic",
    "partition_state", "partition_state_refused", "partition_write_progress", "partition_write_started",
    "persist_filled", "persist_freed", "pid_missing", "power_cut", "power_on", "poweroff", "reboot", "reboot_failed",
    "reboot_requested", "rebooting", "refused", "register", "reset", "restart", "resumed", "retry_update",
    "server_malformed", "shutdown", "shutdown_command", "started", "test_complete", "touch_file_stale", "tpm_failed",
    "tpm_fault", "tpm_sanity_failed", "update_cancelled", "update_committed", "update_ready", "uuid_changed",
    "uuid_failed", "uuid_file_malformed", "vault_escrow_rejected", "vault_locked", "vault_unlocked",
    "waiting_for_bootstrap", "write_failed", "xl_failed",
]
"""Every kind of event evesim logs: agents' ``Log`` effects, the device and hardware models, the network,
the controller, rollout campaigns, the timeline, the host runner (a test checks it against the code)."""
EVENT_KINDS: frozenset[EventKind] = frozenset(get_args(EventKind))
FAULT_KINDS: tuple[EventKind, ...] = (
    "power_cut", "link", "controller_down", "clock_jump", "agent_hung", "agent_crashed", "tpm_fault", "fault_rule",
    "gpt_write_torn", "hardware_watchdog_reset", "panic", "persist_filled", "network_fault", "lease_expired",
)
"""Event kinds that are faults put on the fleet or failures they cause (a ``link`` event is one only when the link
went down)."""
