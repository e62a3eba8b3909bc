import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class LogEntry(_message.Message):
    __slots__ = ("severity", "source", "iid", "content", "msgid", "tags", "timestamp", "filename", "function")
    class TagsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    IID_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    MSGID_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    FUNCTION_FIELD_NUMBER: _ClassVar[int]
    severity: str
    source: str
    iid: str
    content: str
    msgid: int
    tags: _containers.ScalarMap[str, str]
    timestamp: _timestamp_pb2.Timestamp
    filename: str
    function: str
    def __init__(self, severity: _Optional[str] = ..., source: _Optional[str] = ..., iid: _Optional[str] = ..., content: _Optional[str] = ..., msgid: _Optional[int] = ..., tags: _Optional[_Mapping[str, str]] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., filename: _Optional[str] = ..., function: _Optional[str] = ...) -> None: ...

class LogBundle(_message.Message):
    __slots__ = ("devID", "image", "log", "timestamp", "eveVersion")
    DEVID_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    LOG_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    EVEVERSION_FIELD_NUMBER: _ClassVar[int]
    devID: str
    image: str
    log: _containers.RepeatedCompositeFieldContainer[LogEntry]
    timestamp: _timestamp_pb2.Timestamp
    eveVersion: str
    def __init__(self, devID: _Optional[str] = ..., image: _Optional[str] = ..., log: _Optional[_Iterable[_Union[LogEntry, _Mapping]]] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., eveVersion: _Optional[str] = ...) -> None: ...

class AppInstanceLogBundle(_message.Message):
    __slots__ = ("log", "timestamp")
    LOG_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    log: _containers.RepeatedCompositeFieldContainer[LogEntry]
    timestamp: _timestamp_pb2.Timestamp
    def __init__(self, log: _Optional[_Iterable[_Union[LogEntry, _Mapping]]] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ServerMetrics(_message.Message):
    __slots__ = ("cpu_percentage", "log_process_delay_msec")
    CPU_PERCENTAGE_FIELD_NUMBER: _ClassVar[int]
    LOG_PROCESS_DELAY_MSEC_FIELD_NUMBER: _ClassVar[int]
    cpu_percentage: float
    log_process_delay_msec: int
    def __init__(self, cpu_percentage: _Optional[float] = ..., log_process_delay_msec: _Optional[int] = ...) -> None: ...
