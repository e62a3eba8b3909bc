"""tpmmgr's boot-time TPM sanity check and the maintenance-mode reason nodeagent takes from it."""

from __future__ import annotations

import pytest

from evesim.agent import effects as fx
from evesim.agent import nodeagent, topics, tpmmgr
from evesim.api import pb

from .harness import Script
from .test_nodeagent import _node, _onboarded_script


@pytest.mark.parametrize(("check", "published", "logged"), [
    ("ok", ["ok"], []),
    ("encryption", ["encryption"], ["tpm_sanity_failed"]),
    (None, [], []),
])
def test_the_check_is_published_only_with_a_tpm(check: fx.TpmCheck | None, published: list[str],
                                                logged: list[str]) -> None:
    script = Script(tpm_check=check)
    script.run(tpmmgr.run(), max_time=3700.0)
    assert script.published(topics.TPM_STATUS) == published
    assert [log.kind for log in script.logs()] == logged


def test_the_tpm_is_checked_every_hour_from_start_not_at_start() -> None:
    script = Script()

    def fail() -> None:
        script.tpm_check = "encryption"

    script.at(5000.0, fail)
    script.run(tpmmgr.run(), max_time=11000.0)
    assert [s.time for s in script.steps(fx.TpmSanity)] == [3600.0, 7200.0, 10800.0]
    assert script.published(topics.TPM_STATUS) == ["ok", "encryption", "encryption"]


def test_a_failing_tpm_is_nodeagents_tpm_encryption_failure_reason() -> None:
    script = _onboarded_script()
    script.publish_at(20.0, topics.TPM_STATUS, "encryption")
    script.publish_at(30.0, topics.VOLUMEMGR_STATUS, 0)
    agent = script.drive(nodeagent.run())
    agent.run(max_time=40.0)
    # reasons keep the order they arose in (EVE's addMaintenanceModeReason appends)
    assert _node(script).local_maintenance_reasons == (pb.info.MAINTENANCE_MODE_REASON_TPM_ENCRYPTION_FAILURE,
                                                       pb.info.MAINTENANCE_MODE_REASON_LOW_DISK_SPACE)
