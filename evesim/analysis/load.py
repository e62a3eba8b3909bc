"""Reading ``evesim run --out`` and ``evesim sweep --out`` directories into pandas."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

RUN_FILES = ("summary.json", "events.parquet", "devices.parquet", "metrics.parquet")
SWEEP_FILES = ("summary.json", "replicas.parquet")


class AnalysisError(ValueError):
    """An output directory that cannot be analysed (missing or unreadable files)."""


@dataclass(frozen=True)
class Run:
    """One run's outputs: its summary and its event, device and metric frames."""

    path: Path
    summary: dict[str, Any]
    events: pd.DataFrame
    devices: pd.DataFrame
    metrics: pd.DataFrame


@dataclass(frozen=True)
class Sweep:
    """One sweep's outputs: its summary and one row per replica."""

    path: Path
    summary: dict[str, Any]
    replicas: pd.DataFrame


def _check(path: Path, files: tuple[str, ...], command: str) -> None:
    if not path.is_dir():
        raise AnalysisError(f"{path}: not a directory (expected the --out directory of `{command}`)")
    missing = [name for name in files if not (path / name).is_file()]
    if missing:
        raise AnalysisError(f"{path}: missing {', '.join(missing)} (expected the --out directory of `{command}`)")


def _summary(path: Path) -> dict[str, Any]:
    try:
        summary = json.loads((path / "summary.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AnalysisError(f"{path / 'summary.json'}: unreadable: {exc}") from None
    if not isinstance(summary, dict):
        raise AnalysisError(f"{path / 'summary.json'}: expected a JSON object")
    return summary


def _parquet(file: Path, **options: Any) -> pd.DataFrame:
    try:
        return pd.read_parquet(file, **options)
    except (OSError, ValueError) as exc:
        raise AnalysisError(f"{file}: unreadable Parquet: {exc}") from None


def load_run(path: str | Path) -> Run:
    """Load the outputs of ``evesim run --out DIR``."""
    root = Path(path)
    _check(root, RUN_FILES, "evesim run")
    return Run(root, _summary(root), _parquet(root / "events.parquet"), _parquet(root / "devices.parquet"),
               _parquet(root / "metrics.parquet"))


def load_sweep(path: str | Path) -> Sweep:
    """Load the outputs of ``evesim sweep --out DIR`` (nullable dtypes: an errored replica has NAs)."""
    root = Path(path)
    _check(root, SWEEP_FILES, "evesim sweep")
    return Sweep(root, _summary(root), _parquet(root / "replicas.parquet", dtype_backend="numpy_nullable"))
