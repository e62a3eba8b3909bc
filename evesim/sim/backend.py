"""The ``sim`` backend: performs agents' effects against the modelled device, network and controller.

Instant effects are plain functions; timed ones are generators that yield SimPy events. Each
table maps an effect type to its handler; ``_on`` has mypy check that the handler takes that effect.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any, TypeVar

import simpy

from evesim.agent import effects as fx
from evesim.agent import topics
from evesim.sim import appnet, disk_effects, download, tpm_effects, transport, wpad, xen
from evesim.sim.ports import AgentHost

E = TypeVar("E")
R = TypeVar("R")
Instant = Callable[[AgentHost, Any], Any]
Timed = Callable[[AgentHost, Any], Generator[simpy.Event, Any, Any]]


def _on(cls: type[E], handler: Callable[[AgentHost, E], R]) -> tuple[type, Callable[[AgentHost, Any], R]]:
    """A table entry: ``handler`` performs effects of type ``cls`` (mypy checks it takes one)."""
    return cls, handler


# ---------------------------------------------------------------- instant effects


def _now(dev: AgentHost, eff: fx.Now) -> float:
    return dev.world.env.now - dev.boot.booted_at


def _wall(dev: AgentHost, eff: fx.WallClock) -> float:
    return dev.world.epoch + dev.world.env.now + dev.clock_offset


def _random(dev: AgentHost, eff: fx.Random) -> float:
    return dev.rng(eff.stream).random()


def _random_bytes(dev: AgentHost, eff: fx.RandomBytes) -> bytes:
    return dev.rng("keys").randbytes(eff.n)


def _link(dev: AgentHost, eff: fx.LinkStatus) -> tuple[fx.Link, ...]:
    return dev.nics.links(dev.world.net)


def _apply_ports(dev: AgentHost, eff: fx.ApplyPorts) -> None:
    before = dev.nics.links(dev.world.net)
    for name in dev.nics.apply(eff.ports):
        dev.world.wake(dev.nics.nodes[name])
    after = dev.nics.links(dev.world.net)
    if after != before:  # a static address came or went
        dev.bus.publish(topics.LINK, after)


def _apply_app_network(dev: AgentHost, eff: fx.ApplyAppNetwork) -> None:
    appnet.apply(dev, dev.world.mesh, eff.vifs)


def _collect_flows(dev: AgentHost, eff: fx.CollectFlows) -> tuple[fx.Flow, ...]:
    return dev.appnet.collect(dev.wall())


def _read(dev: AgentHost, eff: fx.ReadFile) -> bytes | None:
    return dev.hw.fs.read(eff.path)


def _write(dev: AgentHost, eff: fx.WriteFile) -> None:
    if eff.keep_bak:
        dev.hw.fs.write_rename(eff.path, eff.data)
    else:
        dev.write_durable(eff.path, eff.data)


def _remove(dev: AgentHost, eff: fx.RemoveFile) -> None:
    dev.hw.fs.remove_durably(eff.path)


def _list(dev: AgentHost, eff: fx.ListFiles) -> tuple[str, ...]:
    fs = dev.hw.fs
    path = eff.path.rstrip("/")
    return tuple(name for name in fs.listdir(path) if fs.exists(f"{path}/{name}"))


def _hardware(dev: AgentHost, eff: fx.HardwareInfo) -> fx.Hardware:
    hw = dev.hw
    p = hw.profile
    return fx.Hardware(
        serial=dev.serial, manufacturer=p.manufacturer, product_name=p.product_name, ncpu=p.ncpu,
        memory_mb=p.ram_mb, storage_mb=p.disk_gb * 1024, has_tpm=hw.tpm is not None,
        has_hw_watchdog=hw.hw_watchdog is not None, power_cycles=hw.power_cycles,
        watchdog_cardreset=hw.bootstatus_cardreset,
    )


PERSIST_EVE_USED = 512 * 1024 * 1024
"""What EVE itself keeps in ``/persist`` (certs, status, checkpoints, logs) in the simulation."""


def _persist_usage(dev: AgentHost, eff: fx.PersistUsage) -> fx.DiskUsage:
    """``/persist`` as the board's disk: EVE's own files and the verified blobs, or as filled by a fault."""
    total = dev.hw.profile.disk_gb * 1024**3
    used = PERSIST_EVE_USED + sum(blob.size_bytes for blob in dev.storage.blobs.values())
    cap = dev.storage.persist_free_cap
    if cap is not None:
        used = max(used, total - cap)
    return fx.DiskUsage(total, min(used, total))


def _memory(dev: AgentHost, eff: fx.MemoryUsage) -> fx.Memory:
    """The board's RAM; in use: dom0's and the domains' memory."""
    total = dev.hw.profile.ram_mb
    return fx.Memory(total, min(dev.xen.used_mb(), total))


def _publish(dev: AgentHost, eff: fx.Publish) -> None:
    dev.bus.publish(eff.topic, eff.value)
    dev.on_publish(eff.topic, eff.value)


def _read_topic(dev: AgentHost, eff: fx.Read) -> Any:
    return dev.bus.get(eff.topic)


def _spawn(dev: AgentHost, eff: fx.Spawn) -> None:
    dev.start_agent(eff.name, eff.process)


def _log(dev: AgentHost, eff: fx.Log) -> None:
    dev.record(eff.agent, eff.kind, eff.fields, eff.severity)


def _drain(dev: AgentHost, eff: fx.DrainLogs) -> list[fx.LogRecord]:
    buffer = dev.telemetry.log_buffer
    out: list[fx.LogRecord] = []
    while buffer and len(out) < eff.limit:
        out.append(buffer.popleft())
    return out


INSTANT: dict[type, Instant] = dict((
    _on(fx.Now, _now),
    _on(fx.WallClock, _wall),
    _on(fx.Random, _random),
    _on(fx.RandomBytes, _random_bytes),
    _on(fx.UnlockVault, tpm_effects.unlock_vault),
    _on(fx.LinkStatus, _link),
    _on(fx.ApplyPorts, _apply_ports),
    _on(fx.ApplyAppNetwork, _apply_app_network),
    _on(fx.CollectFlows, _collect_flows),
    _on(fx.ReadFile, _read),
    _on(fx.WriteFile, _write),
    _on(fx.RemoveFile, _remove),
    _on(fx.ListFiles, _list),
    _on(fx.Sign, tpm_effects.sign),
    _on(fx.HardwareInfo, _hardware),
    _on(fx.PersistUsage, _persist_usage),
    _on(fx.MemoryUsage, _memory),
    _on(fx.DeviceCerts, tpm_effects.device_certs),
    _on(fx.Partitions, disk_effects.partitions),
    _on(fx.Publish, _publish),
    _on(fx.Read, _read_topic),
    _on(fx.Spawn, _spawn),
    _on(fx.Log, _log),
    _on(fx.DrainLogs, _drain),
))


# ---------------------------------------------------------------- timed effects


MIN_WAIT_S = 1e-3
"""Shortest timed wait: keeps float rounding of deadlines from stalling simulated time."""


def _duration(seconds: float) -> float:
    return 0.0 if seconds <= 0.0 else max(seconds, MIN_WAIT_S)


def _sleep(dev: AgentHost, eff: fx.Sleep) -> Generator[simpy.Event, Any, None]:
    yield dev.world.env.timeout(_duration(eff.seconds))


def _wait(dev: AgentHost, eff: fx.Wait) -> Generator[simpy.Event, Any, int]:
    env = dev.world.env
    event = env.event()
    waiter = dev.bus.wait(eff.topics, eff.since, event.succeed)  # type: ignore[arg-type]  # returns the event, unused
    if waiter is not None and eff.timeout is not None:
        env.timeout(_duration(eff.timeout)).callbacks.append(lambda _: dev.bus.expire(waiter))
    return (yield event)


def _reboot(dev: AgentHost, eff: fx.Reboot) -> Generator[simpy.Event, Any, None]:
    dev.request_reset("soft", eff.reason)
    yield dev.world.env.event()


def _poweroff(dev: AgentHost, eff: fx.PowerOff) -> Generator[simpy.Event, Any, None]:
    dev.request_poweroff(eff.reason)
    yield dev.world.env.event()


TIMED: dict[type, Timed] = dict((
    _on(fx.Sleep, _sleep),
    _on(fx.Wait, _wait),
    _on(fx.Reboot, _reboot),
    _on(fx.PowerOff, _poweroff),
    _on(fx.CreateDeviceIdentity, tpm_effects.create_identity),
    _on(fx.Quote, tpm_effects.quote),
    _on(fx.TpmSanity, tpm_effects.sanity),
    _on(fx.SealKey, tpm_effects.seal),
    _on(fx.UnsealKey, tpm_effects.unseal),
    _on(fx.SetPartitionState, disk_effects.set_partition_state),
    _on(fx.WritePartition, disk_effects.write_partition),
    _on(fx.Download, download.download),
    _on(fx.FetchPac, wpad.fetch_pac),
    _on(fx.Domain, xen.domain),
))
"""Timed effects; ``fx.Request`` is the transport's, performed in ``drive`` itself."""


LAZY_LATENCY_S = 1.0
"""Round trips up to this long are not waited for at once but added to the process's next sleep."""


def drive(dev: AgentHost, gen: Generator[Any, Any, Any], agent: str) -> Generator[simpy.Event, Any, None]:
    """Run agent ``agent``'s generator as a SimPy process body; a device reset interrupts it.

    Simplification (for speed): a short round trip returns its response at once and its
    duration is owed, then paid with the process's next timed effect, so the agent acts on
    an answer up to ``LAZY_LATENCY_S`` early. Longer exchanges (queues, timeouts) are waited.
    A handler that raises is reported as ``fx.EffectFailed`` naming the device, the agent and the effect.
    """
    send = gen.send
    instant = INSTANT
    timed_handlers = TIMED
    world = dev.world
    timeout = world.env.timeout
    exchange = transport.exchange
    debt = 0.0
    result: Any = None
    effect: Any = None
    try:
        while True:
            # set around send() rather than read from inspect.getgeneratorstate, which a generator compiled by
            # mypyc (benchmarks/compiled.py) cannot answer
            agent_raised = True
            effect = send(result)
            agent_raised = False
            world.effects += 1
            cls = effect.__class__
            handler = instant.get(cls)
            if handler is not None:
                result = handler(dev, effect)
            elif cls is fx.Request:
                out = exchange(dev, effect)
                result = out.response
                debt += out.delay_s
                if debt > LAZY_LATENCY_S:
                    yield timeout(debt)
                    debt = 0.0
            elif cls is fx.Sleep:
                yield timeout(_duration(effect.seconds) + debt)
                debt = 0.0
            else:
                if debt:
                    yield timeout(debt)
                    debt = 0.0
                timed = timed_handlers.get(cls)
                if timed is None:
                    raise TypeError(f"the sim backend cannot perform {effect!r}")
                result = yield from timed(dev, effect)
    except StopIteration:
        return
    except simpy.Interrupt:
        gen.close()
    except Exception as exc:
        if agent_raised:
            raise
        raise fx.EffectFailed.performing(dev.name, agent, effect, exc) from exc
