from evesim.api.eve.common import evecommon_pb2 as _evecommon_pb2
from evesim.api.eve.config import devcommon_pb2 as _devcommon_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Format(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FmtUnknown: _ClassVar[Format]
    RAW: _ClassVar[Format]
    QCOW: _ClassVar[Format]
    QCOW2: _ClassVar[Format]
    VHD: _ClassVar[Format]
    VMDK: _ClassVar[Format]
    OVA: _ClassVar[Format]
    VHDX: _ClassVar[Format]
    CONTAINER: _ClassVar[Format]
    ISO: _ClassVar[Format]
    PVC: _ClassVar[Format]

class DsType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DsUnknown: _ClassVar[DsType]
    DsHttp: _ClassVar[DsType]
    DsHttps: _ClassVar[DsType]
    DsS3: _ClassVar[DsType]
    DsSFTP: _ClassVar[DsType]
    DsContainerRegistry: _ClassVar[DsType]
    DsAzureBlob: _ClassVar[DsType]
    DsGoogleStorage: _ClassVar[DsType]

class VolumeContentOriginType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VCOT_UNKNOWN: _ClassVar[VolumeContentOriginType]
    VCOT_BLANK: _ClassVar[VolumeContentOriginType]
    VCOT_DOWNLOAD: _ClassVar[VolumeContentOriginType]
FmtUnknown: Format
RAW: Format
QCOW: Format
QCOW2: Format
VHD: Format
VMDK: Format
OVA: Format
VHDX: Format
CONTAINER: Format
ISO: Format
PVC: Format
DsUnknown: DsType
DsHttp: DsType
DsHttps: DsType
DsS3: DsType
DsSFTP: DsType
DsContainerRegistry: DsType
DsAzureBlob: DsType
DsGoogleStorage: DsType
VCOT_UNKNOWN: VolumeContentOriginType
VCOT_BLANK: VolumeContentOriginType
VCOT_DOWNLOAD: VolumeContentOriginType

class SignatureInfo(_message.Message):
    __slots__ = ("intercertsurl", "signercerturl", "signature")
    INTERCERTSURL_FIELD_NUMBER: _ClassVar[int]
    SIGNERCERTURL_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    intercertsurl: str
    signercerturl: str
    signature: bytes
    def __init__(self, intercertsurl: _Optional[str] = ..., signercerturl: _Optional[str] = ..., signature: _Optional[bytes] = ...) -> None: ...

class DatastoreConfig(_message.Message):
    __slots__ = ("dType", "fqdn", "apiKey", "password", "dpath", "region", "cipherData", "dsCertPEM", "id")
    DTYPE_FIELD_NUMBER: _ClassVar[int]
    FQDN_FIELD_NUMBER: _ClassVar[int]
    APIKEY_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    DPATH_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    CIPHERDATA_FIELD_NUMBER: _ClassVar[int]
    DSCERTPEM_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    dType: DsType
    fqdn: str
    apiKey: str
    password: str
    dpath: str
    region: str
    cipherData: _evecommon_pb2.CipherBlock
    dsCertPEM: _containers.RepeatedScalarFieldContainer[bytes]
    id: str
    def __init__(self, dType: _Optional[_Union[DsType, str]] = ..., fqdn: _Optional[str] = ..., apiKey: _Optional[str] = ..., password: _Optional[str] = ..., dpath: _Optional[str] = ..., region: _Optional[str] = ..., cipherData: _Optional[_Union[_evecommon_pb2.CipherBlock, _Mapping]] = ..., dsCertPEM: _Optional[_Iterable[bytes]] = ..., id: _Optional[str] = ...) -> None: ...

class ContentTree(_message.Message):
    __slots__ = ("uuid", "dsId", "URL", "iformat", "sha256", "maxSizeBytes", "siginfo", "displayName", "generation_count", "custom_meta_data", "ds_ids_list", "designated_node_id")
    UUID_FIELD_NUMBER: _ClassVar[int]
    DSID_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    IFORMAT_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    MAXSIZEBYTES_FIELD_NUMBER: _ClassVar[int]
    SIGINFO_FIELD_NUMBER: _ClassVar[int]
    DISPLAYNAME_FIELD_NUMBER: _ClassVar[int]
    GENERATION_COUNT_FIELD_NUMBER: _ClassVar[int]
    CUSTOM_META_DATA_FIELD_NUMBER: _ClassVar[int]
    DS_IDS_LIST_FIELD_NUMBER: _ClassVar[int]
    DESIGNATED_NODE_ID_FIELD_NUMBER: _ClassVar[int]
    uuid: str
    dsId: str
    URL: str
    iformat: Format
    sha256: str
    maxSizeBytes: int
    siginfo: SignatureInfo
    displayName: str
    generation_count: int
    custom_meta_data: str
    ds_ids_list: _containers.RepeatedScalarFieldContainer[str]
    designated_node_id: str
    def __init__(self, uuid: _Optional[str] = ..., dsId: _Optional[str] = ..., URL: _Optional[str] = ..., iformat: _Optional[_Union[Format, str]] = ..., sha256: _Optional[str] = ..., maxSizeBytes: _Optional[int] = ..., siginfo: _Optional[_Union[SignatureInfo, _Mapping]] = ..., displayName: _Optional[str] = ..., generation_count: _Optional[int] = ..., custom_meta_data: _Optional[str] = ..., ds_ids_list: _Optional[_Iterable[str]] = ..., designated_node_id: _Optional[str] = ...) -> None: ...

class VolumeContentOrigin(_message.Message):
    __slots__ = ("type", "downloadContentTreeID")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    DOWNLOADCONTENTTREEID_FIELD_NUMBER: _ClassVar[int]
    type: VolumeContentOriginType
    downloadContentTreeID: str
    def __init__(self, type: _Optional[_Union[VolumeContentOriginType, str]] = ..., downloadContentTreeID: _Optional[str] = ...) -> None: ...

class Volume(_message.Message):
    __slots__ = ("uuid", "origin", "generationCount", "maxsizebytes", "readonly", "displayName", "clear_text", "designated_node_id")
    UUID_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    GENERATIONCOUNT_FIELD_NUMBER: _ClassVar[int]
    MAXSIZEBYTES_FIELD_NUMBER: _ClassVar[int]
    READONLY_FIELD_NUMBER: _ClassVar[int]
    DISPLAYNAME_FIELD_NUMBER: _ClassVar[int]
    CLEAR_TEXT_FIELD_NUMBER: _ClassVar[int]
    DESIGNATED_NODE_ID_FIELD_NUMBER: _ClassVar[int]
    uuid: str
    origin: VolumeContentOrigin
    generationCount: int
    maxsizebytes: int
    readonly: bool
    displayName: str
    clear_text: bool
    designated_node_id: str
    def __init__(self, uuid: _Optional[str] = ..., origin: _Optional[_Union[VolumeContentOrigin, _Mapping]] = ..., generationCount: _Optional[int] = ..., maxsizebytes: _Optional[int] = ..., readonly: _Optional[bool] = ..., displayName: _Optional[str] = ..., clear_text: _Optional[bool] = ..., designated_node_id: _Optional[str] = ...) -> None: ...

class VolumeRef(_message.Message):
    __slots__ = ("uuid", "generationCount", "mount_dir")
    UUID_FIELD_NUMBER: _ClassVar[int]
    GENERATIONCOUNT_FIELD_NUMBER: _ClassVar[int]
    MOUNT_DIR_FIELD_NUMBER: _ClassVar[int]
    uuid: str
    generationCount: int
    mount_dir: str
    def __init__(self, uuid: _Optional[str] = ..., generationCount: _Optional[int] = ..., mount_dir: _Optional[str] = ...) -> None: ...

class Image(_message.Message):
    __slots__ = ("uuidandversion", "name", "sha256", "iformat", "siginfo", "dsId", "sizeBytes")
    UUIDANDVERSION_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    IFORMAT_FIELD_NUMBER: _ClassVar[int]
    SIGINFO_FIELD_NUMBER: _ClassVar[int]
    DSID_FIELD_NUMBER: _ClassVar[int]
    SIZEBYTES_FIELD_NUMBER: _ClassVar[int]
    uuidandversion: _devcommon_pb2.UUIDandVersion
    name: str
    sha256: str
    iformat: Format
    siginfo: SignatureInfo
    dsId: str
    sizeBytes: int
    def __init__(self, uuidandversion: _Optional[_Union[_devcommon_pb2.UUIDandVersion, _Mapping]] = ..., name: _Optional[str] = ..., sha256: _Optional[str] = ..., iformat: _Optional[_Union[Format, str]] = ..., siginfo: _Optional[_Union[SignatureInfo, _Mapping]] = ..., dsId: _Optional[str] = ..., sizeBytes: _Optional[int] = ...) -> None: ...

class Drive(_message.Message):
    __slots__ = ("image", "readonly", "preserve", "maxsizebytes")
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    READONLY_FIELD_NUMBER: _ClassVar[int]
    PRESERVE_FIELD_NUMBER: _ClassVar[int]
    MAXSIZEBYTES_FIELD_NUMBER: _ClassVar[int]
    image: Image
    readonly: bool
    preserve: bool
    maxsizebytes: int
    def __init__(self, image: _Optional[_Union[Image, _Mapping]] = ..., readonly: _Optional[bool] = ..., preserve: _Optional[bool] = ..., maxsizebytes: _Optional[int] = ...) -> None: ...
