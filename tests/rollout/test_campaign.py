"""Campaigns as a state machine over a scripted fleet: batches, waits, deadlines, halting, resuming."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evesim.api import pb
from evesim.controller.devconfig import ConfigError
from evesim.controller.rollout import Campaign, Plan, RolloutConflict, RolloutError, Rollouts, UnknownRollout

from .fleet import SHA, VERSION, FakeFleet, Script, fleet


class Broken(FakeFleet):
    """A fleet that raises ``error`` on every call about the devices in ``broken`` (a bug, a store failure)."""

    broken: set[str] = set()
    error: type[Exception] = RuntimeError

    def set_base_os(self, dev_uuid: str, version: str, *, url: str, sha256: str, size_bytes: int) -> int:
        self._check(dev_uuid)
        return super().set_base_os(dev_uuid, version, url=url, sha256=sha256, size_bytes=size_bytes)

    def latest_device_info(self, dev_uuid: str) -> pb.info.ZInfoDevice | None:
        self._check(dev_uuid)
        return super().latest_device_info(dev_uuid)

    def _check(self, dev_uuid: str) -> None:
        if dev_uuid in self.broken:
            raise self.error(f"cannot reach {dev_uuid}")

URL = "https://datastore.example/eve.img"


def start(fake: FakeFleet, devices: list[str] | None = None, **kw: object) -> tuple[Rollouts, Campaign]:
    args: dict[str, object] = {"batch_size": (2,), "deadline_s": 1000.0}
    args.update(kw)
    rollouts = Rollouts(fake, lambda: fake.now)
    plan = Plan(tuple(devices or fake.device_uuids()), VERSION, URL, SHA, 1000, **args)  # type: ignore[arg-type]
    return rollouts, rollouts.create(plan)


def advance(rollouts: Rollouts, fake: FakeFleet, until: float, step: float = 10.0) -> None:
    while fake.now < until:
        fake.now += step
        rollouts.tick()


def kinds(campaign: Campaign) -> list[str]:
    return [e.kind for e in campaign.events]


def test_batches_run_one_after_another_with_the_wait_between() -> None:
    fake = fleet(5)
    rollouts, campaign = start(fake, wait_s=60.0)
    assert campaign.state == "running" and [d.uuid for d in campaign.batches[0].devices] == ["d00", "d01"]
    advance(rollouts, fake, 2000)
    assert campaign.state == "done"
    assert kinds(campaign) == ["created"] + ["batch_started", "batch_settled"] * 3 + ["done"]
    assert [u for _, u in fake.edits] == [f"d{i:02d}" for i in range(5)]
    for before, after in zip(campaign.batches, campaign.batches[1:], strict=False):
        assert after.started_at >= before.settled_at + 60.0
    assert campaign.counts() == {"devices": 5, "not_started": 0, "pending": 0, "updated": 5, "failed": 0,
                                 "timed_out": 0}


def test_a_failed_canary_halts_and_the_rest_is_never_asked() -> None:
    fake = fleet(5, d00=Script(pb.info.FAILED))
    rollouts, campaign = start(fake, batch_size=(1, 2))
    advance(rollouts, fake, 3000)
    assert campaign.state == "halted" and "failure rate 1 exceeds 0" in campaign.reason
    assert [u for _, u in fake.edits] == ["d00"]
    assert campaign.counts()["not_started"] == 4 and campaign.failure_rate() == 1.0
    assert kinds(campaign)[-2:] == ["batch_settled", "halted"]


def test_resume_continues_and_the_rate_is_judged_again() -> None:
    fake = fleet(5, d00=Script(pb.info.FAILED))
    rollouts, campaign = start(fake, batch_size=(1, 2), halt_failure_rate=0.4)
    advance(rollouts, fake, 500)
    assert campaign.state == "halted"
    rollouts.resume(campaign.id)
    assert campaign.state == "running" and len(campaign.batches) == 2
    advance(rollouts, fake, 3000)
    assert campaign.state == "done" and campaign.failure_rate() == pytest.approx(1 / 5)
    assert kinds(campaign).count("resumed") == kinds(campaign).count("halted") == 1


def test_resume_halts_again_while_the_rate_stays_too_high() -> None:
    fake = fleet(5, d00=Script(pb.info.FAILED))
    rollouts, campaign = start(fake, batch_size=(1, 2))
    advance(rollouts, fake, 500)
    rollouts.resume(campaign.id)
    advance(rollouts, fake, 1500)
    assert campaign.state == "halted" and len(campaign.batches) == 2
    assert campaign.failure_rate() == pytest.approx(1 / 3)


def test_a_silent_device_times_out_at_the_deadline_and_counts_as_failed() -> None:
    fake = fleet(3, d01=Script(status=None))
    rollouts, campaign = start(fake, batch_size=(2,), deadline_s=300.0, halt_failure_rate=0.5, wait_s=100.0)
    advance(rollouts, fake, 290)
    assert campaign.batches[0].settled_at is None
    advance(rollouts, fake, 300)
    batch = campaign.batches[0]
    assert batch.settled_at == 300.0 and batch.counts()["timed_out"] == 1
    assert [d.result for d in batch.devices] == ["updated", "timed_out"]
    assert campaign.state == "waiting" and campaign.failure_rate() == 0.5
    advance(rollouts, fake, 1000)
    assert campaign.state == "done"


def test_an_operator_halt_lets_the_batch_in_flight_settle_but_starts_no_other() -> None:
    fake = fleet(4)
    rollouts, campaign = start(fake)
    fake.now = 50.0
    rollouts.halt(campaign.id)
    assert campaign.reason == "halted by the operator"
    advance(rollouts, fake, 1000)
    assert campaign.state == "halted" and campaign.batches[0].settled_at is not None and len(campaign.batches) == 1
    assert kinds(campaign) == ["created", "batch_started", "halted", "batch_settled"]
    rollouts.resume(campaign.id)
    advance(rollouts, fake, 2000)
    assert campaign.state == "done" and campaign.counts()["updated"] == 4


def test_resuming_after_the_last_batch_finishes_the_campaign() -> None:
    fake = fleet(2, d01=Script(pb.info.FAILED))
    rollouts, campaign = start(fake)
    advance(rollouts, fake, 500)
    assert campaign.state == "halted" and campaign.counts()["not_started"] == 0
    rollouts.resume(campaign.id)
    assert campaign.state == "done" and kinds(campaign)[-2:] == ["resumed", "done"]


def test_devices_already_on_the_version_settle_at_once() -> None:
    fake = fleet(5, **{f"d{i:02d}": Script(delay=0.0) for i in range(5)})
    rollouts, campaign = start(fake)
    assert campaign.state == "done" and len(campaign.batches) == 3
    assert {b.started_at for b in campaign.batches} == {0.0}


def test_a_device_removed_from_the_controller_has_failed() -> None:
    fake = fleet(4)
    fake.removed.add("d02")
    rollouts = Rollouts(fake, lambda: fake.now)
    with pytest.raises(RolloutError, match="unknown devices: d02"):
        rollouts.create(Plan(("d00", "d02"), VERSION, URL, SHA, 1, batch_size=(1,)))
    fake.removed.clear()
    rollouts, campaign = start(fake, halt_failure_rate=1.0)
    fake.removed.update({"d01", "d02"})
    advance(rollouts, fake, 500)
    assert [d.result for b in campaign.batches for d in b.devices] == ["updated", "failed", "failed", "updated"]


def test_a_campaign_whose_first_tick_fails_is_not_kept() -> None:
    fake = Broken(fleet(3).scripts)
    fake.broken = {"d00"}
    rollouts = Rollouts(fake, lambda: fake.now)
    with pytest.raises(RuntimeError, match="cannot reach d00"):
        rollouts.create(Plan(("d00", "d01"), VERSION, URL, SHA, 1, batch_size=(1,)))
    assert rollouts.list() == []
    assert rollouts.create(Plan(("d01", "d02"), VERSION, URL, SHA, 1, batch_size=(1,))).id == "r1"


def test_a_device_whose_config_refuses_the_edit_has_failed() -> None:
    fake = Broken(fleet(2).scripts)
    fake.broken, fake.error = {"d00"}, ConfigError
    rollouts, campaign = start(fake, ["d00"], batch_size=(1,), halt_failure_rate=1.0)
    assert campaign.state == "done" and campaign.batches[0].devices[0].result == "failed"


def test_one_failing_campaign_does_not_stop_the_others_from_ticking() -> None:
    fake = Broken(fleet(4).scripts)
    rollouts = Rollouts(fake, lambda: fake.now)
    first = rollouts.create(Plan(("d00", "d01"), VERSION, URL, SHA, 1, batch_size=(1,)))
    second = rollouts.create(Plan(("d02", "d03"), VERSION, URL, SHA, 1, batch_size=(1,)))
    fake.broken = {"d00"}
    fake.now = 100.0
    with pytest.raises(RuntimeError, match="cannot reach d00"):
        rollouts.tick()
    assert len(second.batches) == 1
    failures: list[tuple[str, str]] = []

    def record(campaign: Campaign, exc: Exception) -> None:
        failures.append((campaign.id, str(exc)))

    events = rollouts.tick(on_error=record)
    assert [(e.rollout, e.kind) for e in events] == [(second.id, "batch_settled"), (second.id, "batch_started")]
    assert failures == [(first.id, "cannot reach d00")]
    fake.now = 200.0
    rollouts.tick(on_error=record)
    assert failures == [(first.id, "cannot reach d00")] * 2 and second.state == "done"


def test_only_a_fitting_state_can_halt_or_resume() -> None:
    fake = fleet(2)
    rollouts, campaign = start(fake)
    with pytest.raises(RolloutConflict, match="not halted"):
        rollouts.resume(campaign.id)
    rollouts.halt(campaign.id)
    with pytest.raises(RolloutConflict, match="is halted"):
        rollouts.halt(campaign.id)
    rollouts.resume(campaign.id)
    advance(rollouts, fake, 500)
    with pytest.raises(RolloutConflict, match="is done"):
        rollouts.halt(campaign.id)
    with pytest.raises(UnknownRollout):
        rollouts.get("r9")


def test_a_device_is_in_at_most_one_active_campaign() -> None:
    fake = fleet(4)
    rollouts, first = start(fake, wait_s=500.0)
    other = Plan(("d03", "d00"), VERSION, URL, SHA, 1, batch_size=(1,))
    with pytest.raises(RolloutConflict, match=f"active rollout {first.id}"):
        rollouts.create(other)
    advance(rollouts, fake, 200)
    assert first.state == "waiting"
    with pytest.raises(RolloutConflict, match=f"active rollout {first.id}"):
        rollouts.create(other)
    rollouts.halt(first.id)
    second = rollouts.create(other)
    assert [c.id for c in rollouts.list()] == ["r1", "r2"]
    with pytest.raises(RolloutConflict, match=f"active rollout {second.id}"):
        rollouts.resume(first.id)


def test_status_is_plain_json_with_every_batch_device_and_event() -> None:
    fake = fleet(3, d01=Script(pb.info.FAILED))
    rollouts, campaign = start(fake, halt_failure_rate=0.9)
    advance(rollouts, fake, 1000)
    status = json.loads(json.dumps(campaign.status(), allow_nan=False))
    assert status["state"] == "done" and status["batches_planned"] == status["batches_started"] == 2
    assert [d["result"] for b in status["batches"] for d in b["devices"]] == ["updated", "failed", "updated"]
    assert [e["kind"] for e in status["events"]] == kinds(campaign)
    assert status["counts"]["failed"] == 1 and status["failure_rate"] == pytest.approx(1 / 3)


outcomes = st.sampled_from([pb.info.UPDATED, pb.info.FAILED, None])


@settings(max_examples=60, deadline=None)
@given(data=st.data(), n=st.integers(1, 12), wait=st.sampled_from([0.0, 30.0, 200.0]),
       deadline=st.sampled_from([150.0, 400.0]), rate=st.sampled_from([0.0, 0.25, 0.5, 1.0]),
       sizes=st.lists(st.integers(1, 4), min_size=1, max_size=3))
def test_campaign_invariants(data: st.DataObject, n: int, wait: float, deadline: float, rate: float,
                             sizes: list[int]) -> None:
    scripts = {f"d{i:02d}": Script(data.draw(outcomes), data.draw(st.sampled_from([0.0, 50.0, 300.0])))
               for i in range(n)}
    fake = FakeFleet(scripts)
    rollouts, campaign = start(fake, batch_size=tuple(sizes), wait_s=wait, deadline_s=deadline,
                               halt_failure_rate=rate)
    resumed_at: list[float] = []
    for _ in range(data.draw(st.integers(1, 60))):
        fake.now += data.draw(st.sampled_from([5.0, 30.0, 120.0]))
        action = data.draw(st.sampled_from(["tick"] * 6 + ["halt", "resume"]))
        edits_before, state_before = len(fake.edits), campaign.state
        if action == "tick":
            rollouts.tick()
            if state_before == "halted":
                assert len(fake.edits) == edits_before, "a halted campaign started a batch"
        elif action == "halt" and campaign.state in ("running", "waiting"):
            rollouts.halt(campaign.id)
        elif action == "resume" and campaign.state == "halted":
            rollouts.resume(campaign.id)
            resumed_at.append(fake.now)
    started = [d.uuid for b in campaign.batches for d in b.devices]
    assert started == [u for _, u in fake.edits] == list(scripts)[: len(started)]
    for batch in campaign.batches:
        if batch.settled_at is not None:
            assert all(d.result != "pending" for d in batch.devices)
        for device in batch.devices:
            assert device.result != "timed_out" or device.at >= batch.deadline_at
    for before, after in zip(campaign.batches, campaign.batches[1:], strict=False):
        assert after.started_at >= before.settled_at
        if not any(before.settled_at <= t <= after.started_at for t in resumed_at):
            assert after.started_at >= before.settled_at + wait
    for event in campaign.events:
        if event.kind == "halted" and event.fields["reason"].startswith("failure rate"):
            assert event.fields["failure_rate"] > rate
    counts = campaign.counts()
    assert sum(v for k, v in counts.items() if k != "devices") == counts["devices"] == n
    if campaign.state == "done":
        assert counts["not_started"] == counts["pending"] == 0
