"""Names and value types of the in-device pubsub topics (EVE's type names where one exists)."""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, Literal

from evesim.agent import effects as fx
from evesim.agent.configitems import DEFAULTS, GlobalConfig, ItemStatus
from evesim.agent.effects import Vif
from evesim.agent.netinst import Adapter
from evesim.api import pb
from evesim.api.vocab import PartitionLabel, PartitionState

LED = "LedBlinkCounter"
NETWORK = "DeviceNetworkStatus"
LINK = "Link"
DPC_CONFIG = "DevicePortConfig"
"""The controller's DPC as zedagent parsed it (``dpc.Dpc``), for nim."""
DPC_LIST = "DevicePortConfigList"
"""nim's list: (current index, the DPCs), for zedagent's report."""
ONBOARDING = "OnboardingStatus"
CONTROLLER_CERTS = "ControllerCerts"
GLOBAL_CONFIG = "ConfigItemValueMap"
CONFIG_STATUS = "ConfigGetStatus"
ATTEST = "AttestStatus"
ATTEST_RESTART = "AttestRestart"
NODE = "NodeAgentStatus"
DEVICE_OPS = "DeviceOpsCmd"
BASEOS_CONFIG = "BaseOsConfig"
BASEOS_STATUS = "BaseOsStatus"
ZBOOT_CONFIG = "ZbootConfig"
APP_CONFIG = "AppInstanceConfig"
APP_STATUS = "AppInstanceStatus"
INFO_TRIGGER = "InfoTrigger"
LOGS = "Logs"
CERT_REFETCH = "CertRefetch"
VAULT = "VaultStatus"
NI_CONFIG = "NetworkInstanceConfig"
NI_STATUS = "NetworkInstanceStatus"
APP_NETWORK = "AppNetworkStatus"
FLOWS = "IPFlow"
"""zedrouter's latest flow collection: (its number, the FlowMessage payloads)."""


class Led(IntEnum):
    """EVE's LED blink counts (``pkg/pillar/types/ledmanagertypes.go``)."""

    UNDEFINED = 0
    WAITING_FOR_IP = 1
    CONNECTING = 2
    CONNECTED = 3
    ONBOARDED = 4
    RADIO_SILENCE = 5
    ONBOARDING_FAILURE = 10
    RESP_WITHOUT_TLS = 12
    RESP_WITHOUT_OSCP = 13
    INVALID_CONTROLLER_CERT = 14
    INVALID_AUTH_CONTAINER = 15
    INVALID_BOOTSTRAP_CONFIG = 16
    ONBOARDING_CONFLICT = 17
    ONBOARDING_NOT_FOUND = 18


class DpcState(IntEnum):
    """nim's DPC states (``DPCState`` in ``pkg/pillar/types/dpc.go``)."""

    NONE = 0
    FAIL = 1
    FAIL_WITH_IP_AND_DNS = 2
    SUCCESS = 3
    IPDNS_WAIT = 4
    INTF_WAIT = 6
    REMOTE_WAIT = 7


class ConfigGet(IntEnum):
    """zedagent's ConfigGetStatus."""

    NONE = 0
    SUCCESS = 1
    FAIL = 2
    TEMPORARY_FAIL = 3
    READ_SAVED = 4


@dataclass(frozen=True, slots=True)
class NetworkStatus:
    """What nim publishes: the applied DPC's state, whether one of its management ports has an address, the error,
    and which DPC of the list it is."""

    state: DpcState
    has_address: bool
    last_error: str = ""
    index: int = -1
    key: str = ""

    @property
    def usable(self) -> bool:
        """zedclient proceeds in these states (EVE's ``pkg/pillar/cmd/client/client.go`` ``tryRegister``)."""
        return self.has_address and self.state in (
            DpcState.SUCCESS,
            DpcState.FAIL_WITH_IP_AND_DNS,
            DpcState.REMOTE_WAIT,
        )


@dataclass(frozen=True, slots=True)
class Onboarding:
    """OnboardingStatus: the device UUID and hardware model from ``/uuid``."""

    uuid: str
    hardware_model: str


@dataclass(frozen=True, slots=True)
class ConfigStatus:
    """Latest config fetch result (EVE's ``ZedAgentStatus.ConfigGetStatus``), published when it changes."""

    status: ConfigGet


@dataclass(frozen=True, slots=True)
class GlobalConfigStatus:
    """The config items in force and how each was parsed."""

    config: GlobalConfig = field(default_factory=GlobalConfig)
    items: dict[str, ItemStatus] = field(default_factory=dict)
    unknown: dict[str, ItemStatus] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Attestation:
    """Attestation progress and the integrity token to put in every ConfigRequest."""

    state: pb.info.AttestationState
    token: bytes = b""
    certs_refused: bool = False
    error: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class OpsCommands:
    """Reboot and shutdown command counters from the latest config.

    ``saved``: the config came from a checkpoint, whose counters may be stale (``lastconfig.bak``
    can lag by ``timer.test.baseimage.update``), so nodeagent neither acts on nor records them.
    """

    reboot: int
    shutdown: int
    saved: bool = False


@dataclass(frozen=True, slots=True)
class NodeStatus:
    """nodeagent's view: boot reason, counters, device state, reboot in progress."""

    boot_reason: int
    last_reboot_reason: str
    restart_counter: int
    boot_time: float
    reboot_config_counter: int = 0
    shutdown_config_counter: int = 0
    reboot_in_progress: bool = False
    local_maintenance_reasons: tuple[pb.info.MaintenanceModeReason, ...] = ()
    """Why nodeagent itself wants maintenance mode (EVE's ``LocalMaintenanceModeReasons``)."""
    state: pb.info.ZDeviceState = pb.info.ZDEVICE_STATE_BOOTING
    update_in_progress: bool = False
    test_deadline: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class BaseOs:
    """BaseOsConfig: the EVE image the controller wants, with its content tree."""

    content_tree_uuid: str
    version: str
    activate: bool
    retry_counter: int
    url: str
    sha256: str
    size_bytes: int


@dataclass(frozen=True, slots=True, kw_only=True)
class App:
    """AppInstanceConfig reduced to what the simulated hypervisor needs."""

    uuid: str
    name: str
    version: str
    activate: bool
    memory_kb: int
    vcpus: int
    image_url: str = ""
    image_sha256: str = ""
    image_size: int = 0
    restart_counter: int = 0
    purge_counter: int = 0
    adapters: tuple[Adapter, ...] = ()
    net_error: str = ""
    """Why an adapter could not be read (``parseAppNetAdapterConfigEntry``'s errors)."""

ESCROWED_KEY = "EscrowedVaultKey"
HALT_APPS = "HaltApps"
MAINTENANCE = "ZedAgentStatus.MaintenanceMode"
TPM_STATUS = "TpmSanityStatus"
"""tpmmgr's boot-time sanity check result (``effects.TpmCheck``)."""
VOLUMEMGR_STATUS = "VolumeMgrStatus"
"""volumemgr's remaining space for volumes and content trees, in bytes (an int)."""
CONFIG_TRIGGER = "TriggerGetConfig"


@dataclass(frozen=True, slots=True)
class Maintenance:
    """zedagent's merged maintenance mode and the reasons it reports (EVE's ``maintenanceMode``,
    ``maintModeReasons``)."""

    mode: bool = False
    reasons: tuple[pb.info.MaintenanceModeReason, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ZbootConfig:
    """nodeagent → baseosmgr: the test of the running image is complete (commit it)."""

    test_complete: bool


@dataclass(frozen=True, slots=True)
class Vault:
    """vaultmgr's state: unlocked or not, and the key material to escrow at the controller."""

    unlocked: bool
    escrow: bytes = b""
    error: str = ""


@dataclass(frozen=True, slots=True)
class DevSw:
    """One ``ZInfoDevSW`` entry as baseosmgr reports it (no partition: a download not yet given one)."""

    partition: PartitionLabel | Literal[""]
    partition_state: PartitionState | Literal[""]
    version: str
    status: pb.info.ZSwState
    user_status: pb.info.BaseOsStatus
    sub_status: pb.info.BaseOsSubStatus = pb.info.NONE_SUBSTATUS
    sub_status_str: str = ""
    sub_status_progress: int = 0
    download_progress: int = 0
    activated: bool = False
    error: str = ""
    error_time: float = 0.0


@dataclass(frozen=True, slots=True)
class BaseOsReport:
    """baseosmgr's published status: the ``swList`` entries and the update counter."""

    sw: tuple[DevSw, ...]
    update_counter: int = 0
    updating: bool = False
    reboot: bool = False


@dataclass(frozen=True, slots=True)
class AppStatus:
    """domainmgr/zedmanager's view of one app instance."""

    uuid: str
    name: str
    version: str
    state: pb.info.ZSwState
    domid: int | None = None
    boot_time: float = 0.0
    error: str = ""
    vifs: tuple[Vif, ...] = ()


@dataclass(frozen=True, slots=True)
class NiStatus:
    """zedrouter's view of one network instance (EVE's ``NetworkInstanceStatus``)."""

    uuid: str
    version: str
    name: str
    inst_type: int
    ports: tuple[str, ...]
    activated: bool
    bridge_num: int
    bridge_name: str
    gateway: str
    error: str
    assignments: tuple[tuple[str, str], ...] = ()
    """(MAC, IP) of the bridge and each app interface with an address."""
    vifs: tuple[Vif, ...] = ()


@dataclass(frozen=True, slots=True)
class AppNetwork:
    """An app's network state: waiting for an instance, an error, or its interfaces."""

    uuid: str
    waiting: bool
    error: str
    vifs: tuple[Vif, ...]


def global_config() -> Generator[Any, Any, GlobalConfig]:
    """The config items in force: EVE's defaults until zedagent has applied a config."""
    status = yield fx.Read(GLOBAL_CONFIG)
    return status.config if status is not None else DEFAULTS


def wait_for(topic: str) -> Generator[Any, Any, Any]:
    """Block until ``topic`` has a value, and return it."""
    seen = 0
    while (value := (yield fx.Read(topic))) is None:
        seen = yield fx.Wait((topic,), seen)
    return value
