from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class UUIDandVersion(_message.Message):
    __slots__ = ("uuid", "version")
    UUID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    uuid: str
    version: str
    def __init__(self, uuid: _Optional[str] = ..., version: _Optional[str] = ...) -> None: ...

class DeviceOpsCmd(_message.Message):
    __slots__ = ("counter", "desiredState", "opsTime")
    COUNTER_FIELD_NUMBER: _ClassVar[int]
    DESIREDSTATE_FIELD_NUMBER: _ClassVar[int]
    OPSTIME_FIELD_NUMBER: _ClassVar[int]
    counter: int
    desiredState: bool
    opsTime: str
    def __init__(self, counter: _Optional[int] = ..., desiredState: _Optional[bool] = ..., opsTime: _Optional[str] = ...) -> None: ...

class InstanceOpsCmd(_message.Message):
    __slots__ = ("counter", "opsTime")
    COUNTER_FIELD_NUMBER: _ClassVar[int]
    OPSTIME_FIELD_NUMBER: _ClassVar[int]
    counter: int
    opsTime: str
    def __init__(self, counter: _Optional[int] = ..., opsTime: _Optional[str] = ...) -> None: ...

class ConfigItem(_message.Message):
    __slots__ = ("key", "value")
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    key: str
    value: str
    def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
