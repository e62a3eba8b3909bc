from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class VmMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PV: _ClassVar[VmMode]
    HVM: _ClassVar[VmMode]
    Filler: _ClassVar[VmMode]
    FML: _ClassVar[VmMode]
    NOHYPER: _ClassVar[VmMode]
    LEGACY: _ClassVar[VmMode]
PV: VmMode
HVM: VmMode
Filler: VmMode
FML: VmMode
NOHYPER: VmMode
LEGACY: VmMode

class VmConfig(_message.Message):
    __slots__ = ("kernel", "ramdisk", "memory", "maxmem", "vcpus", "maxcpus", "rootdev", "extraargs", "bootloader", "cpus", "devicetree", "dtdev", "irqs", "iomem", "virtualizationMode", "enable_vnc", "vncDisplay", "vncPasswd", "disableLogs", "pin_cpu", "vmm_maxmem")
    KERNEL_FIELD_NUMBER: _ClassVar[int]
    RAMDISK_FIELD_NUMBER: _ClassVar[int]
    MEMORY_FIELD_NUMBER: _ClassVar[int]
    MAXMEM_FIELD_NUMBER: _ClassVar[int]
    VCPUS_FIELD_NUMBER: _ClassVar[int]
    MAXCPUS_FIELD_NUMBER: _ClassVar[int]
    ROOTDEV_FIELD_NUMBER: _ClassVar[int]
    EXTRAARGS_FIELD_NUMBER: _ClassVar[int]
    BOOTLOADER_FIELD_NUMBER: _ClassVar[int]
    CPUS_FIELD_NUMBER: _ClassVar[int]
    DEVICETREE_FIELD_NUMBER: _ClassVar[int]
    DTDEV_FIELD_NUMBER: _ClassVar[int]
    IRQS_FIELD_NUMBER: _ClassVar[int]
    IOMEM_FIELD_NUMBER: _ClassVar[int]
    VIRTUALIZATIONMODE_FIELD_NUMBER: _ClassVar[int]
    ENABLE_VNC_FIELD_NUMBER: _ClassVar[int]
    VNCDISPLAY_FIELD_NUMBER: _ClassVar[int]
    VNCPASSWD_FIELD_NUMBER: _ClassVar[int]
    DISABLELOGS_FIELD_NUMBER: _ClassVar[int]
    PIN_CPU_FIELD_NUMBER: _ClassVar[int]
    VMM_MAXMEM_FIELD_NUMBER: _ClassVar[int]
    kernel: str
    ramdisk: str
    memory: int
    maxmem: int
    vcpus: int
    maxcpus: int
    rootdev: str
    extraargs: str
    bootloader: str
    cpus: str
    devicetree: str
    dtdev: _containers.RepeatedScalarFieldContainer[str]
    irqs: _containers.RepeatedScalarFieldContainer[int]
    iomem: _containers.RepeatedScalarFieldContainer[str]
    virtualizationMode: VmMode
    enable_vnc: bool
    vncDisplay: int
    vncPasswd: str
    disableLogs: bool
    pin_cpu: bool
    vmm_maxmem: int
    def __init__(self, kernel: _Optional[str] = ..., ramdisk: _Optional[str] = ..., memory: _Optional[int] = ..., maxmem: _Optional[int] = ..., vcpus: _Optional[int] = ..., maxcpus: _Optional[int] = ..., rootdev: _Optional[str] = ..., extraargs: _Optional[str] = ..., bootloader: _Optional[str] = ..., cpus: _Optional[str] = ..., devicetree: _Optional[str] = ..., dtdev: _Optional[_Iterable[str]] = ..., irqs: _Optional[_Iterable[int]] = ..., iomem: _Optional[_Iterable[str]] = ..., virtualizationMode: _Optional[_Union[VmMode, str]] = ..., enable_vnc: _Optional[bool] = ..., vncDisplay: _Optional[int] = ..., vncPasswd: _Optional[str] = ..., disableLogs: _Optional[bool] = ..., pin_cpu: _Optional[bool] = ..., vmm_maxmem: _Optional[int] = ...) -> None: ...
