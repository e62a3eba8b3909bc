"""zedagent's maintenance mode: the merge rule, the config it drops, and re-reading it afterwards."""

from __future__ import annotations

import pytest

from evesim.agent import effects as fx
from evesim.agent import fixes, topics
from evesim.agent.topics import Maintenance
from evesim.agent.zedagent import config, maintenance
from evesim.agent.zedagent.state import Zedagent
from evesim.api import envelope, pb

from .harness import HARDWARE, Script
from .support import UUID, conn
from .test_zedagent_config import _setup, _with_update, answer

R = pb.info
USER = R.MAINTENANCE_MODE_REASON_USER_REQUESTED
NONE = R.MAINTENANCE_MODE_REASON_NONE
VAULT = R.MAINTENANCE_MODE_REASON_VAULT_LOCKED_UP
CERTS = R.MAINTENANCE_MODE_REASON_EDGE_NODE_CERTS_REFUSED


@pytest.mark.parametrize(("item", "api", "local", "expected"), [
    ("", False, (), Maintenance(False, ())),
    ("", True, (VAULT,), Maintenance(True, (USER,))),
    ("", False, (VAULT, CERTS), Maintenance(True, (VAULT, CERTS))),
    ("enabled", False, (), Maintenance(True, (USER,))),
    ("disabled", True, (VAULT,), Maintenance(False, (NONE,))),
])
def test_merge_follows_the_config_item_then_the_flag_then_local_reasons(
        item: str, api: bool, local: tuple[pb.info.MaintenanceModeReason, ...], expected: Maintenance) -> None:
    assert maintenance.merged(item, api, local) == expected


def test_a_reason_added_while_another_stays_is_not_taken() -> None:
    # EVE's handleNodeAgentStatusImpl lacks a negation: only a flip of the mode or equal reasons are taken.
    z = Zedagent(conn=conn(), uuid=UUID, hardware=HARDWARE)
    maintenance.take_local(z, (VAULT,))
    assert z.local_maintenance == (VAULT,)
    maintenance.take_local(z, (VAULT, CERTS))
    assert z.local_maintenance == (VAULT,)
    maintenance.take_local(z, ())
    assert z.local_maintenance == ()


def _maintained(*answers: fx.Response, reread: bool = False) -> tuple[Script, config.ConfigTask]:
    script, task = _setup(*answers)
    task.z.reread = reread
    maintenance.take_local(task.z, (CERTS,))
    assert script.run(maintenance.remerge(task.z)).stop == "returned"
    return script, task


def _leave(script: Script, task: config.ConfigTask) -> None:
    maintenance.take_local(task.z, ())
    assert script.run(maintenance.remerge(task.z)).stop == "returned"


def _sent_hashes(script: Script) -> list[str]:
    return [pb.config.ConfigRequest.FromString(envelope.open_envelope(r.body).payload).configHash
            for r in script.requests("config")]


def test_in_maintenance_mode_only_items_and_commands_are_applied() -> None:
    cfg = _with_update(2000, ("web",))
    cfg.configItems.add(key="timer.config.interval", value="33")
    cfg.reboot.counter = 4
    script, task = _maintained(answer(cfg, "h1"))
    assert script.run(task.poll()).stop == "returned"
    assert script.bus.get(topics.GLOBAL_CONFIG).config.int("timer.config.interval") == 33
    assert script.bus.get(topics.DEVICE_OPS) == topics.OpsCommands(reboot=4, shutdown=0)
    assert script.bus.get(topics.BASEOS_CONFIG) is None and script.bus.get(topics.APP_CONFIG) is None
    assert script.bus.get(topics.MAINTENANCE) == Maintenance(True, (CERTS,))
    assert [log.kind for log in script.logs("config_maintenance_skipped")] == ["config_maintenance_skipped"]
    assert task.z.config_hash == "h1"


def test_as_eve_before_17_3_a_config_dropped_in_maintenance_is_never_applied() -> None:
    script, task = _maintained(answer(_with_update(2000, ("web",)), "h1"), fx.Response(304), fx.Response(304))
    assert script.run(task.poll()).stop == "returned"
    _leave(script, task)
    assert script.bus.get(topics.CONFIG_TRIGGER) is None
    for _ in range(2):
        assert script.run(task.poll()).stop == "returned"
    assert _sent_hashes(script) == ["", "h1", "h1"]
    assert script.bus.get(topics.BASEOS_CONFIG) is None and script.bus.get(topics.APP_CONFIG) is None


def test_maintenance_reread_fetches_the_whole_config_at_once_after_leaving() -> None:
    cfg = _with_update(2000, ("web",), version=None)
    script, task = _maintained(answer(cfg, "h1"), answer(cfg, "h1"), reread=True)
    assert script.run(task.poll()).stop == "returned"
    _leave(script, task)
    assert script.bus.get(topics.CONFIG_TRIGGER) is not None
    assert script.run(task.poll()).stop == "returned"
    assert _sent_hashes(script) == ["", ""]
    assert [app.name for app in script.bus.get(topics.APP_CONFIG)] == ["web"]
    assert script.logs("config_reread_after_maintenance")


@pytest.mark.parametrize(("running", "chosen", "on"), [
    ("14.5.1", frozenset(), False),
    ("17.2.1", frozenset(), False),
    ("17.3.0", frozenset(), True),
    ("17.3.0-lts", frozenset(), True),
    ("18.0.0", frozenset(), True),
    ("0.0.0-snapshot", frozenset(), False),
    ("14.5.1", frozenset({"maintenance-reread"}), True),
])
def test_maintenance_reread_is_on_from_the_release_that_has_it(running: str, chosen: frozenset[fixes.Fix],
                                                               on: bool) -> None:
    assert fixes.active("maintenance-reread", chosen, running) is on


def test_release_app_hold_does_not_publish_the_apps_of_a_config_dropped_in_maintenance_mode() -> None:
    script, task = _maintained(answer(_with_update(2000, ("web",), version=None), "h1"), fx.Response(304))
    task.z.fixes = frozenset({"release-app-hold"})
    for at in (0.0, 60.0):
        assert script.run(task.poll()).stop == "returned"
        script.now = at
    assert script.bus.get(topics.APP_CONFIG) is None


def test_leaving_maintenance_mode_cuts_the_config_tickers_wait_short() -> None:
    cfg = _with_update(2000, ("web",), version=None)
    script = Script(responses={"config": [answer(cfg, "h1"), answer(cfg, "h1")]}, random=1.0)
    z = Zedagent(conn=conn(), uuid=UUID, hardware=HARDWARE, reread=True)
    maintenance.take_local(z, (CERTS,))
    assert script.run(maintenance.remerge(z)).stop == "returned"

    def leave() -> None:
        # what remerge does on leaving (tested above): the merged mode, then the trigger
        z.maintenance = Maintenance(False, ())
        script.bus.publish(topics.CONFIG_TRIGGER, 10.0)

    script.at(10.0, leave)
    script.run(config.run(z), until=lambda s: len(s.requests("config")) == 2)
    # the ticker's draw of 1.0 would wait 60 s; the trigger fetches at once, asking for the whole config
    assert [s.time for s in script.steps(fx.Request)] == [0.0, 10.0]
    assert _sent_hashes(script) == ["", ""]
