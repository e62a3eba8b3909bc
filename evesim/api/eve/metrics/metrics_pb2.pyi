import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class memoryMetric(_message.Message):
    __slots__ = ("usedMem", "availMem", "usedPercentage", "availPercentage")
    USEDMEM_FIELD_NUMBER: _ClassVar[int]
    AVAILMEM_FIELD_NUMBER: _ClassVar[int]
    USEDPERCENTAGE_FIELD_NUMBER: _ClassVar[int]
    AVAILPERCENTAGE_FIELD_NUMBER: _ClassVar[int]
    usedMem: int
    availMem: int
    usedPercentage: float
    availPercentage: float
    def __init__(self, usedMem: _Optional[int] = ..., availMem: _Optional[int] = ..., usedPercentage: _Optional[float] = ..., availPercentage: _Optional[float] = ...) -> None: ...

class DeviceMemoryMetric(_message.Message):
    __slots__ = ("memoryMB", "allocated_appsMB", "allocated_eveMB", "used_eveMB")
    MEMORYMB_FIELD_NUMBER: _ClassVar[int]
    ALLOCATED_APPSMB_FIELD_NUMBER: _ClassVar[int]
    ALLOCATED_EVEMB_FIELD_NUMBER: _ClassVar[int]
    USED_EVEMB_FIELD_NUMBER: _ClassVar[int]
    memoryMB: int
    allocated_appsMB: int
    allocated_eveMB: int
    used_eveMB: int
    def __init__(self, memoryMB: _Optional[int] = ..., allocated_appsMB: _Optional[int] = ..., allocated_eveMB: _Optional[int] = ..., used_eveMB: _Optional[int] = ...) -> None: ...

class AppMemoryMetric(_message.Message):
    __slots__ = ("allocatedMB", "usedMB")
    ALLOCATEDMB_FIELD_NUMBER: _ClassVar[int]
    USEDMB_FIELD_NUMBER: _ClassVar[int]
    allocatedMB: int
    usedMB: int
    def __init__(self, allocatedMB: _Optional[int] = ..., usedMB: _Optional[int] = ...) -> None: ...

class appCpuMetric(_message.Message):
    __slots__ = ("upTime", "total", "systemTotal", "total_ns")
    UPTIME_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    SYSTEMTOTAL_FIELD_NUMBER: _ClassVar[int]
    TOTAL_NS_FIELD_NUMBER: _ClassVar[int]
    upTime: _timestamp_pb2.Timestamp
    total: int
    systemTotal: int
    total_ns: int
    def __init__(self, upTime: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., total: _Optional[int] = ..., systemTotal: _Optional[int] = ..., total_ns: _Optional[int] = ...) -> None: ...

class networkMetric(_message.Message):
    __slots__ = ("iName", "txBytes", "rxBytes", "txDrops", "rxDrops", "txPkts", "rxPkts", "txErrors", "rxErrors", "txAclDrops", "rxAclDrops", "txAclRateLimitDrops", "rxAclRateLimitDrops", "localName", "alias")
    INAME_FIELD_NUMBER: _ClassVar[int]
    TXBYTES_FIELD_NUMBER: _ClassVar[int]
    RXBYTES_FIELD_NUMBER: _ClassVar[int]
    TXDROPS_FIELD_NUMBER: _ClassVar[int]
    RXDROPS_FIELD_NUMBER: _ClassVar[int]
    TXPKTS_FIELD_NUMBER: _ClassVar[int]
    RXPKTS_FIELD_NUMBER: _ClassVar[int]
    TXERRORS_FIELD_NUMBER: _ClassVar[int]
    RXERRORS_FIELD_NUMBER: _ClassVar[int]
    TXACLDROPS_FIELD_NUMBER: _ClassVar[int]
    RXACLDROPS_FIELD_NUMBER: _ClassVar[int]
    TXACLRATELIMITDROPS_FIELD_NUMBER: _ClassVar[int]
    RXACLRATELIMITDROPS_FIELD_NUMBER: _ClassVar[int]
    LOCALNAME_FIELD_NUMBER: _ClassVar[int]
    ALIAS_FIELD_NUMBER: _ClassVar[int]
    iName: str
    txBytes: int
    rxBytes: int
    txDrops: int
    rxDrops: int
    txPkts: int
    rxPkts: int
    txErrors: int
    rxErrors: int
    txAclDrops: int
    rxAclDrops: int
    txAclRateLimitDrops: int
    rxAclRateLimitDrops: int
    localName: str
    alias: str
    def __init__(self, iName: _Optional[str] = ..., txBytes: _Optional[int] = ..., rxBytes: _Optional[int] = ..., txDrops: _Optional[int] = ..., rxDrops: _Optional[int] = ..., txPkts: _Optional[int] = ..., rxPkts: _Optional[int] = ..., txErrors: _Optional[int] = ..., rxErrors: _Optional[int] = ..., txAclDrops: _Optional[int] = ..., rxAclDrops: _Optional[int] = ..., txAclRateLimitDrops: _Optional[int] = ..., rxAclRateLimitDrops: _Optional[int] = ..., localName: _Optional[str] = ..., alias: _Optional[str] = ...) -> None: ...

class zedcloudMetric(_message.Message):
    __slots__ = ("ifName", "failures", "success", "lastFailure", "lastSuccess", "authVerifyFailure")
    IFNAME_FIELD_NUMBER: _ClassVar[int]
    FAILURES_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    LASTFAILURE_FIELD_NUMBER: _ClassVar[int]
    LASTSUCCESS_FIELD_NUMBER: _ClassVar[int]
    AUTHVERIFYFAILURE_FIELD_NUMBER: _ClassVar[int]
    ifName: str
    failures: int
    success: int
    lastFailure: _timestamp_pb2.Timestamp
    lastSuccess: _timestamp_pb2.Timestamp
    authVerifyFailure: int
    def __init__(self, ifName: _Optional[str] = ..., failures: _Optional[int] = ..., success: _Optional[int] = ..., lastFailure: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., lastSuccess: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., authVerifyFailure: _Optional[int] = ...) -> None: ...

class diskMetric(_message.Message):
    __slots__ = ("disk", "mountPath", "readBytes", "writeBytes", "readCount", "writeCount", "total", "used", "free")
    DISK_FIELD_NUMBER: _ClassVar[int]
    MOUNTPATH_FIELD_NUMBER: _ClassVar[int]
    READBYTES_FIELD_NUMBER: _ClassVar[int]
    WRITEBYTES_FIELD_NUMBER: _ClassVar[int]
    READCOUNT_FIELD_NUMBER: _ClassVar[int]
    WRITECOUNT_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    USED_FIELD_NUMBER: _ClassVar[int]
    FREE_FIELD_NUMBER: _ClassVar[int]
    disk: str
    mountPath: str
    readBytes: int
    writeBytes: int
    readCount: int
    writeCount: int
    total: int
    used: int
    free: int
    def __init__(self, disk: _Optional[str] = ..., mountPath: _Optional[str] = ..., readBytes: _Optional[int] = ..., writeBytes: _Optional[int] = ..., readCount: _Optional[int] = ..., writeCount: _Optional[int] = ..., total: _Optional[int] = ..., used: _Optional[int] = ..., free: _Optional[int] = ...) -> None: ...

class deviceMetric(_message.Message):
    __slots__ = ("memory", "network", "zedcloud", "disk", "cpuMetric", "runtimeStorageOverheadMB", "appRunTimeStorageMB", "systemServicesMemoryMB", "deviceMemory", "last_received_config", "last_processed_config", "dormant_time_in_seconds")
    MEMORY_FIELD_NUMBER: _ClassVar[int]
    NETWORK_FIELD_NUMBER: _ClassVar[int]
    ZEDCLOUD_FIELD_NUMBER: _ClassVar[int]
    DISK_FIELD_NUMBER: _ClassVar[int]
    CPUMETRIC_FIELD_NUMBER: _ClassVar[int]
    RUNTIMESTORAGEOVERHEADMB_FIELD_NUMBER: _ClassVar[int]
    APPRUNTIMESTORAGEMB_FIELD_NUMBER: _ClassVar[int]
    SYSTEMSERVICESMEMORYMB_FIELD_NUMBER: _ClassVar[int]
    DEVICEMEMORY_FIELD_NUMBER: _ClassVar[int]
    LAST_RECEIVED_CONFIG_FIELD_NUMBER: _ClassVar[int]
    LAST_PROCESSED_CONFIG_FIELD_NUMBER: _ClassVar[int]
    DORMANT_TIME_IN_SECONDS_FIELD_NUMBER: _ClassVar[int]
    memory: memoryMetric
    network: _containers.RepeatedCompositeFieldContainer[networkMetric]
    zedcloud: _containers.RepeatedCompositeFieldContainer[zedcloudMetric]
    disk: _containers.RepeatedCompositeFieldContainer[diskMetric]
    cpuMetric: appCpuMetric
    runtimeStorageOverheadMB: int
    appRunTimeStorageMB: int
    systemServicesMemoryMB: memoryMetric
    deviceMemory: DeviceMemoryMetric
    last_received_config: _timestamp_pb2.Timestamp
    last_processed_config: _timestamp_pb2.Timestamp
    dormant_time_in_seconds: int
    def __init__(self, memory: _Optional[_Union[memoryMetric, _Mapping]] = ..., network: _Optional[_Iterable[_Union[networkMetric, _Mapping]]] = ..., zedcloud: _Optional[_Iterable[_Union[zedcloudMetric, _Mapping]]] = ..., disk: _Optional[_Iterable[_Union[diskMetric, _Mapping]]] = ..., cpuMetric: _Optional[_Union[appCpuMetric, _Mapping]] = ..., runtimeStorageOverheadMB: _Optional[int] = ..., appRunTimeStorageMB: _Optional[int] = ..., systemServicesMemoryMB: _Optional[_Union[memoryMetric, _Mapping]] = ..., deviceMemory: _Optional[_Union[DeviceMemoryMetric, _Mapping]] = ..., last_received_config: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_processed_config: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., dormant_time_in_seconds: _Optional[int] = ...) -> None: ...

class appMetric(_message.Message):
    __slots__ = ("AppID", "AppName", "cpu", "memory", "network", "appMemory", "appVersion")
    APPID_FIELD_NUMBER: _ClassVar[int]
    APPNAME_FIELD_NUMBER: _ClassVar[int]
    CPU_FIELD_NUMBER: _ClassVar[int]
    MEMORY_FIELD_NUMBER: _ClassVar[int]
    NETWORK_FIELD_NUMBER: _ClassVar[int]
    APPMEMORY_FIELD_NUMBER: _ClassVar[int]
    APPVERSION_FIELD_NUMBER: _ClassVar[int]
    AppID: str
    AppName: str
    cpu: appCpuMetric
    memory: memoryMetric
    network: _containers.RepeatedCompositeFieldContainer[networkMetric]
    appMemory: AppMemoryMetric
    appVersion: str
    def __init__(self, AppID: _Optional[str] = ..., AppName: _Optional[str] = ..., cpu: _Optional[_Union[appCpuMetric, _Mapping]] = ..., memory: _Optional[_Union[memoryMetric, _Mapping]] = ..., network: _Optional[_Iterable[_Union[networkMetric, _Mapping]]] = ..., appMemory: _Optional[_Union[AppMemoryMetric, _Mapping]] = ..., appVersion: _Optional[str] = ...) -> None: ...

class ZMetricVolume(_message.Message):
    __slots__ = ("uuid", "displayName", "readBytes", "writeBytes", "readCount", "writeCount", "totalBytes", "usedBytes", "freeBytes")
    UUID_FIELD_NUMBER: _ClassVar[int]
    DISPLAYNAME_FIELD_NUMBER: _ClassVar[int]
    READBYTES_FIELD_NUMBER: _ClassVar[int]
    WRITEBYTES_FIELD_NUMBER: _ClassVar[int]
    READCOUNT_FIELD_NUMBER: _ClassVar[int]
    WRITECOUNT_FIELD_NUMBER: _ClassVar[int]
    TOTALBYTES_FIELD_NUMBER: _ClassVar[int]
    USEDBYTES_FIELD_NUMBER: _ClassVar[int]
    FREEBYTES_FIELD_NUMBER: _ClassVar[int]
    uuid: str
    displayName: str
    readBytes: int
    writeBytes: int
    readCount: int
    writeCount: int
    totalBytes: int
    usedBytes: int
    freeBytes: int
    def __init__(self, uuid: _Optional[str] = ..., displayName: _Optional[str] = ..., readBytes: _Optional[int] = ..., writeBytes: _Optional[int] = ..., readCount: _Optional[int] = ..., writeCount: _Optional[int] = ..., totalBytes: _Optional[int] = ..., usedBytes: _Optional[int] = ..., freeBytes: _Optional[int] = ...) -> None: ...

class ZMetricNetworkInstance(_message.Message):
    __slots__ = ("networkID", "networkVersion", "instType", "displayname", "activated", "network")
    NETWORKID_FIELD_NUMBER: _ClassVar[int]
    NETWORKVERSION_FIELD_NUMBER: _ClassVar[int]
    INSTTYPE_FIELD_NUMBER: _ClassVar[int]
    DISPLAYNAME_FIELD_NUMBER: _ClassVar[int]
    ACTIVATED_FIELD_NUMBER: _ClassVar[int]
    NETWORK_FIELD_NUMBER: _ClassVar[int]
    networkID: str
    networkVersion: str
    instType: int
    displayname: str
    activated: bool
    network: _containers.RepeatedCompositeFieldContainer[networkMetric]
    def __init__(self, networkID: _Optional[str] = ..., networkVersion: _Optional[str] = ..., instType: _Optional[int] = ..., displayname: _Optional[str] = ..., activated: _Optional[bool] = ..., network: _Optional[_Iterable[_Union[networkMetric, _Mapping]]] = ...) -> None: ...

class ZMetricMsg(_message.Message):
    __slots__ = ("devID", "atTimeStamp", "dm", "am", "nm", "vm")
    DEVID_FIELD_NUMBER: _ClassVar[int]
    ATTIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    DM_FIELD_NUMBER: _ClassVar[int]
    AM_FIELD_NUMBER: _ClassVar[int]
    NM_FIELD_NUMBER: _ClassVar[int]
    VM_FIELD_NUMBER: _ClassVar[int]
    devID: str
    atTimeStamp: _timestamp_pb2.Timestamp
    dm: deviceMetric
    am: _containers.RepeatedCompositeFieldContainer[appMetric]
    nm: _containers.RepeatedCompositeFieldContainer[ZMetricNetworkInstance]
    vm: _containers.RepeatedCompositeFieldContainer[ZMetricVolume]
    def __init__(self, devID: _Optional[str] = ..., atTimeStamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., dm: _Optional[_Union[deviceMetric, _Mapping]] = ..., am: _Optional[_Iterable[_Union[appMetric, _Mapping]]] = ..., nm: _Optional[_Iterable[_Union[ZMetricNetworkInstance, _Mapping]]] = ..., vm: _Optional[_Iterable[_Union[ZMetricVolume, _Mapping]]] = ...) -> None: ...
