"""The ``sim`` backend: performs agents' effects against the modelled device, network and controller.

Instant effects are plain functions; timed ones are generators that yield SimPy events.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any

import simpy

from evesim.agent import effects as fx
from evesim.sim import transport

if TYPE_CHECKING:
    from evesim.sim.device import SimDevice

Instant = Callable[["SimDevice", Any], Any]
Timed = Callable[["SimDevice", Any], Generator[simpy.Event, Any, Any]]


# ---------------------------------------------------------------- instant effects


def _now(dev: SimDevice, eff: fx.Now) -> float:
    return dev.world.env.now - dev.booted_at


def _wall(dev: SimDevice, eff: fx.WallClock) -> float:
    return dev.world.epoch + dev.world.env.now + dev.clock_offset


def _random(dev: SimDevice, eff: fx.Random) -> float:
    return dev.rng(eff.stream).random()


def _random_bytes(dev: SimDevice, eff: fx.RandomBytes) -> bytes:
    return dev.rng("keys").randbytes(eff.n)


def _unlock_vault(dev: SimDevice, eff: fx.UnlockVault) -> bool:
    return dev.unlock_vault(eff.key)


def _link(dev: SimDevice, eff: fx.LinkStatus) -> fx.Link:
    return fx.Link(dev.carrier, dev.address)


def _read(dev: SimDevice, eff: fx.ReadFile) -> bytes | None:
    return dev.hw.fs.read(eff.path)


def _write(dev: SimDevice, eff: fx.WriteFile) -> None:
    if eff.keep_bak:
        dev.hw.fs.write_rename(eff.path, eff.data)
    else:
        dev.write_durable(eff.path, eff.data)


def _remove(dev: SimDevice, eff: fx.RemoveFile) -> None:
    dev.hw.fs.remove_durably(eff.path)


def _list(dev: SimDevice, eff: fx.ListFiles) -> tuple[str, ...]:
    fs = dev.hw.fs
    path = eff.path.rstrip("/")
    return tuple(name for name in fs.listdir(path) if fs.exists(f"{path}/{name}"))


def _sign(dev: SimDevice, eff: fx.Sign) -> bytes:
    return dev.sign(eff.key, eff.data)


def _hardware(dev: SimDevice, eff: fx.HardwareInfo) -> fx.Hardware:
    return dev.hardware_facts()


def _device_certs(dev: SimDevice, eff: fx.DeviceCerts) -> tuple[tuple[int, bytes], ...]:
    return dev.attestation_certs()


def _partitions(dev: SimDevice, eff: fx.Partitions) -> fx.PartitionView:
    return dev.partition_view()


def _publish(dev: SimDevice, eff: fx.Publish) -> None:
    dev.bus.publish(eff.topic, eff.value)
    dev.on_publish(eff.topic, eff.value)


def _read_topic(dev: SimDevice, eff: fx.Read) -> Any:
    return dev.bus.get(eff.topic)


def _spawn(dev: SimDevice, eff: fx.Spawn) -> None:
    dev.start_agent(eff.name, eff.process)


def _log(dev: SimDevice, eff: fx.Log) -> None:
    dev.record(eff.agent, eff.kind, eff.fields, eff.severity)


def _drain(dev: SimDevice, eff: fx.DrainLogs) -> list[fx.LogRecord]:
    out = []
    while dev.log_buffer and len(out) < eff.limit:
        out.append(dev.log_buffer.popleft())
    return out


INSTANT: dict[type, Instant] = {
    fx.Now: _now,
    fx.WallClock: _wall,
    fx.Random: _random,
    fx.RandomBytes: _random_bytes,
    fx.UnlockVault: _unlock_vault,
    fx.LinkStatus: _link,
    fx.ReadFile: _read,
    fx.WriteFile: _write,
    fx.RemoveFile: _remove,
    fx.ListFiles: _list,
    fx.Sign: _sign,
    fx.HardwareInfo: _hardware,
    fx.DeviceCerts: _device_certs,
    fx.Partitions: _partitions,
    fx.Publish: _publish,
    fx.Read: _read_topic,
    fx.Spawn: _spawn,
    fx.Log: _log,
    fx.DrainLogs: _drain,
}


# ---------------------------------------------------------------- timed effects


MIN_WAIT_S = 1e-3
"""Shortest timed wait: keeps float rounding of deadlines from stalling simulated time."""


def _duration(seconds: float) -> float:
    return 0.0 if seconds <= 0.0 else max(seconds, MIN_WAIT_S)


def _sleep(dev: SimDevice, eff: fx.Sleep) -> Generator[simpy.Event, Any, None]:
    yield dev.world.env.timeout(_duration(eff.seconds))


def _wait(dev: SimDevice, eff: fx.Wait) -> Generator[simpy.Event, Any, int]:
    env = dev.world.env
    event = env.event()
    waiter = dev.bus.wait(eff.topics, eff.since, event.succeed)
    if waiter is not None and eff.timeout is not None:
        env.timeout(_duration(eff.timeout)).callbacks.append(lambda _: dev.bus.expire(waiter))
    return (yield event)


def _reboot(dev: SimDevice, eff: fx.Reboot) -> Generator[simpy.Event, Any, None]:
    dev.request_reset("soft", eff.reason)
    yield dev.world.env.event()


def _poweroff(dev: SimDevice, eff: fx.PowerOff) -> Generator[simpy.Event, Any, None]:
    dev.request_poweroff(eff.reason)
    yield dev.world.env.event()


def _delegate(method: str) -> Timed:
    """A timed effect the device model performs itself (hardware with its own timing)."""

    def handler(dev: SimDevice, eff: Any) -> Generator[simpy.Event, Any, Any]:
        return (yield from getattr(dev, method)(eff))

    return handler


TIMED: dict[type, Timed] = {
    fx.Sleep: _sleep,
    fx.Wait: _wait,
    fx.Reboot: _reboot,
    fx.PowerOff: _poweroff,
    fx.CreateDeviceIdentity: _delegate("create_identity"),
    fx.Quote: _delegate("quote"),
    fx.SealKey: _delegate("seal"),
    fx.UnsealKey: _delegate("unseal"),
    fx.SetPartitionState: _delegate("set_partition_state"),
    fx.WritePartition: _delegate("write_partition"),
    fx.Download: _delegate("download"),
    fx.Domain: _delegate("domain"),
}


LAZY_LATENCY_S = 1.0
"""Round trips up to this long are not waited for at once but added to the process's next sleep."""


def drive(dev: SimDevice, gen: Generator[Any, Any, Any]) -> Generator[simpy.Event, Any, None]:
    """Run one agent generator as a SimPy process body; a device reset interrupts it.

    Simplification (for speed): a short round trip returns its response at once and its
    duration is owed, then paid with the process's next timed effect, so the agent acts on
    an answer up to ``LAZY_LATENCY_S`` early. Longer exchanges (queues, timeouts) are waited.
    """
    send = gen.send
    instant = INSTANT
    timeout = dev.world.env.timeout
    exchange = transport.exchange
    debt = 0.0
    result: Any = None
    world = dev.world
    try:
        while True:
            effect = send(result)
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
                timed = TIMED.get(cls)
                if timed is None:
                    raise TypeError(f"the sim backend cannot perform {effect!r}")
                result = yield from timed(dev, effect)
    except StopIteration:
        return
    except simpy.Interrupt:
        gen.close()
