"""Across the replicas of a sweep: outcome distributions and expectation pass rates."""

from __future__ import annotations

import pandas as pd

from evesim.analysis.load import Sweep

OUTCOME_PREFIX = "outcome_"
EXPECT_PREFIX = "expect_"


def completed(sweep: Sweep) -> pd.DataFrame:
    """Replicas that ran to their end (no error)."""
    replicas = sweep.replicas
    return replicas[replicas["error"].fillna("") == ""]


def outcome_distribution(sweep: Sweep) -> pd.DataFrame:
    """Long form, one row per completed replica and outcome: seed, outcome, devices."""
    replicas = completed(sweep).sort_values("seed")
    columns = [c for c in replicas.columns if c.startswith(OUTCOME_PREFIX)]
    long = replicas[["seed", *columns]].melt(id_vars="seed", var_name="outcome", value_name="devices")
    long["outcome"] = long["outcome"].str.removeprefix(OUTCOME_PREFIX)
    return long.astype({"seed": "int64", "devices": "int64"})


def outcome_stats(sweep: Sweep) -> pd.DataFrame:
    """Per outcome: mean, standard deviation, min, median and max devices across completed replicas."""
    return outcome_distribution(sweep).groupby("outcome", sort=False)["devices"].agg(
        ["mean", "std", "min", "median", "max"])


def pass_rates(sweep: Sweep) -> pd.Series:
    """Per expectation column, the fraction of completed replicas that passed it."""
    replicas = completed(sweep)
    columns = [c for c in replicas.columns if c.startswith(EXPECT_PREFIX)]
    rates = [float(replicas[c].astype("boolean").fillna(False).mean()) if len(replicas) else 0.0 for c in columns]
    return pd.Series(rates, index=pd.Index(columns, name="expectation"), name="pass_rate", dtype="float64")
