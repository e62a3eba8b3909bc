import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DimmRankInfo(_message.Message):
    __slots__ = ("rank_name", "ce_count", "ue_count")
    RANK_NAME_FIELD_NUMBER: _ClassVar[int]
    CE_COUNT_FIELD_NUMBER: _ClassVar[int]
    UE_COUNT_FIELD_NUMBER: _ClassVar[int]
    rank_name: str
    ce_count: int
    ue_count: int
    def __init__(self, rank_name: _Optional[str] = ..., ce_count: _Optional[int] = ..., ue_count: _Optional[int] = ...) -> None: ...

class ECCMemoryControllerInfo(_message.Message):
    __slots__ = ("controller_name", "ce_count", "ue_count", "ranks")
    CONTROLLER_NAME_FIELD_NUMBER: _ClassVar[int]
    CE_COUNT_FIELD_NUMBER: _ClassVar[int]
    UE_COUNT_FIELD_NUMBER: _ClassVar[int]
    RANKS_FIELD_NUMBER: _ClassVar[int]
    controller_name: str
    ce_count: int
    ue_count: int
    ranks: _containers.RepeatedCompositeFieldContainer[DimmRankInfo]
    def __init__(self, controller_name: _Optional[str] = ..., ce_count: _Optional[int] = ..., ue_count: _Optional[int] = ..., ranks: _Optional[_Iterable[_Union[DimmRankInfo, _Mapping]]] = ...) -> None: ...

class ECCMemoryReport(_message.Message):
    __slots__ = ("memory_controllers",)
    MEMORY_CONTROLLERS_FIELD_NUMBER: _ClassVar[int]
    memory_controllers: _containers.RepeatedCompositeFieldContainer[ECCMemoryControllerInfo]
    def __init__(self, memory_controllers: _Optional[_Iterable[_Union[ECCMemoryControllerInfo, _Mapping]]] = ...) -> None: ...

class ZHardwareHealth(_message.Message):
    __slots__ = ("dev_id", "at_time_stamp", "mr")
    DEV_ID_FIELD_NUMBER: _ClassVar[int]
    AT_TIME_STAMP_FIELD_NUMBER: _ClassVar[int]
    MR_FIELD_NUMBER: _ClassVar[int]
    dev_id: str
    at_time_stamp: _timestamp_pb2.Timestamp
    mr: ECCMemoryReport
    def __init__(self, dev_id: _Optional[str] = ..., at_time_stamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., mr: _Optional[_Union[ECCMemoryReport, _Mapping]] = ...) -> None: ...
