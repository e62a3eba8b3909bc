from evesim.api.eve.common import evecommon_pb2 as _evecommon_pb2
from evesim.api.eve.config import devcommon_pb2 as _devcommon_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ZNetworkInstType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ZNetInstFirst: _ClassVar[ZNetworkInstType]
    ZnetInstSwitch: _ClassVar[ZNetworkInstType]
    ZnetInstLocal: _ClassVar[ZNetworkInstType]
    ZnetInstCloud: _ClassVar[ZNetworkInstType]
    ZnetInstMesh: _ClassVar[ZNetworkInstType]
    ZnetInstHoneyPot: _ClassVar[ZNetworkInstType]
    ZnetInstTransparent: _ClassVar[ZNetworkInstType]
    ZNetInstLast: _ClassVar[ZNetworkInstType]

class AddressType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    First: _ClassVar[AddressType]
    IPV4: _ClassVar[AddressType]
    IPV6: _ClassVar[AddressType]
    CryptoIPV4: _ClassVar[AddressType]
    CryptoIPV6: _ClassVar[AddressType]
    Last: _ClassVar[AddressType]

class ACEDirection(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BOTH: _ClassVar[ACEDirection]
    INGRESS: _ClassVar[ACEDirection]
    EGRESS: _ClassVar[ACEDirection]
ZNetInstFirst: ZNetworkInstType
ZnetInstSwitch: ZNetworkInstType
ZnetInstLocal: ZNetworkInstType
ZnetInstCloud: ZNetworkInstType
ZnetInstMesh: ZNetworkInstType
ZnetInstHoneyPot: ZNetworkInstType
ZnetInstTransparent: ZNetworkInstType
ZNetInstLast: ZNetworkInstType
First: AddressType
IPV4: AddressType
IPV6: AddressType
CryptoIPV4: AddressType
CryptoIPV6: AddressType
Last: AddressType
BOTH: ACEDirection
INGRESS: ACEDirection
EGRESS: ACEDirection

class ACEMatch(_message.Message):
    __slots__ = ("type", "value")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    type: str
    value: str
    def __init__(self, type: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...

class ACEAction(_message.Message):
    __slots__ = ("drop", "limit", "limitrate", "limitunit", "limitburst", "portmap", "appPort")
    DROP_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    LIMITRATE_FIELD_NUMBER: _ClassVar[int]
    LIMITUNIT_FIELD_NUMBER: _ClassVar[int]
    LIMITBURST_FIELD_NUMBER: _ClassVar[int]
    PORTMAP_FIELD_NUMBER: _ClassVar[int]
    APPPORT_FIELD_NUMBER: _ClassVar[int]
    drop: bool
    limit: bool
    limitrate: int
    limitunit: str
    limitburst: int
    portmap: bool
    appPort: int
    def __init__(self, drop: _Optional[bool] = ..., limit: _Optional[bool] = ..., limitrate: _Optional[int] = ..., limitunit: _Optional[str] = ..., limitburst: _Optional[int] = ..., portmap: _Optional[bool] = ..., appPort: _Optional[int] = ...) -> None: ...

class ACE(_message.Message):
    __slots__ = ("matches", "actions", "name", "id", "dir")
    MATCHES_FIELD_NUMBER: _ClassVar[int]
    ACTIONS_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    DIR_FIELD_NUMBER: _ClassVar[int]
    matches: _containers.RepeatedCompositeFieldContainer[ACEMatch]
    actions: _containers.RepeatedCompositeFieldContainer[ACEAction]
    name: str
    id: int
    dir: ACEDirection
    def __init__(self, matches: _Optional[_Iterable[_Union[ACEMatch, _Mapping]]] = ..., actions: _Optional[_Iterable[_Union[ACEAction, _Mapping]]] = ..., name: _Optional[str] = ..., id: _Optional[int] = ..., dir: _Optional[_Union[ACEDirection, str]] = ...) -> None: ...

class NetworkConfig(_message.Message):
    __slots__ = ("id", "type", "ip", "entProxy", "mtu")
    ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    IP_FIELD_NUMBER: _ClassVar[int]
    ENTPROXY_FIELD_NUMBER: _ClassVar[int]
    MTU_FIELD_NUMBER: _ClassVar[int]
    id: str
    type: _evecommon_pb2.NetworkType
    ip: _evecommon_pb2.ipspec
    entProxy: _evecommon_pb2.ProxyConfig
    mtu: int
    def __init__(self, id: _Optional[str] = ..., type: _Optional[_Union[_evecommon_pb2.NetworkType, str]] = ..., ip: _Optional[_Union[_evecommon_pb2.ipspec, _Mapping]] = ..., entProxy: _Optional[_Union[_evecommon_pb2.ProxyConfig, _Mapping]] = ..., mtu: _Optional[int] = ...) -> None: ...

class SystemAdapter(_message.Message):
    __slots__ = ("name", "freeUplink", "uplink", "networkUUID", "addr", "alias", "lowerLayerName", "cost", "shared_labels", "allow_local_modifications")
    NAME_FIELD_NUMBER: _ClassVar[int]
    FREEUPLINK_FIELD_NUMBER: _ClassVar[int]
    UPLINK_FIELD_NUMBER: _ClassVar[int]
    NETWORKUUID_FIELD_NUMBER: _ClassVar[int]
    ADDR_FIELD_NUMBER: _ClassVar[int]
    ALIAS_FIELD_NUMBER: _ClassVar[int]
    LOWERLAYERNAME_FIELD_NUMBER: _ClassVar[int]
    COST_FIELD_NUMBER: _ClassVar[int]
    SHARED_LABELS_FIELD_NUMBER: _ClassVar[int]
    ALLOW_LOCAL_MODIFICATIONS_FIELD_NUMBER: _ClassVar[int]
    name: str
    freeUplink: bool
    uplink: bool
    networkUUID: str
    addr: str
    alias: str
    lowerLayerName: str
    cost: int
    shared_labels: _containers.RepeatedScalarFieldContainer[str]
    allow_local_modifications: bool
    def __init__(self, name: _Optional[str] = ..., freeUplink: _Optional[bool] = ..., uplink: _Optional[bool] = ..., networkUUID: _Optional[str] = ..., addr: _Optional[str] = ..., alias: _Optional[str] = ..., lowerLayerName: _Optional[str] = ..., cost: _Optional[int] = ..., shared_labels: _Optional[_Iterable[str]] = ..., allow_local_modifications: _Optional[bool] = ...) -> None: ...

class PhysicalIO(_message.Message):
    __slots__ = ("ptype", "phylabel", "phyaddrs", "logicallabel", "assigngrp", "usage", "cbattr", "parentassigngrp")
    class PhyaddrsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class CbattrEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    PTYPE_FIELD_NUMBER: _ClassVar[int]
    PHYLABEL_FIELD_NUMBER: _ClassVar[int]
    PHYADDRS_FIELD_NUMBER: _ClassVar[int]
    LOGICALLABEL_FIELD_NUMBER: _ClassVar[int]
    ASSIGNGRP_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    CBATTR_FIELD_NUMBER: _ClassVar[int]
    PARENTASSIGNGRP_FIELD_NUMBER: _ClassVar[int]
    ptype: _evecommon_pb2.PhyIoType
    phylabel: str
    phyaddrs: _containers.ScalarMap[str, str]
    logicallabel: str
    assigngrp: str
    usage: _evecommon_pb2.PhyIoMemberUsage
    cbattr: _containers.ScalarMap[str, str]
    parentassigngrp: str
    def __init__(self, ptype: _Optional[_Union[_evecommon_pb2.PhyIoType, str]] = ..., phylabel: _Optional[str] = ..., phyaddrs: _Optional[_Mapping[str, str]] = ..., logicallabel: _Optional[str] = ..., assigngrp: _Optional[str] = ..., usage: _Optional[_Union[_evecommon_pb2.PhyIoMemberUsage, str]] = ..., cbattr: _Optional[_Mapping[str, str]] = ..., parentassigngrp: _Optional[str] = ...) -> None: ...

class Adapter(_message.Message):
    __slots__ = ("type", "name", "interface_order")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    INTERFACE_ORDER_FIELD_NUMBER: _ClassVar[int]
    type: _evecommon_pb2.PhyIoType
    name: str
    interface_order: int
    def __init__(self, type: _Optional[_Union[_evecommon_pb2.PhyIoType, str]] = ..., name: _Optional[str] = ..., interface_order: _Optional[int] = ...) -> None: ...

class NetworkAdapter(_message.Message):
    __slots__ = ("name", "networkId", "addr", "hostname", "macAddress", "acls", "allow_to_discover", "interface_order")
    NAME_FIELD_NUMBER: _ClassVar[int]
    NETWORKID_FIELD_NUMBER: _ClassVar[int]
    ADDR_FIELD_NUMBER: _ClassVar[int]
    HOSTNAME_FIELD_NUMBER: _ClassVar[int]
    MACADDRESS_FIELD_NUMBER: _ClassVar[int]
    ACLS_FIELD_NUMBER: _ClassVar[int]
    ALLOW_TO_DISCOVER_FIELD_NUMBER: _ClassVar[int]
    INTERFACE_ORDER_FIELD_NUMBER: _ClassVar[int]
    name: str
    networkId: str
    addr: str
    hostname: str
    macAddress: str
    acls: _containers.RepeatedCompositeFieldContainer[ACE]
    allow_to_discover: bool
    interface_order: int
    def __init__(self, name: _Optional[str] = ..., networkId: _Optional[str] = ..., addr: _Optional[str] = ..., hostname: _Optional[str] = ..., macAddress: _Optional[str] = ..., acls: _Optional[_Iterable[_Union[ACE, _Mapping]]] = ..., allow_to_discover: _Optional[bool] = ..., interface_order: _Optional[int] = ...) -> None: ...

class NetworkInstanceConfig(_message.Message):
    __slots__ = ("uuidandversion", "displayname", "instType", "activate", "port", "ipType", "ip", "propagate_connected_routes", "mtu", "disable_flowlog")
    UUIDANDVERSION_FIELD_NUMBER: _ClassVar[int]
    DISPLAYNAME_FIELD_NUMBER: _ClassVar[int]
    INSTTYPE_FIELD_NUMBER: _ClassVar[int]
    ACTIVATE_FIELD_NUMBER: _ClassVar[int]
    PORT_FIELD_NUMBER: _ClassVar[int]
    IPTYPE_FIELD_NUMBER: _ClassVar[int]
    IP_FIELD_NUMBER: _ClassVar[int]
    PROPAGATE_CONNECTED_ROUTES_FIELD_NUMBER: _ClassVar[int]
    MTU_FIELD_NUMBER: _ClassVar[int]
    DISABLE_FLOWLOG_FIELD_NUMBER: _ClassVar[int]
    uuidandversion: _devcommon_pb2.UUIDandVersion
    displayname: str
    instType: ZNetworkInstType
    activate: bool
    port: Adapter
    ipType: AddressType
    ip: _evecommon_pb2.ipspec
    propagate_connected_routes: bool
    mtu: int
    disable_flowlog: bool
    def __init__(self, uuidandversion: _Optional[_Union[_devcommon_pb2.UUIDandVersion, _Mapping]] = ..., displayname: _Optional[str] = ..., instType: _Optional[_Union[ZNetworkInstType, str]] = ..., activate: _Optional[bool] = ..., port: _Optional[_Union[Adapter, _Mapping]] = ..., ipType: _Optional[_Union[AddressType, str]] = ..., ip: _Optional[_Union[_evecommon_pb2.ipspec, _Mapping]] = ..., propagate_connected_routes: _Optional[bool] = ..., mtu: _Optional[int] = ..., disable_flowlog: _Optional[bool] = ...) -> None: ...
