from evesim.api.eve.common import evecommon_pb2 as _evecommon_pb2
from evesim.api.eve.config import devcommon_pb2 as _devcommon_pb2
from evesim.api.eve.config import network_pb2 as _network_pb2
from evesim.api.eve.config import storage_pb2 as _storage_pb2
from evesim.api.eve.config import vm_pb2 as _vm_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AppInstanceConfig(_message.Message):
    __slots__ = ("uuidandversion", "displayname", "fixedresources", "drives", "activate", "interfaces", "adapters", "restart", "purge", "userData", "remoteConsole", "cipherData", "collectStatsIPAddr", "volumeRefList", "profile_list", "start_delay_in_seconds", "service", "designated_node_id")
    UUIDANDVERSION_FIELD_NUMBER: _ClassVar[int]
    DISPLAYNAME_FIELD_NUMBER: _ClassVar[int]
    FIXEDRESOURCES_FIELD_NUMBER: _ClassVar[int]
    DRIVES_FIELD_NUMBER: _ClassVar[int]
    ACTIVATE_FIELD_NUMBER: _ClassVar[int]
    INTERFACES_FIELD_NUMBER: _ClassVar[int]
    ADAPTERS_FIELD_NUMBER: _ClassVar[int]
    RESTART_FIELD_NUMBER: _ClassVar[int]
    PURGE_FIELD_NUMBER: _ClassVar[int]
    USERDATA_FIELD_NUMBER: _ClassVar[int]
    REMOTECONSOLE_FIELD_NUMBER: _ClassVar[int]
    CIPHERDATA_FIELD_NUMBER: _ClassVar[int]
    COLLECTSTATSIPADDR_FIELD_NUMBER: _ClassVar[int]
    VOLUMEREFLIST_FIELD_NUMBER: _ClassVar[int]
    PROFILE_LIST_FIELD_NUMBER: _ClassVar[int]
    START_DELAY_IN_SECONDS_FIELD_NUMBER: _ClassVar[int]
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    DESIGNATED_NODE_ID_FIELD_NUMBER: _ClassVar[int]
    uuidandversion: _devcommon_pb2.UUIDandVersion
    displayname: str
    fixedresources: _vm_pb2.VmConfig
    drives: _containers.RepeatedCompositeFieldContainer[_storage_pb2.Drive]
    activate: bool
    interfaces: _containers.RepeatedCompositeFieldContainer[_network_pb2.NetworkAdapter]
    adapters: _containers.RepeatedCompositeFieldContainer[_network_pb2.Adapter]
    restart: _devcommon_pb2.InstanceOpsCmd
    purge: _devcommon_pb2.InstanceOpsCmd
    userData: str
    remoteConsole: bool
    cipherData: _evecommon_pb2.CipherBlock
    collectStatsIPAddr: str
    volumeRefList: _containers.RepeatedCompositeFieldContainer[_storage_pb2.VolumeRef]
    profile_list: _containers.RepeatedScalarFieldContainer[str]
    start_delay_in_seconds: int
    service: bool
    designated_node_id: str
    def __init__(self, uuidandversion: _Optional[_Union[_devcommon_pb2.UUIDandVersion, _Mapping]] = ..., displayname: _Optional[str] = ..., fixedresources: _Optional[_Union[_vm_pb2.VmConfig, _Mapping]] = ..., drives: _Optional[_Iterable[_Union[_storage_pb2.Drive, _Mapping]]] = ..., activate: _Optional[bool] = ..., interfaces: _Optional[_Iterable[_Union[_network_pb2.NetworkAdapter, _Mapping]]] = ..., adapters: _Optional[_Iterable[_Union[_network_pb2.Adapter, _Mapping]]] = ..., restart: _Optional[_Union[_devcommon_pb2.InstanceOpsCmd, _Mapping]] = ..., purge: _Optional[_Union[_devcommon_pb2.InstanceOpsCmd, _Mapping]] = ..., userData: _Optional[str] = ..., remoteConsole: _Optional[bool] = ..., cipherData: _Optional[_Union[_evecommon_pb2.CipherBlock, _Mapping]] = ..., collectStatsIPAddr: _Optional[str] = ..., volumeRefList: _Optional[_Iterable[_Union[_storage_pb2.VolumeRef, _Mapping]]] = ..., profile_list: _Optional[_Iterable[str]] = ..., start_delay_in_seconds: _Optional[int] = ..., service: _Optional[bool] = ..., designated_node_id: _Optional[str] = ...) -> None: ...
