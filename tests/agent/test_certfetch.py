"""``/certs`` fetch and checkpoint: chain rules, ``.bak`` healing."""

from __future__ import annotations

import pytest

from evesim.agent import certfetch, paths, topics
from evesim.agent import effects as fx
from evesim.agent.zedagent import tasks
from evesim.agent.zedagent.state import Zedagent
from evesim.api import controller_certs, pb

from .harness import HARDWARE, Script
from .support import CONTROLLER, OTHER_CONTROLLER, ROTATED, UUID, certs_answer, conn, signed

GOOD = CONTROLLER.certs_message()
ROOTS = [CONTROLLER.root.cert]
BAK = paths.CONTROLLER_CERTS + ".bak"


def _load(files: dict[str, bytes], roots: list = ROOTS) -> tuple[Script, object]:
    script = Script(files=dict(files))
    return script, script.run(certfetch.load_checkpoint(roots)).value


def _writes(script: Script) -> list[str]:
    return [w.path for w in script.effects(fx.WriteFile)]


def test_checkpoint_is_read_without_writing() -> None:
    script, certs = _load({paths.CONTROLLER_CERTS: GOOD, BAK: GOOD})
    assert certs.signing_hash == CONTROLLER.signing_hash
    assert _writes(script) == []


@pytest.mark.parametrize("primary", [b"\xff" * 40, b"", None])
def test_unusable_primary_is_healed_from_bak(primary: bytes | None) -> None:
    files = {BAK: GOOD}
    if primary is not None:
        files[paths.CONTROLLER_CERTS] = primary
    script, certs = _load(files)
    assert certs.signing_hash == CONTROLLER.signing_hash
    assert script.files[paths.CONTROLLER_CERTS] == GOOD
    assert script.files[BAK] == GOOD


def test_corrupt_primary_is_logged() -> None:
    script, _ = _load({paths.CONTROLLER_CERTS: b"\xff" * 40, BAK: GOOD})
    (log,) = script.logs("checkpoint_unusable")
    assert log.fields["file"] == paths.CONTROLLER_CERTS and log.severity == "warning"


def test_nothing_usable_gives_none() -> None:
    assert _load({paths.CONTROLLER_CERTS: b"\x01", BAK: b"\x02"})[1] is None
    assert _load({})[1] is None


def test_checkpoint_from_another_root_is_not_trusted() -> None:
    script, certs = _load({paths.CONTROLLER_CERTS: OTHER_CONTROLLER.certs_message()})
    assert certs is None and _writes(script) == []


def test_fetch_checks_the_chain_and_checkpoints_with_bak() -> None:
    script = Script(responses={"certs": certs_answer()})
    certs = script.run(certfetch.fetch(conn(with_certs=False), ROOTS)).value
    assert certs.signing_hash == CONTROLLER.signing_hash
    assert script.files[paths.CONTROLLER_CERTS] == GOOD and script.files[BAK] == GOOD
    assert script.effects(fx.WriteFile)[0].keep_bak


def test_fetch_of_unchanged_certs_writes_nothing() -> None:
    script = Script(files={paths.CONTROLLER_CERTS: GOOD, BAK: GOOD}, responses={"certs": certs_answer()})
    script.run(certfetch.fetch(conn(), ROOTS))
    assert _writes(script) == []


def test_healing_keeps_the_good_bak_through_the_next_fetch() -> None:
    script = Script(files={paths.CONTROLLER_CERTS: b"\xff" * 40, BAK: GOOD}, responses={"certs": certs_answer()})
    script.run(certfetch.load_checkpoint(ROOTS))
    script.run(certfetch.fetch(conn(), ROOTS))
    assert script.files[BAK] == GOOD
    assert controller_certs.verify(script.files[BAK], ROOTS).signing_hash == CONTROLLER.signing_hash


def _with_extra(kind: int) -> bytes:
    msg = pb.certs.ZControllerCert.FromString(GOOD)
    msg.certs.add(type=kind, cert=CONTROLLER.signing_pem)
    return msg.SerializeToString()


@pytest.mark.parametrize(
    "answer",
    [
        fx.Response(404),
        fx.Response(503),
        fx.Response(None, error="timeout"),
        fx.Response(200),
        fx.Response(200, b"\x0a\x02garbage", "application/x-proto-binary"),
        certs_answer(OTHER_CONTROLLER),
        signed(controller_certs.build(CONTROLLER.signing_pem, [])),
        signed(_with_extra(pb.certs.CERT_TYPE_CONTROLLER_SIGNING)),
        signed(_with_extra(pb.certs.CERT_TYPE_DEVICE_ONBOARDING)),
    ],
    ids=["404", "503", "timeout", "empty", "garbage", "other-root", "no-ecdh", "two-signing", "other-type"],
)
def test_bad_certs_answers_are_errors_and_change_nothing(answer: fx.Response) -> None:
    script = Script(files={paths.CONTROLLER_CERTS: GOOD}, responses={"certs": answer})
    result = script.run(certfetch.fetch(conn(), ROOTS)).value
    assert isinstance(result, str) and result.startswith("certs")
    assert _writes(script) == []


# -------------------------------------------------------------- zedagent's periodic refresh


def _refresh(answer: fx.Response, max_time: float, refetch_at: float | None = None) -> tuple[Script, Zedagent]:
    script = Script(files={paths.ROOT_CERT: CONTROLLER.root_pem, paths.CONTROLLER_CERTS: GOOD, BAK: GOOD},
                    responses={"certs": answer})
    if refetch_at is not None:
        script.publish_at(refetch_at, topics.CERT_REFETCH, "new-cert-config-hash")
    z = Zedagent(conn=conn(), uuid=UUID, hardware=HARDWARE)
    script.run(tasks.cert_refresh(z), max_time=max_time)
    return script, z


def test_certs_are_refetched_every_cert_interval() -> None:
    script, _ = _refresh(certs_answer(), 3 * 86400.0 - 1)
    assert [s.time for s in script.steps(fx.Request)] == [86400.0, 2 * 86400.0]
    assert script.published(topics.CONTROLLER_CERTS) == []


def test_a_new_cert_config_hash_refetches_at_once_and_adopts_new_certs() -> None:
    script, z = _refresh(certs_answer(ROTATED), 1000.0, refetch_at=100.0)
    assert [s.time for s in script.steps(fx.Request)] == [100.0]
    assert z.conn.controller.signing_hash == ROTATED.signing_hash
    assert script.bus.get(topics.CONTROLLER_CERTS).signing_hash == ROTATED.signing_hash
    assert script.files[paths.CONTROLLER_CERTS] == ROTATED.certs_message() and script.files[BAK] == GOOD


def test_a_failed_refresh_keeps_the_certs_in_use() -> None:
    script, z = _refresh(certs_answer(OTHER_CONTROLLER), 1000.0, refetch_at=100.0)
    assert z.conn.controller.signing_hash == CONTROLLER.signing_hash
    assert script.logs("certs_failed") and script.files[paths.CONTROLLER_CERTS] == GOOD
