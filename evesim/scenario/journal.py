"""A sweep's journal in its output folder: what it was asked, then each finished replica's row as it comes.

``evesim sweep --out DIR`` keeps ``DIR/sweep.journal`` (JSON lines: a header, then rows) while it
runs and removes it once ``replicas.parquet`` and ``summary.json`` are written. A sweep that was
killed outright leaves its journal behind; ``evesim sweep FILE --resume DIR`` reads it and runs
only the seeds no row covers.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from evesim.scenario import outputs

NAME = "sweep.journal"
Row = dict[str, Any]


class JournalError(ValueError):
    """A journal or an output folder that cannot be resumed: the message says why."""


@dataclass(frozen=True)
class Plan:
    """What a sweep was asked: the seeds, the scenario's digest and the overrides (fixes included)."""

    first_seed: int
    count: int
    scenario_sha256: str
    overrides: dict[str, Any]

    @property
    def seeds(self) -> range:
        return range(self.first_seed, self.first_seed + self.count)

    def header(self) -> dict[str, Any]:
        return {"requested": {"first": self.first_seed, "count": self.count},
                "scenario_sha256": self.scenario_sha256, "overrides": self.overrides}

    @classmethod
    def parse(cls, data: dict[str, Any], where: str) -> Plan:
        """The plan in a journal header or a ``summary.json``; JournalError if it holds none."""
        try:
            requested = data["requested"]
            return cls(int(requested["first"]), int(requested["count"]), str(data["scenario_sha256"]),
                       dict(data.get("overrides") or {}))
        except (KeyError, TypeError, ValueError) as exc:
            raise JournalError(f"{where} does not say which seeds were asked ({exc})") from None


class Journal:
    """The open journal of a running sweep: one line per finished row, flushed as it is written."""

    def __init__(self, out: Path, plan: Plan, rows: list[Row]) -> None:
        outputs.make_dir(out)
        self.path = out / NAME
        self._file: IO[str] = self.path.open("w", encoding="utf-8")
        self._write(plan.header())
        self.append(rows)

    def append(self, rows: list[Row]) -> None:
        for row in rows:
            self._write({"row": row})

    def _write(self, record: dict[str, Any]) -> None:
        self._file.write(json.dumps(record, default=_plain) + "\n")
        self._file.flush()

    def close(self) -> None:
        self._file.close()


def read(path: Path) -> tuple[Plan, list[Row]]:
    """The plan and rows of a journal; a last line cut short by a kill is ignored."""
    lines = path.read_text(encoding="utf-8").splitlines()
    if not lines:
        raise JournalError(f"{path} is empty")
    records = []
    for number, line in enumerate(lines, 1):
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            if number == len(lines):
                break
            raise JournalError(f"{path}:{number}: not a journal line") from None
    plan = Plan.parse(records[0], str(path))
    return plan, [record["row"] for record in records[1:] if isinstance(record.get("row"), dict)]


def resumable(folder: Path) -> tuple[Plan, list[Row]]:
    """The plan and finished rows of the sweep whose outputs go to ``folder``: from its journal if one was
    left (the sweep was killed), else from its ``summary.json`` and ``replicas.parquet``."""
    if (folder / NAME).is_file():
        return read(folder / NAME)
    summary = folder / "summary.json"
    if not summary.is_file():
        raise JournalError(f"{folder} holds no sweep to resume (neither {NAME} nor summary.json)")
    import pandas as pd

    try:
        plan = Plan.parse(json.loads(summary.read_text(encoding="utf-8")), str(summary))
        frame = pd.read_parquet(folder / "replicas.parquet")
    except (OSError, ValueError) as exc:
        raise JournalError(f"cannot read the sweep in {folder}: {exc}") from None
    rows = [{str(key): _plain(value) if hasattr(value, "item") or value is pd.NA else value
             for key, value in record.items()} for record in frame.to_dict("records")]
    return plan, rows


def _plain(value: object) -> object:
    """numpy and pandas scalars as JSON values (NA as null)."""
    if hasattr(value, "item"):
        value = value.item()
        if isinstance(value, float) and math.isnan(value):
            return None
        return value
    return None
