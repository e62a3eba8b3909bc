"""Scenario input a review's probes broke the CLI with: each is now a clear error (exit 2) naming file,
line and field, or works; nothing is half-written."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from evesim.cli import app
from evesim.scenario import loader

HEAD = "name: x\nduration: 30m\nfleet: [{name: a, count: 2}]\n"


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def _validate(tmp_path: Path, text: str | bytes) -> tuple[int, str]:
    file = tmp_path / "s.yaml"
    file.write_bytes(text if isinstance(text, bytes) else text.encode())
    return _invoke("validate", str(file))


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ("name: x\ndescription:\nduration: 1h\nfleet: [{name: a, count: 2}]\n", "2:13",
         "description: Input should be a valid string (got None)"),
        (HEAD + "timeline:\n", "4:10", "timeline: Input should be a valid list (got None)"),
        ("name: x\nduration: !!int 1h\nfleet: [{name: a, count: 2}]\n", "2:11",
         "not valid YAML: '1h' cannot be read as tag:yaml.org,2002:int"),
        ("name: !foo x\nduration: 1h\nfleet: [{name: a, count: 2}]\n", "1:7", "not valid YAML: could not determine"),
        (HEAD + "? [a, b]\n: 1\n", "4:3", "not valid YAML: a key must be plain text"),
        ("name: x\nduration: 1h\nfleet: &f [{name: a, count: 2, apps: *f}]\n", "3:8",
         "not valid YAML: an alias refers to a node that contains it"),
        ("name: x\nduration: 1h\nduration: 5h\nfleet: [{name: a, count: 2}]\n", "3:1",
         "not valid YAML: duplicate key 'duration' (first at line 2)"),
        (HEAD.encode() + b"description: caf\xe9\n", "4:17", "not UTF-8 text: byte 0xe9"),
        (HEAD + "description: a\x07b\n", "4:15", "unacceptable character #x0007"),
        ("name: x\ndescription: " + "[" * 2000 + "]" * 2000 + "\nduration: 1h\nfleet: [{name: a, count: 2}]\n",
         "1:1", "not valid YAML: nested too deeply"),
    ],
)
def test_unusual_yaml_is_an_error_at_its_place(tmp_path: Path, text: str | bytes, where: str, message: str) -> None:
    code, output = _validate(tmp_path, text)
    assert code == 2 and f"s.yaml:{where}: " in output and message in output, output


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("  - {name: b, count: 1, version: ''}\n", "fleet[1].version: String should match pattern"),
        ("  - {name: b, count: true}\n", "fleet[1].count: Input should be a valid integer (got True)"),
        ("images: [{version: 14.6.0, size: 0MB}]\n", "images[0].size: Input should be greater than 0"),
        ("images: [{version: 14.6.0}, {version: 14.6.0}]\n", "images[1].version: image versions must be unique"),
        ("apps: [{name: t, size: 0.5}]\n", "apps[0].size: Input should be greater than 0"),
        ("apps: [{name: t, memory: 1.0e+25}]\n", "apps[0].memory: Input should be less than or equal to"),
        ("timeline: [{at: 5m, action: brownout, cycles: 3, on: 0s, off: 2s}]\n",
         "timeline[0].on: Input should be greater than 0"),
        ("timeline: [{at: 5m, action: clock_jump, seconds: 1.0e+20}]\n", "timeline[0].seconds: Input should be less"),
        ("timeline: [{every: 1.0e-300, action: reboot}]\n", "timeline[0].every: Input should be greater than or equal"),
        ("network: {topology: mesh, routers: 100000000}\n", "network.routers: Input should be less than or equal"),
        ("seed: 99999999999999999999\n", "seed: Input should be less than or equal to 9223372036854775807"),
        ("expectations: [{always: {metric: state, value: brickd, max: 0}}]\n",
         "metric 'state' has no value 'brickd'; one of off, booting, running, bricked"),
        ("expectations: [{always: {metric: outcome, value: roled_back, max: 0}}]\n", "no value 'roled_back'"),
        ("expectations: [{always: {metric: led, value: NOPE, max: 0}}]\n", "metric 'led' has no value 'NOPE'"),
        ("expectations: [{at_end: {metric: version, value: 14.5.9, max: 0}}]\n",
         "expectations[0].at_end.value: no image '14.5.9'"),
        ("images: [{version: 14.6.0 rc1}]\n", "images[0].version: String should match pattern"),
        ("images: [{version: '14.6.0/../x?y#z'}]\n", "images[0].version: String should match pattern"),
        ("config_items: {'': '1'}\n", "config_items.: String should have at least 1 character"),
        ("timeline: [{when: {event: batch_started}, action: reboot}]\n",
         "'batch_started' events come from the world, not from a device"),
        ("timeline: [{when: {event: power_on, per_device: 100000}, action: reboot}]\n",
         "per_device: Input should be less than or equal to 10000"),
        ("timeline: [{when: {event: onboard}, action: reboot}]\n",
         "timeline[0].when.event: no event kind 'onboard'; did you mean 'onboarded'"),
        ("expectations: [{always: {metric: events, value: bootz, max: 0}}]\n", "no event kind 'bootz'"),
        ("timeline: [{at: 5m, action: rollout, version: 14.5.1, batch_size: [0, 2]}]\n",
         "timeline[0].batch_size[0]: Input should be greater than or equal to 1 (got 0)"),
        ("expectations: [{at_end: {metric: events, value: boot, fields: {a: [1]}, max: 1}}]\n",
         "fields.a: Input should be a valid string, a valid integer, a valid number or a valid boolean"),
    ],
)
def test_what_a_run_would_refuse_is_refused_at_load(tmp_path: Path, extra: str, message: str) -> None:
    text = HEAD.replace("fleet: [{name: a, count: 2}]\n", "fleet:\n  - {name: a, count: 2}\n")
    text = text + extra if not extra.startswith("  -") else text + extra
    code, output = _validate(tmp_path, text)
    assert code == 2 and message in output, output
    assert output.count("\nerror") + output.startswith("error") == 1, output


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("controller.faults.0.status=5",
         "controller.faults: Input should be a valid list (from --set controller.faults"),
        ("description.x.y=1", "description: Input should be a valid string (from --set description.x.y)"),
        ("a.b.c=1", "a: unknown key 'a'"),
    ],
)
def test_a_set_that_builds_a_wrong_container_is_named(tmp_path: Path, override: str, message: str) -> None:
    file = tmp_path / "s.yaml"
    file.write_text(HEAD)
    code, output = _invoke("validate", str(file), "--set", override)
    assert code == 2 and message in output and f"(from --set {override.split('=')[0]})" in output, output


@pytest.mark.parametrize("text", ["[/bold]", "[red]x", "a [/] b"])
def test_brackets_in_names_print_as_written(tmp_path: Path, text: str) -> None:
    file = tmp_path / "s.yaml"
    file.write_text(f"name: {json.dumps(text)}\nduration: 10m\nfleet: [{{name: a, count: 1}}]\nexpectations:\n"
                    f"  - {{name: {json.dumps(text + ' check')}, at_end: {{metric: bricked, max: 0}}}}\n")
    code, output = _invoke("validate", str(file))
    assert code == 0 and f"({text}: 1 devices" in output, output
    code, output = _invoke("run", str(file), "-q", "--out", str(tmp_path / "out"))
    assert code == 0 and f"PASS {text} check" in output, output
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["scenario"] == text


def test_a_bad_out_is_refused_before_the_run(tmp_path: Path) -> None:
    file = tmp_path / "s.yaml"
    file.write_text(HEAD)
    (tmp_path / "afile").write_text("keep me")
    for out in (tmp_path / "afile", tmp_path / "afile" / "sub"):
        code, output = _invoke("run", str(file), "-q", "--out", str(out))
        assert code == 2 and "--out" in output and "running" not in output, output
    assert (tmp_path / "afile").read_text() == "keep me"


def test_outputs_are_written_whole_or_not_at_all(tmp_path: Path) -> None:
    file = tmp_path / "s.yaml"
    file.write_text(HEAD)
    out = tmp_path / "out"
    (out / "events.parquet").mkdir(parents=True)
    code, output = _invoke("run", str(file), "-q", "--out", str(out))
    assert code == 2 and "cannot write the outputs" in output, output
    assert sorted(p.name for p in out.iterdir()) == ["events.parquet"] and (out / "events.parquet").is_dir()


def test_a_failed_write_leaves_no_summary_of_another_run(tmp_path: Path) -> None:
    file = tmp_path / "s.yaml"
    file.write_text(HEAD)
    out = tmp_path / "out"
    assert _invoke("run", str(file), "-q", "--seed", "1", "--out", str(out))[0] == 0
    (out / "metrics.parquet").unlink()
    (out / "metrics.parquet").mkdir()
    code, output = _invoke("run", str(file), "-q", "--seed", "2", "--out", str(out))
    assert code == 2 and "cannot write the outputs" in output
    assert not (out / "summary.json").exists() and not [p for p in out.iterdir() if p.name.startswith(".")]


def test_line_endings_and_a_bom_do_not_change_the_scenario_digest(tmp_path: Path) -> None:
    digests = set()
    for name, data in (("lf", HEAD.encode()), ("crlf", HEAD.replace("\n", "\r\n").encode()),
                       ("bom", b"\xef\xbb\xbf" + HEAD.encode())):
        (tmp_path / name).write_bytes(data)
        digests.add(loader.load(tmp_path / name).digest)
    assert len(digests) == 1


def test_seeds_fit_in_the_outputs(tmp_path: Path) -> None:
    file = tmp_path / "s.yaml"
    file.write_text(HEAD)
    assert _invoke("run", str(file), "-q", "--seed", "-1")[0] == 2
    code, output = _invoke("sweep", str(file), "--seeds", "2", "--first-seed", str(2**63 - 1), "-q")
    assert code == 2 and "the last seed" in output


def _run(tmp_path: Path, text: str) -> tuple[int, str, Path]:
    file = tmp_path / "s.yaml"
    file.write_text(text)
    out = tmp_path / "out"
    code, output = _invoke("run", str(file), "-q", "--out", str(out))
    return code, output, out


def _events(out: Path, kind: str) -> list[dict[str, object]]:
    frame = pd.read_parquet(out / "events.parquet")
    return [json.loads(fields) for fields in frame[frame["kind"] == kind]["fields"]]


def test_a_retry_with_no_base_os_is_refused_by_the_controller_not_a_crash(tmp_path: Path) -> None:
    code, output, out = _run(tmp_path, HEAD + "timeline: [{at: 10m, action: retry_update}]\n")
    assert code == 0, output
    assert _events(out, "refused") == 2 * [{"action": "retry_update", "error": "device has no base OS configured"}]


def test_clock_jumps_add_up_to_at_most_fifty_years(tmp_path: Path) -> None:
    text = HEAD + "timeline: [{at: 0, every: 1s, until: 20s, action: clock_jump, seconds: 316224000}]\n"
    code, output, out = _run(tmp_path, text)
    assert code == 0, output
    jumps = _events(out, "clock_jump")
    assert len(jumps) == 2 * 21 and jumps[-1] == {"seconds": 316224000.0, "applied": 0.0}
    assert sum(j.get("applied", j["seconds"]) for j in jumps) / 2 == 50 * 365 * 86400.0


def test_a_device_that_is_off_shows_no_led(tmp_path: Path) -> None:
    text = HEAD + ("timeline: [{at: 20m, action: power_cut, target: device:a-00000}]\n"
                   "expectations:\n"
                   "  - {at_end: {metric: led, value: UNDEFINED, target: device:a-00000, min: 1}}\n"
                   "  - {at_end: {metric: led, value: ONBOARDED, target: device:a-00001, min: 1}}\n")
    code, output, out = _run(tmp_path, text)
    assert code == 0, output
    devices = pd.read_parquet(out / "devices.parquet").set_index("device")
    assert devices.loc["a-00000", "state"] == "off" and devices.loc["a-00000", "led"] == "UNDEFINED"


@pytest.mark.parametrize("image", ["{version: 14.6.0, size: 1GB}", "{version: 14.6.0, defects: [no_controller]}"])
def test_apps_held_for_an_update_apply_once_it_has_failed_only_with_the_fix(tmp_path: Path, image: str) -> None:
    # EVE (pkg/pillar/cmd/zedagent/parseconfig.go parseConfig): the app sent while the update is held is dropped, and
    # the 304 that lifts the hold does not publish it; fix release-app-hold publishes it once the update failed
    text = ("name: x\nduration: 2h\nfleet: [{name: a, count: 1}]\n"
            f"images: [{image}]\n"
            "apps: [{name: y, size: 10MB, memory: 256MiB}]\n"
            "controller: {require_integrity_token: false}\n"
            "timeline:\n"
            "  - {at: 5m, action: update, version: 14.6.0}\n"
            "  - {at: 6m, action: deploy_app, app: y}\n"
            "expectations:\n"
            "  - {at_end: {metric: version, value: 14.5.1, min: 1}}\n"
            "  - {at_end: {metric: app, app: y, value: RUNNING, min: 1}}\n")
    code, output, _ = _run(tmp_path, text)
    assert code == 1, output
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert [e["passed"] for e in summary["expectations"]] == [True, False]
    file = tmp_path / "s.yaml"
    code, output = _invoke("run", str(file), "-q", "--out", str(tmp_path / "fixed"), "--fix", "release-app-hold")
    assert code == 0, output
