from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class HashAlgorithm(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    HASH_ALGORITHM_INVALID: _ClassVar[HashAlgorithm]
    HASH_ALGORITHM_SHA256_16BYTES: _ClassVar[HashAlgorithm]
    HASH_ALGORITHM_SHA256_32BYTES: _ClassVar[HashAlgorithm]

class KeyExchangeScheme(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    KEA_NONE: _ClassVar[KeyExchangeScheme]
    KEA_ECDH: _ClassVar[KeyExchangeScheme]

class EncryptionScheme(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SA_NONE: _ClassVar[EncryptionScheme]
    SA_AES_256_CFB: _ClassVar[EncryptionScheme]

class PhyIoType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PhyIoNoop: _ClassVar[PhyIoType]
    PhyIoNetEth: _ClassVar[PhyIoType]
    PhyIoUSB: _ClassVar[PhyIoType]
    PhyIoCOM: _ClassVar[PhyIoType]
    PhyIoAudio: _ClassVar[PhyIoType]
    PhyIoNetWLAN: _ClassVar[PhyIoType]
    PhyIoNetWWAN: _ClassVar[PhyIoType]
    PhyIoHDMI: _ClassVar[PhyIoType]
    PhyIoNVMEStorage: _ClassVar[PhyIoType]
    PhyIoSATAStorage: _ClassVar[PhyIoType]
    PhyIoNetEthPF: _ClassVar[PhyIoType]
    PhyIoNetEthVF: _ClassVar[PhyIoType]
    PhyIoUSBController: _ClassVar[PhyIoType]
    PhyIoUSBDevice: _ClassVar[PhyIoType]
    PhyIoCAN: _ClassVar[PhyIoType]
    PhyIoVCAN: _ClassVar[PhyIoType]
    PhyIoLCAN: _ClassVar[PhyIoType]
    PhyIoOther: _ClassVar[PhyIoType]

class PhyIoMemberUsage(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PhyIoUsageNone: _ClassVar[PhyIoMemberUsage]
    PhyIoUsageMgmtAndApps: _ClassVar[PhyIoMemberUsage]
    PhyIoUsageShared: _ClassVar[PhyIoMemberUsage]
    PhyIoUsageDedicated: _ClassVar[PhyIoMemberUsage]
    PhyIoUsageDisabled: _ClassVar[PhyIoMemberUsage]
    PhyIoUsageMgmtOnly: _ClassVar[PhyIoMemberUsage]

class NetworkType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    NETWORKTYPENOOP: _ClassVar[NetworkType]
    V4: _ClassVar[NetworkType]
    V6: _ClassVar[NetworkType]
    V4Only: _ClassVar[NetworkType]
    V6Only: _ClassVar[NetworkType]
    DualV4V6: _ClassVar[NetworkType]
    CryptoEID: _ClassVar[NetworkType]
    CryptoV4: _ClassVar[NetworkType]
    CryptoV6: _ClassVar[NetworkType]

class DHCPType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DHCPNoop: _ClassVar[DHCPType]
    Static: _ClassVar[DHCPType]
    DHCPNone: _ClassVar[DHCPType]
    Client: _ClassVar[DHCPType]

class proxyProto(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PROXY_HTTP: _ClassVar[proxyProto]
    PROXY_HTTPS: _ClassVar[proxyProto]
    PROXY_SOCKS: _ClassVar[proxyProto]
    PROXY_FTP: _ClassVar[proxyProto]
    PROXY_OTHER: _ClassVar[proxyProto]
HASH_ALGORITHM_INVALID: HashAlgorithm
HASH_ALGORITHM_SHA256_16BYTES: HashAlgorithm
HASH_ALGORITHM_SHA256_32BYTES: HashAlgorithm
KEA_NONE: KeyExchangeScheme
KEA_ECDH: KeyExchangeScheme
SA_NONE: EncryptionScheme
SA_AES_256_CFB: EncryptionScheme
PhyIoNoop: PhyIoType
PhyIoNetEth: PhyIoType
PhyIoUSB: PhyIoType
PhyIoCOM: PhyIoType
PhyIoAudio: PhyIoType
PhyIoNetWLAN: PhyIoType
PhyIoNetWWAN: PhyIoType
PhyIoHDMI: PhyIoType
PhyIoNVMEStorage: PhyIoType
PhyIoSATAStorage: PhyIoType
PhyIoNetEthPF: PhyIoType
PhyIoNetEthVF: PhyIoType
PhyIoUSBController: PhyIoType
PhyIoUSBDevice: PhyIoType
PhyIoCAN: PhyIoType
PhyIoVCAN: PhyIoType
PhyIoLCAN: PhyIoType
PhyIoOther: PhyIoType
PhyIoUsageNone: PhyIoMemberUsage
PhyIoUsageMgmtAndApps: PhyIoMemberUsage
PhyIoUsageShared: PhyIoMemberUsage
PhyIoUsageDedicated: PhyIoMemberUsage
PhyIoUsageDisabled: PhyIoMemberUsage
PhyIoUsageMgmtOnly: PhyIoMemberUsage
NETWORKTYPENOOP: NetworkType
V4: NetworkType
V6: NetworkType
V4Only: NetworkType
V6Only: NetworkType
DualV4V6: NetworkType
CryptoEID: NetworkType
CryptoV4: NetworkType
CryptoV6: NetworkType
DHCPNoop: DHCPType
Static: DHCPType
DHCPNone: DHCPType
Client: DHCPType
PROXY_HTTP: proxyProto
PROXY_HTTPS: proxyProto
PROXY_SOCKS: proxyProto
PROXY_FTP: proxyProto
PROXY_OTHER: proxyProto

class CipherContext(_message.Message):
    __slots__ = ("contextId", "hashScheme", "keyExchangeScheme", "encryptionScheme", "deviceCertHash", "controllerCertHash")
    CONTEXTID_FIELD_NUMBER: _ClassVar[int]
    HASHSCHEME_FIELD_NUMBER: _ClassVar[int]
    KEYEXCHANGESCHEME_FIELD_NUMBER: _ClassVar[int]
    ENCRYPTIONSCHEME_FIELD_NUMBER: _ClassVar[int]
    DEVICECERTHASH_FIELD_NUMBER: _ClassVar[int]
    CONTROLLERCERTHASH_FIELD_NUMBER: _ClassVar[int]
    contextId: str
    hashScheme: HashAlgorithm
    keyExchangeScheme: KeyExchangeScheme
    encryptionScheme: EncryptionScheme
    deviceCertHash: bytes
    controllerCertHash: bytes
    def __init__(self, contextId: _Optional[str] = ..., hashScheme: _Optional[_Union[HashAlgorithm, str]] = ..., keyExchangeScheme: _Optional[_Union[KeyExchangeScheme, str]] = ..., encryptionScheme: _Optional[_Union[EncryptionScheme, str]] = ..., deviceCertHash: _Optional[bytes] = ..., controllerCertHash: _Optional[bytes] = ...) -> None: ...

class CipherBlock(_message.Message):
    __slots__ = ("cipherContextId", "initialValue", "cipherData", "clearTextSha256")
    CIPHERCONTEXTID_FIELD_NUMBER: _ClassVar[int]
    INITIALVALUE_FIELD_NUMBER: _ClassVar[int]
    CIPHERDATA_FIELD_NUMBER: _ClassVar[int]
    CLEARTEXTSHA256_FIELD_NUMBER: _ClassVar[int]
    cipherContextId: str
    initialValue: bytes
    cipherData: bytes
    clearTextSha256: bytes
    def __init__(self, cipherContextId: _Optional[str] = ..., initialValue: _Optional[bytes] = ..., cipherData: _Optional[bytes] = ..., clearTextSha256: _Optional[bytes] = ...) -> None: ...

class ProxyServer(_message.Message):
    __slots__ = ("proto", "server", "port")
    PROTO_FIELD_NUMBER: _ClassVar[int]
    SERVER_FIELD_NUMBER: _ClassVar[int]
    PORT_FIELD_NUMBER: _ClassVar[int]
    proto: proxyProto
    server: str
    port: int
    def __init__(self, proto: _Optional[_Union[proxyProto, str]] = ..., server: _Optional[str] = ..., port: _Optional[int] = ...) -> None: ...

class ProxyConfig(_message.Message):
    __slots__ = ("networkProxyEnable", "proxies", "exceptions", "pacfile", "networkProxyURL", "proxyCertPEM")
    NETWORKPROXYENABLE_FIELD_NUMBER: _ClassVar[int]
    PROXIES_FIELD_NUMBER: _ClassVar[int]
    EXCEPTIONS_FIELD_NUMBER: _ClassVar[int]
    PACFILE_FIELD_NUMBER: _ClassVar[int]
    NETWORKPROXYURL_FIELD_NUMBER: _ClassVar[int]
    PROXYCERTPEM_FIELD_NUMBER: _ClassVar[int]
    networkProxyEnable: bool
    proxies: _containers.RepeatedCompositeFieldContainer[ProxyServer]
    exceptions: str
    pacfile: str
    networkProxyURL: str
    proxyCertPEM: _containers.RepeatedScalarFieldContainer[bytes]
    def __init__(self, networkProxyEnable: _Optional[bool] = ..., proxies: _Optional[_Iterable[_Union[ProxyServer, _Mapping]]] = ..., exceptions: _Optional[str] = ..., pacfile: _Optional[str] = ..., networkProxyURL: _Optional[str] = ..., proxyCertPEM: _Optional[_Iterable[bytes]] = ...) -> None: ...

class ipRange(_message.Message):
    __slots__ = ("start", "end")
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    start: str
    end: str
    def __init__(self, start: _Optional[str] = ..., end: _Optional[str] = ...) -> None: ...

class ipspec(_message.Message):
    __slots__ = ("dhcp", "subnet", "gateway", "domain", "ntp", "dns", "dhcpRange", "more_ntp")
    DHCP_FIELD_NUMBER: _ClassVar[int]
    SUBNET_FIELD_NUMBER: _ClassVar[int]
    GATEWAY_FIELD_NUMBER: _ClassVar[int]
    DOMAIN_FIELD_NUMBER: _ClassVar[int]
    NTP_FIELD_NUMBER: _ClassVar[int]
    DNS_FIELD_NUMBER: _ClassVar[int]
    DHCPRANGE_FIELD_NUMBER: _ClassVar[int]
    MORE_NTP_FIELD_NUMBER: _ClassVar[int]
    dhcp: DHCPType
    subnet: str
    gateway: str
    domain: str
    ntp: str
    dns: _containers.RepeatedScalarFieldContainer[str]
    dhcpRange: ipRange
    more_ntp: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, dhcp: _Optional[_Union[DHCPType, str]] = ..., subnet: _Optional[str] = ..., gateway: _Optional[str] = ..., domain: _Optional[str] = ..., ntp: _Optional[str] = ..., dns: _Optional[_Iterable[str]] = ..., dhcpRange: _Optional[_Union[ipRange, _Mapping]] = ..., more_ntp: _Optional[_Iterable[str]] = ...) -> None: ...
