"""Building ``ZInfoMsg`` (device, apps) and ``ZMetricMsg`` from what the agents published."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from evesim.agent import effects as fx
from evesim.agent import topics
from evesim.agent.bootreason import BootReason
from evesim.agent.dpc import Dpc
from evesim.agent.topics import DevSw
from evesim.agent.zedagent.state import Zedagent
from evesim.api import pb

INFO = pb.info


def _stamp(ts: Any, wall: float) -> None:
    ts.seconds = int(wall)
    ts.nanos = int((wall - int(wall)) * 1e9)


def _sw(info: pb.info.ZInfoDevice, entries: tuple[DevSw, ...], wall: float, seconds_left: int) -> None:
    for entry in entries:
        sw = info.swList.add(
            activated=entry.activated,
            partitionLabel=entry.partition,
            partitionDevice=f"/dev/{entry.partition.lower()}" if entry.partition else "",
            partitionState=entry.partition_state,
            status=entry.status,
            shortVersion=entry.version,
            longVersion=entry.version,
            downloadProgress=entry.download_progress,
            userStatus=entry.user_status,
            subStatus=entry.sub_status,
            subStatusStr=entry.sub_status_str,
            subStatusProgress=seconds_left if entry.sub_status == INFO.UPDATE_TESTING else entry.sub_status_progress,
        )
        if entry.error:
            sw.swErr.description = entry.error
            sw.swErr.severity = INFO.SEVERITY_ERROR
            _stamp(sw.swErr.timestamp, entry.error_time or wall)


def _config_items(info: pb.info.ZInfoDevice, status: topics.GlobalConfigStatus | None) -> None:
    if status is None:
        return
    for key, item in status.items.items():
        info.configItemStatus.configItems[key].value = item.value
        info.configItemStatus.configItems[key].error = item.error
    for key, item in status.unknown.items():
        info.configItemStatus.unknownConfigItems[key].value = item.value


def _hardware(info: pb.info.ZInfoDevice, hw: fx.Hardware) -> None:
    info.machineArch = "x86_64"
    info.cpuArch = "x86_64"
    info.platform = hw.product_name
    info.ncpu = hw.ncpu
    info.memory = hw.memory_mb
    info.storage = hw.storage_mb
    info.powerCycleCounter = hw.power_cycles
    info.minfo.manufacturer = hw.manufacturer
    info.minfo.productName = hw.product_name
    info.minfo.serialNumber = hw.serial
    info.HSMStatus = INFO.ENABLED if hw.has_tpm else INFO.NOTFOUND
    info.hardware_watchdog_present = hw.has_hw_watchdog
    info.api_capability = INFO.API_CAPABILITY_START_DELAY_IN_SECONDS


def _node(info: pb.info.ZInfoDevice, node: topics.NodeStatus | None) -> None:
    if node is None:
        return
    _stamp(info.bootTime, node.boot_time)
    info.lastRebootReason = node.last_reboot_reason
    info.restartCounter = node.restart_counter
    info.rebootConfigCounter = node.reboot_config_counter
    info.shutdown_config_counter = node.shutdown_config_counter
    info.last_boot_reason = BootReason(node.boot_reason).to_proto()
    info.reboot_inprogress = node.reboot_in_progress
    info.state = node.state


DHCP_TYPES = {"client": pb.common.Client, "static": pb.common.Static, "none": pb.common.DHCPNone}
DPC_VERSION = 1
"""EVE's ``DPCIsMgmt``: the DPC version of configs that say which ports are for management."""


def _network(info: pb.info.ZInfoDevice, listed: tuple[int, tuple[Dpc, ...]] | None,
             links: tuple[fx.Link, ...]) -> None:
    """``encodeSystemAdapterInfo``: nim's DPC list, the applied one's ports as they are, the others' as configured.

    Simplification: test times are those of the list's last real change (EVE's ``dpclHasRealChange``)."""
    if listed is None:
        return
    current, entries = listed
    # EVE: pkg/pillar/cmd/zedagent/reportinfo.go: CurrentIndex -1 goes out as uint32, 4294967295
    info.systemAdapter.currentIndex = current % (1 << 32)
    live = {link.name: link for link in links}
    for index, dpc in enumerate(entries):
        status = info.systemAdapter.status.add(version=DPC_VERSION, key=dpc.key, lastError=dpc.results.last_error)
        _stamp(status.timePriority, dpc.time_priority)
        for field, at in (("lastFailed", dpc.results.last_failed), ("lastSucceeded", dpc.results.last_succeeded)):
            if at:
                _stamp(getattr(status, field), at)
        results = dict(dpc.port_results)
        for port in dpc.ports:
            entry = status.ports.add(ifname=port.name, name=port.name, isMgmt=port.mgmt, cost=port.cost,
                                     dhcpType=DHCP_TYPES[port.dhcp], usage=pb.common.PhyIoUsageMgmtAndApps)
            link = live.get(port.name)
            if index == current and link is not None:
                entry.up = link.up
                if link.up and link.address:
                    entry.IPAddrs.append(link.address)
            tested = results.get(port.name)
            if port.invalid or (tested is not None and tested.last_error):
                entry.err.description = port.invalid or (tested.last_error if tested else "")
                entry.err.severity = INFO.SEVERITY_ERROR
                if tested is not None and tested.last_failed:
                    _stamp(entry.err.timestamp, tested.last_failed)


def device_info(z: Zedagent) -> Generator[Any, Any, pb.info.ZInfoMsg]:
    """The full ``ZInfoMsg{ztype=ZiDevice}`` as of now."""
    wall = yield fx.WallClock()
    msg = pb.info.ZInfoMsg(ztype=INFO.ZiDevice, devId=z.uuid)
    _stamp(msg.atTimeStamp, wall)
    info = msg.dinfo
    _hardware(info, z.hardware)
    info.HostName = z.uuid
    node = yield fx.Read(topics.NODE)
    _node(info, node)
    # EVE: pkg/pillar/cmd/zedagent/reportinfo.go PublishDeviceInfoToZedCloud reports the merged reasons as they
    # stand, NONE included when the config item forces maintenance mode off
    info.maintenance_mode = z.maintenance.mode
    info.maintenance_mode_reasons.extend(z.maintenance.reasons)
    _config_items(info, (yield fx.Read(topics.GLOBAL_CONFIG)))
    baseos = yield fx.Read(topics.BASEOS_STATUS)
    now = yield fx.Now()
    left = max(int(node.test_deadline - now), 0) if node is not None and node.test_deadline is not None else 0
    if baseos is not None:
        _sw(info, baseos.sw, wall, left)
        info.baseos_update_counter = baseos.update_counter
    attest = yield fx.Read(topics.ATTEST)
    if attest is not None:
        info.attestation_info.state = attest.state
        if attest.error:
            info.attestation_info.error.description = attest.error
    listed = yield fx.Read(topics.DPC_LIST)
    _network(info, listed, (yield fx.LinkStatus()))
    return msg


def app_info(z: Zedagent, app: topics.AppStatus, wall: float) -> pb.info.ZInfoMsg:
    """``ZInfoMsg{ztype=ZiApp}`` for one app instance."""
    msg = pb.info.ZInfoMsg(ztype=INFO.ZiApp, devId=z.uuid)
    _stamp(msg.atTimeStamp, wall)
    info = msg.ainfo
    info.AppID, info.AppName, info.appVersion, info.state = app.uuid, app.name, app.version, app.state
    if app.boot_time:
        _stamp(info.bootTime, app.boot_time)
    if app.error:
        err = info.appErr.add(description=app.error, severity=INFO.SEVERITY_ERROR)
        _stamp(err.timestamp, wall)
    for vif in app.vifs:
        # EVE: pkg/pillar/cmd/zedagent/handlemetrics.go PublishAppInfoToZedCloud, one ZInfoNetwork per VIF
        net = info.network.add(localName=vif.name, devName=vif.adapter, macAddr=vif.mac, ipv4_up=bool(vif.ip))
        if vif.ip:
            net.IPAddrs.append(vif.ip)
    return msg


def ni_info(z: Zedagent, status: topics.NiStatus, wall: float) -> pb.info.ZInfoMsg:
    """``ZInfoMsg{ztype=ZiNetworkInstance}`` (``prepareAndPublishNetworkInstanceInfoMsg``): state ERROR with the
    combined error, ONLINE once activated, else UNSPECIFIED."""
    msg = pb.info.ZInfoMsg(ztype=INFO.ZiNetworkInstance, devId=z.uuid)
    _stamp(msg.atTimeStamp, wall)
    info = msg.niinfo
    info.networkID, info.networkVersion, info.displayname = status.uuid, status.version, status.name
    info.instType, info.activated, info.bridgeNum, info.bridgeName = (status.inst_type, status.activated,
                                                                      status.bridge_num, status.bridge_name)
    info.ports.extend(status.ports)
    if status.ports:
        info.CurrentUplinkIntf = status.ports[0]
    if status.gateway:
        info.bridgeIPAddr = status.gateway
    for mac, ip in status.assignments:
        info.ipAssignments.add(macAddress=mac, ipAddress=[ip])
    for vif in status.vifs:
        info.vifs.add(vifName=vif.name, macAddress=vif.mac, appID=vif.app)
    if status.error:
        err = info.networkErr.add(description=status.error, severity=INFO.SEVERITY_ERROR)
        _stamp(err.timestamp, wall)
    info.state = (INFO.ZNETINST_STATE_ERROR if status.error else INFO.ZNETINST_STATE_ONLINE if status.activated
                  else INFO.ZNETINST_STATE_UNSPECIFIED)
    return msg


def ni_gone(z: Zedagent, status: topics.NiStatus, wall: float) -> pb.info.ZInfoMsg:
    """``ZInfoMsg{ztype=ZiNetworkInstance}`` with only the instance's ID and version: it is deleted."""
    msg = pb.info.ZInfoMsg(ztype=INFO.ZiNetworkInstance, devId=z.uuid)
    _stamp(msg.atTimeStamp, wall)
    msg.niinfo.networkID, msg.niinfo.networkVersion = status.uuid, status.version
    return msg


def app_gone(z: Zedagent, uuid: str, wall: float) -> pb.info.ZInfoMsg:
    """``ZInfoMsg{ztype=ZiApp}`` carrying only the AppID: the app instance is deleted."""
    msg = pb.info.ZInfoMsg(ztype=INFO.ZiApp, devId=z.uuid)
    _stamp(msg.atTimeStamp, wall)
    msg.ainfo.AppID = uuid
    return msg


def metrics(z: Zedagent, wall: float, uptime: float, apps: tuple[topics.AppStatus, ...],
            mem: fx.Memory) -> pb.metrics.ZMetricMsg:
    """``ZMetricMsg`` with the device counters evesim models."""
    msg = pb.metrics.ZMetricMsg(devID=z.uuid)
    _stamp(msg.atTimeStamp, wall)
    dm = msg.dm
    total, used = mem.total_mb, mem.used_mb
    used_pct = 100.0 * used / total if total else 0.0
    memory = dm.memory
    memory.usedMem, memory.availMem = used, total - used
    memory.usedPercentage, memory.availPercentage = used_pct, 100.0 - used_pct
    cpu = dm.cpuMetric
    _stamp(cpu.upTime, wall - uptime)
    cpu.total = int(uptime)
    cloud = dm.zedcloud.add(ifName="eth0", failures=z.counters.failures, success=z.counters.success,
                            authVerifyFailure=z.counters.auth_verify_failures)
    if z.counters.last_success:
        _stamp(cloud.lastSuccess, z.counters.last_success)
    if z.counters.last_failure:
        _stamp(cloud.lastFailure, z.counters.last_failure)
    if z.config_received_at:
        _stamp(dm.last_received_config, z.config_received_at)
    if z.config_processed_at:
        _stamp(dm.last_processed_config, z.config_processed_at)
    for app in apps:
        am = msg.am.add(AppID=app.uuid, AppName=app.name, appVersion=app.version)
        _stamp(am.cpu.upTime, app.boot_time or wall)
    return msg
