import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from evesim.api.eve.common import evecommon_pb2 as _evecommon_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ZInfoTypes(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ZiNop: _ClassVar[ZInfoTypes]
    ZiDevice: _ClassVar[ZInfoTypes]
    ZiApp: _ClassVar[ZInfoTypes]
    ZiNetworkInstance: _ClassVar[ZInfoTypes]
    ZiVolume: _ClassVar[ZInfoTypes]
    ZiContentTree: _ClassVar[ZInfoTypes]
    ZiBlobList: _ClassVar[ZInfoTypes]
    ZiAppInstMetaData: _ClassVar[ZInfoTypes]
    ZiHardware: _ClassVar[ZInfoTypes]
    ZiEdgeview: _ClassVar[ZInfoTypes]
    ZiLocation: _ClassVar[ZInfoTypes]
    ZiPatchEnvelope: _ClassVar[ZInfoTypes]
    ZiNTPSources: _ClassVar[ZInfoTypes]
    ZiKubeCluster: _ClassVar[ZInfoTypes]
    ZiKubeClusterUpdateStatus: _ClassVar[ZInfoTypes]

class ZSwState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INVALID: _ClassVar[ZSwState]
    INITIAL: _ClassVar[ZSwState]
    DOWNLOAD_STARTED: _ClassVar[ZSwState]
    DOWNLOADED: _ClassVar[ZSwState]
    DELIVERED: _ClassVar[ZSwState]
    INSTALLED: _ClassVar[ZSwState]
    BOOTING: _ClassVar[ZSwState]
    RUNNING: _ClassVar[ZSwState]
    HALTING: _ClassVar[ZSwState]
    HALTED: _ClassVar[ZSwState]
    RESTARTING: _ClassVar[ZSwState]
    PURGING: _ClassVar[ZSwState]
    RESOLVING_TAG: _ClassVar[ZSwState]
    RESOLVED_TAG: _ClassVar[ZSwState]
    CREATING_VOLUME: _ClassVar[ZSwState]
    CREATED_VOLUME: _ClassVar[ZSwState]
    VERIFYING: _ClassVar[ZSwState]
    VERIFIED: _ClassVar[ZSwState]
    LOADING: _ClassVar[ZSwState]
    LOADED: _ClassVar[ZSwState]
    AWAITNETWORKINSTANCE: _ClassVar[ZSwState]
    ERROR: _ClassVar[ZSwState]
    START_DELAYED: _ClassVar[ZSwState]
    PENDING: _ClassVar[ZSwState]
    SCHEDULING: _ClassVar[ZSwState]

class Severity(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SEVERITY_UNSPECIFIED: _ClassVar[Severity]
    SEVERITY_NOTICE: _ClassVar[Severity]
    SEVERITY_WARNING: _ClassVar[Severity]
    SEVERITY_ERROR: _ClassVar[Severity]

class HwSecurityModuleStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    UNKNOWN: _ClassVar[HwSecurityModuleStatus]
    NOTFOUND: _ClassVar[HwSecurityModuleStatus]
    DISABLED: _ClassVar[HwSecurityModuleStatus]
    ENABLED: _ClassVar[HwSecurityModuleStatus]

class ZDeviceState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ZDEVICE_STATE_UNSPECIFIED: _ClassVar[ZDeviceState]
    ZDEVICE_STATE_ONLINE: _ClassVar[ZDeviceState]
    ZDEVICE_STATE_REBOOTING: _ClassVar[ZDeviceState]
    ZDEVICE_STATE_MAINTENANCE_MODE: _ClassVar[ZDeviceState]
    ZDEVICE_STATE_BASEOS_UPDATING: _ClassVar[ZDeviceState]
    ZDEVICE_STATE_BOOTING: _ClassVar[ZDeviceState]
    ZDEVICE_STATE_PREPARING_POWEROFF: _ClassVar[ZDeviceState]
    ZDEVICE_STATE_POWERING_OFF: _ClassVar[ZDeviceState]
    ZDEVICE_STATE_PREPARED_POWEROFF: _ClassVar[ZDeviceState]

class BootReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BOOT_REASON_UNSPECIFIED: _ClassVar[BootReason]
    BOOT_REASON_FIRST: _ClassVar[BootReason]
    BOOT_REASON_REBOOT_CMD: _ClassVar[BootReason]
    BOOT_REASON_UPDATE: _ClassVar[BootReason]
    BOOT_REASON_FALLBACK: _ClassVar[BootReason]
    BOOT_REASON_DISCONNECT: _ClassVar[BootReason]
    BOOT_REASON_FATAL: _ClassVar[BootReason]
    BOOT_REASON_OOM: _ClassVar[BootReason]
    BOOT_REASON_WATCHDOG_HUNG: _ClassVar[BootReason]
    BOOT_REASON_WATCHDOG_PID: _ClassVar[BootReason]
    BOOT_REASON_KERNEL: _ClassVar[BootReason]
    BOOT_REASON_POWER_FAIL: _ClassVar[BootReason]
    BOOT_REASON_UNKNOWN: _ClassVar[BootReason]
    BOOT_REASON_VAULT_FAILED: _ClassVar[BootReason]
    BOOT_REASON_POWEROFF_CMD: _ClassVar[BootReason]
    BOOT_REASON_PARSE_FAIL: _ClassVar[BootReason]

class MaintenanceModeReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MAINTENANCE_MODE_REASON_NONE: _ClassVar[MaintenanceModeReason]
    MAINTENANCE_MODE_REASON_USER_REQUESTED: _ClassVar[MaintenanceModeReason]
    MAINTENANCE_MODE_REASON_VAULT_LOCKED_UP: _ClassVar[MaintenanceModeReason]
    MAINTENANCE_MODE_REASON_LOW_DISK_SPACE: _ClassVar[MaintenanceModeReason]
    MAINTENANCE_MODE_REASON_TPM_ENCRYPTION_FAILURE: _ClassVar[MaintenanceModeReason]
    MAINTENANCE_MODE_REASON_TPM_QUOTE_FAILURE: _ClassVar[MaintenanceModeReason]
    MAINTENANCE_MODE_REASON_EDGE_NODE_CERTS_REFUSED: _ClassVar[MaintenanceModeReason]

class APICapability(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    API_CAPABILITY_UNSPECIFIED: _ClassVar[APICapability]
    API_CAPABILITY_RETRY_UPDATE: _ClassVar[APICapability]
    API_CAPABILITY_SHUTDOWN: _ClassVar[APICapability]
    API_CAPABILITY_START_DELAY_IN_SECONDS: _ClassVar[APICapability]

class AttestationState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ATTESTATION_STATE_UNSPECIFIED: _ClassVar[AttestationState]
    ATTESTATION_STATE_NONCE_WAIT: _ClassVar[AttestationState]
    ATTESTATION_STATE_TPM_QUOTE_WAIT: _ClassVar[AttestationState]
    ATTESTATION_STATE_TPM_ESCROW_WAIT: _ClassVar[AttestationState]
    ATTESTATION_STATE_ATTEST_WAIT: _ClassVar[AttestationState]
    ATTESTATION_STATE_ATTEST_ESCROW_WAIT: _ClassVar[AttestationState]
    ATTESTATION_STATE_RESTART_WAIT: _ClassVar[AttestationState]
    ATTESTATION_STATE_COMPLETE: _ClassVar[AttestationState]

class BaseOsStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    NONE: _ClassVar[BaseOsStatus]
    DOWNLOADING: _ClassVar[BaseOsStatus]
    DOWNLOAD_DONE: _ClassVar[BaseOsStatus]
    UPDATING: _ClassVar[BaseOsStatus]
    UPDATED: _ClassVar[BaseOsStatus]
    FALLBACK: _ClassVar[BaseOsStatus]
    FAILED: _ClassVar[BaseOsStatus]

class BaseOsSubStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    NONE_SUBSTATUS: _ClassVar[BaseOsSubStatus]
    DOWNLOAD_INPROGRESS: _ClassVar[BaseOsSubStatus]
    VERIFY_INPROGRESS: _ClassVar[BaseOsSubStatus]
    UPDATE_INITIALIZING: _ClassVar[BaseOsSubStatus]
    UPDATE_REBOOTING: _ClassVar[BaseOsSubStatus]
    UPDATE_TESTING: _ClassVar[BaseOsSubStatus]
    UPDATE_NEED_TEST_CONFIRM: _ClassVar[BaseOsSubStatus]
    UPDATE_DEFERRED: _ClassVar[BaseOsSubStatus]

class ZNetworkInstanceState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ZNETINST_STATE_UNSPECIFIED: _ClassVar[ZNetworkInstanceState]
    ZNETINST_STATE_INIT: _ClassVar[ZNetworkInstanceState]
    ZNETINST_STATE_ONLINE: _ClassVar[ZNetworkInstanceState]
    ZNETINST_STATE_ERROR: _ClassVar[ZNetworkInstanceState]
ZiNop: ZInfoTypes
ZiDevice: ZInfoTypes
ZiApp: ZInfoTypes
ZiNetworkInstance: ZInfoTypes
ZiVolume: ZInfoTypes
ZiContentTree: ZInfoTypes
ZiBlobList: ZInfoTypes
ZiAppInstMetaData: ZInfoTypes
ZiHardware: ZInfoTypes
ZiEdgeview: ZInfoTypes
ZiLocation: ZInfoTypes
ZiPatchEnvelope: ZInfoTypes
ZiNTPSources: ZInfoTypes
ZiKubeCluster: ZInfoTypes
ZiKubeClusterUpdateStatus: ZInfoTypes
INVALID: ZSwState
INITIAL: ZSwState
DOWNLOAD_STARTED: ZSwState
DOWNLOADED: ZSwState
DELIVERED: ZSwState
INSTALLED: ZSwState
BOOTING: ZSwState
RUNNING: ZSwState
HALTING: ZSwState
HALTED: ZSwState
RESTARTING: ZSwState
PURGING: ZSwState
RESOLVING_TAG: ZSwState
RESOLVED_TAG: ZSwState
CREATING_VOLUME: ZSwState
CREATED_VOLUME: ZSwState
VERIFYING: ZSwState
VERIFIED: ZSwState
LOADING: ZSwState
LOADED: ZSwState
AWAITNETWORKINSTANCE: ZSwState
ERROR: ZSwState
START_DELAYED: ZSwState
PENDING: ZSwState
SCHEDULING: ZSwState
SEVERITY_UNSPECIFIED: Severity
SEVERITY_NOTICE: Severity
SEVERITY_WARNING: Severity
SEVERITY_ERROR: Severity
UNKNOWN: HwSecurityModuleStatus
NOTFOUND: HwSecurityModuleStatus
DISABLED: HwSecurityModuleStatus
ENABLED: HwSecurityModuleStatus
ZDEVICE_STATE_UNSPECIFIED: ZDeviceState
ZDEVICE_STATE_ONLINE: ZDeviceState
ZDEVICE_STATE_REBOOTING: ZDeviceState
ZDEVICE_STATE_MAINTENANCE_MODE: ZDeviceState
ZDEVICE_STATE_BASEOS_UPDATING: ZDeviceState
ZDEVICE_STATE_BOOTING: ZDeviceState
ZDEVICE_STATE_PREPARING_POWEROFF: ZDeviceState
ZDEVICE_STATE_POWERING_OFF: ZDeviceState
ZDEVICE_STATE_PREPARED_POWEROFF: ZDeviceState
BOOT_REASON_UNSPECIFIED: BootReason
BOOT_REASON_FIRST: BootReason
BOOT_REASON_REBOOT_CMD: BootReason
BOOT_REASON_UPDATE: BootReason
BOOT_REASON_FALLBACK: BootReason
BOOT_REASON_DISCONNECT: BootReason
BOOT_REASON_FATAL: BootReason
BOOT_REASON_OOM: BootReason
BOOT_REASON_WATCHDOG_HUNG: BootReason
BOOT_REASON_WATCHDOG_PID: BootReason
BOOT_REASON_KERNEL: BootReason
BOOT_REASON_POWER_FAIL: BootReason
BOOT_REASON_UNKNOWN: BootReason
BOOT_REASON_VAULT_FAILED: BootReason
BOOT_REASON_POWEROFF_CMD: BootReason
BOOT_REASON_PARSE_FAIL: BootReason
MAINTENANCE_MODE_REASON_NONE: MaintenanceModeReason
MAINTENANCE_MODE_REASON_USER_REQUESTED: MaintenanceModeReason
MAINTENANCE_MODE_REASON_VAULT_LOCKED_UP: MaintenanceModeReason
MAINTENANCE_MODE_REASON_LOW_DISK_SPACE: MaintenanceModeReason
MAINTENANCE_MODE_REASON_TPM_ENCRYPTION_FAILURE: MaintenanceModeReason
MAINTENANCE_MODE_REASON_TPM_QUOTE_FAILURE: MaintenanceModeReason
MAINTENANCE_MODE_REASON_EDGE_NODE_CERTS_REFUSED: MaintenanceModeReason
API_CAPABILITY_UNSPECIFIED: APICapability
API_CAPABILITY_RETRY_UPDATE: APICapability
API_CAPABILITY_SHUTDOWN: APICapability
API_CAPABILITY_START_DELAY_IN_SECONDS: APICapability
ATTESTATION_STATE_UNSPECIFIED: AttestationState
ATTESTATION_STATE_NONCE_WAIT: AttestationState
ATTESTATION_STATE_TPM_QUOTE_WAIT: AttestationState
ATTESTATION_STATE_TPM_ESCROW_WAIT: AttestationState
ATTESTATION_STATE_ATTEST_WAIT: AttestationState
ATTESTATION_STATE_ATTEST_ESCROW_WAIT: AttestationState
ATTESTATION_STATE_RESTART_WAIT: AttestationState
ATTESTATION_STATE_COMPLETE: AttestationState
NONE: BaseOsStatus
DOWNLOADING: BaseOsStatus
DOWNLOAD_DONE: BaseOsStatus
UPDATING: BaseOsStatus
UPDATED: BaseOsStatus
FALLBACK: BaseOsStatus
FAILED: BaseOsStatus
NONE_SUBSTATUS: BaseOsSubStatus
DOWNLOAD_INPROGRESS: BaseOsSubStatus
VERIFY_INPROGRESS: BaseOsSubStatus
UPDATE_INITIALIZING: BaseOsSubStatus
UPDATE_REBOOTING: BaseOsSubStatus
UPDATE_TESTING: BaseOsSubStatus
UPDATE_NEED_TEST_CONFIRM: BaseOsSubStatus
UPDATE_DEFERRED: BaseOsSubStatus
ZNETINST_STATE_UNSPECIFIED: ZNetworkInstanceState
ZNETINST_STATE_INIT: ZNetworkInstanceState
ZNETINST_STATE_ONLINE: ZNetworkInstanceState
ZNETINST_STATE_ERROR: ZNetworkInstanceState

class ErrorInfo(_message.Message):
    __slots__ = ("description", "timestamp", "severity", "retry_condition")
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    RETRY_CONDITION_FIELD_NUMBER: _ClassVar[int]
    description: str
    timestamp: _timestamp_pb2.Timestamp
    severity: Severity
    retry_condition: str
    def __init__(self, description: _Optional[str] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., severity: _Optional[_Union[Severity, str]] = ..., retry_condition: _Optional[str] = ...) -> None: ...

class ZInfoManufacturer(_message.Message):
    __slots__ = ("manufacturer", "productName", "version", "serialNumber", "UUID", "compatible", "biosVendor", "biosVersion", "biosReleaseDate")
    MANUFACTURER_FIELD_NUMBER: _ClassVar[int]
    PRODUCTNAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    SERIALNUMBER_FIELD_NUMBER: _ClassVar[int]
    UUID_FIELD_NUMBER: _ClassVar[int]
    COMPATIBLE_FIELD_NUMBER: _ClassVar[int]
    BIOSVENDOR_FIELD_NUMBER: _ClassVar[int]
    BIOSVERSION_FIELD_NUMBER: _ClassVar[int]
    BIOSRELEASEDATE_FIELD_NUMBER: _ClassVar[int]
    manufacturer: str
    productName: str
    version: str
    serialNumber: str
    UUID: str
    compatible: str
    biosVendor: str
    biosVersion: str
    biosReleaseDate: str
    def __init__(self, manufacturer: _Optional[str] = ..., productName: _Optional[str] = ..., version: _Optional[str] = ..., serialNumber: _Optional[str] = ..., UUID: _Optional[str] = ..., compatible: _Optional[str] = ..., biosVendor: _Optional[str] = ..., biosVersion: _Optional[str] = ..., biosReleaseDate: _Optional[str] = ...) -> None: ...

class ZInfoDNS(_message.Message):
    __slots__ = ("DNSservers", "DNSdomain", "DNSsearch")
    DNSSERVERS_FIELD_NUMBER: _ClassVar[int]
    DNSDOMAIN_FIELD_NUMBER: _ClassVar[int]
    DNSSEARCH_FIELD_NUMBER: _ClassVar[int]
    DNSservers: _containers.RepeatedScalarFieldContainer[str]
    DNSdomain: str
    DNSsearch: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, DNSservers: _Optional[_Iterable[str]] = ..., DNSdomain: _Optional[str] = ..., DNSsearch: _Optional[_Iterable[str]] = ...) -> None: ...

class SecurityInfo(_message.Message):
    __slots__ = ("sha_root_ca", "sha_tls_root_ca")
    SHA_ROOT_CA_FIELD_NUMBER: _ClassVar[int]
    SHA_TLS_ROOT_CA_FIELD_NUMBER: _ClassVar[int]
    sha_root_ca: bytes
    sha_tls_root_ca: bytes
    def __init__(self, sha_root_ca: _Optional[bytes] = ..., sha_tls_root_ca: _Optional[bytes] = ...) -> None: ...

class ZInfoConfigItem(_message.Message):
    __slots__ = ("value", "error")
    VALUE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    value: str
    error: str
    def __init__(self, value: _Optional[str] = ..., error: _Optional[str] = ...) -> None: ...

class ZInfoConfigItemStatus(_message.Message):
    __slots__ = ("configItems", "unknownConfigItems")
    class ConfigItemsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: ZInfoConfigItem
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[ZInfoConfigItem, _Mapping]] = ...) -> None: ...
    class UnknownConfigItemsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: ZInfoConfigItem
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[ZInfoConfigItem, _Mapping]] = ...) -> None: ...
    CONFIGITEMS_FIELD_NUMBER: _ClassVar[int]
    UNKNOWNCONFIGITEMS_FIELD_NUMBER: _ClassVar[int]
    configItems: _containers.MessageMap[str, ZInfoConfigItem]
    unknownConfigItems: _containers.MessageMap[str, ZInfoConfigItem]
    def __init__(self, configItems: _Optional[_Mapping[str, ZInfoConfigItem]] = ..., unknownConfigItems: _Optional[_Mapping[str, ZInfoConfigItem]] = ...) -> None: ...

class ZInfoAppInstance(_message.Message):
    __slots__ = ("uuid", "name", "domainName")
    UUID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DOMAINNAME_FIELD_NUMBER: _ClassVar[int]
    uuid: str
    name: str
    domainName: str
    def __init__(self, uuid: _Optional[str] = ..., name: _Optional[str] = ..., domainName: _Optional[str] = ...) -> None: ...

class AttestationInfo(_message.Message):
    __slots__ = ("state", "error")
    STATE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    state: AttestationState
    error: ErrorInfo
    def __init__(self, state: _Optional[_Union[AttestationState, str]] = ..., error: _Optional[_Union[ErrorInfo, _Mapping]] = ...) -> None: ...

class DevicePort(_message.Message):
    __slots__ = ("ifname", "name", "isMgmt", "free", "dhcpType", "subnet", "IPAddrs", "defaultRouters", "dns", "up", "err", "usage", "networkUUID", "cost", "mtu")
    IFNAME_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ISMGMT_FIELD_NUMBER: _ClassVar[int]
    FREE_FIELD_NUMBER: _ClassVar[int]
    DHCPTYPE_FIELD_NUMBER: _ClassVar[int]
    SUBNET_FIELD_NUMBER: _ClassVar[int]
    IPADDRS_FIELD_NUMBER: _ClassVar[int]
    DEFAULTROUTERS_FIELD_NUMBER: _ClassVar[int]
    DNS_FIELD_NUMBER: _ClassVar[int]
    UP_FIELD_NUMBER: _ClassVar[int]
    ERR_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    NETWORKUUID_FIELD_NUMBER: _ClassVar[int]
    COST_FIELD_NUMBER: _ClassVar[int]
    MTU_FIELD_NUMBER: _ClassVar[int]
    ifname: str
    name: str
    isMgmt: bool
    free: bool
    dhcpType: int
    subnet: str
    IPAddrs: _containers.RepeatedScalarFieldContainer[str]
    defaultRouters: _containers.RepeatedScalarFieldContainer[str]
    dns: ZInfoDNS
    up: bool
    err: ErrorInfo
    usage: _evecommon_pb2.PhyIoMemberUsage
    networkUUID: str
    cost: int
    mtu: int
    def __init__(self, ifname: _Optional[str] = ..., name: _Optional[str] = ..., isMgmt: _Optional[bool] = ..., free: _Optional[bool] = ..., dhcpType: _Optional[int] = ..., subnet: _Optional[str] = ..., IPAddrs: _Optional[_Iterable[str]] = ..., defaultRouters: _Optional[_Iterable[str]] = ..., dns: _Optional[_Union[ZInfoDNS, _Mapping]] = ..., up: _Optional[bool] = ..., err: _Optional[_Union[ErrorInfo, _Mapping]] = ..., usage: _Optional[_Union[_evecommon_pb2.PhyIoMemberUsage, str]] = ..., networkUUID: _Optional[str] = ..., cost: _Optional[int] = ..., mtu: _Optional[int] = ...) -> None: ...

class DevicePortStatus(_message.Message):
    __slots__ = ("version", "key", "timePriority", "lastFailed", "lastSucceeded", "ports", "lastError")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    TIMEPRIORITY_FIELD_NUMBER: _ClassVar[int]
    LASTFAILED_FIELD_NUMBER: _ClassVar[int]
    LASTSUCCEEDED_FIELD_NUMBER: _ClassVar[int]
    PORTS_FIELD_NUMBER: _ClassVar[int]
    LASTERROR_FIELD_NUMBER: _ClassVar[int]
    version: int
    key: str
    timePriority: _timestamp_pb2.Timestamp
    lastFailed: _timestamp_pb2.Timestamp
    lastSucceeded: _timestamp_pb2.Timestamp
    ports: _containers.RepeatedCompositeFieldContainer[DevicePort]
    lastError: str
    def __init__(self, version: _Optional[int] = ..., key: _Optional[str] = ..., timePriority: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., lastFailed: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., lastSucceeded: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ports: _Optional[_Iterable[_Union[DevicePort, _Mapping]]] = ..., lastError: _Optional[str] = ...) -> None: ...

class SystemAdapterInfo(_message.Message):
    __slots__ = ("currentIndex", "status")
    CURRENTINDEX_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    currentIndex: int
    status: _containers.RepeatedCompositeFieldContainer[DevicePortStatus]
    def __init__(self, currentIndex: _Optional[int] = ..., status: _Optional[_Iterable[_Union[DevicePortStatus, _Mapping]]] = ...) -> None: ...

class ZInfoDevSW(_message.Message):
    __slots__ = ("activated", "partitionLabel", "partitionDevice", "partitionState", "status", "shortVersion", "longVersion", "swErr", "downloadProgress", "userStatus", "subStatusStr", "subStatus", "subStatusProgress")
    ACTIVATED_FIELD_NUMBER: _ClassVar[int]
    PARTITIONLABEL_FIELD_NUMBER: _ClassVar[int]
    PARTITIONDEVICE_FIELD_NUMBER: _ClassVar[int]
    PARTITIONSTATE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    SHORTVERSION_FIELD_NUMBER: _ClassVar[int]
    LONGVERSION_FIELD_NUMBER: _ClassVar[int]
    SWERR_FIELD_NUMBER: _ClassVar[int]
    DOWNLOADPROGRESS_FIELD_NUMBER: _ClassVar[int]
    USERSTATUS_FIELD_NUMBER: _ClassVar[int]
    SUBSTATUSSTR_FIELD_NUMBER: _ClassVar[int]
    SUBSTATUS_FIELD_NUMBER: _ClassVar[int]
    SUBSTATUSPROGRESS_FIELD_NUMBER: _ClassVar[int]
    activated: bool
    partitionLabel: str
    partitionDevice: str
    partitionState: str
    status: ZSwState
    shortVersion: str
    longVersion: str
    swErr: ErrorInfo
    downloadProgress: int
    userStatus: BaseOsStatus
    subStatusStr: str
    subStatus: BaseOsSubStatus
    subStatusProgress: int
    def __init__(self, activated: _Optional[bool] = ..., partitionLabel: _Optional[str] = ..., partitionDevice: _Optional[str] = ..., partitionState: _Optional[str] = ..., status: _Optional[_Union[ZSwState, str]] = ..., shortVersion: _Optional[str] = ..., longVersion: _Optional[str] = ..., swErr: _Optional[_Union[ErrorInfo, _Mapping]] = ..., downloadProgress: _Optional[int] = ..., userStatus: _Optional[_Union[BaseOsStatus, str]] = ..., subStatusStr: _Optional[str] = ..., subStatus: _Optional[_Union[BaseOsSubStatus, str]] = ..., subStatusProgress: _Optional[int] = ...) -> None: ...

class ZInfoDevice(_message.Message):
    __slots__ = ("machineArch", "cpuArch", "platform", "ncpu", "memory", "storage", "powerCycleCounter", "minfo", "dns", "bootTime", "swList", "HostName", "lastRebootReason", "lastRebootTime", "systemAdapter", "restartCounter", "HSMStatus", "HSMInfo", "lastRebootStack", "sec_info", "configItemStatus", "appInstances", "rebootConfigCounter", "last_boot_reason", "maintenance_mode", "hardware_watchdog_present", "reboot_inprogress", "baseos_update_counter", "state", "maintenance_mode_reasons", "shutdown_config_counter", "attestation_info", "api_capability", "device_name")
    MACHINEARCH_FIELD_NUMBER: _ClassVar[int]
    CPUARCH_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_FIELD_NUMBER: _ClassVar[int]
    NCPU_FIELD_NUMBER: _ClassVar[int]
    MEMORY_FIELD_NUMBER: _ClassVar[int]
    STORAGE_FIELD_NUMBER: _ClassVar[int]
    POWERCYCLECOUNTER_FIELD_NUMBER: _ClassVar[int]
    MINFO_FIELD_NUMBER: _ClassVar[int]
    DNS_FIELD_NUMBER: _ClassVar[int]
    BOOTTIME_FIELD_NUMBER: _ClassVar[int]
    SWLIST_FIELD_NUMBER: _ClassVar[int]
    HOSTNAME_FIELD_NUMBER: _ClassVar[int]
    LASTREBOOTREASON_FIELD_NUMBER: _ClassVar[int]
    LASTREBOOTTIME_FIELD_NUMBER: _ClassVar[int]
    SYSTEMADAPTER_FIELD_NUMBER: _ClassVar[int]
    RESTARTCOUNTER_FIELD_NUMBER: _ClassVar[int]
    HSMSTATUS_FIELD_NUMBER: _ClassVar[int]
    HSMINFO_FIELD_NUMBER: _ClassVar[int]
    LASTREBOOTSTACK_FIELD_NUMBER: _ClassVar[int]
    SEC_INFO_FIELD_NUMBER: _ClassVar[int]
    CONFIGITEMSTATUS_FIELD_NUMBER: _ClassVar[int]
    APPINSTANCES_FIELD_NUMBER: _ClassVar[int]
    REBOOTCONFIGCOUNTER_FIELD_NUMBER: _ClassVar[int]
    LAST_BOOT_REASON_FIELD_NUMBER: _ClassVar[int]
    MAINTENANCE_MODE_FIELD_NUMBER: _ClassVar[int]
    HARDWARE_WATCHDOG_PRESENT_FIELD_NUMBER: _ClassVar[int]
    REBOOT_INPROGRESS_FIELD_NUMBER: _ClassVar[int]
    BASEOS_UPDATE_COUNTER_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    MAINTENANCE_MODE_REASONS_FIELD_NUMBER: _ClassVar[int]
    SHUTDOWN_CONFIG_COUNTER_FIELD_NUMBER: _ClassVar[int]
    ATTESTATION_INFO_FIELD_NUMBER: _ClassVar[int]
    API_CAPABILITY_FIELD_NUMBER: _ClassVar[int]
    DEVICE_NAME_FIELD_NUMBER: _ClassVar[int]
    machineArch: str
    cpuArch: str
    platform: str
    ncpu: int
    memory: int
    storage: int
    powerCycleCounter: int
    minfo: ZInfoManufacturer
    dns: ZInfoDNS
    bootTime: _timestamp_pb2.Timestamp
    swList: _containers.RepeatedCompositeFieldContainer[ZInfoDevSW]
    HostName: str
    lastRebootReason: str
    lastRebootTime: _timestamp_pb2.Timestamp
    systemAdapter: SystemAdapterInfo
    restartCounter: int
    HSMStatus: HwSecurityModuleStatus
    HSMInfo: str
    lastRebootStack: str
    sec_info: SecurityInfo
    configItemStatus: ZInfoConfigItemStatus
    appInstances: _containers.RepeatedCompositeFieldContainer[ZInfoAppInstance]
    rebootConfigCounter: int
    last_boot_reason: BootReason
    maintenance_mode: bool
    hardware_watchdog_present: bool
    reboot_inprogress: bool
    baseos_update_counter: int
    state: ZDeviceState
    maintenance_mode_reasons: _containers.RepeatedScalarFieldContainer[MaintenanceModeReason]
    shutdown_config_counter: int
    attestation_info: AttestationInfo
    api_capability: APICapability
    device_name: str
    def __init__(self, machineArch: _Optional[str] = ..., cpuArch: _Optional[str] = ..., platform: _Optional[str] = ..., ncpu: _Optional[int] = ..., memory: _Optional[int] = ..., storage: _Optional[int] = ..., powerCycleCounter: _Optional[int] = ..., minfo: _Optional[_Union[ZInfoManufacturer, _Mapping]] = ..., dns: _Optional[_Union[ZInfoDNS, _Mapping]] = ..., bootTime: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., swList: _Optional[_Iterable[_Union[ZInfoDevSW, _Mapping]]] = ..., HostName: _Optional[str] = ..., lastRebootReason: _Optional[str] = ..., lastRebootTime: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., systemAdapter: _Optional[_Union[SystemAdapterInfo, _Mapping]] = ..., restartCounter: _Optional[int] = ..., HSMStatus: _Optional[_Union[HwSecurityModuleStatus, str]] = ..., HSMInfo: _Optional[str] = ..., lastRebootStack: _Optional[str] = ..., sec_info: _Optional[_Union[SecurityInfo, _Mapping]] = ..., configItemStatus: _Optional[_Union[ZInfoConfigItemStatus, _Mapping]] = ..., appInstances: _Optional[_Iterable[_Union[ZInfoAppInstance, _Mapping]]] = ..., rebootConfigCounter: _Optional[int] = ..., last_boot_reason: _Optional[_Union[BootReason, str]] = ..., maintenance_mode: _Optional[bool] = ..., hardware_watchdog_present: _Optional[bool] = ..., reboot_inprogress: _Optional[bool] = ..., baseos_update_counter: _Optional[int] = ..., state: _Optional[_Union[ZDeviceState, str]] = ..., maintenance_mode_reasons: _Optional[_Iterable[_Union[MaintenanceModeReason, str]]] = ..., shutdown_config_counter: _Optional[int] = ..., attestation_info: _Optional[_Union[AttestationInfo, _Mapping]] = ..., api_capability: _Optional[_Union[APICapability, str]] = ..., device_name: _Optional[str] = ...) -> None: ...

class ZInfoNetwork(_message.Message):
    __slots__ = ("macAddr", "devName", "IPAddrs", "defaultRouters", "dns", "ipv4_up", "uplink", "localName")
    MACADDR_FIELD_NUMBER: _ClassVar[int]
    DEVNAME_FIELD_NUMBER: _ClassVar[int]
    IPADDRS_FIELD_NUMBER: _ClassVar[int]
    DEFAULTROUTERS_FIELD_NUMBER: _ClassVar[int]
    DNS_FIELD_NUMBER: _ClassVar[int]
    IPV4_UP_FIELD_NUMBER: _ClassVar[int]
    UPLINK_FIELD_NUMBER: _ClassVar[int]
    LOCALNAME_FIELD_NUMBER: _ClassVar[int]
    macAddr: str
    devName: str
    IPAddrs: _containers.RepeatedScalarFieldContainer[str]
    defaultRouters: _containers.RepeatedScalarFieldContainer[str]
    dns: ZInfoDNS
    ipv4_up: bool
    uplink: bool
    localName: str
    def __init__(self, macAddr: _Optional[str] = ..., devName: _Optional[str] = ..., IPAddrs: _Optional[_Iterable[str]] = ..., defaultRouters: _Optional[_Iterable[str]] = ..., dns: _Optional[_Union[ZInfoDNS, _Mapping]] = ..., ipv4_up: _Optional[bool] = ..., uplink: _Optional[bool] = ..., localName: _Optional[str] = ...) -> None: ...

class ZInfoApp(_message.Message):
    __slots__ = ("AppID", "appVersion", "systemApp", "AppName", "bootTime", "appErr", "state", "network")
    APPID_FIELD_NUMBER: _ClassVar[int]
    APPVERSION_FIELD_NUMBER: _ClassVar[int]
    SYSTEMAPP_FIELD_NUMBER: _ClassVar[int]
    APPNAME_FIELD_NUMBER: _ClassVar[int]
    BOOTTIME_FIELD_NUMBER: _ClassVar[int]
    APPERR_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    NETWORK_FIELD_NUMBER: _ClassVar[int]
    AppID: str
    appVersion: str
    systemApp: bool
    AppName: str
    bootTime: _timestamp_pb2.Timestamp
    appErr: _containers.RepeatedCompositeFieldContainer[ErrorInfo]
    state: ZSwState
    network: _containers.RepeatedCompositeFieldContainer[ZInfoNetwork]
    def __init__(self, AppID: _Optional[str] = ..., appVersion: _Optional[str] = ..., systemApp: _Optional[bool] = ..., AppName: _Optional[str] = ..., bootTime: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., appErr: _Optional[_Iterable[_Union[ErrorInfo, _Mapping]]] = ..., state: _Optional[_Union[ZSwState, str]] = ..., network: _Optional[_Iterable[_Union[ZInfoNetwork, _Mapping]]] = ...) -> None: ...

class ZmetIPAssignmentEntry(_message.Message):
    __slots__ = ("macAddress", "ipAddress")
    MACADDRESS_FIELD_NUMBER: _ClassVar[int]
    IPADDRESS_FIELD_NUMBER: _ClassVar[int]
    macAddress: str
    ipAddress: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, macAddress: _Optional[str] = ..., ipAddress: _Optional[_Iterable[str]] = ...) -> None: ...

class ZmetVifInfo(_message.Message):
    __slots__ = ("vifName", "macAddress", "appID")
    VIFNAME_FIELD_NUMBER: _ClassVar[int]
    MACADDRESS_FIELD_NUMBER: _ClassVar[int]
    APPID_FIELD_NUMBER: _ClassVar[int]
    vifName: str
    macAddress: str
    appID: str
    def __init__(self, vifName: _Optional[str] = ..., macAddress: _Optional[str] = ..., appID: _Optional[str] = ...) -> None: ...

class ZInfoNetworkInstance(_message.Message):
    __slots__ = ("networkID", "networkVersion", "instType", "displayname", "activated", "upTimeStamp", "CurrentUplinkIntf", "ports", "bridgeNum", "bridgeName", "bridgeIPAddr", "ipAssignments", "vifs", "networkErr", "state", "mtu")
    NETWORKID_FIELD_NUMBER: _ClassVar[int]
    NETWORKVERSION_FIELD_NUMBER: _ClassVar[int]
    INSTTYPE_FIELD_NUMBER: _ClassVar[int]
    DISPLAYNAME_FIELD_NUMBER: _ClassVar[int]
    ACTIVATED_FIELD_NUMBER: _ClassVar[int]
    UPTIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    CURRENTUPLINKINTF_FIELD_NUMBER: _ClassVar[int]
    PORTS_FIELD_NUMBER: _ClassVar[int]
    BRIDGENUM_FIELD_NUMBER: _ClassVar[int]
    BRIDGENAME_FIELD_NUMBER: _ClassVar[int]
    BRIDGEIPADDR_FIELD_NUMBER: _ClassVar[int]
    IPASSIGNMENTS_FIELD_NUMBER: _ClassVar[int]
    VIFS_FIELD_NUMBER: _ClassVar[int]
    NETWORKERR_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    MTU_FIELD_NUMBER: _ClassVar[int]
    networkID: str
    networkVersion: str
    instType: int
    displayname: str
    activated: bool
    upTimeStamp: _timestamp_pb2.Timestamp
    CurrentUplinkIntf: str
    ports: _containers.RepeatedScalarFieldContainer[str]
    bridgeNum: int
    bridgeName: str
    bridgeIPAddr: str
    ipAssignments: _containers.RepeatedCompositeFieldContainer[ZmetIPAssignmentEntry]
    vifs: _containers.RepeatedCompositeFieldContainer[ZmetVifInfo]
    networkErr: _containers.RepeatedCompositeFieldContainer[ErrorInfo]
    state: ZNetworkInstanceState
    mtu: int
    def __init__(self, networkID: _Optional[str] = ..., networkVersion: _Optional[str] = ..., instType: _Optional[int] = ..., displayname: _Optional[str] = ..., activated: _Optional[bool] = ..., upTimeStamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., CurrentUplinkIntf: _Optional[str] = ..., ports: _Optional[_Iterable[str]] = ..., bridgeNum: _Optional[int] = ..., bridgeName: _Optional[str] = ..., bridgeIPAddr: _Optional[str] = ..., ipAssignments: _Optional[_Iterable[_Union[ZmetIPAssignmentEntry, _Mapping]]] = ..., vifs: _Optional[_Iterable[_Union[ZmetVifInfo, _Mapping]]] = ..., networkErr: _Optional[_Iterable[_Union[ErrorInfo, _Mapping]]] = ..., state: _Optional[_Union[ZNetworkInstanceState, str]] = ..., mtu: _Optional[int] = ...) -> None: ...

class ZInfoVolume(_message.Message):
    __slots__ = ("uuid", "displayName", "state", "progressPercentage", "volumeErr", "generation_count")
    UUID_FIELD_NUMBER: _ClassVar[int]
    DISPLAYNAME_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    PROGRESSPERCENTAGE_FIELD_NUMBER: _ClassVar[int]
    VOLUMEERR_FIELD_NUMBER: _ClassVar[int]
    GENERATION_COUNT_FIELD_NUMBER: _ClassVar[int]
    uuid: str
    displayName: str
    state: ZSwState
    progressPercentage: int
    volumeErr: ErrorInfo
    generation_count: int
    def __init__(self, uuid: _Optional[str] = ..., displayName: _Optional[str] = ..., state: _Optional[_Union[ZSwState, str]] = ..., progressPercentage: _Optional[int] = ..., volumeErr: _Optional[_Union[ErrorInfo, _Mapping]] = ..., generation_count: _Optional[int] = ...) -> None: ...

class ZInfoContentTree(_message.Message):
    __slots__ = ("uuid", "displayName", "sha256", "state", "progressPercentage", "err", "generation_count")
    UUID_FIELD_NUMBER: _ClassVar[int]
    DISPLAYNAME_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    PROGRESSPERCENTAGE_FIELD_NUMBER: _ClassVar[int]
    ERR_FIELD_NUMBER: _ClassVar[int]
    GENERATION_COUNT_FIELD_NUMBER: _ClassVar[int]
    uuid: str
    displayName: str
    sha256: str
    state: ZSwState
    progressPercentage: int
    err: ErrorInfo
    generation_count: int
    def __init__(self, uuid: _Optional[str] = ..., displayName: _Optional[str] = ..., sha256: _Optional[str] = ..., state: _Optional[_Union[ZSwState, str]] = ..., progressPercentage: _Optional[int] = ..., err: _Optional[_Union[ErrorInfo, _Mapping]] = ..., generation_count: _Optional[int] = ...) -> None: ...

class ZInfoMsg(_message.Message):
    __slots__ = ("ztype", "devId", "dinfo", "ainfo", "niinfo", "vinfo", "cinfo", "atTimeStamp")
    ZTYPE_FIELD_NUMBER: _ClassVar[int]
    DEVID_FIELD_NUMBER: _ClassVar[int]
    DINFO_FIELD_NUMBER: _ClassVar[int]
    AINFO_FIELD_NUMBER: _ClassVar[int]
    NIINFO_FIELD_NUMBER: _ClassVar[int]
    VINFO_FIELD_NUMBER: _ClassVar[int]
    CINFO_FIELD_NUMBER: _ClassVar[int]
    ATTIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    ztype: ZInfoTypes
    devId: str
    dinfo: ZInfoDevice
    ainfo: ZInfoApp
    niinfo: ZInfoNetworkInstance
    vinfo: ZInfoVolume
    cinfo: ZInfoContentTree
    atTimeStamp: _timestamp_pb2.Timestamp
    def __init__(self, ztype: _Optional[_Union[ZInfoTypes, str]] = ..., devId: _Optional[str] = ..., dinfo: _Optional[_Union[ZInfoDevice, _Mapping]] = ..., ainfo: _Optional[_Union[ZInfoApp, _Mapping]] = ..., niinfo: _Optional[_Union[ZInfoNetworkInstance, _Mapping]] = ..., vinfo: _Optional[_Union[ZInfoVolume, _Mapping]] = ..., cinfo: _Optional[_Union[ZInfoContentTree, _Mapping]] = ..., atTimeStamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
