from evesim.api.eve.certs import certs_pb2 as _certs_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ZAttestReqType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ATTEST_REQ_NONE: _ClassVar[ZAttestReqType]
    ATTEST_REQ_CERT: _ClassVar[ZAttestReqType]
    ATTEST_REQ_NONCE: _ClassVar[ZAttestReqType]
    ATTEST_REQ_QUOTE: _ClassVar[ZAttestReqType]
    Z_ATTEST_REQ_TYPE_STORE_KEYS: _ClassVar[ZAttestReqType]

class ZAttestRespType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ATTEST_RESP_NONE: _ClassVar[ZAttestRespType]
    ATTEST_RESP_CERT: _ClassVar[ZAttestRespType]
    ATTEST_RESP_NONCE: _ClassVar[ZAttestRespType]
    ATTEST_RESP_QUOTE_RESP: _ClassVar[ZAttestRespType]
    Z_ATTEST_RESP_TYPE_STORE_KEYS: _ClassVar[ZAttestRespType]

class TpmHashAlgo(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TPM_HASH_ALGO_INVALID: _ClassVar[TpmHashAlgo]
    TPM_HASH_ALGO_SHA1: _ClassVar[TpmHashAlgo]
    TPM_HASH_ALGO_SHA256: _ClassVar[TpmHashAlgo]
    TPM_HASH_ALGO_SHA512: _ClassVar[TpmHashAlgo]

class AttestVersionType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ATTEST_VERSION_TYPE_INVALID: _ClassVar[AttestVersionType]
    ATTEST_VERSION_TYPE_EVE: _ClassVar[AttestVersionType]
    ATTEST_VERSION_TYPE_FIRMWARE: _ClassVar[AttestVersionType]

class ZAttestResponseCode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    Z_ATTEST_RESPONSE_CODE_INVALID: _ClassVar[ZAttestResponseCode]
    Z_ATTEST_RESPONSE_CODE_SUCCESS: _ClassVar[ZAttestResponseCode]
    Z_ATTEST_RESPONSE_CODE_NONCE_MISMATCH: _ClassVar[ZAttestResponseCode]
    Z_ATTEST_RESPONSE_CODE_NO_CERT_FOUND: _ClassVar[ZAttestResponseCode]
    Z_ATTEST_RESPONSE_CODE_QUOTE_FAILED: _ClassVar[ZAttestResponseCode]

class AttestVolumeKeyType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ATTEST_VOLUME_KEY_TYPE_INVALID: _ClassVar[AttestVolumeKeyType]
    ATTEST_VOLUME_KEY_TYPE_VSK: _ClassVar[AttestVolumeKeyType]

class AttestStorageKeysResponseCode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ATTEST_STORAGE_KEYS_RESPONSE_CODE_INVALID: _ClassVar[AttestStorageKeysResponseCode]
    ATTEST_STORAGE_KEYS_RESPONSE_CODE_SUCCESS: _ClassVar[AttestStorageKeysResponseCode]
    ATTEST_STORAGE_KEYS_RESPONSE_CODE_ITOKEN_MISMATCH: _ClassVar[AttestStorageKeysResponseCode]
ATTEST_REQ_NONE: ZAttestReqType
ATTEST_REQ_CERT: ZAttestReqType
ATTEST_REQ_NONCE: ZAttestReqType
ATTEST_REQ_QUOTE: ZAttestReqType
Z_ATTEST_REQ_TYPE_STORE_KEYS: ZAttestReqType
ATTEST_RESP_NONE: ZAttestRespType
ATTEST_RESP_CERT: ZAttestRespType
ATTEST_RESP_NONCE: ZAttestRespType
ATTEST_RESP_QUOTE_RESP: ZAttestRespType
Z_ATTEST_RESP_TYPE_STORE_KEYS: ZAttestRespType
TPM_HASH_ALGO_INVALID: TpmHashAlgo
TPM_HASH_ALGO_SHA1: TpmHashAlgo
TPM_HASH_ALGO_SHA256: TpmHashAlgo
TPM_HASH_ALGO_SHA512: TpmHashAlgo
ATTEST_VERSION_TYPE_INVALID: AttestVersionType
ATTEST_VERSION_TYPE_EVE: AttestVersionType
ATTEST_VERSION_TYPE_FIRMWARE: AttestVersionType
Z_ATTEST_RESPONSE_CODE_INVALID: ZAttestResponseCode
Z_ATTEST_RESPONSE_CODE_SUCCESS: ZAttestResponseCode
Z_ATTEST_RESPONSE_CODE_NONCE_MISMATCH: ZAttestResponseCode
Z_ATTEST_RESPONSE_CODE_NO_CERT_FOUND: ZAttestResponseCode
Z_ATTEST_RESPONSE_CODE_QUOTE_FAILED: ZAttestResponseCode
ATTEST_VOLUME_KEY_TYPE_INVALID: AttestVolumeKeyType
ATTEST_VOLUME_KEY_TYPE_VSK: AttestVolumeKeyType
ATTEST_STORAGE_KEYS_RESPONSE_CODE_INVALID: AttestStorageKeysResponseCode
ATTEST_STORAGE_KEYS_RESPONSE_CODE_SUCCESS: AttestStorageKeysResponseCode
ATTEST_STORAGE_KEYS_RESPONSE_CODE_ITOKEN_MISMATCH: AttestStorageKeysResponseCode

class TpmPCRValue(_message.Message):
    __slots__ = ("index", "hash_algo", "value")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    HASH_ALGO_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    index: int
    hash_algo: TpmHashAlgo
    value: bytes
    def __init__(self, index: _Optional[int] = ..., hash_algo: _Optional[_Union[TpmHashAlgo, str]] = ..., value: _Optional[bytes] = ...) -> None: ...

class AttestVersionInfo(_message.Message):
    __slots__ = ("version_type", "version")
    VERSION_TYPE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    version_type: AttestVersionType
    version: str
    def __init__(self, version_type: _Optional[_Union[AttestVersionType, str]] = ..., version: _Optional[str] = ...) -> None: ...

class ZAttestQuote(_message.Message):
    __slots__ = ("attestData", "signature", "pcr_values", "versions", "tpm_binary_event_log")
    ATTESTDATA_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    PCR_VALUES_FIELD_NUMBER: _ClassVar[int]
    VERSIONS_FIELD_NUMBER: _ClassVar[int]
    TPM_BINARY_EVENT_LOG_FIELD_NUMBER: _ClassVar[int]
    attestData: bytes
    signature: bytes
    pcr_values: _containers.RepeatedCompositeFieldContainer[TpmPCRValue]
    versions: _containers.RepeatedCompositeFieldContainer[AttestVersionInfo]
    tpm_binary_event_log: bytes
    def __init__(self, attestData: _Optional[bytes] = ..., signature: _Optional[bytes] = ..., pcr_values: _Optional[_Iterable[_Union[TpmPCRValue, _Mapping]]] = ..., versions: _Optional[_Iterable[_Union[AttestVersionInfo, _Mapping]]] = ..., tpm_binary_event_log: _Optional[bytes] = ...) -> None: ...

class AttestPolicyPcrList(_message.Message):
    __slots__ = ("pcr_indices", "policy_id")
    PCR_INDICES_FIELD_NUMBER: _ClassVar[int]
    POLICY_ID_FIELD_NUMBER: _ClassVar[int]
    pcr_indices: _containers.RepeatedScalarFieldContainer[int]
    policy_id: int
    def __init__(self, pcr_indices: _Optional[_Iterable[int]] = ..., policy_id: _Optional[int] = ...) -> None: ...

class AttestVolumeKey(_message.Message):
    __slots__ = ("key_type", "key", "has_policy_pcr_list", "policy_pcr_list")
    KEY_TYPE_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    HAS_POLICY_PCR_LIST_FIELD_NUMBER: _ClassVar[int]
    POLICY_PCR_LIST_FIELD_NUMBER: _ClassVar[int]
    key_type: AttestVolumeKeyType
    key: bytes
    has_policy_pcr_list: bool
    policy_pcr_list: AttestPolicyPcrList
    def __init__(self, key_type: _Optional[_Union[AttestVolumeKeyType, str]] = ..., key: _Optional[bytes] = ..., has_policy_pcr_list: _Optional[bool] = ..., policy_pcr_list: _Optional[_Union[AttestPolicyPcrList, _Mapping]] = ...) -> None: ...

class AttestStorageKeys(_message.Message):
    __slots__ = ("integrity_token", "keys")
    INTEGRITY_TOKEN_FIELD_NUMBER: _ClassVar[int]
    KEYS_FIELD_NUMBER: _ClassVar[int]
    integrity_token: bytes
    keys: _containers.RepeatedCompositeFieldContainer[AttestVolumeKey]
    def __init__(self, integrity_token: _Optional[bytes] = ..., keys: _Optional[_Iterable[_Union[AttestVolumeKey, _Mapping]]] = ...) -> None: ...

class ZAttestReq(_message.Message):
    __slots__ = ("reqType", "quote", "certs", "storage_keys")
    REQTYPE_FIELD_NUMBER: _ClassVar[int]
    QUOTE_FIELD_NUMBER: _ClassVar[int]
    CERTS_FIELD_NUMBER: _ClassVar[int]
    STORAGE_KEYS_FIELD_NUMBER: _ClassVar[int]
    reqType: ZAttestReqType
    quote: ZAttestQuote
    certs: _containers.RepeatedCompositeFieldContainer[_certs_pb2.ZCert]
    storage_keys: AttestStorageKeys
    def __init__(self, reqType: _Optional[_Union[ZAttestReqType, str]] = ..., quote: _Optional[_Union[ZAttestQuote, _Mapping]] = ..., certs: _Optional[_Iterable[_Union[_certs_pb2.ZCert, _Mapping]]] = ..., storage_keys: _Optional[_Union[AttestStorageKeys, _Mapping]] = ...) -> None: ...

class ZAttestNonceResp(_message.Message):
    __slots__ = ("nonce",)
    NONCE_FIELD_NUMBER: _ClassVar[int]
    nonce: bytes
    def __init__(self, nonce: _Optional[bytes] = ...) -> None: ...

class ZAttestQuoteResp(_message.Message):
    __slots__ = ("response", "integrity_token", "keys")
    RESPONSE_FIELD_NUMBER: _ClassVar[int]
    INTEGRITY_TOKEN_FIELD_NUMBER: _ClassVar[int]
    KEYS_FIELD_NUMBER: _ClassVar[int]
    response: ZAttestResponseCode
    integrity_token: bytes
    keys: _containers.RepeatedCompositeFieldContainer[AttestVolumeKey]
    def __init__(self, response: _Optional[_Union[ZAttestResponseCode, str]] = ..., integrity_token: _Optional[bytes] = ..., keys: _Optional[_Iterable[_Union[AttestVolumeKey, _Mapping]]] = ...) -> None: ...

class AttestStorageKeysResp(_message.Message):
    __slots__ = ("response",)
    RESPONSE_FIELD_NUMBER: _ClassVar[int]
    response: AttestStorageKeysResponseCode
    def __init__(self, response: _Optional[_Union[AttestStorageKeysResponseCode, str]] = ...) -> None: ...

class ZAttestResponse(_message.Message):
    __slots__ = ("respType", "nonce", "quoteResp", "storage_keys_resp")
    RESPTYPE_FIELD_NUMBER: _ClassVar[int]
    NONCE_FIELD_NUMBER: _ClassVar[int]
    QUOTERESP_FIELD_NUMBER: _ClassVar[int]
    STORAGE_KEYS_RESP_FIELD_NUMBER: _ClassVar[int]
    respType: ZAttestRespType
    nonce: ZAttestNonceResp
    quoteResp: ZAttestQuoteResp
    storage_keys_resp: AttestStorageKeysResp
    def __init__(self, respType: _Optional[_Union[ZAttestRespType, str]] = ..., nonce: _Optional[_Union[ZAttestNonceResp, _Mapping]] = ..., quoteResp: _Optional[_Union[ZAttestQuoteResp, _Mapping]] = ..., storage_keys_resp: _Optional[_Union[AttestStorageKeysResp, _Mapping]] = ...) -> None: ...
